// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/sandbox/spec.h"

#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace codesphere::sandbox {
namespace {

using ::codesphere::testing::StatusIs;

TEST(SpecTest, DefaultSpecIsValidAndComposesARoot) {
  Spec spec = DefaultSpec("/srv/ws");
  EXPECT_OK(ValidateSpec(spec));
  EXPECT_EQ(spec.rootfs.workspace, "/srv/ws");
  EXPECT_NE(spec.user.uid, 0u);
  bool has_usr = false, has_passwd = false;
  for (const auto& b : spec.rootfs.binds) has_usr |= b.target == "/usr" && b.read_only;
  for (const auto& f : spec.rootfs.files) has_passwd |= f.path == "/etc/passwd";
  EXPECT_TRUE(has_usr);
  EXPECT_TRUE(has_passwd);
  EXPECT_EQ(spec.env.count("PATH"), 1u);
}

TEST(SpecTest, JsonRoundTrip) {
  Spec spec = DefaultSpec("/srv/ws");
  spec.limits.memory_bytes = 256ull << 20;
  spec.hostname = "box-1";
  spec.env["A"] = "b=c";
  spec.rootfs.workspace_size_bytes = 1ull << 30;
  spec.rootfs.workspace_image = "/srv/images/ws.img";
  ASSERT_OK_AND_ASSIGN(std::string json, SpecToJson(spec));
  ASSERT_OK_AND_ASSIGN(Spec back, SpecFromJson(json));
  EXPECT_EQ(back.limits.memory_bytes, spec.limits.memory_bytes);
  EXPECT_EQ(back.hostname, "box-1");
  EXPECT_EQ(back.env, spec.env);
  EXPECT_EQ(back.rootfs.binds.size(), spec.rootfs.binds.size());
  EXPECT_EQ(back.rootfs.files.size(), spec.rootfs.files.size());
  EXPECT_EQ(back.rootfs.workspace_size_bytes, 1ull << 30);
  EXPECT_EQ(back.rootfs.workspace_image, "/srv/images/ws.img");
  ASSERT_OK_AND_ASSIGN(std::string again, SpecToJson(back));
  EXPECT_EQ(again, json);
}

// Specs stored before the workspace cap existed still load (without a cap).
TEST(SpecTest, JsonWithoutWorkspaceCapFieldsLoads) {
  Spec spec = DefaultSpec("/srv/ws");
  spec.rootfs.workspace_size_bytes = 1ull << 30;
  spec.rootfs.workspace_image = "/srv/ws.img";
  ASSERT_OK_AND_ASSIGN(std::string json, SpecToJson(spec));
  for (const char* field : {"\"workspace_size_bytes\"", "\"workspace_image\""}) {
    size_t at = json.find(field);
    ASSERT_NE(at, std::string::npos) << json;
    size_t line_start = json.rfind('\n', at);
    size_t line_end = json.find('\n', at);
    json.erase(line_start, line_end - line_start);
  }
  // The last member lost: drop the dangling comma before the closing brace.
  size_t comma = json.rfind(',', json.find("}", json.find("\"shm_size_bytes\"")));
  json.erase(comma, 1);
  ASSERT_OK_AND_ASSIGN(Spec back, SpecFromJson(json));
  EXPECT_EQ(back.rootfs.workspace_size_bytes, 0u);
  EXPECT_EQ(back.rootfs.workspace_image, "");
  EXPECT_EQ(back.rootfs.shm_size_bytes, spec.rootfs.shm_size_bytes);
}

TEST(SpecTest, MalformedJsonIsDataLoss) {
  EXPECT_THAT(SpecFromJson("{"), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(SpecFromJson("[]"), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(SpecFromJson(""), StatusIs(StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(std::string json, SpecToJson(DefaultSpec("/w")));
  std::string bad_mode = json;
  bad_mode.replace(bad_mode.find("\"none\""), 6, "\"wifi\"");
  EXPECT_THAT(SpecFromJson(bad_mode), StatusIs(StatusCode::kDataLoss));
}

TEST(SpecTest, ValidationRejectsBadFields) {
  auto expect_invalid = [](auto mutate) {
    Spec spec = DefaultSpec("/srv/ws");
    mutate(spec);
    EXPECT_THAT(ValidateSpec(spec), StatusIs(StatusCode::kInvalidArgument));
  };
  expect_invalid([](Spec& s) { s.rootfs.workspace = "relative"; });
  expect_invalid([](Spec& s) { s.rootfs.workspace = "/a/../etc"; });
  expect_invalid([](Spec& s) { s.rootfs.binds.push_back({"/etc", "/", true, false}); });
  expect_invalid([](Spec& s) { s.rootfs.binds.push_back({"/etc", "/x//y", true, false}); });
  expect_invalid([](Spec& s) { s.cwd = "/work/"; });
  expect_invalid([](Spec& s) { s.user.uid = 0; });
  expect_invalid([](Spec& s) { s.hostname = "a b"; });
  expect_invalid([](Spec& s) { s.env["A=B"] = "c"; });
  expect_invalid([](Spec& s) { s.limits.memory_bytes = 1000; });
  expect_invalid([](Spec& s) { s.user.outside_uid = 5000; });
  expect_invalid([](Spec& s) { s.rootfs.workspace_size_bytes = 1 << 20; });
  expect_invalid([](Spec& s) {
    s.rootfs.workspace_size_bytes = 1ull << 30;
    s.rootfs.workspace.clear();
  });
  expect_invalid([](Spec& s) { s.rootfs.workspace_image = "/srv/ws/ws.img"; });
  expect_invalid([](Spec& s) { s.rootfs.workspace_image = "/srv/ws"; });
  expect_invalid([](Spec& s) { s.rootfs.workspace_image = "img"; });
}

TEST(SpecTest, ParsesByteSizes) {
  EXPECT_EQ(*ParseByteSize("4096"), 4096u);
  EXPECT_EQ(*ParseByteSize("256M"), 256ull << 20);
  EXPECT_EQ(*ParseByteSize("1G"), 1ull << 30);
  EXPECT_EQ(*ParseByteSize("512k"), 512ull << 10);
  EXPECT_EQ(*ParseByteSize("2GiB"), 2ull << 30);
  for (const char* bad : {"", "M", "12Q", "-1", "99999999999999999999", "16777216T"}) {
    EXPECT_THAT(ParseByteSize(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace codesphere::sandbox
