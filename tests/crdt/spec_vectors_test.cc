// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The hex vectors of shared/spec/yjs-compat.md §12 (produced by yjs 13.6.33): our edits must
// produce the same bytes, and each vector must load and re-encode byte-identically.

#include <string>
#include <vector>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::crdt {
namespace {

Bytes H(std::string_view hex) {
  std::string clean;
  for (char c : hex) {
    if (c != ' ') clean.push_back(c);
  }
  auto b = FromHex(clean);
  EXPECT_TRUE(b.ok());
  return b.ok() ? *b : Bytes{};
}

std::string Hx(ByteSpan b) { return ToHex(b, " "); }

// Loads `hex` into a fresh doc and checks that re-encoding gives the same bytes.
void ExpectRoundTrip(std::string_view hex, bool gc = true) {
  Doc doc(DocOptions{.client_id = 999999, .gc = gc});
  Bytes in = H(hex);
  ASSERT_OK(ApplyUpdate(doc, in));
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), Hx(in));
}

struct Recorder {
  explicit Recorder(Doc& doc)
      : sub(doc.OnUpdate([this](ByteSpan u, const Transaction&) { last = Bytes(u.begin(), u.end()); })) {}
  Bytes last;
  Subscription sub;
};

TEST(SpecVectorsTest, EmptyDocument) {
  Doc doc(DocOptions{.client_id = 1});
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), "00 00");
  EXPECT_EQ(Hx(EncodeStateVector(doc)), "00");
}

TEST(SpecVectorsTest, TextInsertAppendDelete) {
  Doc doc(DocOptions{.client_id = 1});
  Recorder rec(doc);
  Text t = doc.GetText("t");
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "abc"));
  }
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), "01 01 01 00 04 01 01 74 03 61 62 63 00");
  EXPECT_EQ(Hx(EncodeStateVector(doc)), "01 01 03");
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 3, "d"));
  }
  EXPECT_EQ(Hx(rec.last), "01 01 01 03 84 01 02 01 64 00");
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), "01 01 01 00 04 01 01 74 04 61 62 63 64 00");
  ExpectRoundTrip("01 01 01 00 04 01 01 74 04 61 62 63 64 00");
}

TEST(SpecVectorsTest, Deletion) {
  for (bool gc : {true, false}) {
    Doc doc(DocOptions{.client_id = 1, .gc = gc});
    Recorder rec(doc);
    Text t = doc.GetText("t");
    {
      Transaction txn(doc);
      ASSERT_OK(t.Insert(txn, 0, "abc"));
    }
    {
      Transaction txn(doc);
      ASSERT_OK(t.Delete(txn, 1, 1));
    }
    EXPECT_EQ(Hx(rec.last), "00 01 01 01 01 01");
    const char* want = gc ? "01 03 01 00 04 01 01 74 01 61 81 01 00 01 84 01 01 01 63 01 01 01 01 01"
                          : "01 03 01 00 04 01 01 74 01 61 84 01 00 01 62 84 01 01 01 63 01 01 01 01 01";
    EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), want);
    EXPECT_EQ(t.ToString(), "ac");
    ExpectRoundTrip(want, gc);
  }
}

TEST(SpecVectorsTest, MapSetAndOverwrite) {
  Doc doc(DocOptions{.client_id = 7});
  Recorder rec(doc);
  Map m = doc.GetMap("m");
  {
    Transaction txn(doc);
    m.Set(txn, "k", Any(42));
  }
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), "01 01 07 00 28 01 01 6d 01 6b 01 7d 2a 00");
  {
    Transaction txn(doc);
    m.Set(txn, "k", Any("v"));
  }
  EXPECT_EQ(Hx(rec.last), "01 01 07 01 a8 07 00 01 77 01 76 01 07 01 00 01");
  const char* full = "01 02 07 00 21 01 01 6d 01 6b 01 a8 07 00 01 77 01 76 01 07 01 00 01";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full);
  ExpectRoundTrip(full);
  Doc other(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(other, H(full)));
  EXPECT_EQ(ToJson(other.GetMap("m").ToJson()), R"({"k":"v"})");
}

