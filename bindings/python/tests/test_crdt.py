# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.crdt: documents, shared types, transactions, update callbacks, updates."""

import random
import unittest

import codesphere
from codesphere import crdt
from support import utf16_offsets


def sync_docs(a, b):
    a.apply_update(b.encode_state_as_update(a.encode_state_vector()))
    b.apply_update(a.encode_state_as_update(b.encode_state_vector()))


class TextTest(unittest.TestCase):
    def test_insert_delete_len_str(self):
        doc = crdt.Doc(client_id=1)
        text = doc.get_text("t")
        text.insert(0, "hello")
        text += " world"
        text.delete(0, 1)
        self.assertEqual(str(text), "ello world")
        self.assertEqual(len(text), 10)
        self.assertEqual(text.to_json(), "ello world")

    def test_lengths_are_utf16_units(self):
        text = crdt.Doc(client_id=1).get_text("t")
        text.insert(0, "a😀b")
        self.assertEqual(len(text), 4)  # the emoji is a surrogate pair, as in JS
        text.delete(1, 2)
        self.assertEqual(str(text), "ab")

    def test_format_and_delta_round_trip(self):
        doc = crdt.Doc(client_id=1)
        text = doc.get_text("t")
        text.insert(0, "bold plain")
        text.format(0, 4, {"bold": True})
        self.assertEqual(text.to_delta(),
                         [{"insert": "bold", "attributes": {"bold": True}}, {"insert": " plain"}])
        other = crdt.Doc(client_id=2).get_text("t")
        other.apply_delta([{"insert": "hello"}])
        other.apply_delta([{"retain": 1}, {"delete": 2}, {"insert": "X", "attributes": {"i": True}}])
        # What Yjs 13.6 applyDelta gives for the same deltas.
        self.assertEqual(other.to_delta(), [{"insert": "h"}, {"insert": "X", "attributes": {"i": True}},
                                            {"insert": "lo"}])

    def test_splice_many_matches_single_splices(self):
        rng = random.Random(7)
        a = crdt.Doc(client_id=1).get_text("t")
        b = crdt.Doc(client_id=1).get_text("t")
        model = ""
        patches = []
        for _ in range(300):
            pos = rng.randint(0, len(model))
            delete = rng.randint(0, min(3, len(model) - pos))
            ins = rng.choice(["", "x", "yz", "é"])
            model = model[:pos] + ins + model[pos + delete:]
            patches.append((pos, delete, ins))
        for p in patches:
            a.splice(*p)
        b.splice_many(patches)
        self.assertEqual(str(a), model)
        self.assertEqual(str(b), model)
        self.assertEqual(a.doc.encode_state_as_update(), b.doc.encode_state_as_update())

    def test_out_of_range_is_value_error(self):
        text = crdt.Doc(client_id=1).get_text("t")
        with self.assertRaises(ValueError):
            text.insert(5, "x")
        with self.assertRaises(codesphere.InvalidArgumentError) as cm:
            text.delete(0, 1)
        self.assertEqual(cm.exception.code, codesphere.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(codesphere.Error):
            text.splice_many([(0, 0)])


class MapArrayTest(unittest.TestCase):
    def test_map_is_a_mapping(self):
        m = crdt.Doc(client_id=1).get_map("m")
        m["n"] = 1
        m["f"] = 2.5
        m["obj"] = {"list": [1, None, True, "s"], "bin": b"\x00\x01"}
        self.assertEqual(len(m), 3)
        self.assertEqual(sorted(m), ["f", "n", "obj"])
        self.assertIn("n", m)
        self.assertEqual(m["obj"], {"list": [1, None, True, "s"], "bin": b"\x00\x01"})
        self.assertEqual(m.get("missing", 7), 7)
        self.assertEqual(m.pop("n"), 1)
        del m["f"]
        with self.assertRaises(KeyError):
            m["f"]
        with self.assertRaises(KeyError):
            del m["f"]
        self.assertEqual(dict(m.items()), m.to_json())

    def test_unsupported_values_are_rejected(self):
        m = crdt.Doc(client_id=1).get_map("m")
        with self.assertRaises(codesphere.InvalidArgumentError):
            m["x"] = object()
        with self.assertRaises(ValueError):
            m["x"] = {1: "non-str key"}

    def test_array_is_a_sequence(self):
        a = crdt.Doc(client_id=1).get_array("a")
        a.extend([1, 2, 3])
        a.append("x")
        a.insert(0, {"k": "v"})
        self.assertEqual(len(a), 5)
        self.assertEqual(a[-1], "x")
        self.assertEqual(a[1:3], [1, 2])
        self.assertEqual(a[::2], [{"k": "v"}, 2, "x"])
        del a[0]
        a.delete(0, 2)
        self.assertEqual(list(a), [3, "x"])
        with self.assertRaises(IndexError):
            a[2]

    def test_nested_types(self):
        doc = crdt.Doc(client_id=1)
        root = doc.get_map("root")
        inner = root.create_text("title")
        inner.insert(0, "hi")
        items = root.create_array("items")
        sub = items.create_map(0)
        sub["done"] = False
        self.assertIsInstance(root["title"], crdt.Text)
        self.assertEqual(str(root["title"]), "hi")
        self.assertEqual(root.to_json(), {"title": "hi", "items": [{"done": False}]})
        remote = crdt.Doc(client_id=2)
        remote.apply_update(doc.encode_state_as_update())
        self.assertEqual(remote.get_map("root").to_json(), root.to_json())


class TransactionAndCallbackTest(unittest.TestCase):
    def test_transaction_emits_one_update_with_origin(self):
        doc = crdt.Doc(client_id=1)
        text = doc.get_text("t")
        seen = []
        sub = doc.observe_update(lambda update, origin: seen.append((update, origin)))
        with doc.transaction(origin="batch") as txn:
            self.assertEqual(txn.origin, "batch")
            text.insert(0, "a")
            with doc.transaction():  # nested blocks join the outer one
                text.insert(1, "b")
            self.assertEqual(seen, [])
        self.assertEqual(len(seen), 1)
        self.assertEqual(seen[0][1], "batch")
        replica = crdt.Doc(client_id=2)
        replica.apply_update(seen[0][0])
        self.assertEqual(str(replica.get_text("t")), "ab")
        sub.unsubscribe()
        text.insert(0, "c")
        self.assertEqual(len(seen), 1)

    def test_callback_exception_is_raised_by_the_committing_call(self):
        doc = crdt.Doc(client_id=1)

        def fail(update, origin):
            raise RuntimeError("callback failed")

        with doc.observe_update(fail):
            with self.assertRaisesRegex(RuntimeError, "callback failed"):
                doc.get_text("t").insert(0, "x")
        doc.get_text("t").insert(0, "y")  # unsubscribed by the with block
        self.assertEqual(str(doc.get_text("t")), "yx")

    def test_editing_from_callback_is_refused(self):
        doc = crdt.Doc(client_id=1)
        text = doc.get_text("t")
        doc.observe_update(lambda u, o: text.insert(0, "loop"))
        with self.assertRaises(codesphere.FailedPreconditionError):
            text.insert(0, "x")
        self.assertEqual(str(text), "x")

    def test_remote_updates_carry_their_origin(self):
        a, b = crdt.Doc(client_id=1), crdt.Doc(client_id=2)
        origins = []
        b.observe_update(lambda u, o: origins.append(o))
        a.get_text("t").insert(0, "x")
        b.apply_update(a.encode_state_as_update(), origin="network")
        self.assertEqual(origins, ["network"])


class ObserverTest(unittest.TestCase):
    def test_text_and_map_events(self):
        doc = crdt.Doc(client_id=1)
        text, m = doc.get_text("t"), doc.get_map("m")
        text.insert(0, "abc")
        events = []
        sub = text.observe(events.append)
        with doc.transaction():
            text.delete(0, 1)
            text.insert(2, "Z", {"bold": True})
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0].delta,
                         [{"delete": 1}, {"retain": 2}, {"insert": "Z", "attributes": {"bold": True}}])
        self.assertEqual(str(events[0].target), "bcZ")
        sub.unsubscribe()
        text.insert(0, "x")
        self.assertEqual(len(events), 1)
        m["k"] = 1
        map_events = []
        m.observe(map_events.append)
        m["k"] = 2
        m["new"] = "v"
        del m["k"]
        self.assertEqual([e.keys for e in map_events], [
            {"k": {"action": "update", "old_value": 1}},
            {"new": {"action": "add", "old_value": None}},
            {"k": {"action": "delete", "old_value": 2}},
        ])

    def test_deep_events_carry_paths_and_remote_changes_fire_too(self):
        doc = crdt.Doc(client_id=1)
        root = doc.get_map("root")
        items = root.create_array("items")
        seen = []
        root.observe_deep(lambda events: seen.append([(e.path, e.delta) for e in events]))
        items.append("x")
        self.assertEqual(seen, [[(["items"], [{"insert": ["x"]}])]])
        remote = crdt.Doc(client_id=2)
        remote.apply_update(doc.encode_state_as_update())
        remote.get_map("root")["items"].append("y")
        doc.apply_update(remote.encode_state_as_update(doc.encode_state_vector()))
        self.assertEqual(seen[-1], [(["items"], [{"retain": 1}, {"insert": ["y"]}])])

    def test_observer_errors_and_edits_are_reported(self):
        doc = crdt.Doc(client_id=1)
        text = doc.get_text("t")

        def boom(event):
            raise KeyError("from observer")

        with text.observe(boom):
            with self.assertRaises(KeyError):
                text.insert(0, "a")
        with text.observe(lambda e: text.insert(0, "again")):
            with self.assertRaises(codesphere.FailedPreconditionError):
                text.insert(0, "b")
        self.assertEqual(str(text), "ba")


