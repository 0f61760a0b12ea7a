#!/usr/bin/env node
// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Terminal measurements that pty_load.mjs (shared/bench-anchors) does not make, with the same
// client conventions (ws, one session per WebSocket, --in-prefix for typed input):
//   --mode flood-echo   keystroke echo round trip in one session while another session
//                       floods output (`yes`) to a client that reads everything
//   --mode idle-mem     server memory for N idle sessions with one viewer each
//   --mode breakdown    where the flood-echo round trips spent their time: a server trace
//                       (codesphere-term --trace) joined with the client's timestamps
//                       (flood-echo --lat-dump), one clock (CLOCK_MONOTONIC)
//   --mode summarize    medians and ratios of a results folder written by run_bench.sh
//   --mode flood        (internal) the flooding client, run as a child process so that its
//                       event loop does not delay the echo client
// Usage: node pty_extra.mjs --mode M --url ws://127.0.0.1:PORT [--in-prefix 0] [--server-pid P]
//          [--iters 2000] [--warmup 100] [--sessions 200] [--sessions-url URL] [--out FILE]
//          [--flood-cmd yes] [--lat-dump FILE]
//        node pty_extra.mjs --mode breakdown --trace FILE --lat FILE [--out FILE]
//        node pty_extra.mjs --mode summarize --dir RESULTS
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'

const argv = process.argv.slice(2)
const args = {}
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--')) continue
  const k = argv[i].slice(2)
  if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) args[k] = argv[++i]; else args[k] = 'true'
}
const PREFIX = args['in-prefix'] ?? ''
const log = (s) => process.stderr.write(`[pty_extra] ${s}\n`)
const rssKiB = (pid) => Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1])

class Session {
  static open (url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false })
      ws.binaryType = 'nodebuffer'
      const s = new Session(ws)
      ws.on('open', () => resolve(s))
      ws.on('error', reject)
    })
  }

  constructor (ws) {
    this.ws = ws; this.bytes = 0; this.onChunk = null
    ws.on('message', (d, isBinary) => { if (!isBinary) return; this.bytes += d.length; if (this.onChunk) this.onChunk(d) })
  }

  send (s) { this.ws.send(PREFIX + s) }
  waitFor (marker, ms = 60000) {
    return new Promise((resolve, reject) => {
      let tail = ''
      const t = setTimeout(() => { this.onChunk = null; reject(new Error(`timeout waiting for ${marker}`)) }, ms)
      this.onChunk = (b) => {
        const s = tail + b.toString('latin1')
        if (s.includes(marker)) { clearTimeout(t); this.onChunk = null; resolve() } else tail = s.slice(-marker.length)
      }
    })
  }

  async ready () { const p = this.waitFor('__READY__'); this.send("echo __RE''ADY__\r"); await p }
  close () { return new Promise((resolve) => { this.ws.once('close', resolve); this.ws.close(); setTimeout(resolve, 2000) }) }
}

async function flood () {
  const s = await Session.open(args.url)
  await s.ready()
  s.send((args['flood-cmd'] ?? 'yes') + '\r')
  let announced = false
  let t0 = 0; let b0 = 0
  s.ws.on('message', () => {
    if (!announced && s.bytes > 20e6) { announced = true; t0 = performance.now(); b0 = s.bytes; process.stdout.write('flooding\n') }
  })
  process.on('SIGTERM', () => {
    const MBps = (s.bytes - b0) / 1e6 / ((performance.now() - t0) / 1000)
    process.stdout.write(JSON.stringify({ MBps: +MBps.toFixed(1) }) + '\n')
    s.send('\x03')
    setTimeout(() => process.exit(0), 100)
  })
  return new Promise(() => {})
}

