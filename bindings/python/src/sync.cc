// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `codesphere.sync`: y-protocols message codecs, Awareness, and a Room driven with bytes
// (frames in through `receive`, frames out through each peer's `send` callback), plus the
// document stores rooms persist to. Runs with the GIL held (rooms are single-threaded).

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codesphere/base/clock.h"
#include "codesphere/sync/awareness.h"
#include "codesphere/sync/document_store.h"
#include "codesphere/sync/protocol.h"
#include "codesphere/sync/room.h"
#include "convert.h"
#include "crdt.h"
#include "status.h"

namespace codesphere::python {
namespace {

using namespace pybind11::literals;  // NOLINT(build/namespaces)

// Decoded messages as Python sees them: owning copies of the payload.
struct PySyncStep1 {
  py::bytes state_vector;
};
struct PySyncStep2 {
  py::bytes update;
};
struct PyUpdate {
  py::bytes update;
};
struct PyAwarenessMessage {
  py::bytes update;
};
struct PyPermissionDenied {
  std::string reason;
};
struct PyQueryAwareness {};

py::object MessageToPy(const sync::Message& message) {
  return std::visit(
      [](const auto& m) -> py::object {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, sync::SyncStep1Message>) {
          return py::cast(PySyncStep1{ToPyBytes(m.state_vector)});
        } else if constexpr (std::is_same_v<T, sync::SyncStep2Message>) {
          return py::cast(PySyncStep2{ToPyBytes(m.update)});
        } else if constexpr (std::is_same_v<T, sync::UpdateMessage>) {
          return py::cast(PyUpdate{ToPyBytes(m.update)});
        } else if constexpr (std::is_same_v<T, sync::AwarenessMessage>) {
          return py::cast(PyAwarenessMessage{ToPyBytes(m.update)});
        } else if constexpr (std::is_same_v<T, sync::PermissionDeniedMessage>) {
          return py::cast(PyPermissionDenied{std::string(m.reason)});
        } else {
          return py::cast(PyQueryAwareness{});
        }
      },
      message);
}

template <typename T>
py::bytes EncodeBytesField(py::bytes T::*field, Bytes (*encode)(ByteSpan), const T& m) {
  BytesArg bytes(m.*field);
  return ToPyBytes(encode(bytes.span()));
}

void RegisterProtocol(py::module_& m) {
  m.attr("MESSAGE_SYNC") = sync::kMessageSync;
  m.attr("MESSAGE_AWARENESS") = sync::kMessageAwareness;
  m.attr("MESSAGE_AUTH") = sync::kMessageAuth;
  m.attr("MESSAGE_QUERY_AWARENESS") = sync::kMessageQueryAwareness;

  py::class_<PySyncStep1>(m, "SyncStep1", "y-protocols sync step 1: the sender's state vector.")
      .def(py::init<py::bytes>(), "state_vector"_a)
      .def_readonly("state_vector", &PySyncStep1::state_vector)
      .def("encode",
           [](const PySyncStep1& s) {
             return EncodeBytesField(&PySyncStep1::state_vector, &sync::EncodeSyncStep1, s);
           })
      .def("__repr__", [](const PySyncStep1&) { return std::string("SyncStep1(...)"); });
  py::class_<PySyncStep2>(m, "SyncStep2", "y-protocols sync step 2: the update the peer lacks.")
      .def(py::init<py::bytes>(), "update"_a)
      .def_readonly("update", &PySyncStep2::update)
      .def("encode",
           [](const PySyncStep2& s) {
             return EncodeBytesField(&PySyncStep2::update, &sync::EncodeSyncStep2, s);
           })
      .def("__repr__", [](const PySyncStep2&) { return std::string("SyncStep2(...)"); });
  py::class_<PyUpdate>(m, "Update", "y-protocols sync update: an incremental document update.")
      .def(py::init<py::bytes>(), "update"_a)
      .def_readonly("update", &PyUpdate::update)
      .def("encode",
           [](const PyUpdate& s) {
             return EncodeBytesField(&PyUpdate::update, &sync::EncodeUpdate, s);
           })
      .def("__repr__", [](const PyUpdate&) { return std::string("Update(...)"); });
  py::class_<PyAwarenessMessage>(m, "AwarenessMessage", "An awareness update frame.")
      .def(py::init<py::bytes>(), "update"_a)
      .def_readonly("update", &PyAwarenessMessage::update)
      .def("encode",
           [](const PyAwarenessMessage& s) {
             return EncodeBytesField(&PyAwarenessMessage::update, &sync::EncodeAwareness, s);
           })
      .def("__repr__", [](const PyAwarenessMessage&) { return std::string("AwarenessMessage(...)"); });
  py::class_<PyPermissionDenied>(m, "PermissionDenied", "The auth message: permission denied.")
      .def(py::init<std::string>(), "reason"_a)
      .def_readonly("reason", &PyPermissionDenied::reason)
      .def("encode",
           [](const PyPermissionDenied& s) {
             return ToPyBytes(sync::EncodePermissionDenied(s.reason));
           })
      .def("__repr__", [](const PyPermissionDenied& s) {
        return "PermissionDenied(" + py::repr(py::str(s.reason)).cast<std::string>() + ")";
      });
  py::class_<PyQueryAwareness>(m, "QueryAwareness", "Asks the peer for its awareness states.")
      .def(py::init<>())
      .def("encode", [](const PyQueryAwareness&) { return ToPyBytes(sync::EncodeQueryAwareness()); })
      .def("__repr__", [](const PyQueryAwareness&) { return std::string("QueryAwareness()"); });

  m.def(
      "decode_message",
      [](const py::object& frame) {
        BytesArg bytes(frame);
        return MessageToPy(Unwrap(sync::DecodeMessage(bytes.span())));
      },
      "frame"_a,
      "Decodes one frame into SyncStep1, SyncStep2, Update, AwarenessMessage, "
      "PermissionDenied or QueryAwareness. Raises InvalidArgumentError if malformed.");
  auto encoder = [&m](const char* name, Bytes (*encode)(ByteSpan)) {
    m.def(
        name,
        [encode](const py::object& payload) {
          BytesArg bytes(payload);
          return ToPyBytes(encode(bytes.span()));
        },
        "payload"_a);
  };
  encoder("encode_sync_step1", &sync::EncodeSyncStep1);
  encoder("encode_sync_step2", &sync::EncodeSyncStep2);
  encoder("encode_update", &sync::EncodeUpdate);
  encoder("encode_awareness", &sync::EncodeAwareness);
  m.def(
      "encode_permission_denied",
      [](const std::string& reason) { return ToPyBytes(sync::EncodePermissionDenied(reason)); },
      "reason"_a);
  m.def("encode_query_awareness", [] { return ToPyBytes(sync::EncodeQueryAwareness()); });
}

py::dict ChangesToPy(const sync::AwarenessChanges& c) {
  py::dict d;
  d["added"] = c.added;
  d["updated"] = c.updated;
  d["removed"] = c.removed;
  return d;
}

py::dict StatesToPy(const sync::Awareness& a) {
  py::dict states;
  for (const auto& [client, entry] : a.entries()) {
    if (entry.state) states[py::int_(client)] = FromAny(*entry.state);
  }
  return states;
}

std::vector<std::uint64_t> ClientsArg(const sync::Awareness& a, const py::object& clients) {
  if (clients.is_none()) {
    std::vector<std::uint64_t> all;
    for (const auto& [client, entry] : a.entries()) all.push_back(client);
    return all;
  }
  return clients.cast<std::vector<std::uint64_t>>();
}

sync::AwarenessOptions AwarenessOptionsArg(double outdated_timeout) {
  if (!(outdated_timeout > 0)) {
    ThrowStatus(InvalidArgumentError("outdated_timeout must be > 0 seconds"));
  }
  sync::AwarenessOptions options;
  options.outdated_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(outdated_timeout * 1000));
  return options;
}

