// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A Node Yjs peer for test_interop.py, driven by JSON lines on stdin (one reply line each):
//   {"op":"apply","update":B64}            applies an update from Python
//   {"op":"edit","seed":N,"count":K}       K random edits (text with emoji, map); replies
//                                          {"update":B64} of what changed
//   {"op":"state","sv":B64}                replies {"update":B64,"text":S,"map":{...}}
// Uses the pinned yjs of tests/interop (npm ci there).
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.CODESPHERE_SOURCE_DIR || path.resolve(here, '../../..');
const require = createRequire(path.join(root, 'tests/interop/package.json'));
const Y = require('yjs');

const doc = new Y.Doc();
doc.clientID = Number(process.env.YJS_CLIENT_ID || 4242);
const text = doc.getText('t');
const map = doc.getMap('m');
const pieces = ['a', 'Z', ' ', 'é', '😀', '👩‍💻', 'xyz', '中文'];

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

// UTF-16 offsets of code point boundaries, so edits never split a surrogate pair.
function boundaries(s) {
  const out = [0];
  let n = 0;
  for (const ch of s) {
    n += ch.length;
    out.push(n);
  }
  return out;
}

const b64 = (u8) => Buffer.from(u8).toString('base64');
const u8 = (s) => new Uint8Array(Buffer.from(s, 'base64'));

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const cmd = JSON.parse(line);
  let reply;
  if (cmd.op === 'apply') {
    Y.applyUpdate(doc, u8(cmd.update), 'python');
    reply = { ok: true };
  } else if (cmd.op === 'edit') {
    const rand = rng(cmd.seed);
    const updates = [];
    const onUpdate = (u) => updates.push(u);
    doc.on('update', onUpdate);
    for (let i = 0; i < cmd.count; i++) {
      const b = boundaries(text.toString());
      const r = rand();
      if (r < 0.25 && b.length > 1) {
        const k = Math.floor(rand() * (b.length - 1));
        const end = Math.min(b.length - 1, k + 1 + Math.floor(rand() * 3));
        text.delete(b[k], b[end] - b[k]);
      } else if (r < 0.85) {
        text.insert(b[Math.floor(rand() * b.length)], pieces[Math.floor(rand() * pieces.length)]);
      } else {
        map.set('k' + Math.floor(rand() * 5), { js: i, s: pieces[Math.floor(rand() * pieces.length)] });
      }
    }
    doc.off('update', onUpdate);
    reply = { update: b64(Y.mergeUpdates(updates)) };
  } else if (cmd.op === 'state') {
    reply = {
      update: b64(Y.encodeStateAsUpdate(doc, cmd.sv ? u8(cmd.sv) : undefined)),
      text: text.toString(),
      map: map.toJSON(),
    };
  } else {
    reply = { error: 'unknown op ' + cmd.op };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
});
