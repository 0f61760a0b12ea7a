// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Prints a markdown table comparing codesphere-collab with the reference servers from the
// *-summary.json files collab_bench.mjs wrote. Usage: node summarize_collab.mjs DIR a b c
import fs from 'node:fs'
import path from 'node:path'

const [dir, ...scenarios] = process.argv.slice(2)
const servers = ['codesphere', 'y-websocket-1.5.4', 'y-websocket-server-0.1.1']
const load = (name, sc) => {
  const f = path.join(dir, `${name}-${sc}-summary.json`)
  if (!fs.existsSync(f)) return null
  const medians = JSON.parse(fs.readFileSync(f, 'utf8')).medians
  return medians
}
const m = (s, k) => (s && s[k] ? s[k].median : null)
const fmt = (v, d = 1) => (v == null ? 'n/a' : typeof v === 'string' ? v : Number(v).toLocaleString('en-US', { maximumFractionDigits: d }))
const ratio = (a, b) => (typeof a !== 'number' || typeof b !== 'number' || b === 0 ? 'n/a' : (a / b).toFixed(2) + '×')
// Server CPU seconds per delivered update, in microseconds.
const cpuPerDelivery = (s) => {
  const cpu = m(s, 'cpu.server_pct_of_one_core'); const d = m(s, 'delivery.delivered_per_s_in_window')
  return cpu == null || !d ? null : (cpu / 100) / d * 1e6
}
const rows = {
  a: [['delivered updates/s', 'delivery.delivered_per_s_in_window'], ['all-peers p99 ms', 'all_peers.p99_ms'],
    ['server CPU % of a core', 'cpu.server_pct_of_one_core'], ['server CPU µs per delivery', cpuPerDelivery],
    ['undelivered after drain', 'errors.undelivered_after_drain']],
  b: [['RSS per idle room KB', 'server_rss.idle_delta_per_room_kb'], ['RSS per idle connection KB', 'server_rss.idle_delta_per_connection_kb'],
    ['all-peers p99 ms', 'all_peers.p99_ms'], ['server CPU % of a core', 'cpu.server_pct_of_one_core']],
  c: [['highest passing rate, edits/s per client', 'best_rate_per_client'],
    ['best sustained deliveries/s at p99 ≤ 50 ms', 'best_delivered_per_s'], ['its all-peers p99 ms', 'best_all_p99_ms'],
    ['edits/s', 'best_edits_per_s'],
    // The driver shares the 2 cores: CPU of both at the best passing step (first sweep).
    ['server CPU % of a core at that rate', (s) => bestStep(s)?.server_cpu],
    ['driver CPU % of a core at that rate', (s) => bestStep(s)?.driver_cpu],
    ['first failing rate per client', (s) => firstFail(s)?.rate],
    ['  its all-peers p99 ms', (s) => firstFail(s)?.all_p99],
    ['  its server / driver CPU %', (s) => (firstFail(s) ? `${fmt(firstFail(s).server_cpu)} / ${fmt(firstFail(s).driver_cpu)}` : null)]]
}
// Steps of the first sweep of scenario (c).
const sweepSteps = (s) => (s && s.sweeps && s.sweeps[0]) || []
const bestStep = (s) => {
  const best = m(s, 'best_rate_per_client')
  return sweepSteps(s).find((st) => st.rate === best && st.pass)
}
const firstFail = (s) => {
  const best = m(s, 'best_rate_per_client') ?? 0
  return sweepSteps(s).filter((st) => !st.pass && st.rate > best).sort((a, b) => a.rate - b.rate)[0]
}
for (const sc of scenarios) {
  const data = Object.fromEntries(servers.map((s) => [s, load(s, sc)]))
  console.log(`\n### Scenario (${sc})\n`)
  console.log('| metric | codesphere | y-websocket 1.5.4 | @y/websocket-server 0.1.1 | ratio vs 1.5.4 | ratio vs 0.1.1 |')
  console.log('|---|---|---|---|---|---|')
  for (const [label, key] of rows[sc] ?? []) {
    const v = (s) => (typeof key === 'function' ? key(data[s]) : m(data[s], key))
    const [c, y1, y2] = servers.map(v)
    console.log(`| ${label} | ${fmt(c)} | ${fmt(y1)} | ${fmt(y2)} | ${ratio(c, y1)} | ${ratio(c, y2)} |`)
  }
}