TEST(SpecVectorsTest, TwoClientsAndDiffWithOffset) {
  Doc d1(DocOptions{.client_id = 1});
  Doc d2(DocOptions{.client_id = 2});
  {
    Transaction txn(d1);
    ASSERT_OK(d1.GetText("t").Insert(txn, 0, "ab"));
  }
  ASSERT_OK(ApplyUpdate(d2, EncodeStateAsUpdate(d1)));
  {
    Transaction txn(d2);
    ASSERT_OK(d2.GetText("t").Insert(txn, 1, "X"));
  }
  ASSERT_OK(ApplyUpdate(d1, EncodeStateAsUpdate(d2)));
  const char* full = "02 01 02 00 c4 01 00 01 01 01 58 02 01 00 04 01 01 74 01 61 84 01 00 01 62 00";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(d1)), full);
  EXPECT_EQ(Hx(EncodeStateVector(d1)), "02 02 01 01 02");
  EXPECT_EQ(d1.GetText("t").ToString(), "aXb");
  ExpectRoundTrip(full);

  Doc d3(DocOptions{.client_id = 1});
  {
    Transaction txn(d3);
    ASSERT_OK(d3.GetText("t").Insert(txn, 0, "abc"));
  }
  ASSERT_OK_AND_ASSIGN(StateVector sv1, StateVector::Decode(H("01 01 01")));
  EXPECT_EQ(Hx(EncodeStateAsUpdate(d3, sv1)), "01 01 01 01 84 01 00 02 62 63 00");
  ASSERT_OK_AND_ASSIGN(StateVector sv3, StateVector::Decode(H("01 01 03")));
  EXPECT_EQ(Hx(EncodeStateAsUpdate(d3, sv3)), "00 00");
}

TEST(SpecVectorsTest, SurrogateSplit) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "a\xF0\x9F\x98\x80"));
  }
  EXPECT_EQ(t.Length(), 3u);
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), "01 01 01 00 04 01 01 74 05 61 f0 9f 98 80 00");
  {
    Transaction txn(doc);
    ASSERT_OK(t.Delete(txn, 2, 1));
  }
  EXPECT_EQ(t.ToString(), "a\xEF\xBF\xBD");
  const char* full = "01 02 01 00 04 01 01 74 04 61 ef bf bd 81 01 01 01 01 01 01 02 01";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full);
  ExpectRoundTrip(full);
}

TEST(SpecVectorsTest, NestedTypeAndGcOfChildren) {
  Doc doc(DocOptions{.client_id = 3});
  Map m = doc.GetMap("m");
  {
    Transaction txn(doc);
    Text s = m.SetType(txn, "sub", TypeKind::kText).AsText();
    ASSERT_OK(s.Insert(txn, 0, "hi"));
  }
  const char* full1 = "01 02 03 00 27 01 01 6d 03 73 75 62 02 04 00 03 00 02 68 69 00";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full1);
  ExpectRoundTrip(full1);
  {
    Transaction txn(doc);
    m.Delete(txn, "sub");
  }
  const char* full2 = "01 02 03 00 21 01 01 6d 03 73 75 62 01 00 02 01 03 01 00 03";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full2);
  ExpectRoundTrip(full2);
}

TEST(SpecVectorsTest, Formatting) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  Attributes bold{{"bold", Any(true)}};
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "hi", &bold));
  }
  const char* full =
      "01 03 01 00 06 01 01 74 04 62 6f 6c 64 04 74 72 75 65 84 01 00 02 68 69 86 01 02 04 62 6f 6c "
      "64 04 6e 75 6c 6c 00";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full);
  EXPECT_EQ(ToJson(t.ToDelta()), R"([{"insert":"hi","attributes":{"bold":true}}])");
  EXPECT_EQ(t.Length(), 2u);
  ExpectRoundTrip(full);
}

