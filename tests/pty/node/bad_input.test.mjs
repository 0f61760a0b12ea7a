// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Bad input over both WebSocket forms: clean errors, no crash, the program unaffected.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import WebSocket from 'ws'
import { startServer, Viewer, run } from './helpers.mjs'

let server
let keeper  // a writer on the victim session, checking it keeps working
before(async () => {
  server = await startServer()
  keeper = await Viewer.open(server.url('/pty/victim'))
  await run(keeper, 'echo "pid=$$"')
})
after(async () => {
  await keeper.close()
  assert.ok(server.alive(), 'server crashed')
  await server.stop()
})

function errors (v, code) { return v.events.filter((e) => e.type === 'error' && e.code === code).length }

test('zero, negative, huge and malformed sizes are refused; large ones are clamped', async () => {
  const v = await Viewer.open(server.url('/pty/victim'))
  const bad = ['{"cols":0,"rows":24}', '{"cols":80,"rows":-1}', '{"cols":100000,"rows":24}',
    '{"cols":80.5,"rows":24}', '{"cols":"80","rows":24}', '{}', 'not json', '[1,2]', '']
  for (const b of bad) v.ws.send('1' + b)
  await v.waitFor(() => errors(v, 'InvalidArgument') === bad.length, 'one error per bad resize')
  v.resize(5000, 5000)
  await v.waitEvent((e) => e.type === 'resize' && e.cols === 1000 && e.rows === 500)
  await run(v, 'stty size')
  assert.ok(v.text().includes('500 1000'))
  // Sizes in the URL are checked before the upgrade.
  for (const q of ['cols=0&rows=24', 'cols=-3&rows=5', 'cols=99999999&rows=5', 'role=admin']) {
    const ws = new WebSocket(server.url(`/pty/victim?${q}`))
    const [, res] = await once(ws, 'unexpected-response')
    assert.equal(res.statusCode, 400, q)
    ws.on('error', () => {})
    res.destroy()
  }
  const badName = new WebSocket(server.url('/pty/..%2Fetc'))
  const [, res] = await once(badName, 'unexpected-response')
  assert.equal(res.statusCode, 400)
  badName.on('error', () => {})
  res.destroy()
  v.resize(80, 24)
  await run(v, 'stty size')
  await v.close()
})

test('a resize storm leaves the terminal consistent', async () => {
  const v = await Viewer.open(server.url('/pty/victim'))
  for (let i = 0; i < 5000; i++) v.resize(20 + (i * 7919) % 300, 5 + (i * 31) % 100)
  v.resize(100, 30)
  await v.waitEvent((e) => e.type === 'resize' && e.cols === 100 && e.rows === 30, 20000)
  await run(v, 'stty size')
  assert.ok(v.text().includes('30 100'))
  v.resize(80, 24)
  await v.close()
})

test('a 100 MB message closes only its own connection', async () => {
  const rss0 = server.rssKiB()
  const ws = new WebSocket(server.url('/pty/victim'), { perMessageDeflate: false })
  await once(ws, 'open')
  ws.on('error', () => {})
  const closed = once(ws, 'close')
  ws.send(Buffer.alloc(100 * 1024 * 1024, 0x30))
  const [code] = await closed
  assert.equal(code, 1009)  // message too big
  assert.ok(server.rssKiB() - rss0 < 48 * 1024, 'the message was not buffered')
  await run(keeper, 'echo "still-$((2 + 2))-alive"')
})

test('fragmented messages are reassembled', async () => {
  const v = await Viewer.open(server.url('/pty/victim'))
  v.ws.send('0echo "fr', { fin: false })
  v.ws.send('ag-$((5 + 5))"', { fin: false })
  v.ws.send('\r', { fin: true })
  await v.waitText('frag-10')
  await v.close()
})

test('unknown message types get an error and change nothing', async () => {
  const v = await Viewer.open(server.url('/pty/victim'))
  for (const m of ['9hello', 'x', '3', Buffer.from([0xff, 0x00]), '2SIGSEGV', '2', '2KILLALL']) v.ws.send(m)
  await v.waitFor(() => errors(v, 'InvalidArgument') === 7, 'seven errors')
  await run(keeper, 'echo "unaffected-$((9 * 9))"')
  await v.close()
})