void RegisterAwareness(py::module_& m) {
  py::class_<sync::Awareness>(m, "Awareness",
                              "The y-protocols awareness CRDT: per-client JSON states "
                              "(cursors, names) with clocks and timeouts (real time).")
      .def(py::init([](std::uint64_t client_id, double outdated_timeout) {
             return std::make_unique<sync::Awareness>(client_id, RealClock(),
                                                      AwarenessOptionsArg(outdated_timeout));
           }),
           "client_id"_a, "outdated_timeout"_a = 30.0)
      .def_property_readonly("client_id", &sync::Awareness::client_id)
      .def_property_readonly("local_state",
                             [](const sync::Awareness& a) -> py::object {
                               const Any* s = a.local_state();
                               return s ? FromAny(*s) : py::none();
                             })
      .def(
          "set_local_state",
          [](sync::Awareness& a, const py::object& state) {
            std::optional<Any> value;
            if (!state.is_none()) value = ToAny(state);
            return ChangesToPy(a.SetLocalState(std::move(value)));
          },
          "state"_a, "Sets (None: removes) the local state; returns {added, updated, removed}.")
      .def(
          "apply_update",
          [](sync::Awareness& a, const py::object& update) {
            BytesArg bytes(update);
            return ChangesToPy(Unwrap(a.ApplyUpdate(bytes.span())));
          },
          "update"_a)
      .def(
          "remove_states",
          [](sync::Awareness& a, const std::vector<std::uint64_t>& clients) {
            return ChangesToPy(a.RemoveStates(clients));
          },
          "clients"_a)
      .def("check_timeouts",
           [](sync::Awareness& a) { return ChangesToPy(a.CheckTimeouts()); })
      .def(
          "encode_update",
          [](const sync::Awareness& a, const py::object& clients) {
            return ToPyBytes(a.EncodeUpdate(ClientsArg(a, clients)));
          },
          "clients"_a = py::none(), "Encodes `clients` (None: every known client).")
      .def("clients_with_state", &sync::Awareness::ClientsWithState)
      .def_property_readonly("states", &StatesToPy, "{client_id: state} of clients with a state.")
      .def("__len__", [](const sync::Awareness& a) { return a.ClientsWithState().size(); });
}