TEST(SpecVectorsTest, ArrayAnyAndBinary) {
  Doc doc(DocOptions{.client_id = 5});
  Array a = doc.GetArray("a");
  {
    Transaction txn(doc);
    Any::Object obj{{"k", Any(Any::Array{Any(-1)})}};
    ASSERT_OK(a.Insert(txn, 0, {Any(1), Any("x"), Any(true), Any(nullptr), Any(1.5), Any(obj)}));
  }
  {
    Transaction txn(doc);
    ASSERT_OK(a.Push(txn, {Any(Bytes{1, 2})}));
  }
  const char* full =
      "01 02 05 00 08 01 01 61 06 7d 01 77 01 78 78 7e 7c 3f c0 00 00 76 01 01 6b 75 01 7d 41 83 05 "
      "05 02 01 02 00";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full);
  ExpectRoundTrip(full);
  const char* json = "01 01 09 00 02 01 01 61 03 01 31 03 22 78 22 09 75 6e 64 65 66 69 6e 65 64 00";
  ExpectRoundTrip(json);
  Doc j(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(j, H(json)));
  EXPECT_EQ(j.GetArray("a").Length(), 3u);
}

TEST(SpecVectorsTest, XmlTypes) {
  Doc doc(DocOptions{.client_id = 1});
  XmlFragment f = doc.GetXmlFragment("x");
  {
    Transaction txn(doc);
    ASSERT_OK_AND_ASSIGN(XmlElement el, f.InsertElement(txn, 0, "p"));
    el.SetAttribute(txn, "class", "c");
    ASSERT_OK_AND_ASSIGN(XmlText xt, el.InsertText(txn, 0));
    ASSERT_OK(xt.Insert(txn, 0, "t"));
    auto hook = Array(f).InsertType(txn, 1, TypeKind::kXmlHook, "h");
    ASSERT_TRUE(hook.ok());
  }
  const char* full =
      "01 05 01 00 07 01 01 78 03 01 70 28 00 01 00 05 63 6c 61 73 73 01 77 01 63 07 00 01 00 06 04 "
      "00 01 02 01 74 87 01 00 05 01 68 00";
  EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full);
  ExpectRoundTrip(full);
  Doc other(DocOptions{.client_id = 9});
  ASSERT_OK(ApplyUpdate(other, H(full)));
  EXPECT_EQ(other.GetXmlFragment("x").ToString(), "<p class=\"c\">t</p>");
}

TEST(SpecVectorsTest, UpdateV2) {
  Doc empty(DocOptions{.client_id = 1});
  EXPECT_EQ(Hx(EncodeStateAsUpdateV2(empty)), "00 00 00 00 00 00 01 00 00 00 00 00 00");
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "abc"));
  }
  const char* v2a = "00 00 01 01 00 00 01 04 07 04 74 61 62 63 01 03 01 01 00 00 01 01 00 00";
  EXPECT_EQ(Hx(EncodeStateAsUpdateV2(doc)), v2a);
  {
    Transaction txn(doc);
    ASSERT_OK(t.Delete(txn, 1, 1));
  }
  const char* v2b =
      "00 00 02 41 01 02 00 02 00 05 04 00 81 00 84 06 03 74 61 63 41 01 01 01 00 01 01 01 03 00 01 "
      "01 01 01 00";
  EXPECT_EQ(Hx(EncodeStateAsUpdateV2(doc)), v2b);
  Doc loaded(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdateV2(loaded, H(v2b)));
  EXPECT_EQ(loaded.GetText("t").ToString(), "ac");
  EXPECT_EQ(EncodeStateAsUpdate(loaded), EncodeStateAsUpdate(doc));
  ASSERT_OK_AND_ASSIGN(Bytes v1, ConvertUpdateV2ToV1(H(v2b)));
  EXPECT_EQ(v1, EncodeStateAsUpdate(doc));
  ASSERT_OK_AND_ASSIGN(Bytes v2, ConvertUpdateV1ToV2(v1));
  EXPECT_EQ(Hx(v2), v2b);
  EXPECT_FALSE(ApplyUpdateV2(loaded, H("00 00 02 41")).ok());
}

