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

export function serverSettings(scope?: vscode.ConfigurationScope): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const out: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const value = explicitValue<unknown>(config, key);
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (value === '') continue;
    out[key] = value;
  }
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
