// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The anchor of replay.py: the same trace replayed into the real Yjs (the pinned yjs of
// tests/interop), one transaction per patch, client id 1234567890. Prints {"replay_ms": …}.
//
//   node yjs_replay.mjs TRACE.json.gz
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.CODESPHERE_SOURCE_DIR || path.resolve(here, '../..');
const Y = createRequire(path.join(root, 'tests/interop/package.json'))('yjs');

const trace = JSON.parse(zlib.gunzipSync(fs.readFileSync(process.argv[2])));
const doc = new Y.Doc();
doc.clientID = 1234567890;
const text = doc.getText('text');
const start = performance.now();
for (const txn of trace.txns) {
  for (const [pos, del, ins] of txn.patches) {
    doc.transact(() => {
      if (del > 0) text.delete(pos, del);
      if (ins.length > 0) text.insert(pos, ins);
    });
  }
}
const ms = performance.now() - start;
if (text.toString() !== trace.endContent) throw new Error('Yjs replay diverged');
console.log(JSON.stringify({ replay_ms: ms }));
