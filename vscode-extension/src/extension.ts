// sffi-lsp for VS Code: starts the language server for Simple (.spl) files,
// shows resolved/unresolved externs in the status bar, and adds commands.
import * as vscode from 'vscode';
import {
  ConfigurationParams,
  DidChangeConfigurationNotification,
  ExecuteCommandSignature,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import { describeLaunch, resolveLaunch } from './launch';
import { launchSettings, SECTION, serverSettings } from './settings';
import { ServerStatus, StatusItem } from './status';

const LANGUAGE_ID = 'simple';
const SPEC_LANGUAGE_ID = 'wrapper-spec'; // `*.wrapper_spec`: the wrapper generator's input, checked against its tiers
const CLIENT_ID = 'sffi'; // makes vscode-languageclient honour `sffi.trace.server`
const CLIENT_NAME = 'SFFI Language Server';
const STATUS_NOTIFICATION = 'sffi/status';
// Server-side commands (workspace/executeCommand). vscode-languageclient registers
// them as VS Code commands itself; the middleware below gives them a UI.
const CMD_REINDEX = 'sffi.reindex';
const CMD_SHOW_EXPORTS = 'sffi.showExports';
const CMD_RESTART = 'sffi.restart';
const CMD_SHOW_OUTPUT = 'sffi.showOutput';

// When the extension host loaded this module (the output channel stamps its lines
// late, once its log file is ready: start-up times are written into the lines).
const MODULE_LOADED_AT = Date.now();

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let status: StatusItem;
let extensionContext: vscode.ExtensionContext;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const activatedAt = Date.now();
  extensionContext = context;
  output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  status = new StatusItem(CMD_SHOW_OUTPUT);
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand(CMD_SHOW_OUTPUT, () => output.show(true)),
    vscode.commands.registerCommand(CMD_RESTART, restart),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration(SECTION)) return;
      if (client?.isRunning()) {
        // The server re-reads the section with workspace/configuration.
        void client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: serverSettings() } });
      }
      if (event.affectsConfiguration(`${SECTION}.server`)) {
        const choice = await vscode.window.showInformationMessage(
          'sffi: the server settings changed. Restart the language server?', 'Restart');
        if (choice === 'Restart') await restart();
      }
    }),
  );
  output.appendLine(`[sffi] module loaded at ${new Date(MODULE_LOADED_AT).toISOString()}, activated at ${new Date(activatedAt).toISOString()}`);
  // Not awaited: activation ends here and VS Code goes on (opening the document, sending
  // didOpen through the client as soon as it runs) while the server starts.
  void start();
}

export async function deactivate(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) await current.stop().catch(() => undefined);
}

function clientOptions(): LanguageClientOptions {
  return {
    documentSelector: [
      { language: LANGUAGE_ID, scheme: 'file' },
      { language: LANGUAGE_ID, scheme: 'untitled' },
      { language: SPEC_LANGUAGE_ID, scheme: 'file' },
    ],
    outputChannel: output,
    traceOutputChannel: output,
    initializationOptions: serverSettings(),
    // No `synchronize.configurationSection`: it sends a didChangeConfiguration right
    // after start, which makes the server load its configuration twice. The server
    // pulls `sffi` itself; changes are announced by the listener in activate().
    diagnosticPullOptions: { onChange: true, onSave: true },
    middleware: {
      workspace: {
        configuration: async (params: ConfigurationParams, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) return answers;
          return params.items.map((item, i) => {
            if (item.section !== SECTION) return answers[i];
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            return serverSettings(scope);
          });
        },
      },
      executeCommand: async (command: string, args: unknown[], next: ExecuteCommandSignature) => {
        if (command === CMD_REINDEX) return reindex(args, next);
        if (command === CMD_SHOW_EXPORTS) return showExports(args, next);
        return next(command, args);
      },
    },
  };
}

async function start(): Promise<void> {
  const bundledLibs = extensionContext.asAbsolutePath('bundled/libs');
  const launch = await resolveLaunch(launchSettings(), bundledLibs);
  output.appendLine(`[sffi] starting: ${describeLaunch(launch)}`);
  // With tracing on, the server also logs its start-up stages (to this channel, via stderr).
  const traced = vscode.workspace.getConfiguration(SECTION).get<string>('trace.server', 'off') !== 'off';
  const serverOptions: ServerOptions = {
    command: launch.command,
    args: traced && launch.origin !== 'command' ? [...launch.args, '--log-level', 'INFO'] : launch.args,
    options: { env: launch.env },
  };
  const spawnedAt = Date.now();
  output.appendLine(`[sffi] server process starting at ${new Date(spawnedAt).toISOString()}`);
  const next = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions());
  client = next;
  extensionContext.subscriptions.push(
    next.onDidChangeState((e) => {
      if (e.newState === State.Running) status.setPhase('running');
      else if (e.newState === State.Starting) status.setPhase('starting');
      else status.setPhase('stopped');
    }),
  );
  status.setPhase('starting');
  try {
    await next.start();
    output.appendLine(`[sffi] server initialized ${Date.now() - spawnedAt} ms after its start`);
    next.onNotification(STATUS_NOTIFICATION, (params: ServerStatus) => status.setServerStatus(params ?? {}));
    status.setPhase('running');
  } catch (error) {
    status.setPhase('failed');
    const message = error instanceof Error ? error.message : String(error);
    output.appendLine(`[sffi] the server did not start: ${message}`);
    const hint = launch.origin === 'command'
      ? 'check `sffi.server.command`'
      : 'it needs Python 3.11+; set `sffi.server.pythonPath` to such an interpreter';
    void vscode.window.showErrorMessage(`sffi: the language server did not start (${hint}).`, 'Show output')
      .then((choice) => { if (choice) output.show(true); });
  }
}