TEST(SpecVectorsTest, SkipStructsAndPending) {
  Doc doc(DocOptions{.client_id = 1});
  std::vector<Bytes> updates;
  auto sub = doc.OnUpdate([&](ByteSpan u, const Transaction&) { updates.emplace_back(u.begin(), u.end()); });
  Text t = doc.GetText("t");
  for (const char* s : {"a", "b", "c"}) {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, t.Length(), s));
  }
  ASSERT_EQ(updates.size(), 3u);
  EXPECT_EQ(Hx(updates[0]), "01 01 01 00 04 01 01 74 01 61 00");
  EXPECT_EQ(Hx(updates[1]), "01 01 01 01 84 01 00 01 62 00");
  EXPECT_EQ(Hx(updates[2]), "01 01 01 02 84 01 01 01 63 00");
  ASSERT_OK_AND_ASSIGN(Bytes merged, MergeUpdates({updates[0], updates[2]}));
  const char* want = "01 03 01 00 04 01 01 74 01 61 0a 01 84 01 01 01 63 00";
  EXPECT_EQ(Hx(merged), want);

  Doc p(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(p, updates[0]));
  ASSERT_OK(ApplyUpdate(p, updates[2]));
  EXPECT_EQ(p.GetText("t").ToString(), "a");
  EXPECT_EQ(Hx(EncodeStateVector(p)), "01 01 01");
  EXPECT_TRUE(p.HasPending());
  EXPECT_EQ(Hx(EncodeStateAsUpdate(p)), want);
  ASSERT_OK(ApplyUpdate(p, updates[1]));
  EXPECT_EQ(p.GetText("t").ToString(), "abc");
  EXPECT_FALSE(p.HasPending());
}

TEST(SpecVectorsTest, ConcurrencyOutcomes) {
  {
    Doc a(DocOptions{.client_id = 1}), b(DocOptions{.client_id = 2});
    {
      Transaction t(a);
      ASSERT_OK(a.GetText("t").Insert(t, 0, "A"));
    }
    {
      Transaction t(b);
      ASSERT_OK(b.GetText("t").Insert(t, 0, "B"));
    }
    ASSERT_OK(ApplyUpdate(a, EncodeStateAsUpdate(b)));
    ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
    EXPECT_EQ(a.GetText("t").ToString(), "AB");
    EXPECT_EQ(b.GetText("t").ToString(), "AB");
  }
  {
    Doc a(DocOptions{.client_id = 10}), b(DocOptions{.client_id = 20}), c(DocOptions{.client_id = 30});
    {
      Transaction t(a);
      ASSERT_OK(a.GetText("t").Insert(t, 0, "xy"));
    }
    ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
    ASSERT_OK(ApplyUpdate(c, EncodeStateAsUpdate(a)));
    for (auto [d, s] : {std::pair<Doc*, const char*>{&a, "A1"}, {&b, "B2"}, {&c, "C3"}}) {
      Transaction t(*d);
      ASSERT_OK(d->GetText("t").Insert(t, 1, s));
    }
    for (Doc* x : {&a, &b, &c}) {
      for (Doc* y : {&a, &b, &c}) ASSERT_OK(ApplyUpdate(*x, EncodeStateAsUpdate(*y)));
    }
    EXPECT_EQ(a.GetText("t").ToString(), "xA1B2C3y");
    EXPECT_EQ(c.GetText("t").ToString(), "xA1B2C3y");
    {
      Transaction t(a);
      ASSERT_OK(a.GetText("t").Insert(t, 3, "a"));
    }
    {
      Transaction t(b);
      ASSERT_OK(b.GetText("t").Insert(t, 5, "b"));
    }
    for (Doc* x : {&a, &b, &c}) {
      for (Doc* y : {&a, &b, &c}) ASSERT_OK(ApplyUpdate(*x, EncodeStateAsUpdate(*y)));
    }
    EXPECT_EQ(a.GetText("t").ToString(), "xA1aB2bC3y");
    EXPECT_EQ(b.GetText("t").ToString(), "xA1aB2bC3y");
  }
  {
    Doc a(DocOptions{.client_id = 1}), b(DocOptions{.client_id = 2});
    {
      Transaction t(a);
      ASSERT_OK(a.GetText("t").Insert(t, 0, "ab"));
    }
    ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
    {
      Transaction t(a);
      ASSERT_OK(a.GetText("t").Insert(t, 1, "1"));
    }
    {
      Transaction t(a);
      ASSERT_OK(a.GetText("t").Insert(t, 1, "2"));
    }
    {
      Transaction t(b);
      ASSERT_OK(b.GetText("t").Insert(t, 1, "3"));
    }
    ASSERT_OK(ApplyUpdate(a, EncodeStateAsUpdate(b)));
    ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
    EXPECT_EQ(a.GetText("t").ToString(), "a213b");
    EXPECT_EQ(b.GetText("t").ToString(), "a213b");
  }
  {
    Doc a(DocOptions{.client_id = 1}), b(DocOptions{.client_id = 2});
    {
      Transaction t(a);
      a.GetMap("m").Set(t, "k", Any("from1"));
    }
    {
      Transaction t(b);
      b.GetMap("m").Set(t, "k", Any("from2"));
    }
    ASSERT_OK(ApplyUpdate(a, EncodeStateAsUpdate(b)));
    ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
    const char* full =
        "02 01 02 00 28 01 01 6d 01 6b 01 77 05 66 72 6f 6d 32 01 01 00 21 01 01 6d 01 6b 01 01 01 "
        "01 00 01";
    EXPECT_EQ(Hx(EncodeStateAsUpdate(a)), full);
    EXPECT_EQ(Hx(EncodeStateAsUpdate(b)), full);
    EXPECT_EQ(a.GetMap("m").Get("k")->any.as_string(), "from2");
    ExpectRoundTrip(full);
  }
}

