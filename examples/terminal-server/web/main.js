// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The terminal page: one xterm.js terminal attached to ws://HOST/pty/<name>. Several tabs on
// the same name share one shell. Protocol: docs/protocols.md, "Terminals".
import { Terminal } from '@xterm/xterm'
import { FitAddon } from '@xterm/addon-fit'
import '@xterm/xterm/css/xterm.css'

const params = new URLSearchParams(location.search)
const name = params.get('term') || 'main'
const role = params.get('role') === 'read-only' ? 'read-only' : 'writer'
const $ = (id) => document.getElementById(id)

const term = new Terminal({ cursorBlink: true, scrollback: 10000, disableStdin: role !== 'writer' })
const fit = new FitAddon()
term.loadAddon(fit)
term.open($('term'))
fit.fit()

let ws = null
let retryMs = 250
let exited = false

function setState (text, live) {
  $('state').textContent = text
  $('state').className = 'state ' + (live ? 'live' : 'down')
}

function send (type, body) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return
  if (typeof body === 'string') ws.send(type + body)
  else { const b = new Uint8Array(body.length + 1); b[0] = type.charCodeAt(0); b.set(body, 1); ws.send(b) }
}

function sendSize () {
  if (role !== 'writer') return
  const dims = fit.proposeDimensions()
  if (dims && dims.cols > 0 && dims.rows > 0) send('1', JSON.stringify({ cols: dims.cols, rows: dims.rows }))
}

function connect () {
  const dims = fit.proposeDimensions() || { cols: 80, rows: 24 }
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  ws = new WebSocket(`${proto}//${location.host}/pty/${encodeURIComponent(name)}?role=${role}&cols=${dims.cols}&rows=${dims.rows}`)
  ws.binaryType = 'arraybuffer'
  ws.onopen = () => { retryMs = 250; setState('live', true) }
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') { term.write(new Uint8Array(ev.data)); return }
    const msg = JSON.parse(ev.data)
    if (msg.type === 'attach') {
      // The scrollback replay follows: start from a clean screen.
      term.reset()
      exited = false
      $('title').textContent = msg.title || name
      $('role').textContent = msg.role
      term.resize(msg.cols, msg.rows)
    } else if (msg.type === 'resize') {
      term.resize(msg.cols, msg.rows)
    } else if (msg.type === 'exit') {
      exited = true
      term.write(`\r\n[process exited${msg.signal ? ' (signal ' + msg.signal + ')' : ' with code ' + msg.code}; press Enter for a new one]\r\n`)
    } else if (msg.type === 'error') {
      console.warn('terminal:', msg.code, msg.message)
    }
  }
  ws.onclose = () => {
    setState('reconnecting', false)
    setTimeout(connect, retryMs)
    retryMs = Math.min(retryMs * 2, 5000)
  }
}

term.onData((data) => {
  if (exited) { if (data === '\r') { exited = false; ws.close() } return }
  send('0', data)
})
term.onBinary((data) => send('0', Uint8Array.from(data, (c) => c.charCodeAt(0))))
window.addEventListener('resize', () => { fit.fit(); sendSize() })
term.textarea?.addEventListener('focus', sendSize)
window.codesphereTerminal = { term }
connect()
