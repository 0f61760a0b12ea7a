# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Self-test: check_deps.py flags each kind of violation and accepts a clean tree."""
import os
import tempfile
import unittest

import check_deps


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class CheckDepsTest(unittest.TestCase):
    def tree(self, files):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        for rel, text in files.items():
            write(d.name, rel, text)
        return check_deps.check_tree(d.name)

    def test_clean_tree_passes(self):
        self.assertEqual(self.tree({
            "include/codesphere/sync/room.h": '#include "codesphere/crdt/doc.h"\n#include <asio.hpp>\n',
            "src/sync/room.cc": '#include "sync/internal.h"\n#include "codesphere/base/status.h"\n',
            "src/net/server.cc": '#include <websocketpp/server.hpp>\n',
        }), [])

    def test_upward_dependency_fails(self):
        p = self.tree({"src/crdt/doc.cc": '#include "codesphere/sync/room.h"\n'})
        self.assertEqual(len(p), 1)
        self.assertIn("must not include 'codesphere/sync/room.h'", p[0])

    def test_sibling_dependency_fails(self):
        p = self.tree({"include/codesphere/pty/pty.h": '#include "codesphere/sandbox/spec.h"\n'})
        self.assertEqual(len(p), 1)

    def test_private_header_of_other_module_fails(self):
        p = self.tree({"src/sync/room.cc": '#include "crdt/block.h"\n'})
        self.assertIn("private header", p[0])

    def test_forbidden_public_includes(self):
        p = self.tree({
            "include/codesphere/net/websocket.h": "#include <websocketpp/config/asio.hpp>\n",
            "include/codesphere/auth/keys.h": "#include <sodium.h>\n",
            "include/codesphere/filesync/x.h": "#include <zstd.h>\n#include <cereal/cereal.hpp>\n",
            "include/codesphere/crdt/doc.h": "#include <asio.hpp>\n",
        })
        self.assertEqual(len(p), 5, p)

    def test_unknown_module_is_reported(self):
        p = self.tree({"src/extra/x.cc": "\n"})
        self.assertIn("unknown module", p[0])


if __name__ == "__main__":
    unittest.main()
