#!/usr/bin/env node
// Installs the sffi-lsp Python package and its (pure Python) dependencies into
// bundled/libs, so the packaged .vsix runs the server with no network and no
// prior `pip install`: the extension starts `python -m sffi_lsp.server` with
// PYTHONPATH=bundled/libs.
//
// Env: SFFI_BUNDLE_PYTHON  interpreter running pip (default: <repo>/.venv/bin/python, else python3)
//      SFFI_BUNDLE_SOURCE  what to install (default: the repository root, built as a wheel)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const extDir = path.resolve(__dirname, '..');
const repoRoot = path.resolve(extDir, '..');
const target = path.join(extDir, 'bundled', 'libs');
const venvPython = path.join(repoRoot, '.venv', 'bin', 'python');
const python = process.env.SFFI_BUNDLE_PYTHON || (fs.existsSync(venvPython) ? venvPython : 'python3');
const source = process.env.SFFI_BUNDLE_SOURCE || repoRoot;

fs.rmSync(path.join(extDir, 'bundled'), { recursive: true, force: true });
fs.mkdirSync(target, { recursive: true });
// Build the project with the interpreter's own hatchling when it has one: no
// download of build requirements (the .venv made by scripts/install.sh has it).
const haveHatchling = spawnSync(python, ['-c', 'import hatchling'], { stdio: 'ignore' }).status === 0;
const args = [
  '-m', 'pip', 'install',
  '--disable-pip-version-check', '--no-input', '--quiet', '--no-compile',  // compiled below
  '--only-binary', ':all:',  // dependencies as wheels (all pure Python): no compiler, no sdist surprises
  '--no-binary', 'sffi-lsp',  // ...except the project itself, built from the checkout
  ...(haveHatchling ? ['--no-build-isolation'] : []),
  '--target', target,
  source,
];
console.error(`[bundle-python] ${python} ${args.join(' ')}`);
const run = spawnSync(python, args, { stdio: 'inherit', timeout: 300_000 });
if (run.error || run.status !== 0) {
  console.error(`[bundle-python] pip failed (${run.error ? run.error.message : 'exit ' + run.status})`);
  process.exit(1);
}
// Console scripts and caches are of no use inside the extension.
for (const junk of ['bin']) fs.rmSync(path.join(target, junk), { recursive: true, force: true });
const NATIVE_ALLOWED = ['rapidfuzz', 'tree_sitter', 'tree_sitter_rust'];
const nativeSeen = new Set();
for (const entry of fs.readdirSync(target)) {
  // A compiled extension module would tie the .vsix to one Python/platform: refuse it.
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(so|pyd|dylib)$/.test(e.name)) {
        const rel = path.relative(target, p);
        // rapidfuzz (did-you-mean) and tree-sitter (the runtime's Rust sources) ship only
        // binary wheels: with them the bundle is tied to this machine's platform and
        // Python tag. Any other native module is still refused.
        if (NATIVE_ALLOWED.some((pkg) => rel.startsWith(pkg + path.sep))) { nativeSeen.add(rel.split(path.sep)[0]); continue; }
        console.error(`[bundle-python] native module in the bundle (not portable): ${rel}`);
        process.exit(1);
      }
    }
  };
  const full = path.join(target, entry);
  if (fs.statSync(full).isDirectory()) walk(full);
}
if (nativeSeen.size) {
  const tag = spawnSync(python, ['-c', 'import sysconfig, sys; print(sysconfig.get_platform(), sys.implementation.cache_tag)'], { encoding: 'utf8' });
  console.error(`[bundle-python] binary wheels bundled (${[...nativeSeen].join(', ')}): this bundle runs on ${String(tag.stdout || '').trim()} only`);
}
// Ship byte code: the first start would otherwise compile ~4 MB of Python (and
// every start, where PYTHONDONTWRITEBYTECODE is set or the extension dir is
// read-only). `unchecked-hash` pycs stay valid whatever mtimes the .vsix
// extraction gives the sources; other Python versions just ignore them.
const compile = spawnSync(python, ['-m', 'compileall', '-q', '-j', '0', '--invalidation-mode', 'unchecked-hash', target],
  { stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
if (compile.status !== 0) {
  console.error('[bundle-python] compileall failed');
  process.exit(1);
}
// And the code attrs generates for the LSP types at import (~0.25 s of each server
// start), kept next to the byte code: the server reads it when the interpreter
// and attrs match, and compiles as usual otherwise.
const seed = spawnSync(python, ['-m', 'sffi_lsp.server', '--write-startup-cache'],
  { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000, cwd: target,
    env: { ...process.env, PYTHONPATH: target, PYTHONDONTWRITEBYTECODE: '1' } });
if (seed.status !== 0) {
  console.error('[bundle-python] writing the start-up cache failed');
  process.exit(1);
}
if (!fs.existsSync(path.join(target, 'sffi_lsp', 'server'))) {
  console.error('[bundle-python] sffi_lsp/server missing from the bundle');
  process.exit(1);
}
console.error(`[bundle-python] bundled into ${path.relative(extDir, target)}`);