// A Python callable as a room Peer. Exceptions it raises are kept and re-raised by the room
// call that sent the frame.
class CallbackPeer : public sync::Peer {
 public:
  CallbackPeer(py::function send, PendingPythonError& errors)
      : send_(std::move(send)), errors_(errors) {}
  // sync::Peer
  void Send(std::shared_ptr<const Bytes> frame) override {
    try {
      send_(ToPyBytes(*frame));
    } catch (py::error_already_set& e) {
      errors_.Capture(e);
    }
  }

 private:
  py::function send_;
  PendingPythonError& errors_;
};

// A Room with the Python peers it sends to.
struct PyRoom {
  PyRoom(std::string name, sync::RoomOptions options)
      : room(std::make_unique<sync::Room>(std::move(name), RealClock(), options)) {}
  ~PyRoom() {
    room.reset();
    peers.clear();
  }
  template <typename F>
  auto Call(F&& f) {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      errors.RaiseIfAny();
    } else {
      auto result = f();
      errors.RaiseIfAny();
      return result;
    }
  }

  PendingPythonError errors;
  std::map<sync::PeerId, std::unique_ptr<CallbackPeer>> peers;
  std::unique_ptr<sync::Room> room;
};

std::vector<Bytes> UpdatesArg(const py::iterable& updates) {
  std::vector<Bytes> out;
  for (py::handle u : updates) {
    BytesArg bytes(u);
    out.emplace_back(bytes.span().begin(), bytes.span().end());
  }
  return out;
}

void RegisterStores(py::module_& m) {
  py::class_<sync::RoomStorage>(m, "RoomStorage", "One room's durable storage.")
      .def(
          "append",
          [](sync::RoomStorage& s, const py::iterable& updates) {
            std::vector<Bytes> owned = UpdatesArg(updates);
            std::vector<ByteSpan> spans(owned.begin(), owned.end());
            py::gil_scoped_release release;
            ThrowIfError(s.Append(spans));
          },
          "updates"_a, "Makes `updates` durable. Releases the GIL.")
      .def(
          "compact",
          [](sync::RoomStorage& s, const py::object& state) {
            BytesArg bytes(state);
            py::gil_scoped_release release;
            ThrowIfError(s.Compact(bytes.span()));
          },
          "state"_a)
      .def_property_readonly("log_bytes", &sync::RoomStorage::log_bytes);

  py::class_<sync::DocumentStore>(m, "DocumentStore", "Durable storage of room documents.")
      .def_static("memory", &sync::NewMemoryDocumentStore, "An in-memory store.")
      .def_static(
          "file",
          [](const std::filesystem::path& dir, bool fsync) {
            sync::FileDocumentStoreOptions options;
            options.sync = fsync;
            return Unwrap(sync::NewFileDocumentStore(dir, options));
          },
          "dir"_a, "fsync"_a = true, "Snapshot + update log per room under `dir`.")
      .def(
          "open_room",
          [](sync::DocumentStore& store, const std::string& room) {
            Result<sync::StoredRoom> stored = [&] {
              py::gil_scoped_release release;
              return store.OpenRoom(room);
            }();
            sync::StoredRoom r = Unwrap(std::move(stored));
            py::list updates;
            for (const Bytes& u : r.updates) updates.append(ToPyBytes(u));
            return py::make_tuple(py::cast(std::move(r.storage)), updates);
          },
          "room"_a, "Returns (RoomStorage, [stored updates]). Releases the GIL.")
      .def("list_rooms", [](sync::DocumentStore& store) {
        py::gil_scoped_release release;
        return Unwrap(store.ListRooms());
      });
}

