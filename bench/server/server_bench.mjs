#!/usr/bin/env node
// Platform latency benchmark: "create project" to a usable shell prompt, and "Run" to the
// first output of the run terminal, p50/p95, against any server that speaks docs/platform.md
// (codesphere-server, or tests/e2e/mock-server.mjs as the anchor in the same run).
//
//   node bench/server/server_bench.mjs --server-cmd "build/examples/codesphere-server/codesphere-server \
//        --host 127.0.0.1 --port {port} --data {data} --create-burst 1000" [--iterations 30] [--label NAME]
//
// (--create-burst lifts the per-user rate limit on projects/terminals/runs: each iteration
// takes three.)
//
// One iteration of create-to-prompt: POST /api/projects (python template) -> POST
// /api/projects/{id}/terminals -> WebSocket /pty/{id}/{terminal} -> until the output ends
// with the shell prompt ("$ "), i.e. what the browser needs before the user can type.
// Run-to-first-output: POST /api/projects/{id}/run -> WebSocket /pty/{id}/run -> until the
// first byte of the program's output ("Hello, codesphere!" for the python template).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/e2e/package.json'));
const WebSocket = require('ws');

function parseArgs(argv) {
  const out = { 'server-cmd': null, iterations: '30', label: 'server', data: null };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out)) throw new Error(`unknown flag ${argv[i]}`);
    out[key] = argv[++i];
  }
  if (!out['server-cmd']) throw new Error('--server-cmd is required');
  return out;
}

const opts = parseArgs(process.argv.slice(2));
const N = Number(opts.iterations);

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const port = await freePort();
const data = opts.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'codesphere-bench-'));
const cmd = opts['server-cmd'].replaceAll('{port}', String(port)).replaceAll('{data}', data).replaceAll('{host}', '127.0.0.1');
const server = spawn('/bin/sh', ['-c', `exec ${cmd}`], { stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
  if (i > 200) throw new Error('server did not start');
  await new Promise((r) => setTimeout(r, 50));
}

async function api(method, url, body, token) {
  const res = await fetch(`${base}${url}`, {
    method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

// Resolves with the time when `pred(outputSoFar)` first holds.
function waitOutput(url, pred) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let out = '';
    const timer = setTimeout(() => { ws.close(); reject(new Error(`timeout; got ${JSON.stringify(out.slice(-200))}`)); }, 20000);
    ws.on('message', (msg, isBinary) => {
      if (!isBinary) return;
      out += msg.toString();
      if (pred(out)) {
        const t = performance.now();
        clearTimeout(timer);
        ws.close();
        resolve(t);
      }
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

const { token } = await api('POST', '/api/auth/signup', { username: `bench${Date.now() % 100000}`, password: 'correct horse battery' });
const createToPrompt = [];
const runToOutput = [];
const ids = [];
for (let i = 0; i < N + 2; i++) {
  const t0 = performance.now();
  if (process.env.BENCH_DEBUG) console.error("iteration", i);
  const project = await api('POST', '/api/projects', { name: `bench ${i}`, template: 'python' }, token);
  const term = await api('POST', `/api/projects/${project.id}/terminals`, {}, token);
  const t1 = await waitOutput(`ws://127.0.0.1:${port}/pty/${project.id}/${term.id}?cols=80&rows=24&token=${token}`,
    (out) => /[$#] $/.test(out));
  const r0 = performance.now();
  await api('POST', `/api/projects/${project.id}/run`, undefined, token);
  const r1 = await waitOutput(`ws://127.0.0.1:${port}/pty/${project.id}/run?cols=80&rows=24&token=${token}`,
    (out) => out.includes('Hello'));
  if (i >= 2) { // two warm-up iterations
    createToPrompt.push(t1 - t0);
    runToOutput.push(r1 - r0);
  }
  ids.push(project.id);
}
// The projects (and their sandboxes) are deleted after the measurement, in parallel, with a
// deadline: a sandbox that does not stop (docs/benchmarks/server.md) must not hold the run.
const deleted = await Promise.allSettled(ids.map((id) => fetch(`${base}/api/projects/${id}`, {
  method: 'DELETE', headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15000),
})));
const stuck = deleted.filter((d) => d.status === 'rejected').length;
if (stuck) console.error(`${opts.label}: ${stuck} of ${ids.length} project deletes did not finish within 15 s`);

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const fmt = (v) => `${v.toFixed(1)} ms`;
const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`${opts.label}: create-to-prompt p50 ${fmt(pct(createToPrompt, 50))} p95 ${fmt(pct(createToPrompt, 95))} ` +
            `max ${fmt(Math.max(...createToPrompt))}; ` +
            `run-to-first-output p50 ${fmt(pct(runToOutput, 50))} p95 ${fmt(pct(runToOutput, 95))} ` +
            `max ${fmt(Math.max(...runToOutput))} (n=${N}, load average ${load})`);
server.kill('SIGTERM');
const exited = new Promise((r) => server.on('exit', () => r(true)));
if (!(await Promise.race([exited, new Promise((r) => setTimeout(() => r(false), 15000))]))) {
  console.error(`${opts.label}: the server did not stop within 15 s of SIGTERM; killing it`);
  server.kill('SIGKILL');
  await exited;
}
if (!opts.data) fs.rmSync(data, { recursive: true, force: true });
