// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Shared type APIs: Text deltas and formatting, Array/Map values, XML, UTF-8 helpers.

#include <string>

#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::crdt {
namespace {

TEST(TextTest, ApplyDeltaAndToDeltaRoundTrip) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  auto delta = ParseJson(R"([{"insert":"Hello "},{"insert":"world","attributes":{"bold":true}},{"insert":"!"}])");
  ASSERT_TRUE(delta.ok());
  {
    Transaction txn(doc);
    ASSERT_OK(t.ApplyDelta(txn, *delta));
  }
  EXPECT_EQ(ToJson(t.ToDelta()), ToJson(*delta));
  auto edit = ParseJson(R"([{"retain":6},{"retain":5,"attributes":{"bold":null,"italic":true}},{"delete":1}])");
  ASSERT_TRUE(edit.ok());
  {
    Transaction txn(doc);
    ASSERT_OK(t.ApplyDelta(txn, *edit));
  }
  EXPECT_EQ(ToJson(t.ToDelta()), R"([{"insert":"Hello "},{"insert":"world","attributes":{"italic":true}}])");
  Doc copy(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(copy, EncodeStateAsUpdate(doc)));
  EXPECT_EQ(ToJson(copy.GetText("t").ToDelta()), ToJson(t.ToDelta()));
  Transaction txn(doc);
  EXPECT_THAT(t.ApplyDelta(txn, *ParseJson(R"([{"retain":100}])")),
              testing::StatusIs(StatusCode::kInvalidArgument));
}

TEST(TextTest, InsertInheritsAttributesAndEmbedsCount) {
  Doc doc(DocOptions{.client_id = 1});
  Text t = doc.GetText("t");
  Attributes bold{{"bold", Any(true)}};
  {
    Transaction txn(doc);
    ASSERT_OK(t.Insert(txn, 0, "ab", &bold));
    ASSERT_OK(t.Insert(txn, 1, "X"));
    ASSERT_OK(t.InsertEmbed(txn, 3, Any(Any::Object{{"image", Any("x.png")}})));
  }
  EXPECT_EQ(t.Length(), 4u);
  EXPECT_EQ(t.ToString(), "aXb");
  EXPECT_EQ(ToJson(t.ToDelta()),
            R"([{"insert":"aXb","attributes":{"bold":true}},{"insert":{"image":"x.png"},"attributes":{"bold":true}}])");
  Transaction txn(doc);
  EXPECT_THAT(t.Insert(txn, 99, "x"), testing::StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(t.Insert(txn, 0, "\xC3\x28"), testing::StatusIs(StatusCode::kInvalidArgument));
}

TEST(ArrayTest, SliceGetAndNestedTypes) {
  Doc doc(DocOptions{.client_id = 1});
  Array a = doc.GetArray("a");
  {
    Transaction txn(doc);
    ASSERT_OK(a.Insert(txn, 0, {Any(1), Any(2), Any(3)}));
    ASSERT_OK_AND_ASSIGN(Shared m, a.InsertType(txn, 1, TypeKind::kMap));
    m.AsMap().Set(txn, "k", Any("v"));
    ASSERT_OK(a.Delete(txn, 2, 1));
  }
  EXPECT_EQ(a.Length(), 3u);
  EXPECT_EQ(ToJson(a.ToJson()), R"([1,{"k":"v"},3])");
  auto v = a.Get(1);
  ASSERT_TRUE(v.has_value());
  ASSERT_TRUE(v->is_shared());
  EXPECT_EQ(v->shared.kind(), TypeKind::kMap);
  EXPECT_EQ(a.Slice(1, 10).size(), 2u);
  EXPECT_FALSE(a.Get(3).has_value());
}

TEST(XmlTest, ElementsAttributesAndText) {
  Doc doc(DocOptions{.client_id = 1});
  XmlFragment f = doc.GetXmlFragment("x");
  {
    Transaction txn(doc);
    ASSERT_OK_AND_ASSIGN(XmlElement p, f.InsertElement(txn, 0, "P"));
    p.SetAttribute(txn, "b", "2");
    p.SetAttribute(txn, "a", "1");
    ASSERT_OK_AND_ASSIGN(XmlText t, p.InsertText(txn, 0));
    ASSERT_OK(t.Insert(txn, 0, "hi"));
  }
  EXPECT_EQ(f.ToString(), R"(<p a="1" b="2">hi</p>)");
  Doc copy(DocOptions{.client_id = 2});
  ASSERT_OK(ApplyUpdate(copy, EncodeStateAsUpdate(doc)));
  XmlElement p = copy.GetXmlFragment("x").Get(0)->AsXmlElement();
  EXPECT_EQ(p.NodeName(), "P");
  EXPECT_EQ(p.GetAttribute("a"), "1");
  EXPECT_EQ(EncodeStateAsUpdate(copy), EncodeStateAsUpdate(doc));
}

TEST(Utf8HelpersTest, ConvertsOffsets) {
  const std::string s = "a\xC3\xA9\xF0\x9F\x98\x80z";  // a é 😀 z
  EXPECT_EQ(Utf16OffsetFromUtf8(s, 0), 0u);
  EXPECT_EQ(Utf16OffsetFromUtf8(s, 1), 1u);
  EXPECT_EQ(Utf16OffsetFromUtf8(s, 3), 2u);
  EXPECT_EQ(Utf16OffsetFromUtf8(s, 7), 4u);
  EXPECT_EQ(Utf16OffsetFromUtf8(s, 8), 5u);
  EXPECT_EQ(Utf8OffsetFromUtf16(s, 2), 3u);
  EXPECT_EQ(Utf8OffsetFromUtf16(s, 3), 3u);
  EXPECT_EQ(Utf8OffsetFromUtf16(s, 4), 7u);
  EXPECT_EQ(Utf8OffsetFromUtf16(s, 99), 8u);
}

}  // namespace
}  // namespace codesphere::crdt
