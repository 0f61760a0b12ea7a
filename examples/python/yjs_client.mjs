// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The Yjs side of collab_client.py --demo: a Node y-websocket-protocol client (yjs, y-protocols
// and ws from tests/interop/node_modules) that appends a line to the shared text "t", waits
// until the text contains every expected string, and prints the text as JSON.
//
//   node yjs_client.mjs ws://127.0.0.1:PORT/room "my line" "expected" ...
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.CODESPHERE_SOURCE_DIR || path.resolve(here, '../..');
const require = createRequire(path.join(root, 'tests/interop/package.json'));
const Y = require('yjs');
const syncProtocol = require('y-protocols/sync');
const encoding = require('lib0/encoding');
const decoding = require('lib0/decoding');
const WebSocket = require('ws');

const [url, line, ...expected] = process.argv.slice(2);
const doc = new Y.Doc();
const text = doc.getText('t');
const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';

const send = (build) => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);  // messageSync
  build(e);
  ws.send(encoding.toUint8Array(e));
};
doc.on('update', (update, origin) => {
  if (origin !== ws) send((e) => syncProtocol.writeUpdate(e, update));
});
let wrote = false;
const done = () => {
  console.log(JSON.stringify(text.toString()));
  ws.close();
};
const timer = setTimeout(done, 15000);
ws.on('open', () => send((e) => syncProtocol.writeSyncStep1(e, doc)));
ws.on('message', (data) => {
  const d = decoding.createDecoder(new Uint8Array(data));
  if (decoding.readVarUint(d) !== 0) return;  // awareness etc.
  const reply = encoding.createEncoder();
  encoding.writeVarUint(reply, 0);
  const type = syncProtocol.readSyncMessage(d, reply, doc, ws);
  if (encoding.length(reply) > 1) ws.send(encoding.toUint8Array(reply));
  if (type === syncProtocol.messageYjsSyncStep2 && !wrote) {
    wrote = true;
    text.insert(text.length, line + '\n');
  }
  if (wrote && expected.every((s) => text.toString().includes(s))) {
    clearTimeout(timer);
    done();  // ws sends queued frames before its close frame
  }
});
