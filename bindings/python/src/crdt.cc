// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `codesphere.crdt`: Doc, Text, Map, Array, transactions (context managers), update
// callbacks, update encode/apply/merge/diff and state vectors. Everything runs with the GIL
// held: a Doc is not thread-safe, and the GIL is what serialises Python threads on it.
//
// Edits need a `crdt::Transaction`. Inside `with doc.transaction():` they join it; outside,
// each call opens and commits its own (as Yjs does for edits outside `doc.transact`).

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/state_vector.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/undo_manager.h"
#include "codesphere/crdt/update.h"
#include "convert.h"
#include "crdt.h"
#include "status.h"

namespace codesphere::python {
namespace {

using namespace pybind11::literals;  // NOLINT(build/namespaces)
using DocPtr = std::shared_ptr<PyDoc>;

constexpr std::uint64_t kMaxClientId = (1ull << 53) - 1;

// The transaction an edit runs in: the open `with` block's, or one for this call only
// (committed, with update callbacks, when the scope ends).
class EditScope {
 public:
  explicit EditScope(PyDoc& d) : d_(d) {
    if (d.in_callback > 0) {
      ThrowStatus(FailedPreconditionError("cannot change a document from its update callback"));
    }
    if (!d.txn) own_.emplace(*d.doc);
  }
  crdt::Transaction& txn() { return d_.txn ? *d_.txn : *own_; }

