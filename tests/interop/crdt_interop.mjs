#!/usr/bin/env node
// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Differential interop tests: codesphere::crdt (through the crdt_peer line protocol) against
// the real yjs npm package, in one process tree.
//
//   node crdt_interop.mjs --peer PATH random [--sessions N] [--seed S] [--long]
//       Randomized seeded sessions: 3-6 peers mixing Yjs and ours; concurrent Text inserts,
//       deletes and formats (with emoji, never splitting surrogate pairs), Map sets/deletes,
//       Array inserts of values and nested Y.Map/Y.Text; updates are delivered with random
//       delays, duplicates and reordering. After a full exchange every peer must have the
//       same content and state vector. --long runs 100,000 sessions.
//   node crdt_interop.mjs --peer PATH traces FILE.json.gz...
//       Replays each sequential trace in both; the update each side encodes must load in the
//       other with identical text and state vector.
// Exit status 0 on success; failures print the seed to reproduce.

import * as Y from 'yjs'
import fs from 'node:fs'
import zlib from 'node:zlib'
import readline from 'node:readline'
import { spawn } from 'node:child_process'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : dflt
}
const PEER = opt('--peer', null)
if (!PEER) {
  console.error('--peer PATH is required')
  process.exit(2)
}

// ------------------------------------------------------------------ C++ peer process

class PeerProcess {
  constructor (bin) {
    this.proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.waiting = []
    const rl = readline.createInterface({ input: this.proc.stdout })
    rl.on('line', (line) => { const w = this.waiting.shift(); if (w) w(line) })
    this.proc.on('exit', (code) => {
      for (const w of this.waiting) w(`err\tpeer exited with ${code}`)
      this.waiting = []
      this.dead = true
    })
  }

  cmd (...fields) {
    return new Promise((resolve, reject) => {
      if (this.dead) { reject(new Error('peer process is dead')); return }
      this.waiting.push((line) => {
        const tab = line.indexOf('\t')
        const status = tab < 0 ? line : line.slice(0, tab)
        const payload = tab < 0 ? '' : line.slice(tab + 1)
        if (status === 'ok') resolve(payload)
        else reject(new Error(`crdt_peer ${fields[0]}: ${payload}`))
      })
      this.proc.stdin.write(fields.join('\t') + '\n')
    })
  }

  close () { this.proc.stdin.end() }
}

const toHex = (u8) => Buffer.from(u8).toString('hex')
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'))

// ------------------------------------------------------------------ helpers

const mulberry32 = (a) => () => {
  a |= 0; a = a + 0x6D2B79F5 | 0
  let t = Math.imul(a ^ a >>> 15, 1 | a)
  t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t
  return ((t ^ t >>> 14) >>> 0) / 4294967296
}

const isHigh = (c) => c >= 0xD800 && c <= 0xDBFF
const snap = (s, frac) => {
  const len = s.length
  let i = Math.min(Math.floor(frac * len), len)
  if (i > 0 && i < len && isHigh(s.charCodeAt(i - 1))) i--
  return i
}

// Canonical JSON: object keys sorted recursively (Yjs keeps insertion order, we sort keys).
const canon = (v) => {
  if (Array.isArray(v)) return v.map(canon)
  if (v !== null && typeof v === 'object') {
    const o = {}
    for (const k of Object.keys(v).sort()) o[k] = canon(v[k])
    return o
  }
  return v
}

const svToObj = (u8) => {
  const m = Y.decodeStateVector(u8)
  const o = {}
  for (const [k, v] of [...m.entries()].sort((a, b) => a[0] - b[0])) o[k] = v
  return o
}

// ------------------------------------------------------------------ peers

class JsPeer {
  constructor (client, gc) {
    this.doc = new Y.Doc({ gc })
    this.doc.clientID = client
    this.out = []
    this.doc.on('update', (u, origin) => { if (origin !== 'remote') this.out.push(u) })
    this.kind = 'yjs'
  }

