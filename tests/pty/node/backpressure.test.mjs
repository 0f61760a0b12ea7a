// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Backpressure: a viewer that stops reading neither stalls the program nor the other
// viewers, server memory stays bounded, and Ctrl-C still works. When every viewer stops
// reading, the PTY read pauses instead of buffering.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { startServer, Viewer, run } from './helpers.mjs'

let server
before(async () => { server = await startServer() })
after(async () => { await server.stop() })

const MB = 1e6

test('a stalled viewer is skipped and later resynced; the others keep receiving', async () => {
  const a = await Viewer.open(server.url('/pty/flood'))
  const b = await Viewer.open(server.url('/pty/flood?role=read-only'))
  await run(a, 'true')
  const rss0 = server.rssKiB()
  b.ws._socket.pause()  // b stops reading: its TCP window and the server's queue fill up
  const start = a.bytes
  a.input('yes\r')
  let peakKiB = 0
  await a.waitFor(() => {
    peakKiB = Math.max(peakKiB, server.rssKiB())
    return a.bytes - start > 48 * MB
  }, 'a receiving 48 MB of output while b is stalled', 120000)
  const flood = (await server.sessions()).find((s) => s.name === 'flood')
  assert.ok(flood.outputBytes > 48 * MB)
  assert.ok(flood.scrollbackBytes <= 1 << 20, 'scrollback stays within its bound')
  assert.ok(peakKiB - rss0 < 32 * 1024, `server RSS grew by ${peakKiB - rss0} KiB`)
  assert.ok(b.bytes < 48 * MB, 'b did stop reading')
  a.input('\x03')  // Ctrl-C reaches `yes` through the same shared terminal
  await run(a, 'echo "after-$((20 + 3))-yes"')
  // b reads again: it is reset, replayed from the scrollback, and ends on the same screen.
  b.ws._socket.resume()
  await b.waitPrompt('after-23-yes', 60000)
  assert.deepEqual(b.screen(), a.screen())
  await a.close()
  await b.close()
})

test('when every viewer stops reading, the program is paused instead of buffered', async () => {
  const v = await Viewer.open(server.url('/pty/paused'))
  await run(v, 'true')
  const rss0 = server.rssKiB()
  v.ws._socket.pause()
  v.input('yes\r')
  // The kernel's socket buffers grow for a while (TCP autotuning); then the session stays
  // paused: two looks in a row find it paused with no new output read.
  let prev = null
  for (let i = 0; ; i++) {
    const info = (await server.sessions()).find((s) => s.name === 'paused')
    if (info.paused && prev && prev.paused && prev.outputBytes === info.outputBytes) break
    prev = info
    assert.ok(i < 20000, 'the session never stayed paused')
    await new Promise((resolve) => setImmediate(resolve))
  }
  assert.ok(prev.outputBytes < 64 * MB, `read ${prev.outputBytes} bytes before pausing`)
  assert.ok(server.rssKiB() - rss0 < 32 * 1024)
  v.input('\x03')
  v.ws._socket.resume()
  await run(v, 'echo "resumed-$((3 * 3))"')
  await v.close()
})
