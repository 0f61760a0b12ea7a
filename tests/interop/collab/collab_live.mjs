// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Live interop of codesphere-collab with stock clients: yjs 13.6.33 + y-websocket 1.5.4
// WebsocketProviders in Node. Usage:
//   node collab_live.mjs --server PATH/codesphere-collab [--clients 10] [--rooms 3]
//                        [--duration-ms 4000] [--seed 1] [--crashes 0]
//                        [--commit-interval-ms MS]  (the server's: batched durable commits)
// Checks: every room's clients converge to identical content, equal to what a fresh client
// loads from the server; awareness states reach the others and disappear after a client
// disconnects. With --crashes N the server is killed with SIGKILL N times at random moments
// and restarted; right after each restart (before the old clients reconnect) a fresh client
// must load every update any client had received back from the server.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

globalThis.WebSocket = WebSocket
process.setMaxListeners(100)

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true'])
  return acc
}, []))
const SERVER = args.server
const CLIENTS = Number(args.clients ?? 10)
const ROOMS = Number(args.rooms ?? 3)
const DURATION = Number(args['duration-ms'] ?? 4000)
const CRASHES = Number(args.crashes ?? 0)
let seed = Number(args.seed ?? 1)
// Extra server flags, e.g. --commit-interval-ms 20 (batched durable commits).
const COMMIT_INTERVAL_MS = args['commit-interval-ms']
if (!SERVER) { console.error('--server is required'); process.exit(2) }

// Deterministic PRNG (mulberry32).
function rand () {
  seed |= 0; seed = seed + 0x6D2B79F5 | 0
  let t = Math.imul(seed ^ seed >>> 15, 1 | seed)
  t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t
  return ((t ^ t >>> 14) >>> 0) / 4294967296
}
const pick = (a) => a[Math.floor(rand() * a.length)]
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const PIECES = ['a', 'b', 'hello ', '😀', '👍🏽', 'é', '\n', 'xyz', '🚀🚀', 'ü']

function fail (msg) { console.error('FAIL: ' + msg); process.exitCode = 1; throw new Error(msg) }

async function freePort () {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) })
  })
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'codesphere-collab-'))
const port = await freePort()
const url = `ws://127.0.0.1:${port}`
let server = null

async function startServer () {
  const extra = COMMIT_INTERVAL_MS ? ['--commit-interval-ms', String(COMMIT_INTERVAL_MS)] : []
  server = spawn(SERVER, ['--host', '127.0.0.1', '--port', String(port), '--data', dataDir, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  server.stderr.on('data', (d) => { if (process.env.VERBOSE) process.stderr.write(d) })
  await new Promise((resolve, reject) => {
    let out = ''
    const onData = (d) => { out += d; if (out.includes('listening on')) { server.stdout.off('data', onData); resolve() } }
    server.stdout.on('data', onData)
    server.once('exit', (code) => reject(new Error('server exited early with ' + code)))
  })
}
function killServer () {
  return new Promise((resolve) => { server.once('exit', resolve); server.kill('SIGKILL') })
}

function roomName (i) { return `room-${i}/file ${i}.txt`.replace(/ /g, '_') }

function makeClient (id, room) {
  const doc = new Y.Doc()
  doc.clientID = 1000 + id
  // Everything this client received from the server: acknowledged, hence must be durable.
  const acked = new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  doc.on('update', (update, origin) => { if (origin === provider) Y.applyUpdate(acked, update) })
  provider.awareness.setLocalStateField('user', { name: 'client-' + id, color: '#' + (id * 123456 % 0xffffff).toString(16) })
  return { id, room, doc, acked, provider }
}

function randomEdit (c) {
  const doc = c.doc
  const r = rand()
  doc.transact(() => {
    const text = doc.getText('monaco')
    if (r < 0.5) {
      const s = text.toString()
      // Insert at a code point boundary: surrogate pairs are never split.
      const cps = Array.from(s)
      const at = Math.floor(rand() * (cps.length + 1))
      text.insert(cps.slice(0, at).join('').length, pick(PIECES))
    } else if (r < 0.7) {
      const cps = Array.from(text.toString())
      if (cps.length > 0) {
        const at = Math.floor(rand() * cps.length)
        const n = 1 + Math.floor(rand() * Math.min(3, cps.length - at))
        const start = cps.slice(0, at).join('').length
        const len = cps.slice(at, at + n).join('').length
        text.delete(start, len)
      }
    } else if (r < 0.85) {
      const map = doc.getMap('meta')
      const k = pick(['title', 'lang', 'owner', 'n'])
      if (rand() < 0.2) map.delete(k)
      else map.set(k, pick(['x', 42, true, { nested: [1, '😀'] }, null, 3.5]))
    } else {
      const arr = doc.getArray('items')
      const at = Math.floor(rand() * (arr.length + 1))
      if (rand() < 0.5) {
        const m = new Y.Map()
        arr.insert(at, [m])
        m.set('by', c.id)
        m.set('tags', ['a', 'b'])
      } else {
        arr.insert(at, [pick(['item', 7, '🚀'])])
      }
    }
  })
}

function content (doc) {
  return JSON.stringify({
    text: doc.getText('monaco').toString(),
    // Map key order depends on integration order in Yjs itself: compare sorted.
    meta: Object.fromEntries(Object.entries(doc.getMap('meta').toJSON()).sort()),
    items: doc.getArray('items').toJSON()
  })
}

async function waitFor (what, pred, timeoutMs = 20000) {
  const t0 = Date.now()
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) fail('timed out waiting for ' + what)
    await sleep(25)
  }
}