void RegisterRoom(py::module_& m) {
  py::class_<PyRoom>(m, "Room",
                     "One shared document speaking the y-websocket server protocol, driven with "
                     "bytes: `join` a peer with a send callback, feed its frames to `receive`, "
                     "then `flush` to make updates durable and broadcast them.")
      .def(py::init([](std::string name, bool gc, std::size_t max_update_bytes) {
             sync::RoomOptions options;
             options.gc = gc;
             options.max_update_bytes = max_update_bytes;
             return std::make_unique<PyRoom>(std::move(name), options);
           }),
           "name"_a, "gc"_a = true, "max_update_bytes"_a = std::size_t{16} << 20)
      .def_property_readonly("name", [](const PyRoom& r) { return r.room->name(); })
      .def(
          "load",
          [](PyRoom& r, const py::object& update) {
            BytesArg bytes(update);
            r.Call([&] { ThrowIfError(r.room->Load(bytes.span())); });
          },
          "update"_a, "Applies a stored update before peers join (not broadcast).")
      .def(
          "join",
          [](PyRoom& r, py::function send, bool read_only) {
            auto peer = std::make_unique<CallbackPeer>(std::move(send), r.errors);
            const sync::PeerId id =
                r.room->Join(*peer, read_only ? sync::Access::kReadOnly : sync::Access::kReadWrite);
            r.peers.emplace(id, std::move(peer));
            r.errors.RaiseIfAny();
            return id;
          },
          "send"_a, "read_only"_a = false,
          "Adds a peer whose frames go to `send(frame: bytes)`; returns its id.")
      .def(
          "leave",
          [](PyRoom& r, sync::PeerId peer) {
            if (r.peers.count(peer) == 0) ThrowStatus(NotFoundError("no such peer"));
            r.Call([&] { r.room->Leave(peer); });
            r.peers.erase(peer);
          },
          "peer"_a)
      .def(
          "receive",
          [](PyRoom& r, sync::PeerId peer, const py::object& frame) {
            if (r.peers.count(peer) == 0) ThrowStatus(NotFoundError("no such peer"));
            BytesArg bytes(frame);
            r.Call([&] { ThrowIfError(r.room->Receive(peer, bytes.span())); });
          },
          "peer"_a, "frame"_a,
          "Handles one frame from `peer`. Raises InvalidArgumentError for malformed frames.")
      .def_property_readonly("has_unflushed", [](const PyRoom& r) { return r.room->HasUnflushed(); })
      .def("take_unflushed",
           [](PyRoom& r) {
             py::list out;
             for (const Bytes& u : r.room->TakeUnflushed()) out.append(ToPyBytes(u));
             return out;
           })
      .def(
          "apply_durable",
          [](PyRoom& r, const py::iterable& updates) {
            std::vector<Bytes> owned = UpdatesArg(updates);
            r.Call([&] { r.room->ApplyDurable(std::move(owned)); });
          },
          "updates"_a, "Integrates updates made durable by the caller and broadcasts them.")
      .def(
          "flush",
          [](PyRoom& r, sync::RoomStorage& storage) {
            r.Call([&] { ThrowIfError(r.room->FlushSync(storage)); });
          },
          "storage"_a, "take_unflushed -> storage.append -> apply_durable.")
      .def("tick", [](PyRoom& r) { r.Call([&] { r.room->Tick(); }); })
      .def("encode_state", [](const PyRoom& r) { return ToPyBytes(r.room->EncodeState()); })
      .def_property_readonly("peer_count", [](const PyRoom& r) { return r.room->peer_count(); })
      .def_property_readonly(
          "doc",
          [](py::object self) {
            PyRoom& r = self.cast<PyRoom&>();
            return WrapBorrowedDoc(r.room->doc(), self);
          },
          "The room's document (read it; changes must come through peers).")
      .def_property_readonly("awareness_states",
                             [](const PyRoom& r) { return StatesToPy(r.room->awareness()); })
      .def_property_readonly("stats", [](const PyRoom& r) {
        const sync::RoomStats& s = r.room->stats();
        py::dict d;
        d["messages_in"] = s.messages_in;
        d["frames_out"] = s.frames_out;
        d["bytes_out"] = s.bytes_out;
        d["updates_applied"] = s.updates_applied;
        d["refused"] = s.refused;
        return d;
      });
}

}  // namespace

void RegisterSync(py::module_& parent) {
  py::module_ m = parent.def_submodule("sync", "y-protocols codecs, awareness and rooms.");
  RegisterProtocol(m);
  RegisterAwareness(m);
  RegisterStores(m);
  RegisterRoom(m);
}

}  // namespace codesphere::python
