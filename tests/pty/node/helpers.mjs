// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Test helpers: start codesphere-term on a free port, and `Viewer`, a real terminal client
// (@xterm/headless) attached over the browser WebSocket form (docs/protocols.md, "Terminals").
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import WebSocket from 'ws'
import xterm from '@xterm/headless'

const { Terminal } = xterm
export const TIMEOUT_MS = 20000

export async function startServer (extra = [], command = ['bash', '--norc', '--noprofile']) {
  const bin = process.env.CODESPHERE_TERM
  if (!bin) throw new Error('CODESPHERE_TERM (path of codesphere-term) is not set')
  const proc = spawn(bin, ['--port', '0', ...extra, '--', ...command], {
    env: { ...process.env, PS1: '$ ', HISTFILE: '/dev/null', LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let log = ''
  proc.stderr.on('data', (d) => { log += d })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    proc.stdout.on('data', (d) => {
      out += d
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)\//)
      if (m) resolve(Number(m[1]))
    })
    proc.on('exit', (code) => reject(new Error(`codesphere-term exited (${code}): ${log}`)))
  })
  return {
    port,
    pid: proc.pid,
    proc,
    log: () => log,
    url: (path) => `ws://127.0.0.1:${port}${path}`,
    async sessions () { return (await fetch(`http://127.0.0.1:${port}/api/sessions`)).json() },
    rssKiB () {
      const m = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
      return Number(m[1])
    },
    alive () { return proc.exitCode === null && proc.signalCode === null },
    async stop () {
      if (!this.alive()) return
      proc.kill('SIGTERM')
      await once(proc, 'exit')
    }
  }
}

// A terminal attached to one WebSocket. Output bytes go into a headless xterm; JSON events
// (attach, resize, exit, error, detach) are collected. Like a browser tab, the terminal's
// own replies to queries (onData) are sent back when the viewer is a writer.
export class Viewer {
  static async open (url, { cols = 80, rows = 24, reply = true } = {}) {
    // Like the page: report the terminal's size when attaching.
    if (!/[?&]cols=/.test(url)) url += `${url.includes('?') ? '&' : '?'}cols=${cols}&rows=${rows}`
    const v = new Viewer(url, cols, rows, reply)
    await new Promise((resolve, reject) => {
      v.ws.once('open', resolve)
      v.ws.once('error', reject)
    })
    await v.waitEvent((e) => e.type === 'attach')
    return v
  }

  constructor (url, cols, rows, reply) {
    this.term = new Terminal({ cols, rows, scrollback: 5000, allowProposedApi: true })
    this.events = []
    this.bytes = 0
    this.closed = null
    this.waiters = new Set()
    this.ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 << 20 })
    this.ws.binaryType = 'nodebuffer'
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.bytes += data.length
        this.term.write(data, () => this.notify())
        return
      }
      const e = JSON.parse(data.toString())
      this.events.push(e)
      if (e.type === 'attach' || e.type === 'resize') this.term.resize(e.cols, e.rows)
      if (e.type === 'attach') this.role = e.role
      this.term.write('', () => this.notify())
    })
    this.ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; this.notify() })
    this.ws.on('error', () => {})
    if (reply) this.term.onData((d) => { if (this.role === 'writer' && this.ws.readyState === 1) this.ws.send('0' + d) })
  }

  notify () { for (const w of [...this.waiters]) w() }

  // Resolves when pred() is true, checked after every message; rejects after `ms`.
  waitFor (pred, what, ms = TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok = false
        try { ok = pred() } catch (e) { finish(); reject(e); return }
        if (ok) { finish(); resolve() }
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`timeout waiting for ${what}; screen:\n${this.screen().join('\n')}\nevents: ${JSON.stringify(this.events)}`))
      }, ms)
      const finish = () => { clearTimeout(timer); this.waiters.delete(check) }
      this.waiters.add(check)
      check()
    })
  }

  waitEvent (pred, ms) { return this.waitFor(() => this.events.some(pred), 'an event', ms) }
  waitText (text, ms) { return this.waitFor(() => this.text().includes(text), JSON.stringify(text), ms) }
  waitScreen (pred, what, ms) { return this.waitFor(() => pred(this.screen()), what, ms) }
  // The prompt is back on the last non-empty line and `text` was printed.
  waitPrompt (text, ms) {
    return this.waitFor(() => {
      const lines = this.screen().filter((l) => l.trim() !== '')
      return lines.length > 0 && lines[lines.length - 1].trimEnd() === '$' && this.text().includes(text)
    }, `prompt after ${text}`, ms)
  }

  // The visible screen, one string per row (trailing spaces trimmed).
  screen () {
    const b = this.term.buffer.active
    const out = []
    for (let i = 0; i < this.term.rows; i++) out.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '')
    return out
  }

  // Scrollback plus screen.
  text () {
    const b = this.term.buffer.active
    const out = []
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i).translateToString(true))
    return out.join('\n')
  }

  input (s) { this.ws.send('0' + s) }
  resize (cols, rows) { this.ws.send('1' + JSON.stringify({ cols, rows })) }
  signal (name) { this.ws.send('2' + name) }
  async close () {
    if (this.ws.readyState === WebSocket.CLOSED) return
    const closed = once(this.ws, 'close')
    this.ws.close()
    await closed
  }
}

// Runs `cmd` in the viewer's shell and waits for its marker line and the next prompt.
let seq = 0
export async function run (viewer, cmd) {
  const n = ++seq
  // The marker is computed by the shell so the echoed command line cannot match it.
  viewer.input(`${cmd}; echo "done-$((${n} * 1000 + 7))"\r`)
  await viewer.waitPrompt(`done-${n * 1000 + 7}`)
}