// ---- the multiplexed form on /mux ----

function frame (type, session, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(9)
  h[0] = type
  h.writeUInt32BE(session, 1)
  h.writeUInt32BE(payload.length, 5)
  return Buffer.concat([h, payload])
}
const attachPayload = (role, cols, rows) => { const p = Buffer.alloc(5); p[0] = role; p.writeUInt16BE(cols, 1); p.writeUInt16BE(rows, 3); return p }
function parse (buf) {
  return { type: buf[0], session: buf.readUInt32BE(1), payload: buf.subarray(9, 9 + buf.readUInt32BE(5)) }
}

class MuxClient {
  static async open () {
    const c = new MuxClient()
    c.ws = new WebSocket(server.url('/mux'), { perMessageDeflate: false })
    c.frames = []
    c.output = ''
    c.waiters = new Set()
    c.ws.on('message', (d) => {
      const f = parse(d)
      c.frames.push(f)
      if (f.type === 1) c.output += f.payload.toString('latin1')
      for (const w of [...c.waiters]) w()
    })
    c.ws.on('error', () => {})
    await once(c.ws, 'open')
    return c
  }

  until (pred, what) {
    return new Promise((resolve, reject) => {
      const check = () => { if (pred()) { clearTimeout(t); this.waiters.delete(check); resolve() } }
      const t = setTimeout(() => { this.waiters.delete(check); reject(new Error(`timeout: ${what}; output: ${this.output.slice(-500)}`)) }, 20000)
      this.waiters.add(check)
      check()
    })
  }

  errors (code) { return this.frames.filter((f) => f.type === 8 && f.payload[0] === code) }
}

test('mux: sessions by id, input on a detached session, unknown frames', async () => {
  const id = (await server.sessions()).find((s) => s.name === 'victim').id
  const c = await MuxClient.open()
  c.ws.send(frame(2, id, Buffer.from('echo nope\r')))  // input before attaching
  await c.until(() => c.errors(9).length === 1, 'FailedPrecondition error')  // kFailedPrecondition
  assert.equal(c.errors(9)[0].session, id)
  // An attach frame split across two messages.
  const attach = frame(6, id, attachPayload(1, 80, 24))
  c.ws.send(attach.subarray(0, 4))
  c.ws.send(attach.subarray(4))
  await c.until(() => c.frames.some((f) => f.type === 6), 'attach reply')
  const reply = c.frames.find((f) => f.type === 6)
  assert.equal(reply.payload[0], 1)
  c.ws.send(frame(2, id, Buffer.from('echo "mux-$((6 * 7))"\r')))
  await c.until(() => c.output.includes('mux-42'), 'output over mux')
  await keeper.waitText('mux-42')  // the browser viewer of the same session sees it too
  c.ws.send(frame(7, id))  // detach
  c.ws.send(frame(2, id, Buffer.from('echo "detached-$((1 + 1))"\r')))
  await c.until(() => c.errors(9).length === 2, 'error for input on a detached session')
  c.ws.send(frame(2, 0xfffffff0, Buffer.from('x')))
  await c.until(() => c.errors(9).length === 3, 'error for an unknown session')
  // An unknown frame type breaks the stream: connection error (session 0), then close.
  const closed = once(c.ws, 'close')
  c.ws.send(frame(42, id, Buffer.from('?')))
  const [code] = await closed
  assert.equal(code, 1002)
  assert.ok(c.frames.some((f) => f.type === 8 && f.session === 0))
  await run(keeper, 'echo "after-mux-$((8 + 8))"')
  assert.ok(!keeper.text().includes('detached-2'))
})

test('mux: an oversized frame length is refused before its payload', async () => {
  const c = await MuxClient.open()
  const h = Buffer.alloc(9)
  h[0] = 2
  h.writeUInt32BE(1, 1)
  h.writeUInt32BE(0x7fffffff, 5)
  const closed = once(c.ws, 'close')
  c.ws.send(h)
  const [code] = await closed
  assert.equal(code, 1002)
  assert.equal(c.errors(3).length, 1)  // kInvalidArgument
})
