// The status bar item: resolved / unresolved extern counts. Click: the output channel.
//
// Counts come from the server's `sffi/status` notification when it sends one
// ({resolved, unresolved, externs?, files?}); otherwise the unresolved count is
// computed from our diagnostics (code SFFI001, one per distinct extern name).
import * as vscode from 'vscode';

export const UNRESOLVED_CODE = 'SFFI001';
export const DIAGNOSTIC_SOURCE = 'sffi';

export interface ServerStatus {
  resolved?: number;
  unresolved?: number;
  externs?: number;
  files?: number;
}

type Phase = 'starting' | 'running' | 'stopped' | 'failed';

function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  if (code === undefined) return undefined;
  if (typeof code === 'object') return String(code.value);
  return String(code);
}

/** Distinct extern names (or locations, when the name is unknown) with an unresolved finding. */
export function unresolvedFromDiagnostics(): number {
  const seen = new Set<string>();
  for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
    for (const d of diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE || codeOf(d) !== UNRESOLVED_CODE) continue;
      const match = /`([A-Za-z_][A-Za-z0-9_]*)`/.exec(d.message);
      seen.add(match ? match[1] : `${uri.toString()}:${d.range.start.line}:${d.range.start.character}`);
    }
  }
  return seen.size;
}

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private phase: Phase = 'starting';
  private server: ServerStatus | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('sffi.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'SFFI externs';
    this.item.command = command;
    this.subscriptions.push(vscode.languages.onDidChangeDiagnostics(() => this.render()));
    this.render();
    this.item.show();
  }

  setPhase(phase: Phase): void {
    this.phase = phase;
    if (phase !== 'running') this.server = undefined;
    this.render();
  }

  setServerStatus(status: ServerStatus): void {
    this.server = status;
    this.render();
  }

  render(): void {
    const item = this.item;
    item.backgroundColor = undefined;
    if (this.phase === 'starting') {
      item.text = '$(sync~spin) sffi';
      item.tooltip = 'sffi-lsp is starting';
      return;
    }
    if (this.phase !== 'running') {
      item.text = '$(error) sffi';
      item.tooltip = 'sffi-lsp is not running: click for its output; "SFFI: Restart the language server" to retry';
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    const unresolved = this.server?.unresolved ?? unresolvedFromDiagnostics();
    const resolved = this.server?.resolved;
    const icon = unresolved > 0 ? '$(warning)' : '$(check)';
    item.text = resolved !== undefined
      ? `${icon} sffi: ${resolved} resolved, ${unresolved} unresolved`
      : `${icon} sffi: ${unresolved} unresolved`;
    const lines = [
      resolved !== undefined ? `${resolved} extern(s) resolved` : undefined,
      `${unresolved} extern(s) unresolved (${UNRESOLVED_CODE})`,
      this.server?.files !== undefined ? `${this.server.files} .spl file(s)` : undefined,
      'Click to show the sffi-lsp output',
    ].filter((l): l is string => l !== undefined);
    item.tooltip = lines.join('\n');
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
