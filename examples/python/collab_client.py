#!/usr/bin/env python3
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""A Python client of a codesphere collaboration room (y-websocket protocol).

    collab_client.py ws://127.0.0.1:1234/my-room [--name ada] [--line "hello from Python"]
    collab_client.py --demo [--server build/examples/collab-server/codesphere-collab]

It joins the room, syncs the shared text "t", appends a line, prints the document as it
changes, and exits once it has seen `--expect` (or after `--seconds`). `--demo` starts
`codesphere-collab` on a free port plus a Node Yjs client (yjs_client.mjs) in the same room,
and checks that both end with the same text. Only the standard library and codesphere are
used: the WebSocket client below is a minimal RFC 6455 client (binary frames, ping/pong,
close), enough for y-websocket.
"""

import argparse
import asyncio
import base64
import json
import os
import re
import struct
import subprocess
import sys
import urllib.parse
from pathlib import Path

from codesphere import crdt, sync

ROOT = Path(__file__).resolve().parents[2]


class WebSocket:
    """A minimal asyncio WebSocket client (RFC 6455) for binary messages."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, url):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "ws":
            raise ValueError("only ws:// URLs are supported")
        reader, writer = await asyncio.open_connection(u.hostname, u.port or 80)
        key = base64.b64encode(os.urandom(16)).decode()
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not re.match(rb"HTTP/1\.1 101", head):
            raise ConnectionError("handshake refused: " + head.split(b"\r\n")[0].decode())
        return cls(reader, writer)

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(header + mask + masked)

    async def send(self, data):
        self._frame(0x2, data)
        await self.writer.drain()

    async def recv(self):
        """The next binary message, or None once the connection closed."""
        message = b""
        while True:
            try:
                b0, b1 = await self.reader.readexactly(2)
            except asyncio.IncompleteReadError:
                return None
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await self.reader.readexactly(n)  # servers never mask
            opcode = b0 & 0x0F
            if opcode == 0x8:
                return None
            if opcode == 0x9:
                self._frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if b0 & 0x80:
                    return message

    async def close(self):
        self._frame(0x8, struct.pack("!H", 1000))
        await self.writer.drain()
        self.writer.close()


async def run_client(url, name, line, expect, seconds):
    doc = crdt.Doc()
    text = doc.get_text("t")
    awareness = sync.Awareness(doc.client_id)
    ws = await WebSocket.connect(url)
    outbox = asyncio.Queue()
    doc.observe_update(lambda update, origin: origin != "remote" and
                       outbox.put_nowait(sync.encode_update(update)))

    async def writer():
        while True:
            await ws.send(await outbox.get())

    writer_task = asyncio.create_task(writer())
    await ws.send(sync.encode_sync_step1(doc.encode_state_vector()))
    awareness.set_local_state({"user": {"name": name}})
    await ws.send(sync.encode_awareness(awareness.encode_update([doc.client_id])))

    synced = False
    deadline = asyncio.get_running_loop().time() + seconds
    try:
        while True:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                break
            try:
                frame = await asyncio.wait_for(ws.recv(), timeout)
            except asyncio.TimeoutError:
                break
            if frame is None:
                break
            message = sync.decode_message(frame)
            if isinstance(message, sync.SyncStep1):
                await ws.send(sync.encode_sync_step2(
                    doc.encode_state_as_update(message.state_vector)))
            elif isinstance(message, (sync.SyncStep2, sync.Update)):
                doc.apply_update(message.update, origin="remote")
                print(f"[{name}] {str(text)!r}", flush=True)
                if isinstance(message, sync.SyncStep2) and not synced:
                    synced = True
                    text.insert(len(text), line + "\n")  # sent by the update callback
            elif isinstance(message, sync.AwarenessMessage):
                awareness.apply_update(message.update)
            elif isinstance(message, sync.PermissionDenied):
                print(f"[{name}] permission denied: {message.reason}", file=sys.stderr)
            if synced and expect and all(e in str(text) for e in expect):
                break
        # Let the writer drain what our edits produced.
        while not outbox.empty():
            await asyncio.sleep(0)
        await asyncio.sleep(0)
    finally:
        writer_task.cancel()
        await ws.close()
    return str(text)


def demo(server_path, seconds):
    server = subprocess.Popen([server_path, "--port", "0"], stdout=subprocess.PIPE, text=True,
                              stderr=subprocess.DEVNULL)
    try:
        url = re.search(r"ws://\S+", server.stdout.readline()).group(0) + "/demo-room"
        node = subprocess.Popen(["node", str(Path(__file__).with_name("yjs_client.mjs")), url,
                                 "hello from Yjs", "hello from Python"],
                                stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ, CODESPHERE_SOURCE_DIR=str(ROOT)))
        mine = asyncio.run(run_client(url, "python", "hello from Python",
                                      ["hello from Yjs", "hello from Python"], seconds))
        theirs = json.loads(node.communicate(timeout=seconds)[0].strip().splitlines()[-1])
        print("python sees:", repr(mine))
        print("yjs sees:   ", repr(theirs))
        ok = mine == theirs
        print("converged" if ok else "DIVERGED")
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("url", nargs="?", help="ws://host:port/room")
    ap.add_argument("--name", default="python")
    ap.add_argument("--line", default="hello from Python")
    ap.add_argument("--expect", action="append", default=[],
                    help="exit once the text contains this (repeatable)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--server", default=str(ROOT / "build/examples/collab-server/codesphere-collab"))
    args = ap.parse_args()
    if args.demo:
        return demo(args.server, args.seconds)
    if not args.url:
        ap.error("a room URL (or --demo) is required")
    final = asyncio.run(run_client(args.url, args.name, args.line, args.expect, args.seconds))
    print(final, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
