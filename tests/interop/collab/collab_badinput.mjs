// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Hostile peers against codesphere-collab: malformed sync messages, truncated varints, a
// 64 MiB frame, unknown message types, text frames and invalid room names. Each bad
// connection must be closed (or refused) with a reason while the room, its log and the
// well-behaved clients carry on. Usage: node collab_badinput.mjs --server PATH
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

globalThis.WebSocket = WebSocket
const SERVER = process.argv[process.argv.indexOf('--server') + 1]
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
function fail (msg) { console.error('FAIL: ' + msg); process.exit(1) }
async function waitFor (what, pred, timeoutMs = 20000) {
  const t0 = Date.now()
  while (!pred()) { if (Date.now() - t0 > timeoutMs) fail('timed out: ' + what); await sleep(20) }
}

const port = await new Promise((resolve) => {
  const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
})
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesphere-bad-'))
const server = spawn(SERVER, ['--host', '127.0.0.1', '--port', String(port), '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
let serverLog = ''
server.stderr.on('data', (d) => { serverLog += d })
await new Promise((resolve) => server.stdout.on('data', (d) => { if (String(d).includes('listening')) resolve() }))
const url = `ws://127.0.0.1:${port}`

const docA = new Y.Doc(); const docB = new Y.Doc()
const a = new WebsocketProvider(url, 'shared', docA, { WebSocketPolyfill: WebSocket, disableBc: true })
const b = new WebsocketProvider(url, 'shared', docB, { WebSocketPolyfill: WebSocket, disableBc: true })
await waitFor('sync', () => a.synced && b.synced)
docA.getText('t').insert(0, 'before')
await waitFor('first edit', () => docB.getText('t').toString() === 'before')

function rawClose (room, frame, binary = true) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url + '/' + room, { maxPayload: 1 << 20 })
    ws.on('open', () => ws.send(frame, { binary }))
    ws.on('message', () => {})
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }))
    ws.on('error', () => {})
  })
}

const cases = [
  ['malformed sync step 2', Buffer.from([0, 1, 5, 1, 1])],
  ['truncated varint', Buffer.from([0, 2, 0x80])],
  ['unknown message type', Buffer.from([9, 0])],
  ['unknown sync type', Buffer.from([0, 7, 0])],
  ['update with a bad struct', Buffer.from([0, 2, 4, 1, 1, 1, 0xff])],
  ['awareness with invalid JSON', Buffer.from([1, 6, 1, 5, 1, 2, 0x7b, 0x7b])],
  ['text frame', 'hello', false]
]
for (const [name, frame, binary] of cases) {
  const { code, reason } = await rawClose('shared', frame, binary !== false)
  if (code !== 1008 && code !== 1003) fail(`${name}: expected a policy close, got ${code} ${reason}`)
  console.log(`${name}: closed ${code} "${reason}"`)
}
{
  const { code } = await rawClose('shared', Buffer.alloc(64 << 20, 1))
  if (code !== 1009 && code !== 1006) fail('64 MiB frame: expected 1009, got ' + code)
  console.log(`64 MiB frame: closed ${code}`)
}
for (const room of ['', 'x'.repeat(600)]) {
  const status = await new Promise((resolve) => {
    const ws = new WebSocket(url + '/' + room)
    ws.on('unexpected-response', (req, res) => { resolve(res.statusCode); req.destroy() })
    ws.on('open', () => resolve('opened'))
    ws.on('error', () => {})
  })
  if (status !== 400) fail(`invalid room name of ${room.length} bytes: expected 400, got ${status}`)
  console.log(`invalid room name (${room.length} bytes): refused with 400`)
}

// The room and the good clients are unaffected.
if (!a.wsconnected || !b.wsconnected) fail('a well-behaved client was disconnected')
docB.getText('t').insert(6, ' and after')
await waitFor('edit after the attacks', () => docA.getText('t').toString() === 'before and after')
const fresh = new Y.Doc()
const f = new WebsocketProvider(url, 'shared', fresh, { WebSocketPolyfill: WebSocket, disableBc: true })
await waitFor('fresh sync', () => f.synced)
if (fresh.getText('t').toString() !== 'before and after') fail('room content changed: ' + fresh.getText('t').toString())
if (!serverLog.includes('bad message')) fail('no logged reason for the closed connections')
for (const p of [a, b, f]) p.destroy()
server.kill('SIGTERM')
await new Promise((resolve) => server.once('exit', resolve))
fs.rmSync(dataDir, { recursive: true, force: true })
console.log('collab_badinput: OK')
process.exit(0)