TEST(SpecVectorsTest, MergingAndDeleteSetCoalescing) {
  {
    Doc doc(DocOptions{.client_id = 1});
    Map m = doc.GetMap("m");
    for (int v : {1, 2, 3}) {
      Transaction t(doc);
      m.Set(t, "k", Any(v));
    }
    const char* full = "01 02 01 00 21 01 01 6d 01 6b 02 a8 01 01 01 7d 03 01 01 01 00 02";
    EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full);
    ExpectRoundTrip(full);
  }
  {
    Doc doc(DocOptions{.client_id = 1});
    Text t = doc.GetText("t");
    {
      Transaction txn(doc);
      ASSERT_OK(t.Insert(txn, 0, "abcdef"));
    }
    for (int k = 0; k < 3; ++k) {
      Transaction txn(doc);
      ASSERT_OK(t.Delete(txn, 1, 1));
    }
    const char* full = "01 03 01 00 04 01 01 74 01 61 81 01 00 03 84 01 03 02 65 66 01 01 01 01 03";
    EXPECT_EQ(Hx(EncodeStateAsUpdate(doc)), full);
    ExpectRoundTrip(full);
  }
  {
    Doc a(DocOptions{.client_id = 1}), b(DocOptions{.client_id = 2});
    {
      Transaction t(a);
      ASSERT_OK(a.GetText("t").Insert(t, 0, "abcdef"));
    }
    ASSERT_OK(ApplyUpdate(b, EncodeStateAsUpdate(a)));
    {
      Transaction t(b);
      ASSERT_OK(b.GetText("t").Insert(t, 6, "XYZ"));
    }
    ASSERT_OK(ApplyUpdate(a, EncodeStateAsUpdate(b)));
    Text t = a.GetText("t");
    // Delete "a", "c", "X", "Y" one by one.
    for (auto [idx, n] : {std::pair<int, int>{0, 1}, {1, 1}, {4, 1}, {4, 1}}) {
      Transaction txn(a);
      ASSERT_OK(t.Delete(txn, idx, n));
    }
    EXPECT_EQ(t.ToString(), "bdefZ");
    const char* full =
        "02 02 02 00 81 01 05 02 84 02 01 01 5a 04 01 00 01 01 01 74 01 84 01 00 01 62 81 01 01 01 "
        "84 01 02 03 64 65 66 02 02 01 00 02 01 02 00 01 02 01";
    EXPECT_EQ(Hx(EncodeStateAsUpdate(a)), full);
    ExpectRoundTrip(full);
  }
}

}  // namespace
}  // namespace codesphere::crdt
