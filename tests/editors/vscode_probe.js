#!/usr/bin/env node
// Drives real VS Code (code-server) with the packaged extension installed, through
// playwright-core and Debian's chromium. Run inside a loopback-only network
// namespace (the caller does `unshare -n` + `ip link set lo up`).
//
//   node vscode_probe.js CONFIG.json
//
// CONFIG: { codeServer, playwrightCore, chromium, port, userDataDir, extensionsDir,
//           folder, file, relFile, unresolved: {line, col, name, code},
//           resolved: {line, col, name, library}, artifacts, out, timeoutMs, env }
// Lines/cols are 0-based. Writes a JSON result to CONFIG.out; exit 0 even when a
// check fails (the pytest side asserts), non-zero only when the probe itself broke.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { chromium } = require(cfg.playwrightCore);
const result = { steps: [], errors: [], timings: {} };
const started = Date.now();
const log = (msg) => {
  const line = `[vscode-probe ${new Date().toISOString().slice(11, 23)} +${((Date.now() - started) / 1000).toFixed(2)}s] ${msg}`;
  result.steps.push(line);
  console.error(line);
};

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function waitHttp(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}): see code-server.log`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs} ms`);
}

// In the page: the client rectangle of `name` at (line, col) in the visible editor.
function nameRectInPage({ name, col }) {
  for (const lineEl of document.querySelectorAll('.monaco-editor .view-lines .view-line')) {
    const text = (lineEl.textContent || '').replace(/\u00a0/g, ' ');
    if (text.substr(col, name.length) !== name) continue;
    const walker = document.createTreeWalker(lineEl, NodeFilter.SHOW_TEXT);
    let pos = 0; let node; let start = null; let end = null;
    while ((node = walker.nextNode())) {
      const len = node.textContent.length;
      if (start === null && pos + len > col) start = [node, col - pos];
      if (start !== null && pos + len >= col + name.length) { end = [node, col + name.length - pos]; break; }
      pos += len;
    }
    if (!start || !end) return null;
    const range = document.createRange();
    range.setStart(start[0], start[1]);
    range.setEnd(end[0], end[1]);
    const r = range.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height, lineText: text };
  }
  return null;
}

function squigglesInPage() {
  return [...document.querySelectorAll('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning')].map((el) => {
    const r = el.getBoundingClientRect();
    return { cls: el.className, x: r.x, y: r.y, width: r.width, height: r.height };
  });
}

async function screenshot(page, name) {
  const file = path.join(cfg.artifacts, name);
  await page.screenshot({ path: file });
  result.screenshots = [...(result.screenshots || []), file];
  log(`screenshot ${file}`);
}