 private:
  PyDoc& d_;
  std::optional<crdt::Transaction> own_;
};

// Runs `f(txn)` in an EditScope, then raises what an update callback raised.
template <typename F>
auto Edit(PyDoc& d, F&& f) {
  using R = std::invoke_result_t<F, crdt::Transaction&>;
  if constexpr (std::is_void_v<R>) {
    {
      EditScope scope(d);
      f(scope.txn());
    }
    d.callback_error.RaiseIfAny();
  } else {
    std::optional<R> result;
    {
      EditScope scope(d);
      result.emplace(f(scope.txn()));
    }
    d.callback_error.RaiseIfAny();
    return std::move(*result);
  }
}

struct PyText {
  DocPtr d;
  crdt::Text t;
};
struct PyMap {
  DocPtr d;
  crdt::Map m;
};
struct PyArray {
  DocPtr d;
  crdt::Array a;
};

struct PyTransaction {
  DocPtr d;
  std::string origin;
  bool outermost = false;
  bool active = false;
};

struct PySubscription {
  std::weak_ptr<PyDoc> d;
  std::uint64_t id = 0;
  void Unsubscribe() {
    if (auto doc = d.lock()) doc->subscriptions.erase(id);
    id = 0;
  }
};

// Runs a Python callback from inside a C++ commit: edits are refused meanwhile, and what it
// raises is kept for the Python call that committed (exceptions cannot unwind through C++).
template <typename F>
void InvokeCallback(PyDoc& doc, F&& call) {
  ++doc.in_callback;
  try {
    call();
  } catch (py::error_already_set& e) {
    doc.callback_error.Capture(e);
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
    py::error_already_set error;
    doc.callback_error.Capture(error);
  }
  --doc.in_callback;
}

PySubscription Subscribe(const DocPtr& d, crdt::Subscription subscription) {
  const std::uint64_t id = d->next_subscription++;
  d->subscriptions.emplace(id, std::move(subscription));
  return PySubscription{d, id};
}

// A change event as Python sees it (Yjs YEvent): the changed type, the path to it from the
// observed type, the delta (text/array) and the changed keys (map).
struct PyEvent {
  py::object target;
  py::list path;
  py::object delta;
  py::dict keys;
};

py::object SharedToPy(const DocPtr& d, const crdt::Shared& s) {
  switch (s.kind()) {
    case crdt::TypeKind::kText:
      return py::cast(PyText{d, s.AsText()});
    case crdt::TypeKind::kMap:
      return py::cast(PyMap{d, s.AsMap()});
    case crdt::TypeKind::kArray:
      return py::cast(PyArray{d, s.AsArray()});
    default:
      // XML types are not bound; they read as their JSON (the XML string).
      return FromAny(s.ToJson());
  }
}

py::object ValueToPy(const DocPtr& d, const crdt::Value& v) {
  return v.is_shared() ? SharedToPy(d, v.shared) : FromAny(v.any);
}

std::optional<crdt::Attributes> ToAttributes(const py::object& attributes) {
  if (attributes.is_none()) return std::nullopt;
  Any any = ToAny(attributes);
  if (!any.is_object()) ThrowStatus(InvalidArgumentError("attributes must be a dict"));
  return std::move(any.as_object());
}

crdt::StateVector DecodeStateVector(ByteSpan bytes) {
  return Unwrap(crdt::StateVector::Decode(bytes));
}

// A state vector argument: a StateVector, its encoding, or None (empty).
crdt::StateVector StateVectorArg(const py::object& sv) {
  if (sv.is_none()) return {};
  if (py::isinstance<crdt::StateVector>(sv)) return sv.cast<const crdt::StateVector&>();
  return DecodeStateVector(BytesArg(sv).span());
}

// Normalises a Python index (negative counts from the end). Throws IndexError.
std::uint64_t PyIndex(std::int64_t index, std::uint64_t length) {
  const std::int64_t n = static_cast<std::int64_t>(length);
  if (index < 0) index += n;
  if (index < 0 || index >= n) throw py::index_error("index out of range");
  return static_cast<std::uint64_t>(index);
}

// Applies one (index, delete_count, text) patch.
void Splice(crdt::Transaction& txn, crdt::Text& text, std::uint64_t index, std::uint64_t del,
            std::string_view ins) {
  if (del > 0) ThrowIfError(text.Delete(txn, index, del));
  if (!ins.empty()) ThrowIfError(text.Insert(txn, index, ins));
}

std::uint64_t PatchInt(PyObject* o) {
  const unsigned long long v = PyLong_AsUnsignedLongLong(o);
  if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    ThrowStatus(InvalidArgumentError("patch index and delete count must be ints >= 0"));
  }
  return v;
}

void SplicePatches(PyText& self, const py::iterable& patches) {
  PyDoc& d = *self.d;
  for (py::handle patch : patches) {
    if (!PyTuple_Check(patch.ptr()) || PyTuple_GET_SIZE(patch.ptr()) != 3) {
      ThrowStatus(InvalidArgumentError("a patch is a tuple (index, delete_count, text)"));
    }
    const std::uint64_t index = PatchInt(PyTuple_GET_ITEM(patch.ptr(), 0));
    const std::uint64_t del = PatchInt(PyTuple_GET_ITEM(patch.ptr(), 1));
    const std::string_view ins = Utf8View(PyTuple_GET_ITEM(patch.ptr(), 2));
    Edit(d, [&](crdt::Transaction& txn) { Splice(txn, self.t, index, del, ins); });
  }
}

std::string Repr(const char* name, const crdt::Shared& s) {
  return std::string(name) + "(" + ToJson(s.ToJson()) + ")";
}

PyEvent EventToPy(const DocPtr& d, const crdt::Event& e) {
  PyEvent out{SharedToPy(d, e.target), py::list(), FromAny(e.delta), py::dict()};
  for (const Any& step : e.path) out.path.append(FromAny(step));
  for (const auto& [key, change] : e.keys) {
    static const char* const kActions[] = {"add", "update", "delete"};
    py::dict c;
    c["action"] = kActions[static_cast<int>(change.action)];
    c["old_value"] = FromAny(change.old_value);
    out.keys[py::str(key)] = c;
  }
  return out;
}

template <typename Wrapper>
PySubscription Observe(Wrapper& w, const crdt::Shared& shared, py::function callback) {
  std::weak_ptr<PyDoc> weak = w.d;
  return Subscribe(w.d, shared.Observe([weak, callback](const crdt::Event& event,
                                                        const crdt::Transaction&) {
    auto doc = weak.lock();
    if (!doc) return;
    InvokeCallback(*doc, [&] { callback(EventToPy(doc, event)); });
  }));
}

template <typename Wrapper>
PySubscription ObserveDeep(Wrapper& w, const crdt::Shared& shared, py::function callback) {
  std::weak_ptr<PyDoc> weak = w.d;
  return Subscribe(w.d, shared.ObserveDeep([weak, callback](const std::vector<crdt::Event>& events,
                                                            const crdt::Transaction&) {
    auto doc = weak.lock();
    if (!doc) return;
    InvokeCallback(*doc, [&] {
      py::list list;
      for (const crdt::Event& e : events) list.append(EventToPy(doc, e));
      callback(list);
    });
  }));
}

constexpr const char* kObserveDoc =
    "Calls `callback(event: Event)` after every transaction that changed this type. Returns "
    "a Subscription (kept until unsubscribed). The callback must not change the doc.";
constexpr const char* kObserveDeepDoc =
    "Calls `callback(events: list[Event])` for changes to this type and every nested type.";

void RegisterStateVector(py::module_& m) {
  py::class_<crdt::StateVector>(m, "StateVector",
                                "For each client, the number of clocks known (Yjs state vector).")
      .def(py::init<>())
      .def(py::init([](const std::map<std::uint64_t, std::uint64_t>& clocks) {
             crdt::StateVector sv;
             for (const auto& [client, clock] : clocks) sv.Set(client, clock);
             return sv;
           }),
           "clocks"_a)
      .def_static(
          "decode", [](py::object bytes) { return DecodeStateVector(BytesArg(bytes).span()); },
          "data"_a, "Decodes the v1 wire layout; raises InvalidArgumentError if malformed.")
      .def(
          "encode", [](const crdt::StateVector& sv) { return ToPyBytes(sv.Encode()); },
          "The v1 wire layout (Yjs encodeStateVector).")
      .def("__getitem__", &crdt::StateVector::Get, "client"_a)
      .def("__setitem__", &crdt::StateVector::Set, "client"_a, "clock"_a)
      .def("__len__", [](const crdt::StateVector& sv) { return sv.entries().size(); })
      .def("__contains__",
           [](const crdt::StateVector& sv, std::uint64_t c) { return sv.entries().count(c) > 0; })
      .def("__iter__",
           [](const crdt::StateVector& sv) {
             py::list clients;
             for (const auto& [client, clock] : sv.entries()) clients.append(client);
             return py::iter(clients);
           })
      .def("items",
           [](const crdt::StateVector& sv) {
             py::list items;
             for (const auto& [client, clock] : sv.entries()) {
               items.append(py::make_tuple(client, clock));
             }
             return items;
           })
      .def("to_dict",
           [](const crdt::StateVector& sv) {
             py::dict dict;
             for (const auto& [client, clock] : sv.entries()) dict[py::int_(client)] = clock;
             return dict;
           })
      .def("__eq__", [](const crdt::StateVector& a, const crdt::StateVector& b) { return a == b; })
      .def("__repr__", [](const crdt::StateVector& sv) {
        std::string s = "StateVector({";
        bool first = true;
        for (const auto& [client, clock] : sv.entries()) {
          s += (first ? "" : ", ") + std::to_string(client) + ": " + std::to_string(clock);
          first = false;
        }
        return s + "})";
      });
}

void RegisterText(py::module_& m) {
  py::class_<PyText>(m, "Text",
                     "Y.Text. Indices and lengths are UTF-16 code units, as in JS Yjs (an emoji "
                     "outside the BMP counts 2).")
      .def("__len__", [](const PyText& s) { return s.t.Length(); })
      .def("__str__", [](const PyText& s) { return s.t.ToString(); })
      .def("__repr__", [](const PyText& s) { return Repr("Text", s.t); })
      .def("to_json", [](const PyText& s) { return s.t.ToString(); })
      .def(
          "insert",
          [](PyText& s, std::uint64_t index, py::handle text, const py::object& attributes) {
            const std::string_view utf8 = Utf8View(text);
            auto attrs = ToAttributes(attributes);
            Edit(*s.d, [&](crdt::Transaction& txn) {
              ThrowIfError(s.t.Insert(txn, index, utf8, attrs ? &*attrs : nullptr));
            });
          },
          "index"_a, "text"_a, "attributes"_a = py::none(),
          "Inserts `text` at `index` (UTF-16 units). Without attributes it inherits the "
          "formatting at `index`.")
      .def(
          "insert_embed",
          [](PyText& s, std::uint64_t index, const py::object& embed,
             const py::object& attributes) {
            const Any value = ToAny(embed);
            auto attrs = ToAttributes(attributes);
            Edit(*s.d, [&](crdt::Transaction& txn) {
              ThrowIfError(s.t.InsertEmbed(txn, index, value, attrs ? &*attrs : nullptr));
            });
          },
          "index"_a, "embed"_a, "attributes"_a = py::none())
      .def(
          "delete",
          [](PyText& s, std::uint64_t index, std::uint64_t length) {
            Edit(*s.d,
                 [&](crdt::Transaction& txn) { ThrowIfError(s.t.Delete(txn, index, length)); });
          },
          "index"_a, "length"_a)
      .def(
          "format",
          [](PyText& s, std::uint64_t index, std::uint64_t length, const py::dict& attributes) {
            auto attrs = ToAttributes(attributes);
            Edit(*s.d, [&](crdt::Transaction& txn) {
              ThrowIfError(s.t.Format(txn, index, length, *attrs));
            });
          },
          "index"_a, "length"_a, "attributes"_a)
      .def(
          "splice",
          [](PyText& s, std::uint64_t index, std::uint64_t delete_count, py::handle text) {
            const std::string_view utf8 = Utf8View(text);
            Edit(*s.d,
                 [&](crdt::Transaction& txn) { Splice(txn, s.t, index, delete_count, utf8); });
          },
          "index"_a, "delete_count"_a, "text"_a = py::str(""),
          "Deletes `delete_count` units at `index`, then inserts `text` there.")
      .def("splice_many", &SplicePatches, "patches"_a,
           "Applies (index, delete_count, text) patches in order, each in its own transaction "
           "unless a transaction is open. The batched form of `splice`.")
      .def("__iadd__",
           [](PyText& s, py::handle text) {
             const std::string_view utf8 = Utf8View(text);
             Edit(*s.d, [&](crdt::Transaction& txn) {
               ThrowIfError(s.t.Insert(txn, s.t.Length(), utf8));
             });
             return s;
           })
      .def("to_delta", [](const PyText& s) { return FromAny(s.t.ToDelta()); })
      .def(
          "apply_delta",
          [](PyText& s, const py::list& delta) {
            const Any ops = ToAny(delta);
            Edit(*s.d, [&](crdt::Transaction& txn) { ThrowIfError(s.t.ApplyDelta(txn, ops)); });
          },
          "delta"_a, "Yjs applyDelta: [{'insert'|'retain'|'delete': ..., 'attributes': {...}}].")
      .def(
          "observe", [](PyText& s, py::function cb) { return Observe(s, s.t, std::move(cb)); },
          "callback"_a, kObserveDoc)
      .def(
          "observe_deep",
          [](PyText& s, py::function cb) { return ObserveDeep(s, s.t, std::move(cb)); },
          "callback"_a, kObserveDeepDoc)
      .def_property_readonly("doc", [](const PyText& s) { return s.d; });
}

void RegisterMap(py::module_& m) {
  auto create = [](crdt::TypeKind kind) {
    return [kind](PyMap& s, std::string_view key) {
      crdt::Shared created =
          Edit(*s.d, [&](crdt::Transaction& txn) { return s.m.SetType(txn, key, kind); });
      return SharedToPy(s.d, created);
    };
  };
  py::class_<PyMap>(m, "Map", "Y.Map: str keys to JSON-like values or nested types.")
      .def("__len__", [](const PyMap& s) { return s.m.Size(); })
      .def("__contains__", [](const PyMap& s, std::string_view key) { return s.m.Has(key); })
      .def("__getitem__",
           [](const PyMap& s, std::string_view key) {
             auto v = s.m.Get(key);
             if (!v) throw py::key_error(std::string(key));
             return ValueToPy(s.d, *v);
           })
      .def(
          "get",
          [](const PyMap& s, std::string_view key, py::object default_value) {
            auto v = s.m.Get(key);
            return v ? ValueToPy(s.d, *v) : default_value;
          },
          "key"_a, "default"_a = py::none())
      .def("__setitem__",
           [](PyMap& s, std::string_view key, const py::object& value) {
             const Any any = ToAny(value);
             Edit(*s.d, [&](crdt::Transaction& txn) { s.m.Set(txn, key, any); });
           })
      .def("__delitem__",
           [](PyMap& s, std::string_view key) {
             if (!s.m.Has(key)) throw py::key_error(std::string(key));
             Edit(*s.d, [&](crdt::Transaction& txn) { s.m.Delete(txn, key); });
           })
      .def(
          "pop",
          [](PyMap& s, std::string_view key, py::object default_value) {
            auto v = s.m.Get(key);
            if (!v) {
              if (default_value.is(py::module_::import("builtins").attr("Ellipsis"))) {
                throw py::key_error(std::string(key));
              }
              return default_value;
            }
            py::object result = ValueToPy(s.d, *v);
            if (v->is_shared()) result = FromAny(v->shared.ToJson());
            Edit(*s.d, [&](crdt::Transaction& txn) { s.m.Delete(txn, key); });
            return result;
          },
          "key"_a, "default"_a = py::ellipsis(),
          "Removes `key` and returns its value (a nested type as its JSON).")
      .def("__iter__", [](const PyMap& s) { return py::iter(py::cast(s.m.Keys())); })
      .def("keys", [](const PyMap& s) { return s.m.Keys(); })
      .def("values",
           [](const PyMap& s) {
             py::list values;
             for (const std::string& key : s.m.Keys()) values.append(ValueToPy(s.d, *s.m.Get(key)));
             return values;
           })
      .def("items",
           [](const PyMap& s) {
             py::list items;
             for (const std::string& key : s.m.Keys()) {
               items.append(py::make_tuple(key, ValueToPy(s.d, *s.m.Get(key))));
             }
             return items;
           })
      .def("create_text", create(crdt::TypeKind::kText), "key"_a,
           "Sets `key` to a new nested Text and returns it.")
      .def("create_map", create(crdt::TypeKind::kMap), "key"_a)
      .def("create_array", create(crdt::TypeKind::kArray), "key"_a)
      .def("to_json", [](const PyMap& s) { return FromAny(s.m.ToJson()); })
      .def("__repr__", [](const PyMap& s) { return Repr("Map", s.m); })
      .def(
          "observe", [](PyMap& s, py::function cb) { return Observe(s, s.m, std::move(cb)); },
          "callback"_a, kObserveDoc)
      .def(
          "observe_deep",
          [](PyMap& s, py::function cb) { return ObserveDeep(s, s.m, std::move(cb)); },
          "callback"_a, kObserveDeepDoc)
      .def_property_readonly("doc", [](const PyMap& s) { return s.d; });
}

void RegisterArray(py::module_& m) {
  auto create = [](crdt::TypeKind kind) {
    return [kind](PyArray& s, std::uint64_t index) {
      crdt::Shared created = Edit(*s.d, [&](crdt::Transaction& txn) {
        return Unwrap(s.a.InsertType(txn, index, kind));
      });
      return SharedToPy(s.d, created);
    };
  };
  auto to_values = [](const py::iterable& values) {
    std::vector<Any> out;
    for (py::handle v : values) out.push_back(ToAny(v));
    return out;
  };
  py::class_<PyArray>(m, "Array", "Y.Array: a list of JSON-like values and nested types.")
      .def("__len__", [](const PyArray& s) { return s.a.Length(); })
      .def("__getitem__",
           [](const PyArray& s, std::int64_t index) {
             return ValueToPy(s.d, *s.a.Get(PyIndex(index, s.a.Length())));
           })
      .def("__getitem__",
           [](const PyArray& s, const py::slice& slice) {
             std::size_t start = 0, stop = 0, step = 0, length = 0;
             if (!slice.compute(s.a.Length(), &start, &stop, &step, &length)) {
               throw py::error_already_set();
             }
             py::list out;
             if (step == 1) {
               for (const crdt::Value& v : s.a.Slice(start, start + length)) {
                 out.append(ValueToPy(s.d, v));
               }
               return out;
             }
             for (std::size_t i = 0; i < length; ++i) {
               out.append(ValueToPy(s.d, *s.a.Get(start + i * step)));
             }
             return out;
           })
      .def("__iter__",
           [](const PyArray& s) {
             py::list out;
             for (const crdt::Value& v : s.a.Slice(0, s.a.Length())) out.append(ValueToPy(s.d, v));
             return py::iter(out);
           })
      .def("__delitem__",
           [](PyArray& s, std::int64_t index) {
             const std::uint64_t i = PyIndex(index, s.a.Length());
             Edit(*s.d, [&](crdt::Transaction& txn) { ThrowIfError(s.a.Delete(txn, i, 1)); });
           })
      .def(
          "append",
          [](PyArray& s, const py::object& value) {
            std::vector<Any> values{ToAny(value)};
            Edit(*s.d, [&](crdt::Transaction& txn) { ThrowIfError(s.a.Push(txn, values)); });
          },
          "value"_a)
      .def(
          "extend",
          [to_values](PyArray& s, const py::iterable& values) {
            std::vector<Any> anys = to_values(values);
            Edit(*s.d, [&](crdt::Transaction& txn) { ThrowIfError(s.a.Push(txn, anys)); });
          },
          "values"_a)
      .def(
          "insert",
          [](PyArray& s, std::uint64_t index, const py::object& value) {
            std::vector<Any> values{ToAny(value)};
            Edit(*s.d,
                 [&](crdt::Transaction& txn) { ThrowIfError(s.a.Insert(txn, index, values)); });
          },
          "index"_a, "value"_a)
      .def(
          "insert_many",
          [to_values](PyArray& s, std::uint64_t index, const py::iterable& values) {
            std::vector<Any> anys = to_values(values);
            Edit(*s.d, [&](crdt::Transaction& txn) { ThrowIfError(s.a.Insert(txn, index, anys)); });
          },
          "index"_a, "values"_a)
      .def(
          "delete",
          [](PyArray& s, std::uint64_t index, std::uint64_t length) {
            Edit(*s.d,
                 [&](crdt::Transaction& txn) { ThrowIfError(s.a.Delete(txn, index, length)); });
          },
          "index"_a, "length"_a = 1)
      .def("create_text", create(crdt::TypeKind::kText), "index"_a,
           "Inserts a new nested Text at `index` and returns it.")
      .def("create_map", create(crdt::TypeKind::kMap), "index"_a)
      .def("create_array", create(crdt::TypeKind::kArray), "index"_a)
      .def("to_json", [](const PyArray& s) { return FromAny(s.a.ToJson()); })
      .def("__repr__", [](const PyArray& s) { return Repr("Array", s.a); })
      .def(
          "observe", [](PyArray& s, py::function cb) { return Observe(s, s.a, std::move(cb)); },
          "callback"_a, kObserveDoc)
      .def(
          "observe_deep",
          [](PyArray& s, py::function cb) { return ObserveDeep(s, s.a, std::move(cb)); },
          "callback"_a, kObserveDeepDoc)
      .def_property_readonly("doc", [](const PyArray& s) { return s.d; });
}

void ApplyUpdateTo(PyDoc& d, ByteSpan update, std::string origin) {
  if (d.in_callback > 0) {
    ThrowStatus(FailedPreconditionError("cannot change a document from its update callback"));
  }
  if (d.txn) {
    ThrowIfError(crdt::ApplyUpdate(*d.txn, update));
  } else {
    ThrowIfError(crdt::ApplyUpdate(*d.doc, update, std::move(origin)));
  }
  d.callback_error.RaiseIfAny();
}

void RegisterDoc(py::module_& m) {
  py::class_<PyTransaction>(m, "Transaction",
                            "A `with` block of changes, committed (with one update callback) "
                            "when the outermost block ends. Nested blocks join it.")
      .def("__enter__",
           [](PyTransaction& t) -> PyTransaction& {
             if (t.active) ThrowStatus(FailedPreconditionError("transaction already entered"));
             if (t.d->in_callback > 0) {
               ThrowStatus(
                   FailedPreconditionError("cannot change a document from its update callback"));
             }
             if (!t.d->txn) {
               t.d->txn = std::make_unique<crdt::Transaction>(*t.d->doc, t.origin);
               t.outermost = true;
             }
             t.active = true;
             return t;
           }, py::return_value_policy::reference)
      .def("__exit__",
           [](PyTransaction& t, py::args) {
             t.active = false;
             if (t.outermost) {
               t.outermost = false;
               t.d->txn.reset();
               t.d->callback_error.RaiseIfAny();
             }
             return false;
           })
      .def_property_readonly("origin", [](const PyTransaction& t) { return t.origin; })
      .def_property_readonly("doc", [](const PyTransaction& t) { return t.d; });

  py::class_<PySubscription>(m, "Subscription",
                             "An update callback registration; lives until `unsubscribe`.")
      .def("unsubscribe", &PySubscription::Unsubscribe)
      .def("__enter__", [](PySubscription& s) -> PySubscription& { return s; },
           py::return_value_policy::reference)
      .def("__exit__", [](PySubscription& s, py::args) {
        s.Unsubscribe();
        return false;
      });

  py::class_<PyDoc, std::shared_ptr<PyDoc>>(
      m, "Doc", "A Yjs-compatible document. Not thread-safe: use it from one thread at a time.")
      .def(py::init([](std::optional<std::uint64_t> client_id, bool gc) {
             crdt::DocOptions options;
             if (client_id) {
               if (*client_id > kMaxClientId) {
                 ThrowStatus(InvalidArgumentError("client_id must be at most 2**53 - 1"));
               }
               options.client_id = *client_id;
             } else {
               // As Yjs: a random uint32 when the caller picks none.
               options.client_id =
                   py::module_::import("random").attr("getrandbits")(32).cast<std::uint64_t>();
             }
             options.gc = gc;
             return std::make_shared<PyDoc>(options);
           }),
           "client_id"_a = py::none(), "gc"_a = true)
      .def_property_readonly("client_id", [](const PyDoc& d) { return d.doc->client_id(); })
      .def_property_readonly("gc", [](const PyDoc& d) { return d.doc->gc(); })
      .def_property_readonly("has_pending", [](const PyDoc& d) { return d.doc->HasPending(); })
      .def(
          "get_text",
          [](const DocPtr& d, std::string_view name) { return PyText{d, d->doc->GetText(name)}; },
          "name"_a)
      .def(
          "get_map",
          [](const DocPtr& d, std::string_view name) { return PyMap{d, d->doc->GetMap(name)}; },
          "name"_a)
      .def(
          "get_array",
          [](const DocPtr& d, std::string_view name) { return PyArray{d, d->doc->GetArray(name)}; },
          "name"_a)
      .def("root_names", [](const PyDoc& d) { return d.doc->RootNames(); })
      .def("state_vector", [](const PyDoc& d) { return d.doc->GetStateVector(); })
      .def("encode_state_vector",
           [](const PyDoc& d) { return ToPyBytes(crdt::EncodeStateVector(*d.doc)); })
      .def(
          "encode_state_as_update",
          [](const PyDoc& d, const py::object& state_vector) {
            const crdt::StateVector sv = StateVectorArg(state_vector);
            return ToPyBytes(crdt::EncodeStateAsUpdate(*d.doc, sv));
          },
          "state_vector"_a = py::none(),
          "The state missing from `state_vector` (bytes or StateVector; None: everything).")
      .def(
          "apply_update",
          [](PyDoc& d, const py::object& update, std::string origin) {
            BytesArg bytes(update);
            ApplyUpdateTo(d, bytes.span(), std::move(origin));
          },
          "update"_a, "origin"_a = "",
          "Applies a v1 update. Raises InvalidArgumentError for malformed input (the doc is "
          "then unchanged).")
      .def(
          "transaction",
          [](const DocPtr& d, std::string origin) { return PyTransaction{d, std::move(origin)}; },
          "origin"_a = "")
      .def(
          "observe_update",
          [](const DocPtr& d, py::function callback) {
            std::weak_ptr<PyDoc> weak = d;
            return Subscribe(d, d->doc->OnUpdate([weak, callback](ByteSpan update,
                                                                 const crdt::Transaction& txn) {
              auto doc = weak.lock();
              if (!doc) return;
              InvokeCallback(*doc, [&] { callback(ToPyBytes(update), txn.origin()); });
            }));
          },
          "callback"_a,
          "Calls `callback(update: bytes, origin: str)` after every transaction that changed "
          "the doc. The callback must not change this doc. Exceptions it raises are re-raised "
          "by the call that committed the transaction.")
      .def("__repr__", [](const PyDoc& d) {
        return "<codesphere.crdt.Doc client_id=" + std::to_string(d.doc->client_id()) + ">";
      });
}

void RegisterEvent(py::module_& m) {
  py::class_<PyEvent>(m, "Event", "A change to a shared type (Yjs YEvent).")
      .def_readonly("target", &PyEvent::target, "The changed Text, Map or Array.")
      .def_readonly("path", &PyEvent::path,
                    "From the observed type to `target`: map keys and list indices.")
      .def_readonly("delta", &PyEvent::delta,
                    "Text/Array changes as a Yjs delta ([{'insert'|'retain'|'delete': ...}]).")
      .def_readonly("keys", &PyEvent::keys,
                    "Map changes: {key: {'action': 'add'|'update'|'delete', 'old_value': ...}}.");
}

struct PyUndoManager {
  DocPtr d;
  std::unique_ptr<crdt::UndoManager> manager;
  // Undo/redo run their own transactions; refuse them where a transaction could not start.
  template <typename F>
  bool Change(F&& f) {
    if (d->txn || d->in_callback > 0) {
      ThrowStatus(FailedPreconditionError("undo/redo inside a transaction or callback"));
    }
    const bool changed = f();
    d->callback_error.RaiseIfAny();
    return changed;
  }
};

crdt::Shared ScopeItem(py::handle item, DocPtr& doc) {
  auto take = [&](const DocPtr& d, const crdt::Shared& s) {
    if (doc && doc != d) ThrowStatus(InvalidArgumentError("scope types must share one Doc"));
    doc = d;
    return s;
  };
  if (py::isinstance<PyText>(item)) return take(item.cast<PyText&>().d, item.cast<PyText&>().t);
  if (py::isinstance<PyMap>(item)) return take(item.cast<PyMap&>().d, item.cast<PyMap&>().m);
  if (py::isinstance<PyArray>(item)) {
    return take(item.cast<PyArray&>().d, item.cast<PyArray&>().a);
  }
  ThrowStatus(InvalidArgumentError("scope holds Text, Map or Array handles"));
}

void RegisterUndoManager(py::module_& m) {
  py::class_<PyUndoManager>(m, "UndoManager",
                            "Undo/redo of the local changes to some types (Yjs UndoManager). "
                            "Changes closer than `capture_timeout` seconds merge into one step.")
      .def(py::init([](const py::object& scope, const std::set<std::string>& tracked_origins,
                       double capture_timeout) {
             DocPtr doc;
             std::vector<crdt::Shared> types;
             if (py::isinstance<py::list>(scope) || py::isinstance<py::tuple>(scope)) {
               for (py::handle item : scope) types.push_back(ScopeItem(item, doc));
             } else {
               types.push_back(ScopeItem(scope, doc));
             }
             if (!doc) ThrowStatus(InvalidArgumentError("scope must not be empty"));
             crdt::UndoManagerOptions options;
             options.tracked_origins = tracked_origins;
             options.capture_timeout_ms = static_cast<std::uint64_t>(capture_timeout * 1000);
             options.now_ms = [] {
               return static_cast<std::uint64_t>(
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count());
             };
             auto manager = std::make_unique<crdt::UndoManager>(*doc->doc, types, options);
             return PyUndoManager{doc, std::move(manager)};
           }),
           "scope"_a, "tracked_origins"_a = std::set<std::string>{""},
           "capture_timeout"_a = 0.5)
      .def("undo", [](PyUndoManager& u) { return u.Change([&] { return u.manager->Undo(); }); },
           "Reverts the last step; True if the doc changed.")
      .def("redo", [](PyUndoManager& u) { return u.Change([&] { return u.manager->Redo(); }); })
      .def_property_readonly("can_undo", [](const PyUndoManager& u) { return u.manager->CanUndo(); })
      .def_property_readonly("can_redo", [](const PyUndoManager& u) { return u.manager->CanRedo(); })
      .def("stop_capturing", [](PyUndoManager& u) { u.manager->StopCapturing(); },
           "The next change starts a new step.")
      .def("clear", [](PyUndoManager& u) { u.manager->Clear(); })
      .def_property_readonly("origin",
                             [](const PyUndoManager& u) { return u.manager->origin(); });
}

}  // namespace