async function floodEcho () {
  const iters = Number(args.iters ?? 2000); const warm = Number(args.warmup ?? 100)
  const child = spawn(process.execPath, [process.argv[1], '--mode', 'flood', '--url', args.url, '--in-prefix', PREFIX,
    ...(args['flood-cmd'] ? ['--flood-cmd', args['flood-cmd']] : [])],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  let childOut = ''
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => { childOut += d; if (childOut.includes('flooding')) resolve() })
    child.on('exit', () => reject(new Error('flood client exited')))
  })
  const echo = await Session.open(args.url)
  await echo.ready()
  const go = echo.waitFor('__GO__')
  echo.send("stty raw -echo; echo __G''O__; cat\r")
  await go
  const lat = []
  const stamps = []  // process.hrtime (CLOCK_MONOTONIC) of each send and echo, for --mode breakdown
  for (let i = 0; i < warm + iters; i++) {
    const code = 97 + (i % 26)
    let hr1 = 0n
    const p = new Promise((resolve) => {
      echo.onChunk = (b) => { if (b.indexOf(code) >= 0) { echo.onChunk = null; hr1 = process.hrtime.bigint(); resolve(performance.now()) } }
    })
    const hr0 = process.hrtime.bigint()
    const t = performance.now()
    echo.send(String.fromCharCode(code))
    const t1 = await p
    if (i >= warm) { lat.push(t1 - t); stamps.push(`${hr0} ${hr1}`) }
  }
  if (args['lat-dump']) fs.writeFileSync(args['lat-dump'], stamps.join('\n') + '\n')
  const done = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  await done
  const floodMBps = JSON.parse(childOut.trim().split('\n').pop()).MBps
  await echo.close()
  lat.sort((a, b) => a - b)
  const q = (p) => +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(4)
  return { mode: 'flood-echo', iters, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: +lat[lat.length - 1].toFixed(4), flood_MBps_during: floodMBps }
}

async function idleMem () {
  const n = Number(args.sessions ?? 200); const pid = Number(args['server-pid'])
  // One session first, so one-time costs (threads, buffers, code pages) are in the baseline.
  const warm = await Session.open(args.url)
  await warm.ready()
  const rss0 = rssKiB(pid)
  const sessions = []
  for (let i = 0; i < n; i++) {
    const s = await Session.open(args.url)
    await s.ready()
    sessions.push(s)
  }
  const rss1 = rssKiB(pid)
  let scrollback = null
  if (args['sessions-url']) {
    try {
      const list = await (await fetch(args['sessions-url'])).json()
      scrollback = list.reduce((a, s) => a + (s.scrollbackBytes ?? 0), 0)
    } catch {}  // the relay has no session listing
  }
  for (const s of sessions) await s.close()
  await warm.close()
  const perSession = (rss1 - rss0) / n
  return {
    mode: 'idle-mem', sessions: n, rss_before_kib: rss0, rss_after_kib: rss1, per_session_kib: +perSession.toFixed(1),
    scrollback_bytes_total: scrollback,
    per_session_beyond_scrollback_kib: scrollback === null ? null : +((rss1 - rss0 - scrollback / 1024) / n).toFixed(1)
  }
}

// Splits each echo round trip at the server's trace events (see codesphere-term --trace):
// client -> "in" -> "input" -> "read" -> "send" -> client. ("written" is not used: a small
// write reaches the client before the server's write completion runs.)
function breakdown () {
  const ev = fs.readFileSync(args.trace, 'utf8').trim().split('\n').map((l) => l.split(' '))
    .map(([t, what, id, n]) => ({ t: BigInt(t), what, id: Number(id), n: Number(n) }))
  const rounds = fs.readFileSync(args.lat, 'utf8').trim().split('\n').map((l) => l.split(' ').map(BigInt))
  // The echo connection sends the most messages; its session writes the most input.
  const most = (what) => {
    const c = new Map()
    for (const e of ev) if (e.what === what) c.set(e.id, (c.get(e.id) ?? 0) + 1)
    return [...c.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]
  }
  const conn = most('in'); const session = most('input')
  const times = (what, id) => ev.filter((e) => e.what === what && e.id === id).map((e) => e.t).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const chain = [times('in', conn), times('input', session), times('read', session), times('send', session)]
  const firstAtOrAfter = (xs, t) => { let lo = 0; let hi = xs.length; while (lo < hi) { const m = (lo + hi) >> 1; if (xs[m] < t) lo = m + 1; else hi = m } return lo < xs.length ? xs[lo] : null }
  const names = ['client_to_server', 'server_to_pty', 'program_and_pty', 'read_to_send', 'send_to_client']
  const seg = Object.fromEntries(names.map((n) => [n, []])); seg.server_total = []; seg.round_trip = []
  let skipped = 0
  for (const [t0, t1] of rounds) {
    const pts = [t0]
    for (const xs of chain) { const t = firstAtOrAfter(xs, pts[pts.length - 1]); if (t === null || t > t1) break; pts.push(t) }
    if (pts.length !== 5) { skipped++; continue }
    pts.push(t1)
    names.forEach((n, i) => seg[n].push(Number(pts[i + 1] - pts[i]) / 1e6))
    seg.server_total.push(Number(pts[4] - pts[1]) / 1e6)
    seg.round_trip.push(Number(t1 - t0) / 1e6)
  }
  const dist = (v) => {
    v.sort((a, b) => a - b)
    const q = (p) => +v[Math.min(v.length - 1, Math.floor(p * v.length))].toFixed(4)
    return v.length ? { p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: +v[v.length - 1].toFixed(4) } : null
  }
  return { mode: 'breakdown', rounds: rounds.length, matched: rounds.length - skipped, segments: Object.fromEntries(Object.entries(seg).map(([k, v]) => [k, dist(v)])) }
}

