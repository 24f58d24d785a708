// How the language server process is started: a user command, a user Python
// with sffi-lsp installed, or the libraries bundled into the extension.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ServerSettings {
  command: string[];
  pythonPath: string;
}

export interface ServerLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  // For the output channel and error messages: where the server comes from.
  origin: 'command' | 'python' | 'bundled';
}

const SERVER_MODULE = 'sffi_lsp.server';

export function defaultPython(): string {
  return process.platform === 'win32' ? 'python' : 'python3';
}

/**
 * True when `python` can import sffi-lsp by itself (an existing install wins over the bundle).
 * Asynchronous: a synchronous probe blocked the whole extension host for the time of a
 * Python start-up (0.1-1 s), on the way to the first diagnostic.
 */
function pythonHasServer(python: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(python, ['-c', `import ${SERVER_MODULE}`], { timeout: 10_000 }, (error) => resolve(!error));
  });
}

function withPythonPath(env: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const current = env.PYTHONPATH;
  return { ...env, PYTHONPATH: current ? `${dir}${path.delimiter}${current}` : dir };
}

/**
 * Decide how to start the server.
 * 1. `sffi.server.command`, verbatim.
 * 2. `sffi.server.pythonPath` set: that interpreter, with its own sffi-lsp if it has one,
 *    else with the bundled libraries on PYTHONPATH.
 * 3. Otherwise `python3` from PATH with the bundled libraries.
 */
export async function resolveLaunch(
  settings: ServerSettings, bundledLibs: string, env: NodeJS.ProcessEnv = process.env,
): Promise<ServerLaunch> {
  const base = { ...env, PYTHONUNBUFFERED: '1' };
  const cmd = settings.command.filter((part) => part.trim() !== '');
  if (cmd.length > 0) {
    return { command: cmd[0], args: cmd.slice(1), env: base, origin: 'command' };
  }
  const args = ['-m', SERVER_MODULE];
  const haveBundle = fs.existsSync(path.join(bundledLibs, 'sffi_lsp'));
  const python = settings.pythonPath.trim();
  if (python !== '') {
    if (!haveBundle || (await pythonHasServer(python))) {
      return { command: python, args, env: base, origin: 'python' };
    }
    return { command: python, args, env: withPythonPath(base, bundledLibs), origin: 'bundled' };
  }
  if (!haveBundle) {
    // A development build without bundled/libs: hope sffi-lsp is installed for python3.
    return { command: defaultPython(), args, env: base, origin: 'python' };
  }
  return { command: defaultPython(), args, env: withPythonPath(base, bundledLibs), origin: 'bundled' };
}

export function describeLaunch(launch: ServerLaunch): string {
  const pp = launch.origin === 'bundled' ? ` (PYTHONPATH=${launch.env.PYTHONPATH})` : '';
  return `${[launch.command, ...launch.args].join(' ')}${pp}`;
}