async function restart(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop();
    } catch (error) {
      output.appendLine(`[sffi] stop failed: ${String(error)}`);
    }
    await current.dispose().catch(() => undefined);
  }
  await start();
}

async function reindex(args: unknown[], next: ExecuteCommandSignature): Promise<unknown> {
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'sffi: re-indexing' },
    () => Promise.resolve(next(CMD_REINDEX, args)),
  );
  const info = (result ?? {}) as { files?: number; externs?: number };
  if (typeof info.files === 'number') {
    void vscode.window.setStatusBarMessage(`sffi: re-indexed ${info.files} file(s), ${info.externs ?? '?'} extern(s)`, 5000);
  }
  return result;
}

interface ExportRow { name: string; kind?: string | null; version?: string | null }

interface ExportsResult {
  library?: string;
  path?: string;
  total?: number;
  count?: number;
  offset?: number;
  items?: ExportRow[];
  exports?: ExportRow[];
  libraries?: string[];
  error?: string;
  message?: string;
}

// The server answers a page of a library's exports (libtorch_cpu has ~74,000):
// the QuickPick asks for the rows matching what the user types, a page at a time.
const EXPORTS_PAGE = 200;

async function showExports(args: unknown[], next: ExecuteCommandSignature): Promise<unknown> {
  if (args.length > 0) return next(CMD_SHOW_EXPORTS, args); // programmatic use: just the data
  // Called from the command palette: offer the configured libraries.
  const listing = ((await next(CMD_SHOW_EXPORTS, [])) ?? {}) as ExportsResult;
  const other = 'Other library (path or name)…';
  const picked = await vscode.window.showQuickPick([...(listing.libraries ?? []), other], {
    title: 'sffi: show the exports of a library',
    placeHolder: 'a configured library',
  });
  if (picked === undefined) return undefined;
  const library = picked === other
    ? await vscode.window.showInputBox({ prompt: 'Library path or name (e.g. libm.so.6)' })
    : picked;
  if (!library) return undefined;

  type Item = vscode.QuickPickItem & { row?: ExportRow; more?: boolean };
  const pick = vscode.window.createQuickPick<Item>();
  pick.placeholder = 'filter the exports (matched by the server, case-insensitive)';
  pick.matchOnDescription = true;
  (pick as unknown as { sortByLabel: boolean }).sortByLabel = false; // keep the server's order
  let rows: ExportRow[] = [];
  let total = 0;
  let filter = '';
  let asked = 0; // newest request wins: answers to older filters are dropped
  let first: ExportsResult | undefined;
  const load = async (offset: number): Promise<void> => {
    const ticket = ++asked;
    pick.busy = true;
    try {
      const page = ((await next(CMD_SHOW_EXPORTS, [{ library, filter, offset, limit: EXPORTS_PAGE }])) ?? {}) as ExportsResult;
      if (ticket !== asked) return;
      first ??= page;
      if (page.error) {
        pick.hide();
        void vscode.window.showErrorMessage(`sffi: ${page.library ?? library}: ${page.error}`);
        return;
      }
      const items = page.items ?? page.exports ?? [];
      rows = offset === 0 ? items : rows.concat(items);
      total = page.total ?? page.count ?? rows.length;
      pick.title = `${page.path ?? library}: ${filter ? `${total} matching "${filter}"` : `${total} export(s)`}`;
      const shown: Item[] = rows.map((row) => ({
        label: row.name,
        description: [row.kind ?? '', row.version ? `@@${row.version}` : ''].join(' ').trim(),
        row,
      }));
      if (rows.length < total) {
        shown.push({ label: `Load more… (${rows.length} of ${total} shown)`, alwaysShow: true, more: true });
      }
      pick.items = shown;
    } finally {
      if (ticket === asked) pick.busy = false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  pick.onDidChangeValue((value) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { filter = value.trim(); void load(0); }, 150);
  });
  pick.onDidAccept(async () => {
    const chosen = pick.selectedItems[0];
    if (chosen?.more) { await load(rows.length); return; }
    if (chosen?.row) {
      await vscode.env.clipboard.writeText(chosen.row.name);
      void vscode.window.setStatusBarMessage(`sffi: copied ${chosen.row.name}`, 3000);
      pick.hide();
    }
  });
  pick.onDidHide(() => { if (timer) clearTimeout(timer); pick.dispose(); });
  pick.show();
  await load(0);
  return first;
}