  async apply (u) { Y.applyUpdate(this.doc, u, 'remote') }
  async observe () {
    this.events = []
    const plain = (v) => (v instanceof Y.AbstractType ? v.toJSON() : v)
    for (const [name, type] of [['t', this.doc.getText('t')], ['m', this.doc.getMap('m')], ['arr', this.doc.getArray('arr')]]) {
      type.observe((e, tr) => {
        if (tr.origin !== 'remote') return // Yjs' own formatting clean-up transactions
        const keys = []
        for (const [k, c] of [...e.keys.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
          keys.push([k, c.action, c.oldValue instanceof Y.AbstractType || c.oldValue === undefined ? null : c.oldValue])
        }
        const delta = name === 'm' ? [] : e.delta.map((op) => (op.insert !== undefined && Array.isArray(op.insert) ? { ...op, insert: op.insert.map(plain) } : op))
        this.events.push(JSON.parse(JSON.stringify({ target: name, delta, keys })))
      })
    }
  }

  async takeEvents () { const e = this.events; this.events = []; return e }
  async encode (sv) { return sv ? Y.encodeStateAsUpdate(this.doc, sv) : Y.encodeStateAsUpdate(this.doc) }
  async sv () { return Y.encodeStateVector(this.doc) }
  async drain () { const o = this.out; this.out = []; return o }
  async json () {
    return {
      t: this.doc.getText('t').toDelta(),
      m: this.doc.getMap('m').toJSON(),
      arr: this.doc.getArray('arr').toJSON()
    }
  }

  async op (o) {
    const t = this.doc.getText('t')
    const arr = this.doc.getArray('arr')
    this.doc.transact(() => {
      switch (o.kind) {
        case 'ti': {
          const i = snap(t.toString(), o.frac)
          if (o.attrs) t.insert(i, o.str, o.attrs)
          else t.insert(i, o.str)
          break
        }
        case 'td':
        case 'tf': {
          const s = t.toString()
          const a = snap(s, o.frac)
          const b = snap(s, o.frac + o.lenFrac)
          if (b <= a) break
          if (o.kind === 'td') t.delete(a, b - a)
          else t.format(a, b - a, o.attrs)
          break
        }
        case 'ms': this.doc.getMap('m').set(o.key, o.value); break
        case 'md': this.doc.getMap('m').delete(o.key); break
        case 'ai': {
          const n = arr.length
          arr.insert(Math.min(Math.floor(o.frac * (n + 1)), n), o.values)
          break
        }
        case 'at': {
          const n = arr.length
          arr.insert(Math.min(Math.floor(o.frac * (n + 1)), n), [o.type === 'map' ? new Y.Map() : new Y.Text()])
          break
        }
        case 'ad': {
          const n = arr.length
          if (n === 0) break
          const i = Math.min(Math.floor(o.frac * n), n - 1)
          arr.delete(i, Math.min(o.count, n - i))
          break
        }
        case 'nms':
        case 'nti': {
          const n = arr.length
          if (n === 0) break
          const start = Math.min(Math.floor(o.frac * n), n - 1)
          const want = o.kind === 'nms' ? Y.Map : Y.Text
          for (let k = 0; k < n; k++) {
            const v = arr.get((start + k) % n)
            if (v instanceof want) {
              if (o.kind === 'nms') v.set(o.key, o.value)
              else v.insert(snap(v.toString(), o.frac2), o.str)
              break
            }
          }
          break
        }
      }
    })
  }
}

class CppPeer {
  constructor (proc, id, client, gc) {
    this.p = proc
    this.id = id
    this.kind = 'ours'
    this.ready = proc.cmd('new', id, String(client), gc ? '1' : '0')
  }

  async apply (u) {
    // Every third update travels in format v2 (converted by Yjs) to exercise our v2 decoder.
    this.applied = (this.applied || 0) + 1
    if (this.applied % 3 === 0) await this.p.cmd('apply2', this.id, toHex(Y.convertUpdateFormatV1ToV2(u)))
    else await this.p.cmd('apply', this.id, toHex(u))
  }
  async encode (sv) { return fromHex(await this.p.cmd('encode', this.id, sv ? toHex(sv) : '-')) }
  async sv () { return fromHex(await this.p.cmd('sv', this.id)) }
  async drain () {
    const r = await this.p.cmd('drain', this.id)
    return r === '-' ? [] : r.split(' ').map(fromHex)
  }

