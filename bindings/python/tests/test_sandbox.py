# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.sandbox: specs, launching, running, waiting and stopping."""

import os
import signal
import socket
import tempfile
import unittest
from pathlib import Path

import codesphere

try:
    from codesphere import sandbox
except ImportError:
    sandbox = None


def isolating_launcher():
    """The namespace launcher when this host supports it, else None (tests then skip)."""
    try:
        sandbox.probe_linux_namespace_support()
        return sandbox.linux_namespace_launcher()
    except codesphere.Error:
        return None


@unittest.skipIf(sandbox is None, "sandbox not built")
class SpecTest(unittest.TestCase):
    def test_default_spec_round_trips_through_json(self):
        spec = sandbox.Spec.default("/tmp")
        spec.limits.memory_bytes = sandbox.parse_byte_size("256M")
        spec.env = dict(spec.env, GREETING="hi")  # fields are copied: assign whole values
        spec.validate()
        again = sandbox.Spec.from_json(spec.to_json())
        self.assertEqual(again.limits.memory_bytes, 256 << 20)
        self.assertEqual(again.env["GREETING"], "hi")
        self.assertEqual(again.rootfs.workspace, "/tmp")

    def test_invalid_specs_raise(self):
        spec = sandbox.Spec.default("/tmp")
        spec.cwd = "relative/path"
        with self.assertRaises(codesphere.InvalidArgumentError):
            spec.validate()
        with self.assertRaises(codesphere.Error):
            sandbox.Spec.from_json("{not json")
        with self.assertRaises(ValueError):
            sandbox.parse_byte_size("12 parsecs")


@unittest.skipIf(sandbox is None, "sandbox not built")
class ProcessLauncherTest(unittest.TestCase):
    """The unisolated launcher runs everywhere; it checks the binding, not the isolation."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.launcher = sandbox.process_launcher_without_isolation()

    def test_run_collects_output_and_exit_code(self):
        with self.launcher.start(sandbox.Spec.default(self.tmp.name)) as box:
            out = box.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
            self.assertEqual(out["stdout"], b"out\n")
            self.assertEqual(out["stderr"], b"err\n")
            self.assertEqual(out["status"].exit_code, 3)
            self.assertFalse(out["status"].success)

    def test_output_limit_kills(self):
        with self.launcher.start(sandbox.Spec.default(self.tmp.name)) as box:
            out = box.run(["sh", "-c", "yes"], output_limit=10000)
            self.assertTrue(out["status"].output_limit_exceeded)
            self.assertLessEqual(len(out["stdout"]), 10000)

    def test_spawn_pipe_signal_wait(self):
        with self.launcher.start(sandbox.Spec.default(self.tmp.name)) as box:
            proc = box.spawn(["cat"], stdin="pipe", stdout="pipe")
            w, r = os.fdopen(proc.take_stdin(), "wb"), os.fdopen(proc.take_stdout(), "rb")
            w.write(b"ping\n")
            w.close()
            self.assertEqual(r.read(), b"ping\n")
            r.close()
            self.assertTrue(proc.wait().success)
            sleeper = box.spawn(["sleep", "60"])
            with self.assertRaises(codesphere.DeadlineExceededError):
                sleeper.wait(timeout=0.05)
            sleeper.signal(signal.SIGTERM)
            self.assertEqual(sleeper.wait().signal, signal.SIGTERM)
            with self.assertRaises(codesphere.NotFoundError):
                box.spawn(["/definitely/not/here"]).wait()

    def test_connect_reaches_a_server_inside(self):
        server = ("import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(1); "
                  "print(s.getsockname()[1], flush=True); c,_=s.accept(); c.sendall(b'hi'); c.close()")
        with self.launcher.start(sandbox.Spec.default(self.tmp.name)) as box:
            proc = box.spawn(["python3", "-c", server], stdout="pipe")
            with os.fdopen(proc.take_stdout(), "rb") as out:
                port = int(out.readline())
                with socket.socket(fileno=box.connect(port)) as conn:
                    self.assertEqual(conn.recv(16), b"hi")
            self.assertTrue(proc.wait().success)
            with self.assertRaises(codesphere.UnavailableError):
                box.connect(port, timeout=2)

    def test_wall_time_limit(self):
        spec = sandbox.Spec.default(self.tmp.name)
        spec.limits.wall_time_ms = 100
        with self.launcher.start(spec) as box:
            status = box.run(["sleep", "30"])["status"]
            self.assertTrue(status.wall_time_exceeded)


@unittest.skipIf(sandbox is None, "sandbox not built")
class LinuxNamespaceLauncherTest(unittest.TestCase):
    def test_isolated_run(self):
        launcher = isolating_launcher()
        if launcher is None:
            self.skipTest("this host cannot run namespace sandboxes (needs root, cgroups)")
        with tempfile.TemporaryDirectory() as tmp:
            spec = sandbox.Spec.default(tmp)
            spec.limits.wall_time_ms = 20000
            with launcher.start(spec) as box:
                out = box.run(["sh", "-c", "id -u; hostname; ls /workspace; echo hi > /workspace/f"])
                self.assertTrue(out["status"].success, out)
                uid, host = out["stdout"].decode().split("\n")[:2]
                self.assertNotEqual(uid, "0")
                self.assertEqual(host, "sandbox")
                self.assertIn("pids", box.stats())
            self.assertEqual(Path(tmp, "f").read_text(), "hi\n")

    def test_capped_workspace_fills_up_at_its_size(self):
        launcher = isolating_launcher()
        if launcher is None:
            self.skipTest("this host cannot run namespace sandboxes (needs root, cgroups)")
        try:
            sandbox.probe_workspace_volume_support()
        except codesphere.Error as e:
            self.skipTest(f"this host cannot cap workspaces: {e}")
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o755)  # the sandbox's own uid must reach ws/ to bind it
            workspace = Path(tmp, "ws")
            workspace.mkdir()
            spec = sandbox.Spec.default(str(workspace))
            spec.limits.wall_time_ms = 20000
            rootfs = spec.rootfs  # fields are copied: assign the whole value back
            rootfs.workspace_size_bytes = 32 << 20
            rootfs.workspace_image = str(Path(tmp, "ws.img"))
            spec.rootfs = rootfs
            with launcher.start(spec) as box:
                out = box.run(["sh", "-c",
                               "i=0; while [ $i -lt 16 ]; do "
                               "head -c 4194304 /dev/zero > /workspace/f$i || exit 7; "
                               "i=$((i+1)); done"])
                self.assertEqual(out["status"].exit_code, 7, out)
                stats = box.stats()
                self.assertGreater(stats["workspace_size_bytes"], 0)
                self.assertLessEqual(stats["workspace_used_bytes"], 32 << 20)
            # The image holds the data; it stays within the cap on the host.
            self.assertLessEqual(Path(tmp, "ws.img").stat().st_blocks * 512, 34 << 20)


if __name__ == "__main__":
    unittest.main()