py::object WrapBorrowedDoc(crdt::Doc& doc, py::object owner) {
  return py::cast(std::make_shared<PyDoc>(doc, std::move(owner)));
}

void RegisterCrdt(py::module_& parent) {
  py::module_ m = parent.def_submodule("crdt", "Yjs-compatible CRDT documents (codesphere::crdt).");
  RegisterStateVector(m);
  RegisterEvent(m);
  RegisterText(m);
  RegisterMap(m);
  RegisterArray(m);
  RegisterDoc(m);
  RegisterUndoManager(m);

  m.def(
      "apply_update",
      [](PyDoc& d, const py::object& update, std::string origin) {
        BytesArg bytes(update);
        ApplyUpdateTo(d, bytes.span(), std::move(origin));
      },
      "doc"_a, "update"_a, "origin"_a = "");
  m.def(
      "encode_state_as_update",
      [](const PyDoc& d, const py::object& state_vector) {
        const crdt::StateVector sv = StateVectorArg(state_vector);
        return ToPyBytes(crdt::EncodeStateAsUpdate(*d.doc, sv));
      },
      "doc"_a, "state_vector"_a = py::none());
  m.def(
      "encode_state_vector", [](const PyDoc& d) { return ToPyBytes(crdt::EncodeStateVector(*d.doc)); },
      "doc"_a);
  m.def(
      "merge_updates",
      [](const py::iterable& updates) {
        std::vector<std::unique_ptr<BytesArg>> args;
        std::vector<ByteSpan> spans;
        for (py::handle u : updates) {
          args.push_back(std::make_unique<BytesArg>(u));
          spans.push_back(args.back()->span());
        }
        Result<Bytes> merged = [&] {
          py::gil_scoped_release release;
          return crdt::MergeUpdates(spans);
        }();
        return ToPyBytes(Unwrap(std::move(merged)));
      },
      "updates"_a, "Merges updates without a Doc (Yjs mergeUpdates). Releases the GIL.");
  m.def(
      "diff_update",
      [](const py::object& update, const py::object& state_vector) {
        BytesArg bytes(update);
        const Bytes sv = StateVectorArg(state_vector).Encode();
        Result<Bytes> diff = [&] {
          py::gil_scoped_release release;
          return crdt::DiffUpdate(bytes.span(), sv);
        }();
        return ToPyBytes(Unwrap(std::move(diff)));
      },
      "update"_a, "state_vector"_a,
      "The part of `update` not covered by `state_vector` (Yjs diffUpdate). Releases the GIL.");
  m.def(
      "encode_state_vector_from_update",
      [](const py::object& update) {
        BytesArg bytes(update);
        return ToPyBytes(Unwrap(crdt::EncodeStateVectorFromUpdate(bytes.span())));
      },
      "update"_a);
  m.def(
      "validate_update",
      [](const py::object& update) {
        BytesArg bytes(update);
        ThrowIfError(crdt::ValidateUpdate(bytes.span()));
      },
      "update"_a, "Raises InvalidArgumentError unless `update` is a well-formed v1 update.");
}

}  // namespace codesphere::python