  async json () { return JSON.parse(await this.p.cmd('json', this.id)) }
  async free () { await this.p.cmd('free', this.id) }
  async observe () { await this.p.cmd('observe', this.id) }
  async takeEvents () { return JSON.parse(await this.p.cmd('events', this.id)) }

  async op (o) {
    const J = JSON.stringify
    switch (o.kind) {
      case 'ti': return o.attrs ? this.p.cmd('ti', this.id, o.frac, J(o.str), J(o.attrs)) : this.p.cmd('ti', this.id, o.frac, J(o.str))
      case 'td': return this.p.cmd('td', this.id, o.frac, o.lenFrac)
      case 'tf': return this.p.cmd('tf', this.id, o.frac, o.lenFrac, J(o.attrs))
      case 'ms': return this.p.cmd('ms', this.id, J(o.key), J(o.value))
      case 'md': return this.p.cmd('md', this.id, J(o.key))
      case 'ai': return this.p.cmd('ai', this.id, o.frac, J(o.values))
      case 'at': return this.p.cmd('at', this.id, o.frac, o.type)
      case 'ad': return this.p.cmd('ad', this.id, o.frac, String(o.count))
      case 'nms': return this.p.cmd('nms', this.id, o.frac, J(o.key), J(o.value))
      case 'nti': return this.p.cmd('nti', this.id, o.frac, o.frac2, J(o.str))
    }
  }
}

// ------------------------------------------------------------------ random sessions

const WORDS = ['a', 'b', 'xy', 'hello ', '\n', 'é', '😀', 'a😀b', '🎉🎉', 'ß', '中文', ' ', 'Zz']
const KEYS = ['k1', 'k2', 'k3', 'name', 'é', '😀']
const ATTRS = [{ bold: true }, { bold: null }, { italic: true }, { italic: null }, { color: 'red' }, { color: '#00f' }, { bold: true, italic: true }]

const randomValue = (r) => {
  const x = r()
  if (x < 0.2) return Math.floor(r() * 2000) - 1000
  if (x < 0.3) return r() < 0.5 ? 1.5 : -0.25
  if (x < 0.55) return WORDS[Math.floor(r() * WORDS.length)]
  if (x < 0.65) return r() < 0.5
  if (x < 0.7) return null
  if (x < 0.85) return [1, 'two', { three: 3 }]
  return { nested: { k: WORDS[Math.floor(r() * WORDS.length)] }, n: Math.floor(r() * 10) }
}

const randomOp = (r, formats) => {
  let x = r()
  if (!formats && x >= 0.5 && x < 0.58) x = 0.6
  const word = () => WORDS[Math.floor(r() * WORDS.length)]
  if (x < 0.35) return { kind: 'ti', frac: r(), str: word() + (r() < 0.3 ? word() : ''), attrs: formats && r() < 0.15 ? ATTRS[Math.floor(r() * ATTRS.length)] : undefined }
  if (x < 0.5) return { kind: 'td', frac: r(), lenFrac: r() * 0.3 }
  if (x < 0.58) return { kind: 'tf', frac: r(), lenFrac: r() * 0.5, attrs: ATTRS[Math.floor(r() * ATTRS.length)] }
  if (x < 0.68) return { kind: 'ms', key: KEYS[Math.floor(r() * KEYS.length)], value: randomValue(r) }
  if (x < 0.72) return { kind: 'md', key: KEYS[Math.floor(r() * KEYS.length)] }
  if (x < 0.8) return { kind: 'ai', frac: r(), values: [randomValue(r), ...(r() < 0.5 ? [randomValue(r)] : [])] }
  if (x < 0.85) return { kind: 'at', frac: r(), type: r() < 0.5 ? 'map' : 'text' }
  if (x < 0.9) return { kind: 'ad', frac: r(), count: 1 + Math.floor(r() * 3) }
  if (x < 0.95) return { kind: 'nms', frac: r(), key: KEYS[Math.floor(r() * KEYS.length)], value: randomValue(r) }
  return { kind: 'nti', frac: r(), frac2: r(), str: word() }
}

let replicaCounter = 0

const runSession = async (proc, seed) => {
  const r = mulberry32(seed)
  const n = 3 + Math.floor(r() * 4)
  const gc = r() < 0.8
  const used = new Set()
  const peers = []
  for (let i = 0; i < n; i++) {
    let client
    do {
      client = r() < 0.1 ? Math.floor(r() * 2 ** 40) + 2 ** 32 : 1 + Math.floor(r() * 0xFFFFFFFE)
    } while (used.has(client))
    used.add(client)
    const ours = i === 0 ? true : i === 1 ? false : r() < 0.5
    peers.push(ours ? new CppPeer(proc, `s${replicaCounter++}`, client, gc) : new JsPeer(client, gc))
  }
  for (const p of peers) if (p.ready) await p.ready
  // Shadows: a Yjs replica and one of ours that never edit and receive exactly the same
  // updates in the same order; their observer events must be identical. Text deltas are only
  // compared in sessions without formatting, where Yjs runs no clean-up transactions.
  const formats = r() < 0.5
  const shadowJs = new JsPeer(7, gc)
  const shadowOurs = new CppPeer(proc, `s${replicaCounter++}`, 7, gc)
  await shadowOurs.ready
  await shadowJs.observe()
  await shadowOurs.observe()
  let eventMismatch = null
  const feedShadows = async (u) => {
    await shadowJs.apply(u)
    await shadowOurs.apply(u)
    const a = await shadowJs.takeEvents()
    const b = await shadowOurs.takeEvents()
    const norm = (evs) => JSON.stringify(canon(evs.filter((e) => formats ? e.target !== 't' : true).sort((x, y) => (x.target < y.target ? -1 : 1))))
    if (process.env.SHOW_EVENTS) console.log(norm(a), norm(a) === norm(b))
    if (!eventMismatch && norm(a) !== norm(b)) eventMismatch = `yjs events ${norm(a)}\n     ours ${norm(b)}`
  }
  // In-flight messages: {to, update, at}
  let net = []
  let now = 0
  const broadcast = async (from) => {
    for (const u of await from.drain()) {
      await feedShadows(u)
      for (const to of peers) {
        if (to === from) continue
        net.push({ to, u, at: now + Math.floor(r() * 8) })
        if (r() < 0.1) net.push({ to, u, at: now + Math.floor(r() * 12) }) // duplicate
      }
    }
  }
  const deliverDue = async (all) => {
    // Random order among due messages (reordering), possibly leaving gaps (pending structs).
    const due = all ? net : net.filter((m) => m.at <= now)
    net = all ? [] : net.filter((m) => m.at > now)
    for (let i = due.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [due[i], due[j]] = [due[j], due[i]]
    }
    for (const m of due) {
      await m.to.apply(m.u)
      await broadcast(m.to) // Yjs peers may emit formatting clean-ups after remote updates
    }
  }
  const steps = 10 + Math.floor(r() * 30)
  for (let s = 0; s < steps; s++) {
    now++
    const p = peers[Math.floor(r() * peers.length)]
    await p.op(randomOp(r, formats))
    await broadcast(p)
    if (r() < 0.6) await deliverDue(false)
  }
  // Full exchange until quiet.
  for (let round = 0; round < 10; round++) {
    await deliverDue(true)
    for (const a of peers) {
      for (const b of peers) {
        if (a === b) continue
        await b.apply(await a.encode(await b.sv()))
      }
    }
    for (const p of peers) await broadcast(p)
    if (net.length === 0) break
  }
  const views = []
  for (const p of peers) views.push({ kind: p.kind, content: JSON.stringify(canon(await p.json())), sv: JSON.stringify(svToObj(await p.sv())) })
  for (const p of peers) if (p.free) await p.free()
  await shadowOurs.free()
  if (eventMismatch) return `seed ${seed}: observer events differ\n  ${eventMismatch}`
  if (args.includes('--show')) console.log(views.map((x) => `${x.kind}: ${x.content} sv ${x.sv}`).join('\n'))
  for (const v of views) {
    if (v.content !== views[0].content || v.sv !== views[0].sv) {
      return `seed ${seed}: peers diverged\n` + views.map((x) => `  ${x.kind}: ${x.content}\n     sv ${x.sv}`).join('\n')
    }
  }
  return null
}

const randomMain = async () => {
  const long = args.includes('--long')
  const sessions = Number(opt('--sessions', long ? 100000 : 2000))
  const seed0 = Number(opt('--seed', 1))
  const proc = new PeerProcess(PEER)
  let failures = 0
  const t0 = Date.now()
  for (let s = 0; s < sessions; s++) {
    const err = await runSession(proc, seed0 + s)
    if (err) {
      failures++
      console.error(err)
      if (failures >= 5) break
    }
    if ((s + 1) % 1000 === 0) console.log(`${s + 1} sessions, ${failures} failures, ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  proc.close()
  console.log(`random sessions: ${sessions}, failures: ${failures}`)
  process.exit(failures ? 1 : 0)
}

// ------------------------------------------------------------------ traces

const tracesMain = async () => {
  const files = args.filter((a, i) => a.endsWith('.json.gz') && args[i - 1] !== '--peer')
  const proc = new PeerProcess(PEER)
  let failures = 0
  for (const file of files) {
    const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'))
    const doc = new Y.Doc()
    doc.clientID = 1234567890
    const text = doc.getText('text')
    for (const txn of trace.txns) {
      for (const p of txn.patches) {
        doc.transact(() => {
          if (p[1] > 0) text.delete(p[0], p[1])
          if (p[2] !== '') text.insert(p[0], p[2])
        })
      }
    }
    const id = `trace${replicaCounter++}`
    await proc.cmd('new', id, '1234567890', '1')
    await proc.cmd('replay', id, file)
    const ourText = JSON.parse(await proc.cmd('text', id, 'text'))
    const ours = fromHex(await proc.cmd('encode', id, '-'))
    const theirs = Y.encodeStateAsUpdate(doc)
    const problems = []
    if (text.toString() !== trace.endContent) problems.push('yjs text != endContent')
    if (ourText !== trace.endContent) problems.push('our text != endContent')
    // Our update into a fresh Yjs doc.
    const y2 = new Y.Doc()
    Y.applyUpdate(y2, ours)
    if (y2.getText('text').toString() !== trace.endContent) problems.push('our update loaded in yjs: text differs')
    if (JSON.stringify(svToObj(Y.encodeStateVector(y2))) !== JSON.stringify(svToObj(Y.encodeStateVector(doc)))) problems.push('our update loaded in yjs: state vector differs')
    // Yjs update into a fresh doc of ours.
    const id2 = `trace${replicaCounter++}`
    await proc.cmd('new', id2, '42', '1')
    await proc.cmd('apply', id2, toHex(theirs))
    if (JSON.parse(await proc.cmd('text', id2, 'text')) !== trace.endContent) problems.push('yjs update loaded in ours: text differs')
    if (toHex(fromHex(await proc.cmd('sv', id2))) !== toHex(Y.encodeStateVector(doc))) problems.push('yjs update loaded in ours: state vector differs')
    const identical = Buffer.compare(Buffer.from(ours), Buffer.from(theirs)) === 0
    const ours2 = fromHex(await proc.cmd('encode2', id))
    const theirs2 = Y.encodeStateAsUpdateV2(doc)
    if (Buffer.compare(Buffer.from(ours2), Buffer.from(theirs2)) !== 0) problems.push(`v2 bytes differ (ours ${ours2.length}, yjs ${theirs2.length})`)
    const id3 = `trace${replicaCounter++}`
    await proc.cmd('new', id3, '43', '1')
    await proc.cmd('apply2', id3, toHex(theirs2))
    if (JSON.parse(await proc.cmd('text', id3, 'text')) !== trace.endContent) problems.push('yjs v2 update loaded in ours: text differs')
    await proc.cmd('free', id3)
    // Same client id and the same merging rules: the full-state bytes must match Yjs exactly.
    if (!identical) problems.push('encoded v1 bytes differ from yjs')
    console.log(`${file.split('/').pop()}: ${problems.length ? 'FAIL ' + problems.join('; ') : 'ok'}; v1 bytes ours ${ours.length} yjs ${theirs.length}${identical ? ' (identical)' : ''}; v2 bytes ${ours2.length}`)
    if (problems.length) failures++
    await proc.cmd('free', id)
    await proc.cmd('free', id2)
  }
  proc.close()
  process.exit(failures ? 1 : 0)
}

if (args.includes('traces')) await tracesMain()
else await randomMain()
