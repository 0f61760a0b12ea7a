#!/usr/bin/env node
// Browser end-to-end test of the codesphere web IDE (issue 8, Proof): Debian's chromium driven
// by playwright-core, three users in three browser contexts.
//
//   A and B sign up (and the viewer C); A creates a Python project and shares it with B as
//   editor and C as viewer; A and B open main.py, each types and sees the other's text and
//   cursor; A runs the project and both see its output in the run terminal; A starts
//   `python3 -m http.server` in a shell and the preview pane shows its page; C can read but
//   C's typing changes nothing on the server (checked in the browser and with a raw y-websocket
//   client); A and B chat; the file tree and dashboard operations work; the interrupt button
//   stops the web server; after a server restart the project, its files and the chat are there.
//   A screenshot of each step goes to --out.
//
// Usage (either let the script start and restart the server):
//   node ide.e2e.mjs --server-cmd "/path/codesphere-server --host 127.0.0.1 --port {port} --data {data}" \
//                    [--data DIR] [--out DIR]
// or test a running server (the restart step runs --restart-cmd, or is skipped without it):
//   node ide.e2e.mjs --url http://127.0.0.1:8080 --data DIR [--restart-cmd "shell command"] [--out DIR]
// Other flags: --chromium PATH (default /usr/bin/chromium), --preview-port N (default 8000),
//   --timeout-ms N (default 30000 per wait), --headed.
// Exit status 0 when every step passed; the last line is "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as syncProtocol from 'y-protocols/sync';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';

// ---------------------------------------------------------------------------------------------
// Options.

function parseArgs(argv) {
  const out = {
    url: null, data: null, out: path.resolve('e2e-screenshots'), 'server-cmd': null, 'restart-cmd': null,
    chromium: '/usr/bin/chromium', 'preview-port': '8000', 'timeout-ms': '30000', headed: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out)) { console.error(`unknown flag ${argv[i]}`); process.exit(2); }
    out[key] = key === 'headed' ? true : argv[++i];
  }
  if (!out.url && !out['server-cmd']) { console.error('give --url URL or --server-cmd CMD (see the header of this file)'); process.exit(2); }
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const TIMEOUT = Number(opts['timeout-ms']);
const outDir = path.resolve(opts.out);
fs.mkdirSync(outDir, { recursive: true });
const dataDir = path.resolve(opts.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'codesphere-e2e-')));
fs.mkdirSync(dataDir, { recursive: true });

// ---------------------------------------------------------------------------------------------
// The server under test.