async function main() {
  fs.mkdirSync(cfg.artifacts, { recursive: true });
  const serverLog = fs.openSync(path.join(cfg.artifacts, 'code-server.log'), 'w');
  const codeServer = spawn(cfg.codeServer, [
    '--bind-addr', `127.0.0.1:${cfg.port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', cfg.userDataDir,
    '--extensions-dir', cfg.extensionsDir,
    ...(cfg.extraArgs || []),
  ], { env: cfg.env, stdio: ['ignore', serverLog, serverLog], detached: true });
  let browser;
  try {
    await waitHttp(`http://127.0.0.1:${cfg.port}/healthz`, 60_000, codeServer);
    log('code-server is up');
    browser = await chromium.launch({
      executablePath: cfg.chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => result.errors.push(`page error: ${e.message}`));
    const fileUri = `vscode-remote://127.0.0.1:${cfg.port}${cfg.file}`;
    const url = `http://127.0.0.1:${cfg.port}/?folder=${encodeURIComponent(cfg.folder)}`
      + `&payload=${encodeURIComponent(JSON.stringify([['openFile', fileUri]]))}`;
    const tGoto = Date.now();
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: cfg.timeoutMs });
    const tWorkbench = Date.now();
    result.timings.workbench_s = (tWorkbench - tGoto) / 1000;
    result.timings.workbench_epoch = tWorkbench / 1000;
    log('workbench shown');

    // The file should open from the URL payload; else open it with Quick Open.
    const tab = page.locator('.tabs-container .tab', { hasText: path.basename(cfg.file) });
    try {
      await tab.first().waitFor({ timeout: 5000 });
    } catch {
      log('file not opened by the URL payload: using Quick Open');
      await page.locator('.monaco-workbench').click({ position: { x: 640, y: 400 } }).catch(() => undefined);
      await page.keyboard.press('Control+P');
      await page.waitForSelector('.quick-input-widget input', { timeout: 10_000 });
      await page.keyboard.type(cfg.relFile);
      await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: 10_000 });
      await page.keyboard.press('Enter');
      await tab.first().waitFor({ timeout: 10_000 });
    }
    log('file open');

    await page.waitForSelector('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning', { timeout: cfg.timeoutMs });
    const tSquiggle = Date.now();
    result.timings.first_diagnostic_after_workbench_s = (tSquiggle - tWorkbench) / 1000;
    result.timings.first_diagnostic_epoch = tSquiggle / 1000;
    log('first squiggle');

    // The squiggle under the unresolved extern: same line, overlapping columns.
    await sleep(300); // let the rest of the diagnostics render
    const unresolvedRect = await page.evaluate(nameRectInPage, cfg.unresolved);
    const squiggles = await page.evaluate(squigglesInPage);
    result.unresolved_rect = unresolvedRect;
    result.squiggles = squiggles;
    result.squiggle_under_unresolved = Boolean(unresolvedRect) && squiggles.some((s) =>
      s.cls.includes('squiggly-error')
      && s.y < unresolvedRect.y + unresolvedRect.height + 4 && s.y + s.height > unresolvedRect.y - 4
      && s.x < unresolvedRect.x + unresolvedRect.width && s.x + s.width > unresolvedRect.x);

    // Problems panel.
    await page.locator('.monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: cfg.unresolved.name });
    try {
      await row.first().waitFor({ timeout: 15_000 });
    } catch {
      log('Problems panel did not show the row: opening it through the command palette');
      await page.keyboard.press('Control+Shift+P');
      await page.waitForSelector('.quick-input-widget input', { timeout: 10_000 });
      await page.keyboard.type('View: Focus Problems');
      await page.waitForTimeout(500);
      await page.keyboard.press('Enter');
      await row.first().waitFor({ timeout: 15_000 });
    }
    result.problem_rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
    log(`problems: ${result.problem_rows.length} row(s)`);
    await screenshot(page, 'vscode-problems.png');

    // Status bar item of the extension.
    const status = page.locator('.statusbar-item', { hasText: 'sffi' });
    try {
      await status.filter({ hasText: 'unresolved' }).first().waitFor({ timeout: 10_000 });
    } catch { /* recorded below as whatever is there */ }
    result.status_bar = await status.allInnerTexts();

    // Hover over the resolved extern: names the library that provides it.
    const resolvedRect = await page.evaluate(nameRectInPage, cfg.resolved);
    result.resolved_rect = resolvedRect;
    if (!resolvedRect) throw new Error(`${cfg.resolved.name} not found on screen`);
    const cx = resolvedRect.x + resolvedRect.width / 2;
    const cy = resolvedRect.y + resolvedRect.height / 2;
    await page.mouse.click(cx, cy);
    const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: cfg.resolved.library });
    let hoverShown = false;
    for (let attempt = 0; attempt < 3 && !hoverShown; attempt++) {
      await page.mouse.move(cx - 3, cy);
      await page.mouse.move(cx, cy, { steps: 3 });
      try {
        await hover.first().waitFor({ timeout: 10_000 });
        hoverShown = true;
      } catch {
        log('no hover yet: asking with editor.action.showHover');
        await page.keyboard.press('Control+K');
        await page.keyboard.press('Control+I');
      }
    }
    result.hover_texts = await page.locator('.monaco-hover:not(.hidden)').allInnerTexts();
    log(`hover: ${hoverShown ? 'shown' : 'missing'}`);
    await screenshot(page, 'vscode-hover.png');
  } catch (error) {
    result.errors.push(String(error && error.stack || error));
    if (browser) {
      const pages = browser.contexts().flatMap((c) => c.pages());
      if (pages[0]) await screenshot(pages[0], 'vscode-failure.png').catch(() => undefined);
    }
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    try { process.kill(-codeServer.pid, 'SIGTERM'); } catch { /* gone */ }
    await sleep(300);
    try { process.kill(-codeServer.pid, 'SIGKILL'); } catch { /* gone */ }
    fs.writeFileSync(cfg.out, JSON.stringify(result, null, 2));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