class UndoManagerTest(unittest.TestCase):
    def test_undo_redo_of_local_changes_only(self):
        doc = crdt.Doc(client_id=1)
        text = doc.get_text("t")
        undo = crdt.UndoManager(text, capture_timeout=0)
        text.insert(0, "hello")
        undo.stop_capturing()
        text.insert(5, " world")
        remote = crdt.Doc(client_id=2)
        remote.apply_update(doc.encode_state_as_update())
        remote.get_text("t").insert(0, ">")
        doc.apply_update(remote.encode_state_as_update(doc.encode_state_vector()), origin="net")
        self.assertTrue(undo.can_undo)
        self.assertTrue(undo.undo())
        self.assertEqual(str(text), ">hello")
        self.assertTrue(undo.undo())
        self.assertEqual(str(text), ">")  # the remote change stays
        self.assertFalse(undo.can_undo)
        self.assertTrue(undo.redo())
        self.assertEqual(str(text), ">hello")
        with doc.transaction():
            with self.assertRaises(codesphere.FailedPreconditionError):
                undo.undo()
        with self.assertRaises(ValueError):
            crdt.UndoManager([text, crdt.Doc().get_text("t")])


class UpdateTest(unittest.TestCase):
    def test_state_vectors_and_diffs(self):
        a, b = crdt.Doc(client_id=1), crdt.Doc(client_id=2)
        a.get_text("t").insert(0, "abc")
        sync_docs(a, b)
        b.get_text("t").insert(3, "d")
        sv = a.state_vector()
        self.assertEqual(sv[1], 3)
        self.assertEqual(sv, crdt.StateVector.decode(a.encode_state_vector()))
        self.assertEqual(sv.to_dict(), {1: 3})
        diff = crdt.diff_update(b.encode_state_as_update(), sv)
        self.assertEqual(diff, b.encode_state_as_update(a.encode_state_vector()))
        a.apply_update(diff)
        self.assertEqual(str(a.get_text("t")), "abcd")
        self.assertEqual(crdt.encode_state_vector_from_update(b.encode_state_as_update()),
                         b.encode_state_vector())

    def test_merge_updates(self):
        doc = crdt.Doc(client_id=1)
        updates = []
        doc.observe_update(lambda u, o: updates.append(u))
        for ch in "hello":
            doc.get_text("t").insert(len(doc.get_text("t")), ch)
        merged = crdt.merge_updates(updates)
        crdt.validate_update(merged)
        replica = crdt.Doc(client_id=2)
        replica.apply_update(merged)
        self.assertEqual(str(replica.get_text("t")), "hello")

    def test_out_of_order_updates_wait_as_pending(self):
        a = crdt.Doc(client_id=1)
        updates = []
        a.observe_update(lambda u, o: updates.append(u))
        a.get_text("t").insert(0, "a")
        a.get_text("t").insert(1, "b")
        b = crdt.Doc(client_id=2)
        b.apply_update(updates[1])
        self.assertTrue(b.has_pending)
        b.apply_update(updates[0])
        self.assertFalse(b.has_pending)
        self.assertEqual(str(b.get_text("t")), "ab")

    def test_random_edits_converge(self):
        rng = random.Random(42)
        docs = [crdt.Doc(client_id=i + 1) for i in range(3)]
        for _ in range(30):
            for doc in docs:
                text = doc.get_text("t")
                s = str(text)
                offsets = utf16_offsets(s)
                if s and rng.random() < 0.3:
                    k = rng.randrange(len(s))  # delete one whole code point
                    text.delete(offsets[k], offsets[k + 1] - offsets[k])
                else:
                    text.insert(rng.choice(offsets), rng.choice(["a", "β", "😀", "xyz"]))
            rng.shuffle(docs)
            sync_docs(docs[0], docs[1])
            sync_docs(docs[1], docs[2])
        for a in docs:
            for b in docs:
                sync_docs(a, b)
        self.assertEqual(len({str(d.get_text("t")) for d in docs}), 1)

    def test_doc_options(self):
        doc = crdt.Doc(client_id=7, gc=False)
        self.assertEqual(doc.client_id, 7)
        self.assertFalse(doc.gc)
        self.assertLess(crdt.Doc().client_id, 2 ** 32)
        with self.assertRaises(ValueError):
            crdt.Doc(client_id=2 ** 53)
        doc.get_text("b")
        doc.get_map("a")
        self.assertEqual(doc.root_names(), ["a", "b"])



if __name__ == "__main__":
    unittest.main()
