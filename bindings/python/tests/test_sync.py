# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""codesphere.sync: y-protocols codecs, Awareness and a Room driven with bytes."""

import tempfile
import unittest

import codesphere
from codesphere import crdt, sync


class ProtocolTest(unittest.TestCase):
    def test_messages_round_trip(self):
        doc = crdt.Doc(client_id=1)
        doc.get_text("t").insert(0, "x")
        sv, update = doc.encode_state_vector(), doc.encode_state_as_update()
        for message in (sync.SyncStep1(sv), sync.SyncStep2(update), sync.Update(update),
                        sync.AwarenessMessage(b"\x00"), sync.PermissionDenied("read-only"),
                        sync.QueryAwareness()):
            decoded = sync.decode_message(message.encode())
            self.assertIs(type(decoded), type(message))
        self.assertEqual(sync.decode_message(sync.encode_sync_step1(sv)).state_vector, sv)
        self.assertEqual(sync.decode_message(sync.encode_update(update)).update, update)
        self.assertEqual(sync.decode_message(sync.encode_permission_denied("no")).reason, "no")
        self.assertEqual(sync.encode_sync_step1(sv)[:2], bytes([sync.MESSAGE_SYNC, 0]))

    def test_malformed_frames_raise(self):
        for frame in (b"", b"\x07", b"\x00\x09\x00", b"\x00\x00\x05ab", b"\x03\x00"):
            with self.assertRaises(codesphere.InvalidArgumentError):
                sync.decode_message(frame)


class AwarenessTest(unittest.TestCase):
    def test_states_travel_between_awareness_instances(self):
        a, b = sync.Awareness(1), sync.Awareness(2)
        changes = a.set_local_state({"user": "ada", "cursor": 3})
        self.assertEqual(changes["updated"], [1])
        changes = b.apply_update(a.encode_update([1]))
        self.assertEqual(changes["added"], [1])
        self.assertEqual(b.states[1], {"user": "ada", "cursor": 3})
        a.set_local_state(None)
        changes = b.apply_update(a.encode_update())
        self.assertEqual(changes["removed"], [1])
        self.assertNotIn(1, b.states)

    def test_bad_awareness_update_raises(self):
        with self.assertRaises(codesphere.InvalidArgumentError):
            sync.Awareness(1).apply_update(b"\x01\x05\x01\x03{x}")


class Client:
    """A y-websocket client driven by hand: a Doc that answers the room's frames."""

    def __init__(self, room, client_id):
        self.doc = crdt.Doc(client_id=client_id)
        self.inbox = []
        self.room = room
        self.peer = room.join(self.inbox.append)
        self.doc.observe_update(self._on_update)

    def _on_update(self, update, origin):
        if origin != "room":
            self.room.receive(self.peer, sync.encode_update(update))

    def pump(self):
        while self.inbox:
            message = sync.decode_message(self.inbox.pop(0))
            if isinstance(message, sync.SyncStep1):
                self.room.receive(self.peer, sync.encode_sync_step2(
                    self.doc.encode_state_as_update(message.state_vector)))
            elif isinstance(message, (sync.SyncStep2, sync.Update)):
                self.doc.apply_update(message.update, origin="room")


class RoomTest(unittest.TestCase):
    def test_two_clients_converge_through_a_room(self):
        store = sync.DocumentStore.memory()
        storage, stored = store.open_room("doc")
        self.assertEqual(stored, [])
        room = sync.Room("doc")
        a, b = Client(room, 1), Client(room, 2)
        a.doc.get_text("t").insert(0, "hello ")
        b.doc.get_text("t").insert(0, "world")
        room.flush(storage)
        for _ in range(3):
            a.pump()
            b.pump()
            room.flush(storage)
        self.assertEqual(str(a.doc.get_text("t")), str(b.doc.get_text("t")))
        self.assertEqual(str(room.doc.get_text("t")), str(a.doc.get_text("t")))
        self.assertEqual(room.peer_count, 2)
        self.assertGreater(room.stats["updates_applied"], 0)
        room.leave(a.peer)
        self.assertEqual(room.peer_count, 1)

    def test_durable_updates_survive_reopening_a_file_store(self):
        with tempfile.TemporaryDirectory() as tmp:
            store = sync.DocumentStore.file(tmp, fsync=False)
            storage, _ = store.open_room("notes")
            room = sync.Room("notes")
            c = Client(room, 5)
            c.doc.get_text("t").insert(0, "kept")
            self.assertTrue(room.has_unflushed)
            room.flush(storage)
            del storage
            self.assertEqual(store.list_rooms(), ["notes"])
            _, stored = sync.DocumentStore.file(tmp, fsync=False).open_room("notes")
            reloaded = sync.Room("notes")
            for update in stored:
                reloaded.load(update)
            self.assertEqual(str(reloaded.doc.get_text("t")), "kept")

    def test_bad_frame_raises_and_leaves_room_unchanged(self):
        room = sync.Room("r")
        peer = room.join(lambda frame: None)
        before = room.encode_state()
        with self.assertRaises(codesphere.InvalidArgumentError):
            room.receive(peer, b"\x00\x02\x05\x01\x02")
        self.assertEqual(room.encode_state(), before)
        with self.assertRaises(codesphere.NotFoundError):
            room.receive(999, b"\x03")

    def test_send_callback_errors_propagate(self):
        room = sync.Room("r")

        def broken(frame):
            raise OSError("socket closed")

        with self.assertRaises(OSError):
            room.join(broken)

    def test_read_only_peer_is_refused(self):
        room = sync.Room("r")
        inbox = []
        peer = room.join(inbox.append, read_only=True)
        doc = crdt.Doc(client_id=3)
        doc.get_text("t").insert(0, "x")
        room.receive(peer, sync.encode_update(doc.encode_state_as_update()))
        self.assertFalse(room.has_unflushed)
        self.assertIsInstance(sync.decode_message(inbox[-1]), sync.PermissionDenied)


if __name__ == "__main__":
    unittest.main()
