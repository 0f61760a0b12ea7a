# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Interop: a Python Doc and a Node Yjs Doc exchange updates both ways and converge."""

import base64
import json
import os
import random
import shutil
import subprocess
import unittest
from pathlib import Path

from codesphere import crdt
from support import utf16_offsets

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("CODESPHERE_SOURCE_DIR", HERE.parent.parent.parent))
YJS = ROOT / "tests" / "interop" / "node_modules" / "yjs"
PIECES = ["b", "Q", " ", "ü", "🎉", "🧑‍🚀", "abc", "日本"]


def b64(data):
    return base64.b64encode(data).decode()


class YjsPeer:
    def __init__(self):
        env = dict(os.environ, CODESPHERE_SOURCE_DIR=str(ROOT))
        self.proc = subprocess.Popen(["node", str(HERE / "yjs_peer.mjs")], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def call(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("yjs peer exited with %s" % self.proc.wait())
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()
        self.proc.stdout.close()



def python_edits(doc, rng, count):
    text, m = doc.get_text("t"), doc.get_map("m")
    for i in range(count):
        s = str(text)
        offsets = utf16_offsets(s)
        r = rng.random()
        if r < 0.25 and s:
            k = rng.randrange(len(s))
            end = min(len(s), k + 1 + rng.randrange(3))
            text.delete(offsets[k], offsets[end] - offsets[k])
        elif r < 0.85:
            text.insert(rng.choice(offsets), rng.choice(PIECES))
        else:
            m["k%d" % rng.randrange(5)] = {"py": i, "s": rng.choice(PIECES)}


@unittest.skipUnless(shutil.which("node") and YJS.is_dir(),
                     "needs node and tests/interop/node_modules (npm ci in tests/interop)")
class YjsInteropTest(unittest.TestCase):
    def setUp(self):
        self.peer = YjsPeer()
        self.addCleanup(self.peer.close)

    def test_random_edits_with_emoji_converge_both_ways(self):
        rng = random.Random(2026)
        doc = crdt.Doc(client_id=1001)
        outbox = []
        doc.observe_update(lambda update, origin: origin != "yjs" and outbox.append(update))
        for round_ in range(25):
            python_edits(doc, rng, rng.randint(1, 8))
            node = self.peer.call(op="edit", seed=round_ * 7919 + 1, count=rng.randint(1, 8))
            # Deliver concurrently made edits in both directions, Python's one by one.
            for update in outbox:
                self.peer.call(op="apply", update=b64(update))
            outbox.clear()
            doc.apply_update(base64.b64decode(node["update"]), origin="yjs")
        state = self.peer.call(op="state")
        self.assertEqual(str(doc.get_text("t")), state["text"])
        self.assertEqual(doc.get_map("m").to_json(), state["map"])
        self.assertTrue(any(ord(c) > 0xFFFF for c in state["text"]), "no emoji survived")
        # A full state exchange changes nothing on either side.
        self.peer.call(op="apply", update=b64(doc.encode_state_as_update()))
        doc.apply_update(base64.b64decode(self.peer.call(op="state")["update"]), origin="yjs")
        final = self.peer.call(op="state", sv=b64(doc.encode_state_vector()))
        self.assertEqual(str(doc.get_text("t")), final["text"])
        missing = crdt.Doc(client_id=1)
        missing.apply_update(base64.b64decode(final["update"]))
        self.assertEqual(str(missing.get_text("t")), "")  # nothing was missing

    def test_state_as_update_from_yjs_loads_in_python(self):
        self.peer.call(op="edit", seed=5, count=50)
        state = self.peer.call(op="state")
        doc = crdt.Doc(client_id=7)
        doc.apply_update(base64.b64decode(state["update"]))
        self.assertEqual(str(doc.get_text("t")), state["text"])
        self.assertEqual(crdt.encode_state_vector_from_update(base64.b64decode(state["update"])),
                         doc.encode_state_vector())


if __name__ == "__main__":
    unittest.main()
