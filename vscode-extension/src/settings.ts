// The `sffi` section as the server receives it (workspace/configuration and
// initializationOptions): only what the user set explicitly, so that the
// defaults declared in package.json never override the project's sffi.toml.
import * as vscode from 'vscode';

export const SECTION = 'sffi';

// Settings the server understands. `server.*` and `trace.*` are for the client only.
export const SERVER_SETTINGS = ['libraries', 'builtins', 'manifest', 'runtimeMode', 'abi', 'debounce'] as const;

export function explicitValue<T>(config: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const seen = config.inspect<T>(key);
  if (!seen) return undefined;
  // Most specific scope first.
  for (const value of [seen.workspaceFolderValue, seen.workspaceValue, seen.globalValue]) {
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

// A bare soname ("libm.so.6") is looked up as the dynamic linker would; anything
// else is a path (relative to the project root) or a glob.
function librarySpec(entry: unknown): unknown {
  if (typeof entry !== 'string') return entry;
  return /^lib[^/\\]*\.so(\.[0-9.]+)?$/.test(entry) ? { name: entry } : { path: entry };
}

/** The explicit VS Code settings, in the shape of sffi.toml keys (camelCase accepted by the server). */
export function serverSettings(scope?: vscode.ConfigurationScope): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const set: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = explicitValue<unknown>(config, key);
    if (value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    set[key] = value;
  }
  const out: Record<string, unknown> = {};
  if (Array.isArray(set.libraries)) out.libraries = set.libraries.map(librarySpec);
  if (Array.isArray(set.builtins)) out.builtins = { lists: set.builtins };
  if (typeof set.manifest === 'string') out.manifest = { path: set.manifest };
  if (set.runtimeMode !== undefined) out.runtimeMode = set.runtimeMode;
  if (set.abi !== undefined) out.abi = set.abi;
  if (typeof set.debounce === 'number') out.debounceMs = set.debounce;
  return out;
}

export function launchSettings(): { command: string[]; pythonPath: string } {
  const config = vscode.workspace.getConfiguration(SECTION);
  const command = config.get<string[]>('server.command', []);
  const pythonPath = config.get<string>('server.pythonPath', '');
  return {
    command: Array.isArray(command) ? command.map(String) : [],
    pythonPath: typeof pythonPath === 'string' ? pythonPath : '',
  };
}