const median = (xs) => { const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b); if (!v.length) return null; const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2 }

function summarize () {
  const dir = args.dir
  const read = (prefix) => fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.json')).sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))
  const res = {}
  for (const who of ['ours', 'relay']) {
    const load = read(`${who}-load-`)
    const r = { rounds: load.length }
    for (const mode of ['cooked', 'raw']) {
      r[`${mode}_MBps`] = median(load.map((x) => x.rounds[0].tput[mode]?.relay.MBps))
      r[`${mode}_frames`] = median(load.map((x) => x.rounds[0].tput[mode]?.relay.frames))
      r[`${mode}_server_cpu_pct`] = median(load.map((x) => x.rounds[0].tput[mode]?.relay.relay_cpu_pct_of_one_core))
      r[`${mode}_raw_c_MBps`] = median(load.map((x) => x.rounds[0].tput[mode]?.raw_c?.MBps))
      r[`${mode}_raw_c_busy_MBps`] = median(load.map((x) => x.rounds[0].tput[mode]?.raw_c_busy?.MBps))
    }
    for (const m of ['cat', 'kernel']) {
      r[`echo_${m}_p50_ms`] = median(load.map((x) => x.rounds[0].echo[m]?.p50_ms))
      r[`echo_${m}_p99_ms`] = median(load.map((x) => x.rounds[0].echo[m]?.p99_ms))
    }
    const fe = read(`${who}-flood-echo-`)
    r.flood_echo_p50_ms = median(fe.map((x) => x.p50_ms))
    r.flood_echo_p99_ms = median(fe.map((x) => x.p99_ms))
    r.flood_MBps_during_echo = median(fe.map((x) => x.flood_MBps_during))
    const im = read(`${who}-idle-mem`)
    r.idle_per_session_kib = median(im.map((x) => x.per_session_kib))
    r.idle_per_session_beyond_scrollback_kib = median(im.map((x) => x.per_session_beyond_scrollback_kib))
    res[who] = r
  }
  const o = res.ours; const n = res.relay
  const ratio = (a, b) => (a && b ? +(a / b).toFixed(2) : null)
  // Per round, everything measured in that round: ours against the relay and against the
  // raw-PTY C limit (pty_raw, quiet and with one CPU kept busy, measured by the same
  // pty_load.mjs run just before ours). "best" is the higher of the two C figures: on a
  // loaded machine the spinner only takes CPU away, so the busy figure is no ceiling there.
  const byRound = (prefix) => Object.fromEntries(fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => [Number(f.slice(prefix.length, -5)), JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))]))
  const ol = byRound('ours-load-'); const rl = byRound('relay-load-'); const of = byRound('ours-flood-echo-')
  const rf = byRound('relay-flood-echo-'); const ob = byRound('ours-flood-breakdown-'); const ld = byRound('load-')
  const roundNumbers = [...new Set([...Object.keys(ol), ...Object.keys(of), ...Object.keys(ld)].map(Number))].sort((a, b) => a - b)
  res.per_round = roundNumbers.map((r) => {
    const row = { round: r, load: ld[r] ?? null }
    for (const mode of ['cooked', 'raw']) {
      const t = ol[r]?.rounds[0].tput[mode]; if (!t) continue
      const ours = t.relay.MBps; const quiet = t.raw_c?.MBps; const busy = t.raw_c_busy?.MBps
      const relay = rl[r]?.rounds[0].tput[mode]?.relay.MBps
      row[mode] = {
        ours_MBps: ours, relay_MBps: relay ?? null, raw_c_MBps: quiet ?? null, raw_c_busy_MBps: busy ?? null,
        ours_over_relay: ratio(ours, relay), ours_over_raw_c_busy: ratio(ours, busy), ours_over_raw_c: ratio(ours, quiet),
        ours_over_raw_c_best: ratio(ours, Math.max(quiet ?? 0, busy ?? 0))
      }
    }
    row.echo_cat_p99_ms = { ours: ol[r]?.rounds[0].echo.cat?.p99_ms ?? null, relay: rl[r]?.rounds[0].echo.cat?.p99_ms ?? null }
    row.flood_echo = {
      ours_p50_ms: of[r]?.p50_ms ?? null, ours_p99_ms: of[r]?.p99_ms ?? null, relay_p50_ms: rf[r]?.p50_ms ?? null,
      relay_p99_ms: rf[r]?.p99_ms ?? null, p99_ours_over_relay: ratio(of[r]?.p99_ms, rf[r]?.p99_ms)
    }
    if (ob[r]) row.flood_echo.ours_breakdown_p99_ms = Object.fromEntries(Object.entries(ob[r].segments).map(([k, v]) => [k, v?.p99_ms ?? null]))
    return row
  })
  const medOf = (f) => median(res.per_round.map(f))
  res.per_round_medians = {
    cooked_ours_over_raw_c_busy: medOf((x) => x.cooked?.ours_over_raw_c_busy),
    raw_ours_over_raw_c_busy: medOf((x) => x.raw?.ours_over_raw_c_busy),
    cooked_ours_over_raw_c_best: medOf((x) => x.cooked?.ours_over_raw_c_best),
    raw_ours_over_raw_c_best: medOf((x) => x.raw?.ours_over_raw_c_best),
    cooked_ours_over_relay: medOf((x) => x.cooked?.ours_over_relay),
    raw_ours_over_relay: medOf((x) => x.raw?.ours_over_relay),
    flood_echo_p99_ours_over_relay: medOf((x) => x.flood_echo.p99_ours_over_relay),
    cpu_busy_pct: medOf((x) => x.load?.cpu_busy_pct)
  }
  res.ratios = {
    cooked_tput_ours_over_relay: ratio(o.cooked_MBps, n.cooked_MBps),
    raw_tput_ours_over_relay: ratio(o.raw_MBps, n.raw_MBps),
    cooked_tput_ours_over_raw_c_busy: ratio(o.cooked_MBps, o.cooked_raw_c_busy_MBps),
    raw_tput_ours_over_raw_c_busy: ratio(o.raw_MBps, o.raw_raw_c_busy_MBps),
    echo_cat_p99_ours_over_relay: ratio(o.echo_cat_p99_ms, n.echo_cat_p99_ms),
    flood_echo_p99_ours_over_relay: ratio(o.flood_echo_p99_ms, n.flood_echo_p99_ms)
  }
  return res
}

async function main () {
  const mode = args.mode
  if (mode === 'flood') return flood()
  const out = mode === 'flood-echo' ? await floodEcho() : mode === 'idle-mem' ? await idleMem() : mode === 'breakdown' ? breakdown() : mode === 'summarize' ? summarize() : null
  if (!out) throw new Error(`unknown --mode ${mode}`)
  const json = JSON.stringify(out, null, mode === 'summarize' ? 2 : 0)
  console.log(json)
  if (args.out) fs.writeFileSync(args.out, json + '\n')
  log(`${mode} done`)
  process.exit(0)
}
main().catch((e) => { console.error(e); process.exit(2) })
