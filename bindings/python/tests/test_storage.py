# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.storage and codesphere.filesync: object stores, snapshot and restore."""

import os
import tempfile
import unittest
from pathlib import Path

import codesphere

try:
    from codesphere import filesync, storage
except ImportError as e:  # built without these modules
    storage = filesync = None
    MISSING = str(e)


@unittest.skipIf(storage is None, "storage/filesync not built")
class ObjectStoreTest(unittest.TestCase):
    def check_store(self, store):
        gen = store.put("a/b", b"one")
        value, info = store.get("a/b")
        self.assertEqual(value, b"one")
        self.assertEqual(info["generation"], gen)
        self.assertEqual(info["size"], 3)
        with self.assertRaises(codesphere.FailedPreconditionError):
            store.put("a/b", b"x", if_none_match=True)
        gen2 = store.put("a/b", b"two", if_match=gen)
        with self.assertRaises(codesphere.FailedPreconditionError):
            store.put("a/b", b"three", if_match=gen)  # lost the race
        self.assertEqual(store.get("a/b", offset=1, length=1)[0], b"w")
        store.put("a/c", bytearray(b"c"))
        self.assertEqual([i["key"] for i in store.list("a/")], ["a/b", "a/c"])
        store.delete("a/b", if_match=gen2)
        with self.assertRaises(codesphere.NotFoundError):
            store.get("a/b")
        with self.assertRaises(LookupError):
            store.stat("a/b")
        with self.assertRaises(ValueError):
            store.put("../escape", b"x")

    def test_memory_store(self):
        self.check_store(storage.ObjectStore.memory())

    def test_local_dir_store(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.check_store(storage.ObjectStore.local_dir(tmp, fsync=False))
            self.assertTrue((Path(tmp) / "a" / "c").is_file())

    def test_missing_root(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaises(codesphere.NotFoundError):
                storage.ObjectStore.local_dir(os.path.join(tmp, "nope"), create=False)


@unittest.skipIf(filesync is None, "filesync not built")
class RepositoryTest(unittest.TestCase):
    def test_snapshot_and_restore(self):
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp, "src")
            (src / "dir").mkdir(parents=True)
            (src / "dir" / "file.txt").write_text("hello\n")
            (src / "big.bin").write_bytes(os.urandom(300_000))
            os.symlink("dir/file.txt", src / "link")
            store = storage.ObjectStore.memory()
            repo = filesync.Repository.open(store, workers=1)
            stats = repo.save(str(src), project="p1")
            snap = stats["snapshot"]
            self.assertEqual(snap["files"], 2)
            self.assertEqual([s["id"] for s in repo.list()], [snap["id"]])
            again = repo.save(str(src), project="p1")
            self.assertEqual(again["new_chunks"], 0)
            out = Path(tmp, "out")
            restored = repo.restore(snap["id"], str(out))
            self.assertEqual(restored["files"], 2)
            self.assertEqual((out / "dir" / "file.txt").read_text(), "hello\n")
            self.assertEqual((out / "big.bin").read_bytes(), (src / "big.bin").read_bytes())
            self.assertEqual(os.readlink(out / "link"), "dir/file.txt")
            with self.assertRaises(codesphere.Error):
                repo.restore(snap["id"], str(out))  # target not empty
            fork = repo.fork(snap["id"], "p2")
            self.assertEqual(fork["project"], "p2")
            repo.forget(fork["id"])
            repo.gc()
            with self.assertRaises(codesphere.Error):
                repo.restore("0" * 64, str(Path(tmp, "none")))

    def test_encrypted_repository_needs_its_key(self):
        store = storage.ObjectStore.memory()
        filesync.Repository.open(store, key=bytes(range(32)), workers=1)
        with self.assertRaises(codesphere.Error):
            filesync.Repository.open(store, key=bytes(32), workers=1)
        with self.assertRaises(codesphere.Error):
            filesync.Repository.open(store, workers=1)


if __name__ == "__main__":
    unittest.main()