let serverProc = null;
let baseUrl = opts.url ? opts.url.replace(/\/$/, '') : null;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function waitHealthy(deadlineMs = 60000) {
  const until = Date.now() + deadlineMs;
  let last = '';
  while (Date.now() < until) {
    if (serverProc && serverProc.exitCode !== null) throw new Error(`server exited with ${serverProc.exitCode}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) { last = String(err.cause?.code ?? err); }
    await new Promise((r) => setTimeout(r, 100)); // polling a port that is not open yet
  }
  throw new Error(`server not healthy at ${baseUrl}: ${last}`);
}

let serverPort = null;
async function startServer() {
  if (serverPort === null) serverPort = await freePort();
  const cmd = opts['server-cmd'].replaceAll('{port}', String(serverPort)).replaceAll('{data}', dataDir).replaceAll('{host}', '127.0.0.1');
  baseUrl = `http://127.0.0.1:${serverPort}`;
  const log = fs.openSync(path.join(outDir, 'server.log'), 'a');
  serverProc = spawn('/bin/sh', ['-c', `exec ${cmd}`], { stdio: ['ignore', log, log], detached: true });
  await waitHealthy();
}

async function stopServer() {
  if (!serverProc || serverProc.exitCode !== null) return;
  const exited = new Promise((r) => serverProc.once('exit', r));
  try { process.kill(-serverProc.pid, 'SIGTERM'); } catch { /* gone */ }
  const timer = setTimeout(() => { try { process.kill(-serverProc.pid, 'SIGKILL'); } catch { /* gone */ } }, 10000);
  await exited;
  clearTimeout(timer);
}

async function restartServer() {
  if (opts['server-cmd']) {
    await stopServer();
    await startServer();
    return true;
  }
  if (opts['restart-cmd']) {
    const r = spawnSync('/bin/sh', ['-c', opts['restart-cmd']], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`restart command failed with ${r.status}`);
    await waitHealthy();
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Steps and screenshots.

let passed = 0;
let failed = 0;
let shot = 0;

async function screenshot(page, name) {
  shot += 1;
  const file = path.join(outDir, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    failed += 1;
    console.log(`not ok - ${name}: ${err?.stack ?? err}`);
    if (err && typeof err === 'object') err.reported = true;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Page helpers (all waits are on conditions, bounded by TIMEOUT).

const editorText = (page) => page.evaluate(() => {
  const lines = document.querySelector('[data-testid="editor"] .view-lines');
  return lines ? lines.innerText.replace(/\u00a0/g, ' ') : '';
});

async function waitEditorIncludes(page, text) {
  await page.waitForFunction((t) => {
    const lines = document.querySelector('[data-testid="editor"] .view-lines');
    return !!lines && lines.innerText.replace(/\u00a0/g, ' ').includes(t);
  }, text, { timeout: TIMEOUT });
}

async function waitTerminalIncludes(page, terminalId, text) {
  await page.waitForFunction(([id, t]) => {
    const sel = id ? `[data-testid="terminal"][data-terminal="${id}"] .xterm-rows` : '[data-testid="terminal"]:not([hidden]) .xterm-rows';
    const rows = document.querySelector(sel);
    return !!rows && rows.textContent.replace(/\u00a0/g, ' ').includes(t);
  }, [terminalId, text], { timeout: TIMEOUT });
}

async function signup(page, username, displayName) {
  await page.goto(`${baseUrl}/#/signup`);
  await page.getByTestId('signup-form').waitFor({ timeout: TIMEOUT });
  await page.getByTestId('auth-username').fill(username);
  await page.getByTestId('auth-display-name').fill(displayName);
  await page.getByTestId('auth-password').fill('correct horse battery');
  await page.getByTestId('auth-submit').click();
  await page.getByTestId('project-list').waitFor({ timeout: TIMEOUT });
}

// After a restart the session may or may not survive: log in again when asked to.
async function ensureLoggedIn(page, username) {
  const form = page.getByTestId('login-form');
  const list = page.getByTestId('project-list');
  const ide = page.getByTestId('ide');
  await Promise.race([form.waitFor({ timeout: TIMEOUT }), list.waitFor({ timeout: TIMEOUT }), ide.waitFor({ timeout: TIMEOUT })]);
  if (await form.isVisible()) {
    await page.getByTestId('auth-username').fill(username);
    await page.getByTestId('auth-password').fill('correct horse battery');
    await page.getByTestId('auth-submit').click();
  }
}

async function openProject(page, projectId) {
  await page.goto(`${baseUrl}/#/p/${encodeURIComponent(projectId)}`);
  await page.getByTestId('ide').waitFor({ timeout: TIMEOUT });
}

async function openFile(page, filePath) {
  await page.locator(`[data-testid="file-entry"][data-path="${filePath}"]`).click({ timeout: TIMEOUT });
  await page.locator(`[data-testid="editor-tab"][data-path="${filePath}"][data-synced="true"]`).waitFor({ timeout: TIMEOUT });
}

async function typeInTerminal(page, terminalId, text) {
  const pane = page.locator(`[data-testid="terminal"][data-terminal="${terminalId}"]`);
  await page.locator(`[data-testid="terminal-tab"][data-terminal="${terminalId}"][data-status="connected"]`).waitFor({ timeout: TIMEOUT });
  await pane.click();
  await page.keyboard.type(text);
}

// Reads a file through the REST API with the page's session cookie, retrying until `check`
// holds (the server writes documents to files asynchronously).
async function waitServerFile(page, projectId, filePath, check, what) {
  const until = Date.now() + TIMEOUT;
  let body = '';
  while (Date.now() < until) {
    const res = await page.request.get(`${baseUrl}/api/projects/${encodeURIComponent(projectId)}/files/${filePath}`);
    body = res.ok() ? await res.text() : `HTTP ${res.status()}`;
    if (check(body)) return body;
    await new Promise((r) => setTimeout(r, 200)); // polling the file the server writes
  }
  throw new Error(`${filePath} on the server never ${what}; last content:\n${body}`);
}

// ---------------------------------------------------------------------------------------------
// A raw y-websocket client (the protocol of y-protocols/sync plus the auth message), to check
// that the server itself refuses a viewer's update, whatever the browser does.

// Connects to a room and completes the sync handshake; `handlers.synced(doc, ws)` runs when the
// server's sync step 2 arrived, `handlers.auth(kind, reason)` on an auth message,
// `handlers.close(code)` when the server closes. Resolves with what `done` is called with.
function rawRoom(url, handlers) {
  return new Promise((resolve, reject) => {
    const doc = new Y.Doc();
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    let settled = false;
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no answer from ${url}`)); }, TIMEOUT);
    const done = (result) => { if (settled) return; settled = true; clearTimeout(timer); ws.close(); resolve(result); };
    ws.on('error', (err) => { clearTimeout(timer); if (!settled) reject(err); });
    ws.on('close', (code) => { if (!settled) handlers.close?.(code, done); });
    ws.on('open', () => {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0);
      syncProtocol.writeSyncStep1(enc, doc);
      ws.send(encoding.toUint8Array(enc));
    });
    ws.on('message', (data) => {
      const dec = decoding.createDecoder(new Uint8Array(data));
      const type = decoding.readVarUint(dec);
      if (type === 0) {
        const reply = encoding.createEncoder();
        encoding.writeVarUint(reply, 0);
        const sub = syncProtocol.readSyncMessage(dec, reply, doc, 'server');
        if (encoding.length(reply) > 1) ws.send(encoding.toUint8Array(reply));
        if (sub === 1) handlers.synced?.(doc, ws, done);
        else if (sub === 2) handlers.update?.(done);
      } else if (type === 2) {
        const kind = decoding.readVarUint(dec);
        handlers.auth?.(kind, kind === 0 ? decoding.readVarString(dec) : '', done);
      }
    });
  });
}

// Sends an edit as the room's client would; resolves with how the server refused it (the auth
// message permission-denied, or a close), or {denied: false} if it echoed the edit back.
function rawYjsEdit(url, insertText) {
  let sent = false;
  return rawRoom(url, {
    synced(doc, ws) {
      if (sent) return;
      const updates = [];
      doc.on('update', (u) => updates.push(u));
      doc.getText('monaco').insert(0, insertText);
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0);
      syncProtocol.writeUpdate(enc, Y.mergeUpdates(updates));
      ws.send(encoding.toUint8Array(enc));
      sent = true;
    },
    update(done) { if (sent) done({ denied: false, how: 'the server broadcast the update' }); },
    auth(kind, reason, done) { if (sent) done({ denied: kind === 0, how: `auth message "${reason}"` }); },
    close(code, done) { if (sent) done({ denied: true, how: `connection closed (${code})` }); },
  });
}

// The text of a room as the server holds it.
function readRoomText(url) {
  return rawRoom(url, { synced(doc, _ws, done) { done(doc.getText('monaco').toString()); } });
}

// The session token of a browser context: its cs_session cookie (HttpOnly, but the test can
// read it), so the raw clients need no extra log-in (logins are rate limited).
async function sessionToken(context, username) {
  const cookie = (await context.cookies(baseUrl)).find((c) => c.name === 'cs_session');
  if (cookie) return cookie.value;
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: 'correct horse battery' }),
  });
  if (!res.ok) throw new Error(`login of ${username} failed: ${res.status}`);
  return (await res.json()).token;
}

// ---------------------------------------------------------------------------------------------
// The scenario.

const suffix = Date.now().toString(36).slice(-5);
const users = {
  a: { username: `alice${suffix}`, display: 'Alice' },
  b: { username: `bob${suffix}`, display: 'Bob' },
  c: { username: `carol${suffix}`, display: 'Carol' },
};
// A's line is a print, so the run shows it whatever the template's main.py prints.
const A_LINE = 'print("typed by alice")';
const B_LINE = '# typed by bob';
const C_LINE = '# typed by the viewer';
const PREVIEW_PORT = Number(opts['preview-port']);

// Everything the IDE needs is bundled: no page may reach past this machine (no CDN, fonts...).
const offMachine = new Set();
function isLoopback(host) {
  return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '[::1]';
}

let browser;
async function main() {
  if (opts['server-cmd']) await startServer();
  else await waitHealthy();
  console.log(`server ${baseUrl}, data ${dataDir}, screenshots ${outDir}`);

  browser = await chromium.launch({
    executablePath: opts.chromium,
    headless: !opts.headed,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const ctx = {};
  const page = {};
  for (const who of ['a', 'b', 'c']) {
    ctx[who] = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page[who] = await ctx[who].newPage();
    page[who].on('pageerror', (err) => console.log(`[${who} page error] ${err.message}`));
    const check = (raw) => {
      const url = new URL(raw);
      if (/^(https?|wss?):$/.test(url.protocol) && !isLoopback(url.hostname)) offMachine.add(url.origin);
    };
    ctx[who].on('request', (req) => check(req.url()));
    page[who].on('websocket', (ws) => check(ws.url()));
  }
  let projectId;

  await step('users sign up', async () => {
    await page.a.goto(`${baseUrl}/#/signup`);
    await page.a.getByTestId('signup-form').waitFor({ timeout: TIMEOUT });
    await screenshot(page.a, 'signup-form');
    await signup(page.a, users.a.username, users.a.display);
    await signup(page.b, users.b.username, users.b.display);
    await signup(page.c, users.c.username, users.c.display);
    await screenshot(page.a, 'dashboard-alice');
  });

  await step('A creates a Python project', async () => {
    await page.a.getByTestId('new-project-name').fill('e2e python');
    const template = await page.a.getByTestId('new-project-template').evaluate((select) =>
      [...select.options].find((o) => /python/i.test(o.value) || /python/i.test(o.textContent))?.value);
    if (!template) throw new Error('no Python template');
    await page.a.getByTestId('new-project-template').selectOption(template);
    await page.a.getByTestId('create-project').click();
    await page.a.getByTestId('ide').waitFor({ timeout: TIMEOUT });
    projectId = await page.a.getByTestId('ide').getAttribute('data-project');
    if (!projectId) throw new Error('no project id on the IDE page');
    await page.a.locator('[data-testid="file-entry"][data-path="main.py"]').waitFor({ timeout: TIMEOUT });
    await screenshot(page.a, 'ide-alice-new-project');
  });

  await step('A shares the project with B (editor) and C (viewer)', async () => {
    await page.a.getByTestId('ide-share').click();
    const dialog = page.a.getByTestId('dialog');
    for (const [who, role] of [['b', 'editor'], ['c', 'viewer']]) {
      await dialog.getByTestId('share-username').fill(users[who].username);
      await dialog.getByTestId('share-role').selectOption(role);
      await dialog.getByTestId('share-add').click();
      await dialog.locator(`[data-testid="share-member"][data-username="${users[who].username}"]`).waitFor({ timeout: TIMEOUT });
    }
    await screenshot(page.a, 'share-dialog');
    await dialog.getByTestId('dialog-cancel').click();
    for (const who of ['b', 'c']) {
      await page[who].getByTestId('refresh-projects').click();
      await page[who].locator(`[data-testid="project-item"][data-project-id="${projectId}"]`).waitFor({ timeout: TIMEOUT });
    }
    await screenshot(page.b, 'dashboard-bob-shared');
  });

  await step('A and B open main.py', async () => {
    await openFile(page.a, 'main.py');
    await openProject(page.b, projectId);
    await openFile(page.b, 'main.py');
    // Both show the file as the server has it.
    const onServer = await waitServerFile(page.a, projectId, 'main.py', () => true, '');
    const firstLine = onServer.split('\n').find((l) => l.trim()) ?? '';
    await waitEditorIncludes(page.a, firstLine.trim());
    await waitEditorIncludes(page.b, firstLine.trim());
  });

  await step('each types and sees the other\'s text and cursor', async () => {
    // A appends a line at the end, B inserts one at the top.
    await page.a.locator('[data-testid="editor"] .view-lines').click();
    await page.a.keyboard.press('Control+End');
    await page.a.keyboard.press('Escape'); // no suggestion widget may take the Enter
    await page.a.keyboard.press('Enter');
    await page.a.keyboard.type(A_LINE);
    await page.a.keyboard.press('Escape');
    await page.b.locator('[data-testid="editor"] .view-lines').click();
    await page.b.keyboard.press('Control+Home');
    await page.b.keyboard.type(B_LINE);
    await page.b.keyboard.press('Escape');
    await page.b.keyboard.press('Enter');
    await waitEditorIncludes(page.a, B_LINE);
    await waitEditorIncludes(page.b, A_LINE);
    // Remote cursors carry the other user's name (y-monaco head decoration + our label).
    for (const [who, other] of [['a', 'Bob'], ['b', 'Alice']]) {
      await page[who].waitForFunction((name) => [...document.querySelectorAll('[data-testid="editor"] .yRemoteSelectionHead')]
        .some((el) => getComputedStyle(el, '::after').content.includes(name)), other, { timeout: TIMEOUT });
    }
    await screenshot(page.a, 'collab-alice');
    await screenshot(page.b, 'collab-bob');
    await waitServerFile(page.a, projectId, 'main.py', (t) => t.includes(A_LINE) && t.includes(B_LINE), 'got both typed lines');
  });

  await step('A runs the project and both see its output', async () => {
    await page.a.getByTestId('run-button').click();
    await waitTerminalIncludes(page.a, 'run', 'typed by alice');
    await waitTerminalIncludes(page.b, 'run', 'typed by alice');
    await screenshot(page.a, 'run-alice');
    await screenshot(page.b, 'run-bob');
  });

  let shellId;
  await step('A starts a web server and the preview shows its page', async () => {
    const before = await page.a.locator('[data-testid="terminal-tab"]').evaluateAll((els) => els.map((e) => e.dataset.terminal));
    await page.a.getByTestId('new-terminal').click();
    // The new shell is the tab that was not there before.
    const handle = await page.a.waitForFunction((known) => [...document.querySelectorAll('[data-testid="terminal-tab"]')]
      .map((e) => e.dataset.terminal).find((id) => !known.includes(id)), before, { timeout: TIMEOUT });
    shellId = await handle.jsonValue();
    await typeInTerminal(page.a, shellId, `python3 -m http.server ${PREVIEW_PORT}\n`);
    await waitTerminalIncludes(page.a, shellId, 'Serving HTTP');
    // The directory listing of http.server names main.py; reload until the proxy reaches it.
    const frame = page.a.frameLocator('[data-testid="preview-iframe"]');
    const until = Date.now() + TIMEOUT;
    for (;;) {
      await page.a.getByTestId('preview-reload').click();
      try {
        await frame.getByText('main.py').first().waitFor({ timeout: 3000 });
        break;
      } catch (err) {
        if (Date.now() > until) throw err;
      }
    }
    await screenshot(page.a, 'preview-alice');
    // Open in a new tab: the link carries a preview token, traded for a cookie on first use.
    const [tab] = await Promise.all([
      ctx.a.waitForEvent('page', { timeout: TIMEOUT }),
      page.a.getByTestId('preview-open').click(),
    ]);
    await tab.getByText('main.py').first().waitFor({ timeout: TIMEOUT });
    if (tab.url().includes('cs_preview=')) throw new Error(`the preview token stayed in the URL: ${tab.url()}`);
    await tab.close();
    // Previews are for members: a browser without a session gets 401 on both URL forms.
    const anonymous = await browser.newContext();
    try {
      const previewHost = new URL(await page.a.getByTestId('preview-url').inputValue());
      const anonPage = await anonymous.newPage();
      for (const url of [previewHost.href, `${baseUrl}/preview/${projectId}/`]) {
        // Chromium resolves *.localhost itself (Node's resolver does not).
        const res = await anonPage.goto(url);
        if (res.status() !== 401) throw new Error(`anonymous preview ${url} answered ${res.status()}`);
      }
    } finally {
      await anonymous.close();
    }
  });

  await step('viewer C reads but cannot change the file', async () => {
    await openProject(page.c, projectId);
    const role = await page.c.getByTestId('ide').getAttribute('data-role');
    if (role !== 'viewer') throw new Error(`C has role ${role}`);
    await openFile(page.c, 'main.py');
    await waitEditorIncludes(page.c, A_LINE);
    await waitEditorIncludes(page.c, B_LINE);
    await page.c.locator('[data-testid="editor"] .view-lines').click();
    await page.c.keyboard.press('Control+Home');
    await page.c.keyboard.type(C_LINE);
    // A barrier: A types a marker; once C sees it, anything C's browser had sent before was
    // processed by the server too.
    await page.a.locator('[data-testid="editor"] .view-lines').click();
    await page.a.keyboard.press('Control+End');
    await page.a.keyboard.press('Escape'); // no suggestion widget may take the Enter
    await page.a.keyboard.press('Enter');
    await page.a.keyboard.type('# barrier');
    await waitEditorIncludes(page.c, '# barrier');
    await screenshot(page.c, 'viewer-carol');
    if ((await editorText(page.a)).includes(C_LINE)) throw new Error("the viewer's text reached A's editor");
    await waitServerFile(page.a, projectId, 'main.py', (t) => t.includes('# barrier'), 'got the barrier line');
    const onServer = await waitServerFile(page.a, projectId, 'main.py', () => true, '');
    if (onServer.includes(C_LINE)) throw new Error("the viewer's text reached the file on the server");
    // The server itself refuses a viewer's update, whatever the browser does.
    const wsBase = baseUrl.replace(/^http/, 'ws');
    const room = `${wsBase}/yjs/${encodeURIComponent(projectId)}/main.py`;
    const verdict = await rawYjsEdit(`${room}?token=${encodeURIComponent(await sessionToken(ctx.c, users.c.username))}`, 'RAW VIEWER EDIT\n');
    if (!verdict.denied) throw new Error(`viewer update not refused (${verdict.how})`);
    const text = await readRoomText(`${room}?token=${encodeURIComponent(await sessionToken(ctx.a, users.a.username))}`);
    if (text.includes('RAW VIEWER EDIT') || text.includes(C_LINE)) throw new Error("the viewer's update is in the room");
    if ((await editorText(page.a)).includes('RAW VIEWER EDIT')) throw new Error("the viewer's update reached A's editor");
    console.log(`  viewer update refused: ${verdict.how}`);
  });

  await step('A and B chat', async () => {
    await page.a.getByTestId('chat-input').fill('hello from alice');
    await page.a.getByTestId('chat-input').press('Enter');
    await page.b.getByTestId('chat-messages').getByText('hello from alice').waitFor({ timeout: TIMEOUT });
    await page.b.getByTestId('chat-input').fill('hi alice, bob here');
    await page.b.getByTestId('chat-input').press('Enter');
    await page.a.getByTestId('chat-messages').getByText('hi alice, bob here').waitFor({ timeout: TIMEOUT });
    if (!(await page.c.getByTestId('chat-input').isDisabled())) throw new Error("the viewer's chat input is enabled");
    await page.c.getByTestId('chat-messages').getByText('hi alice, bob here').waitFor({ timeout: TIMEOUT });
    // Presence: A's list shows the three of them.
    for (const who of ['a', 'b', 'c']) {
      await page.a.locator(`[data-testid="presence-list"] [data-username="${users[who].username}"]`).waitFor({ timeout: TIMEOUT });
    }
    await screenshot(page.a, 'chat-alice');
  });

  await step('file tree: create, rename, upload, delete', async () => {
    const entry = (pg, p) => pg.locator(`[data-testid="file-entry"][data-path="${p}"]`);
    // A row's tools show on hover. The tree re-renders on every `files` event (also for the
    // change this step just made), so a click can land on a freshly rendered row that is not
    // hovered yet: hover and click again until the dialog is open, as a user would.
    const openRowDialog = async (row, tool) => {
      for (let attempt = 1; ; attempt++) {
        await row.hover();
        await row.getByTestId(tool).click();
        try {
          await row.page().getByTestId('dialog-submit').waitFor({ timeout: 3000 });
          return;
        } catch (e) {
          if (attempt >= 5) throw e;
        }
      }
    };
    await page.a.getByTestId('new-file').click();
    await page.a.getByTestId('dialog-path').fill('src/util.py');
    await page.a.getByTestId('dialog-submit').click();
    await entry(page.a, 'src/util.py').waitFor({ timeout: TIMEOUT });
    await page.a.locator('[data-testid="editor-tab"][data-path="src/util.py"][data-synced="true"]').waitFor({ timeout: TIMEOUT });
    await page.a.locator('[data-testid="editor"] .view-lines').click();
    await page.a.keyboard.type('ANSWER = 42');
    await entry(page.b, 'src').waitFor({ timeout: TIMEOUT }); // B's tree follows the files event
    await waitServerFile(page.a, projectId, 'src/util.py', (t) => t.includes('ANSWER = 42'), 'got the typed text');

    await openRowDialog(entry(page.a, 'src/util.py'), 'file-rename');
    await page.a.getByTestId('dialog-to').fill('src/helpers.py');
    await page.a.getByTestId('dialog-submit').click();
    await entry(page.a, 'src/helpers.py').waitFor({ timeout: TIMEOUT });
    await entry(page.a, 'src/util.py').waitFor({ state: 'detached', timeout: TIMEOUT });
    await page.a.locator('[data-testid="editor-tab"][data-path="src/helpers.py"]').waitFor({ timeout: TIMEOUT });
    await waitServerFile(page.a, projectId, 'src/helpers.py', (t) => t.includes('ANSWER = 42'), 'kept its text after the rename');

    await page.a.getByTestId('file-upload-input').setInputFiles({ name: 'data.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded bytes\n') });
    const uploaded = page.a.locator('[data-testid="file-entry"][data-path$="data.txt"]');
    await uploaded.waitFor({ timeout: TIMEOUT });
    const uploadedPath = await uploaded.getAttribute('data-path');
    await waitServerFile(page.a, projectId, uploadedPath, (t) => t === 'uploaded bytes\n', 'had the uploaded bytes');
    await screenshot(page.a, 'file-tree-alice');

    await openRowDialog(uploaded, 'file-delete');
    await page.a.getByTestId('dialog-submit').click();
    await uploaded.waitFor({ state: 'detached', timeout: TIMEOUT });
    const res = await page.a.request.get(`${baseUrl}/api/projects/${encodeURIComponent(projectId)}/files/${uploadedPath}`);
    if (res.status() !== 404) throw new Error(`deleted file answers ${res.status()}`);
  });

  await step('dashboard: fork, rename, share link, delete', async () => {
    const row = (pg, id) => pg.locator(`[data-testid="project-item"][data-project-id="${id}"]`);
    await page.b.goto(`${baseUrl}/#/`);
    await row(page.b, projectId).getByTestId('project-fork').click();
    await page.b.getByTestId('dialog-name').fill('bob fork');
    await page.b.getByTestId('dialog-submit').click();
    await page.b.waitForFunction((id) => location.hash.startsWith('#/p/') && !location.hash.endsWith(id), projectId, { timeout: TIMEOUT });
    await page.b.getByTestId('ide').waitFor({ timeout: TIMEOUT });
    const forkId = await page.b.getByTestId('ide').getAttribute('data-project');
    if ((await page.b.getByTestId('ide').getAttribute('data-role')) !== 'owner') throw new Error('B does not own the fork');
    await waitServerFile(page.b, forkId, 'main.py', (t) => t.includes(A_LINE) && t.includes(B_LINE), 'was copied into the fork');

    await page.b.goto(`${baseUrl}/#/`);
    await row(page.b, forkId).getByTestId('project-rename').click();
    await page.b.getByTestId('dialog-name').fill('bob fork renamed');
    await page.b.getByTestId('dialog-submit').click();
    await row(page.b, forkId).getByText('bob fork renamed').waitFor({ timeout: TIMEOUT });

    await row(page.b, forkId).getByTestId('project-share').click();
    await page.b.getByTestId('share-link-role').selectOption('editor');
    await page.b.getByTestId('share-link-create').click();
    await page.b.waitForFunction(() => document.querySelector('[data-testid="share-link-url"]')?.value, null, { timeout: TIMEOUT });
    const link = await page.b.getByTestId('share-link-url').inputValue();
    await screenshot(page.b, 'share-link-bob');
    await page.b.getByTestId('dialog-cancel').click();
    await page.c.goto(link);
    await page.c.waitForFunction((id) => document.querySelector('[data-testid="ide"]')?.dataset.project === id, forkId, { timeout: TIMEOUT });
    if ((await page.c.getByTestId('ide').getAttribute('data-role')) !== 'editor') throw new Error('the share link did not make C an editor');

    await row(page.b, forkId).getByTestId('project-delete').click();
    await page.b.getByTestId('dialog-submit').click();
    await row(page.b, forkId).waitFor({ state: 'detached', timeout: TIMEOUT });
    await screenshot(page.b, 'dashboard-after-delete');
  });

  await step('the interrupt button stops the web server', async () => {
    await page.a.locator(`[data-testid="terminal-tab"][data-terminal="${shellId}"] .tab-label`).click();
    await page.a.getByTestId('terminal-interrupt').click();
    await waitTerminalIncludes(page.a, shellId, 'Keyboard interrupt');
  });

  await step('no request left the machine', async () => {
    if (offMachine.size) throw new Error(`requests to ${[...offMachine].join(', ')}`);
  });

  await step('after a server restart the project, files and chat are there', async () => {
    const fileBefore = await waitServerFile(page.a, projectId, 'main.py', () => true, '');
    const restarted = await restartServer();
    if (!restarted) {
      console.log('  no --server-cmd or --restart-cmd: restart not checked (SKIP)');
      return;
    }
    for (const who of ['a', 'b']) {
      await page[who].goto(`${baseUrl}/#/`);
      await ensureLoggedIn(page[who], users[who].username);
      await page[who].locator(`[data-testid="project-item"][data-project-id="${projectId}"]`).waitFor({ timeout: TIMEOUT });
    }
    await screenshot(page.a, 'after-restart-dashboard');
    await openProject(page.a, projectId);
    await openFile(page.a, 'main.py');
    await waitEditorIncludes(page.a, A_LINE);
    await waitEditorIncludes(page.a, B_LINE);
    await waitEditorIncludes(page.a, '# barrier');
    const fileAfter = await waitServerFile(page.a, projectId, 'main.py', () => true, '');
    if (fileAfter !== fileBefore) throw new Error(`main.py changed across the restart:\n${fileBefore}\n---\n${fileAfter}`);
    await page.a.getByTestId('chat-messages').getByText('hello from alice').waitFor({ timeout: TIMEOUT });
    await page.a.getByTestId('chat-messages').getByText('hi alice, bob here').waitFor({ timeout: TIMEOUT });
    await screenshot(page.a, 'after-restart-ide');
  });
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = 1;
  if (!err?.reported) {
    failed += 1;
    console.log(`not ok - setup: ${err?.stack ?? err}`);
  }
} finally {
  if (browser && exitCode) {
    for (const context of browser.contexts()) {
      for (const p of context.pages()) {
        try { await screenshot(p, 'failure'); } catch { /* page gone */ }
      }
    }
  }
  if (browser) {
    await browser.close();
  }
  await stopServer();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(exitCode || (failed ? 1 : 0));
}
