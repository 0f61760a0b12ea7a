// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Reference server for bench/net/net_fanout_load: the same fan-out protocol on Node `ws`
// (what y-websocket's server is built on), without any CRDT work. Every message received on
// /room/<name> is sent to every connection of that room, the sender included.
// Environment: HOST (default 127.0.0.1), PORT (required).
import { WebSocketServer } from 'ws';

const rooms = new Map();
const wss = new WebSocketServer({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT) });
wss.on('connection', (ws, req) => {
  const name = req.url;
  let room = rooms.get(name);
  if (!room) rooms.set(name, (room = new Set()));
  room.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const peer of room) peer.send(data, { binary: isBinary });
  });
  ws.on('close', () => room.delete(ws));
});
process.on('SIGTERM', () => process.exit(0));
