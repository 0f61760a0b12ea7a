// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Interop: the Node `ws` client (pinned in package.json) against codesphere::net's server.
// Usage: node ws_interop.mjs <path to net_echo_server>
// Checks text/binary echo, subprotocol negotiation, fragmented messages, many concurrent
// clients, server-initiated close codes, the 1009 close on an oversized message (other
// clients unaffected), and graceful shutdown (1001) when the server's stdin closes.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import WebSocket from 'ws';

const serverPath = process.argv[2];
if (!serverPath) {
  console.error('usage: node ws_interop.mjs <net_echo_server>');
  process.exit(2);
}
const MAX = 1 << 20;
const server = spawn(serverPath, ['--max-message-size', String(MAX)], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const port = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/PORT (\d+)/);
    if (m) resolve(Number(m[1]));
  });
  server.on('exit', (code) => reject(new Error(`server exited early: ${code}`)));
});
const base = `ws://127.0.0.1:${port}`;

function open(path, protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base + path, protocols);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
function nextMessage(ws) {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));
}
function closed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

const results = [];
async function check(name, fn) {
  await fn();
  results.push(name);
  console.log(`ok - ${name}`);
}

await check('text and binary echo', async () => {
  const ws = await open('/echo/room');
  let m = nextMessage(ws);
  ws.send('héllo wörld');
  let got = await m;
  assert.equal(got.isBinary, false);
  assert.equal(got.data.toString(), 'héllo wörld');
  m = nextMessage(ws);
  const bin = Buffer.from([0, 1, 2, 255, 254]);
  ws.send(bin);
  got = await m;
  assert.equal(got.isBinary, true);
  assert.deepEqual(Buffer.from(got.data), bin);
  m = nextMessage(ws);
  const big = Buffer.alloc(200000, 7);
  ws.send(big);
  got = await m;
  assert.equal(got.data.length, big.length);
  const c = closed(ws);
  ws.close(1000, 'bye');
  assert.equal((await c).code, 1000);
});

await check('subprotocol negotiation', async () => {
  const ws = await open('/echo/p', ['y-protocol', 'other']);
  assert.equal(ws.protocol, 'y-protocol');
  const c = closed(ws);
  ws.close();
  await c;
});

await check('fragmented message is reassembled', async () => {
  const ws = await open('/echo/frag');
  const m = nextMessage(ws);
  ws.send('part one, ', { fin: false });
  ws.send('part two', { fin: true });
  assert.equal((await m).data.toString(), 'part one, part two');
  const c = closed(ws);
  ws.close();
  await c;
});

await check('50 concurrent clients', async () => {
  const sockets = await Promise.all(Array.from({ length: 50 }, (_, i) => open(`/echo/r${i % 3}`)));
  const replies = sockets.map((ws, i) => {
    const m = nextMessage(ws);
    ws.send(`client ${i}`);
    return m;
  });
  const got = await Promise.all(replies);
  got.forEach((g, i) => assert.equal(g.data.toString(), `client ${i}`));
  await Promise.all(sockets.map((ws) => { const c = closed(ws); ws.close(); return c; }));
});

await check('server-initiated close code', async () => {
  const ws = await open('/echo/x');
  const c = closed(ws);
  ws.send('close-me');
  const info = await c;
  assert.equal(info.code, 4000);
  assert.equal(info.reason, 'as requested');
});

await check('oversized message closes with 1009, others unaffected', async () => {
  const good = await open('/echo/g');
  const bad = await open('/echo/b');
  const c = closed(bad);
  bad.on('error', () => {});
  bad.send(Buffer.alloc(MAX + 1, 1));
  assert.equal((await c).code, 1009);
  const m = nextMessage(good);
  good.send('still fine');
  assert.equal((await m).data.toString(), 'still fine');
  const gc = closed(good);
  good.close();
  await gc;
});

await check('HTTP endpoint on the same port', async () => {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'ok');
});

await check('graceful shutdown sends 1001', async () => {
  const ws = await open('/echo/last');
  const c = closed(ws);
  const exited = new Promise((resolve) => server.on('exit', resolve));
  server.stdin.end();
  assert.equal((await c).code, 1001);
  assert.equal(await exited, 0);
});

console.log(`all ${results.length} interop checks passed`);
