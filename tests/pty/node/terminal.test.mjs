// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Real terminal clients (@xterm/headless) against codesphere-term: commands, full-screen
// programs, shared screens, reconnect with scrollback, read-only viewers, resize.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { startServer, Viewer, run } from './helpers.mjs'

let server
let tmp
before(async () => {
  server = await startServer()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pty-interop-'))
})
after(async () => {
  await server.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
})

test('runs commands and renders their output', async () => {
  const v = await Viewer.open(server.url('/pty/commands'))
  await run(v, 'echo "sum=$((6 * 7))"')
  assert.ok(v.text().includes('sum=42'))
  await run(v, 'printf "\\033[1;31mred\\033[0m plain\\n"')
  const b = v.term.buffer.active
  let found = false
  for (let i = 0; i < b.length; i++) {
    const line = b.getLine(i)
    if (line.translateToString(true) === 'red plain') {
      found = line.getCell(0).getFgColor() === 1  // ANSI red, rendered as a colour attribute
    }
  }
  assert.ok(found, 'colour escape rendered, not printed')
  await v.close()
})

const have = (prog) => spawnSync('sh', ['-c', `command -v ${prog}`]).status === 0

test('full-screen programs: less and vi draw the screen and restore it', async (t) => {
  if (!have('less') || !have('vi')) {
    t.skip('needs less and vi (Debian packages less, vim or vim-tiny)')
    return
  }
  const file = path.join(tmp, 'lines.txt')
  fs.writeFileSync(file, Array.from({ length: 200 }, (_, i) => `line number ${i + 1}`).join('\n') + '\n')
  const v = await Viewer.open(server.url('/pty/fullscreen'), { cols: 80, rows: 24 })
  await run(v, 'true')
  v.input(`less ${file}\r`)
  await v.waitScreen((s) => s[0] === 'line number 1' && s[22] === 'line number 23', 'less first page')
  v.input('G')
  await v.waitScreen((s) => s[22] === 'line number 200' && s[23].includes('(END)'), 'less last page')
  v.input('q')
  await v.waitScreen((s) => !s.includes('line number 200'), 'less gone (alternate screen left)')
  await run(v, 'true')

  v.input(`vi -u NONE -n ${file}\r`)
  await v.waitScreen((s) => s[0] === 'line number 1' && s[22] === 'line number 23' &&
    /lines\.txt/.test(s[23]), 'vi showing the file')
  v.input('Gdd')  // go to the last line and delete it
  await v.waitScreen((s) => s.includes('line number 199') && !s.includes('line number 200'), 'vi edited')
  v.input(':wq\r')
  await v.waitScreen((s) => s.some((l) => l.trimEnd() === '$'), 'shell prompt after vi')
  await run(v, `tail -n 1 ${file}`)
  assert.equal(fs.readFileSync(file, 'utf8').trimEnd().split('\n').length, 199)
  await v.close()
})

test('two viewers of one session see identical screens', async () => {
  const a = await Viewer.open(server.url('/pty/shared'), { cols: 90, rows: 20 })
  const b = await Viewer.open(server.url('/pty/shared?role=writer'), { cols: 90, rows: 20 })
  await run(a, 'for i in $(seq 1 40); do echo "row $i of output"; done')
  await b.waitPrompt('row 40 of output')
  assert.deepEqual(b.screen(), a.screen())
  // B types; A sees exactly what B sees.
  await run(b, 'printf "%s\\n" typed-by-b; tput sc; tput cup 3 10; printf X; tput rc')
  await a.waitPrompt('typed-by-b')
  assert.deepEqual(a.screen(), b.screen())
  assert.equal(a.term.cols, 90)
  assert.equal(b.term.rows, 20)
  await a.close()
  await b.close()
})

test('a viewer that reconnects sees the prior output from the scrollback', async () => {
  const a = await Viewer.open(server.url('/pty/reconnect'))
  await run(a, 'echo "before-$((40 + 2))-disconnect"')
  await a.close()
  // Output while nobody watches is kept too.
  const sessions = await server.sessions()
  const s = sessions.find((x) => x.name === 'reconnect')
  assert.equal(s.viewers, 0)
  const b = await Viewer.open(server.url('/pty/reconnect'))
  await b.waitText('before-42-disconnect')
  await run(b, 'echo still-the-same-shell-$$')
  assert.equal((await server.sessions()).find((x) => x.name === 'reconnect').pid, s.pid)
  await b.close()
})

test('a read-only viewer sees output but its input never reaches the program', async () => {
  const w = await Viewer.open(server.url('/pty/readonly'))
  const ro = await Viewer.open(server.url('/pty/readonly?role=read-only'))
  assert.equal(ro.role, 'read-only')
  const flag = path.join(tmp, 'ro-was-here')
  ro.input(`touch ${flag}\r`)
  ro.signal('INT')
  ro.resize(20, 5)
  await ro.waitFor(() => ro.events.filter((e) => e.type === 'error' && e.code === 'PermissionDenied').length >= 2,
    'permission errors')
  await run(w, 'echo "writer-$((1 + 1))"')
  await ro.waitPrompt('writer-2')
  assert.ok(!fs.existsSync(flag), 'read-only input was executed')
  assert.ok(!w.text().includes('ro-was-here'), 'read-only input was echoed')
  assert.equal(w.term.cols, 80)
  await w.close()
  await ro.close()
})

test('resize reaches the program', async () => {
  const v = await Viewer.open(server.url('/pty/resize'))
  const other = await Viewer.open(server.url('/pty/resize?role=read-only'))
  await run(v, 'stty size')
  assert.ok(v.text().includes('24 80'))
  v.resize(132, 43)
  await v.waitEvent((e) => e.type === 'resize' && e.cols === 132 && e.rows === 43)
  await run(v, 'stty size')
  assert.ok(v.text().includes('43 132'))
  await other.waitEvent((e) => e.type === 'resize' && e.cols === 132 && e.rows === 43)
  assert.equal(other.term.cols, 132)
  // A program that handles SIGWINCH sees the change.
  v.input(`bash -c 'trap "echo winch-\\$(tput cols)x\\$(tput lines)" WINCH; echo wait""ing; while :; do sleep 0.05; done'\r`)
  await v.waitText('waiting')
  v.resize(100, 30)
  await v.waitText('winch-100x30')
  v.input('\x03')
  await run(v, 'true')
  await v.close()
  await other.close()
})

test('a terminal query is answered once, however many terminals are attached', async () => {
  const a = await Viewer.open(server.url('/pty/queries'))
  const b = await Viewer.open(server.url('/pty/queries'))
  const c = await Viewer.open(server.url('/pty/queries?role=read-only'))
  await run(a, 'true')
  // The program asks for device attributes; every xterm answers. It reads one answer, then
  // looks for more for half a second.
  a.input("printf '\\033[c'; IFS= read -rs -d c r; stty -icanon min 0 time 5; " +
    "extra=$(dd bs=256 count=1 2>/dev/null | od -An -c | tr -d ' \\n'); stty sane; " +
    'echo "first=${r:1} ex""tra=[${extra}]"\r')
  await a.waitText('extra=[')
  await b.waitText('extra=[')
  const line = a.text().split('\n').find((l) => l.startsWith('first='))
  assert.match(line, /^first=\[\?1;2 extra=\[\]$/)
  await run(a, 'true')
  for (const v of [a, b, c]) await v.close()
})