async function freshLoad (room) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  await waitFor('fresh client sync of ' + room, () => provider.synced)
  provider.awareness.setLocalState(null)
  provider.destroy()
  return doc
}

// True if `doc` already contains everything in `acked` (structs and deletions).
function contains (doc, acked) {
  const probe = new Y.Doc()
  Y.applyUpdate(probe, Y.encodeStateAsUpdate(doc))
  const before = Y.encodeStateAsUpdate(probe)
  Y.applyUpdate(probe, Y.encodeStateAsUpdate(acked))
  const after = Y.encodeStateAsUpdate(probe)
  return Buffer.compare(Buffer.from(before), Buffer.from(after)) === 0
}

async function editFor (clients, ms) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    for (const c of clients) if (rand() < 0.5) randomEdit(c)
    await sleep(10 + Math.floor(rand() * 20))
  }
}

await startServer()
const clients = []
for (let i = 0; i < CLIENTS; i++) clients.push(makeClient(i, roomName(i % ROOMS)))
try {
  await waitFor('all clients synced', () => clients.every((c) => c.provider.synced))

  // Awareness: every client sees the users of its room.
  for (const c of clients) {
    const peers = clients.filter((o) => o.room === c.room)
    await waitFor('awareness of ' + c.id, () => peers.every((o) => {
      const st = c.provider.awareness.getStates().get(o.doc.clientID)
      return st && st.user && st.user.name === 'client-' + o.id
    }))
  }

  if (CRASHES === 0) {
    await editFor(clients, DURATION)
  } else {
    for (let k = 0; k < CRASHES; k++) {
      await editFor(clients, 300 + Math.floor(rand() * 900))
      await killServer()
      // Snapshot what each client had received back before the crash.
      const ackedStates = clients.map((c) => ({ room: c.room, update: Y.encodeStateAsUpdate(c.acked) }))
      for (const c of clients) c.provider.disconnect()
      await startServer()
      for (let r = 0; r < ROOMS; r++) {
        const loaded = await freshLoad(roomName(r))
        for (const a of ackedStates.filter((s) => s.room === roomName(r))) {
          const d = new Y.Doc(); Y.applyUpdate(d, a.update)
          if (!contains(loaded, d)) fail(`crash ${k + 1}: room ${roomName(r)} lost acknowledged updates`)
        }
      }
      for (const c of clients) c.provider.connect()
      await waitFor('reconnect after crash', () => clients.every((c) => c.provider.synced && c.provider.wsconnected))
      console.log(`crash ${k + 1}/${CRASHES}: every acknowledged update survived`)
    }
  }

  // Convergence: every client of a room identical, and equal to a fresh load.
  for (let r = 0; r < ROOMS; r++) {
    const members = clients.filter((c) => c.room === roomName(r))
    await waitFor('convergence of ' + roomName(r), () => {
      const sv = Buffer.from(Y.encodeStateVector(members[0].doc)).toString('hex')
      return members.every((c) => Buffer.from(Y.encodeStateVector(c.doc)).toString('hex') === sv &&
        content(c.doc) === content(members[0].doc))
    })
    const fresh = await freshLoad(roomName(r))
    if (content(fresh) !== content(members[0].doc)) fail('fresh load differs in ' + roomName(r))
    if (Buffer.compare(Buffer.from(Y.encodeStateVector(fresh)), Buffer.from(Y.encodeStateVector(members[0].doc))) !== 0) {
      fail('fresh load state vector differs in ' + roomName(r))
    }
    console.log(`${roomName(r)}: ${members.length} clients converged, ${members[0].doc.getText('monaco').length} UTF-16 units`)
  }

  // Awareness removal: a client that leaves disappears from the others' views.
  const leaver = clients[0]
  const others = clients.filter((c) => c.room === leaver.room && c !== leaver)
  leaver.provider.destroy()
  await waitFor('awareness removal', () => others.every((o) => !o.provider.awareness.getStates().has(leaver.doc.clientID)))
  console.log('awareness: states propagated and removed after disconnect')
  console.log('collab_live: OK')
} finally {
  for (const c of clients) c.provider.destroy()
  server.kill('SIGTERM')
  await new Promise((resolve) => server.once('exit', resolve))
  fs.rmSync(dataDir, { recursive: true, force: true })
}
process.exit(process.exitCode ?? 0)
