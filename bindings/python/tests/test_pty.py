# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.pty: terminals you can write to and read from."""

import signal
import unittest

import codesphere

try:
    from codesphere import pty
except ImportError:
    pty = None


def read_until(term, needle):
    out = b""
    while needle not in out:
        chunk = term.read()
        if not chunk:
            break
        out += chunk
    return out


@unittest.skipIf(pty is None, "pty not built")
class PtyTest(unittest.TestCase):
    def test_shell_round_trip(self):
        with pty.Pty(["sh"], env=["PATH=/usr/bin:/bin", "PS1=$ "], cols=100, rows=30) as term:
            self.assertGreater(term.pid, 0)
            self.assertEqual(term.size, (100, 30))
            term.write(b"stty size; echo $((6*7))\n")
            out = read_until(term, b"42\r\n")
            self.assertIn(b"30 100", out)
            self.assertIn(b"42\r\n", out)
            term.resize(120, 40)
            self.assertEqual(term.size, (120, 40))
            term.write(b"exit 3\n")
            read_until(term, b"never printed")  # until end of output
            status = term.wait()
            self.assertEqual((status.code, status.signal), (3, 0))

    def test_signal_and_kill(self):
        with pty.Pty(["sleep", "60"]) as term:
            term.kill(signal.SIGTERM)
            self.assertEqual(term.wait().signal, signal.SIGTERM)

    def test_errors(self):
        with self.assertRaises(codesphere.Error):
            pty.Pty(["/no/such/program"])
        with self.assertRaises(ValueError):
            pty.Pty([])
        with self.assertRaises(ValueError):
            pty.parse_signal("SEGV")
        self.assertEqual(pty.parse_signal("INT"), signal.SIGINT)
        with pty.Pty(["cat"]) as term:
            with self.assertRaises(ValueError):
                term.resize(0, 10)


if __name__ == "__main__":
    unittest.main()
