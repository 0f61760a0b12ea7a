# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Errors: hostile bytes raise codesphere.Error with a message and never crash."""

import random
import unittest

import codesphere
from codesphere import crdt


class ErrorTest(unittest.TestCase):
    def test_hierarchy(self):
        self.assertTrue(issubclass(codesphere.InvalidArgumentError, codesphere.Error))
        self.assertTrue(issubclass(codesphere.InvalidArgumentError, ValueError))
        self.assertTrue(issubclass(codesphere.NotFoundError, LookupError))
        self.assertTrue(issubclass(codesphere.DeadlineExceededError, TimeoutError))
        self.assertTrue(issubclass(codesphere.DataLossError, codesphere.Error))
        self.assertEqual(codesphere.StatusCode.INVALID_ARGUMENT.value, 3)

    def test_bad_update_raises_error_with_code_and_message(self):
        doc = crdt.Doc(client_id=1)
        with self.assertRaises(codesphere.Error) as cm:
            doc.apply_update(b"\x05\xff\xff")
        self.assertEqual(cm.exception.code, codesphere.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(str(cm.exception))
        with self.assertRaises(codesphere.Error):
            crdt.validate_update(b"\x01")
        with self.assertRaises(codesphere.Error):
            crdt.StateVector.decode(b"\x02\x01")
        with self.assertRaises(codesphere.Error):
            doc.apply_update("not bytes")

    def test_fuzzed_updates_never_crash(self):
        source = crdt.Doc(client_id=1)
        text = source.get_text("t")
        for i in range(40):
            text.insert(len(text), "ab😀" * (i % 3 + 1))
        source.get_map("m")["k"] = {"v": [1, 2]}
        good = source.encode_state_as_update()
        rng = random.Random(1234)
        raised = 0
        for _ in range(2000):
            data = bytearray(good)
            for _ in range(rng.randint(1, 4)):
                kind = rng.random()
                if kind < 0.5:
                    data[rng.randrange(len(data))] = rng.randrange(256)
                elif kind < 0.75:
                    del data[rng.randrange(len(data)):]
                    if not data:
                        data.append(0)
                else:
                    data.insert(rng.randrange(len(data)), rng.randrange(256))
            target = crdt.Doc(client_id=2)
            try:
                target.apply_update(bytes(data))
                str(target.get_text("t"))
                target.encode_state_as_update()
            except codesphere.Error as e:
                raised += 1
                self.assertTrue(str(e))
            for fn in (crdt.validate_update, crdt.encode_state_vector_from_update,
                       lambda d: crdt.merge_updates([good, d])):
                try:
                    fn(bytes(data))
                except codesphere.Error:
                    pass
        self.assertGreater(raised, 100)


if __name__ == "__main__":
    unittest.main()
