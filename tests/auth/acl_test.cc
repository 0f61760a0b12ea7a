// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/acl.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "tests/testing/status_matchers.h"

namespace codesphere::auth {
namespace {

using ::codesphere::testing::StatusIs;

TEST(NormalizePathTest, CanonicalisesSlashesAndDots) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"/", ""},
      {".", ""},
      {"./", ""},
      {"src/main.py", "src/main.py"},
      {"/src//main.py", "src/main.py"},
      {"./src/./main.py/", "src/main.py"},
      {"a/.b/c.", "a/.b/c."},
      {"...", "..."},
      {"a/..b", "a/..b"},
      {"héllo/wörld", "héllo/wörld"},
  };
  for (const auto& [in, want] : cases) {
    ASSERT_OK_AND_ASSIGN(std::string got, NormalizePath(in));
    EXPECT_EQ(got, want) << in;
  }
}

TEST(NormalizePathTest, RefusesTraversalAndControlCharacters) {
  for (std::string bad : {std::string(".."), std::string("../etc/passwd"), std::string("a/../b"),
                          std::string("a/.."), std::string("/.."), std::string("a\\b"),
                          std::string("a\nb"), std::string("a\x7f"), std::string("a\0b", 3),
                          std::string(kMaxPathBytes + 1, 'a')}) {
    EXPECT_THAT(NormalizePath(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(NormalizePathTest, ResultsAreCanonicalAndIdempotent) {
  // Random paths over an alphabet rich in separators and dots (fixed seed).
  const char kAlphabet[] = {'a', 'b', '/', '/', '.', '.', '\\', '\0', '\n', 'x'};
  std::uint32_t state = 2026;
  for (int i = 0; i < 5000; ++i) {
    std::string path;
    const int len = static_cast<int>(state % 24);
    for (int j = 0; j < len; ++j) {
      state = state * 1664525u + 1013904223u;
      path += kAlphabet[(state >> 24) % sizeof kAlphabet];
    }
    state = state * 1664525u + 1013904223u;
    Result<std::string> n = NormalizePath(path);
    if (!n.has_value()) {
      EXPECT_EQ(n.error().code(), StatusCode::kInvalidArgument);
      continue;
    }
    const std::string& out = *n;
    EXPECT_EQ(out.find("//"), std::string::npos) << path;
    EXPECT_TRUE(out.empty() || (out.front() != '/' && out.back() != '/')) << path;
    EXPECT_EQ(("/" + out + "/").find("/../"), std::string::npos) << path;
    EXPECT_EQ(("/" + out + "/").find("/./"), std::string::npos) << path;
    ASSERT_OK_AND_ASSIGN(std::string again, NormalizePath(out));
    EXPECT_EQ(again, out) << path;
  }
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role r : {Role::kViewer, Role::kEditor, Role::kOwner}) {
    ASSERT_OK_AND_ASSIGN(Role back, ParseRole(RoleName(r)));
    EXPECT_EQ(back, r);
  }
  EXPECT_THAT(ParseRole("admin"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRole("Owner"), StatusIs(StatusCode::kInvalidArgument));
  for (Access a : {Access::kNone, Access::kRead, Access::kWrite}) {
    ASSERT_OK_AND_ASSIGN(Access back, ParseAccess(AccessName(a)));
    EXPECT_EQ(back, a);
  }
  EXPECT_EQ(PermissionName(Permission::kManage), "manage");
}

class AclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(acl_.SetMember("p1", "olga", Role::kOwner));
    ASSERT_OK(acl_.SetMember("p1", "ed", Role::kEditor));
    ASSERT_OK(acl_.SetMember("p1", "vic", Role::kViewer));
    ASSERT_OK(acl_.SetMember("p2", "vic", Role::kOwner));
  }
  bool Allowed(std::string_view user, std::string_view project, std::string_view path,
               Permission p) {
    return acl_.Check(user, project, path, p).ok();
  }
  Acl acl_;
};

TEST_F(AclTest, RoleMatrix) {
  struct Case {
    std::string user;
    Permission permission;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"olga", Permission::kRead, true},    {"olga", Permission::kWrite, true},
      {"olga", Permission::kManage, true},  {"ed", Permission::kRead, true},
      {"ed", Permission::kWrite, true},     {"ed", Permission::kManage, false},
      {"vic", Permission::kRead, true},     {"vic", Permission::kWrite, false},
      {"vic", Permission::kManage, false},  {"mallory", Permission::kRead, false},
      {"mallory", Permission::kWrite, false}, {"mallory", Permission::kManage, false},
  };
  for (const Case& c : cases) {
    const Status st = acl_.Check(c.user, "p1", "src/main.py", c.permission);
    EXPECT_EQ(st.ok(), c.allowed) << c.user << " " << PermissionName(c.permission) << ": " << st;
    if (!c.allowed) {
      EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
    }
  }
}

TEST_F(AclTest, RolesArePerProject) {
  EXPECT_TRUE(Allowed("vic", "p2", "x", Permission::kManage));
  EXPECT_FALSE(Allowed("vic", "p1", "x", Permission::kManage));
  EXPECT_FALSE(Allowed("ed", "p2", "x", Permission::kRead));
  EXPECT_FALSE(Allowed("ed", "unknown-project", "x", Permission::kRead));
  EXPECT_EQ(acl_.RoleOf("p2", "vic"), Role::kOwner);
  EXPECT_EQ(acl_.RoleOf("p2", "ed"), std::nullopt);
}

TEST_F(AclTest, DeniedMessageNamesTheRequest) {
  const Status st = acl_.Check("vic", "p1", "/src//a.py", Permission::kWrite);
  EXPECT_THAT(st, StatusIs(StatusCode::kPermissionDenied));
  EXPECT_NE(st.message().find("vic"), std::string_view::npos);
  EXPECT_NE(st.message().find("src/a.py"), std::string_view::npos);
  EXPECT_NE(st.message().find("write"), std::string_view::npos);
}

TEST_F(AclTest, TraversalIsInvalidArgumentNotAllowed) {
  EXPECT_THAT(acl_.Check("olga", "p1", "../p2/secret", Permission::kRead),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(acl_.EffectiveAccess("olga", "p1", "a/../../b"),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(AclTest, MostSpecificPrefixWins) {
  ASSERT_OK(acl_.SetRule("p1", {"docs", "", Access::kRead}));          // editors read-only
  ASSERT_OK(acl_.SetRule("p1", {"docs/drafts", "", Access::kWrite}));  // except drafts
  ASSERT_OK(acl_.SetRule("p1", {"/secrets/", "", Access::kNone}));     // normalized to "secrets"
  EXPECT_TRUE(Allowed("ed", "p1", "src/a.py", Permission::kWrite));
  EXPECT_FALSE(Allowed("ed", "p1", "docs/readme.md", Permission::kWrite));
  EXPECT_TRUE(Allowed("ed", "p1", "docs/readme.md", Permission::kRead));
  EXPECT_TRUE(Allowed("ed", "p1", "docs/drafts/new.md", Permission::kWrite));
  EXPECT_TRUE(Allowed("vic", "p1", "docs/drafts/new.md", Permission::kWrite));
  EXPECT_FALSE(Allowed("ed", "p1", "secrets/key.pem", Permission::kRead));
  EXPECT_FALSE(Allowed("vic", "p1", "secrets", Permission::kRead));
  // Prefixes match whole segments only.
  EXPECT_TRUE(Allowed("ed", "p1", "secretsauce.txt", Permission::kWrite));
  EXPECT_TRUE(Allowed("ed", "p1", "docsy/x", Permission::kWrite));
  // Owners are never restricted by rules.
  EXPECT_TRUE(Allowed("olga", "p1", "secrets/key.pem", Permission::kWrite));
  // Non-members gain nothing from rules.
  EXPECT_FALSE(Allowed("mallory", "p1", "docs/drafts/x", Permission::kRead));
}

TEST_F(AclTest, UserRuleBeatsGeneralRuleAtTheSamePrefix) {
  ASSERT_OK(acl_.SetRule("p1", {"infra", "", Access::kRead}));
  ASSERT_OK(acl_.SetRule("p1", {"infra", "ed", Access::kWrite}));
  ASSERT_OK(acl_.SetRule("p1", {"infra/prod", "", Access::kNone}));
  EXPECT_TRUE(Allowed("ed", "p1", "infra/main.tf", Permission::kWrite));
  EXPECT_FALSE(Allowed("vic", "p1", "infra/main.tf", Permission::kWrite));
  // A more specific general rule still beats a less specific personal one.
  EXPECT_FALSE(Allowed("ed", "p1", "infra/prod/db.tf", Permission::kRead));
  ASSERT_OK_AND_ASSIGN(Access a, acl_.EffectiveAccess("ed", "p1", "infra"));
  EXPECT_EQ(a, Access::kWrite);
}

TEST_F(AclTest, RootRuleAppliesEverywhere) {
  ASSERT_OK(acl_.SetRule("p1", {"", "", Access::kRead}));
  EXPECT_FALSE(Allowed("ed", "p1", "any/file", Permission::kWrite));
  EXPECT_FALSE(Allowed("ed", "p1", "", Permission::kWrite));
  EXPECT_TRUE(Allowed("ed", "p1", "any/file", Permission::kRead));
}

TEST_F(AclTest, RulesAreReplacedListedAndRemoved) {
  ASSERT_OK(acl_.SetRule("p1", {"b", "", Access::kRead}));
  ASSERT_OK(acl_.SetRule("p1", {"a", "ed", Access::kNone}));
  ASSERT_OK(acl_.SetRule("p1", {"./b/", "", Access::kNone}));  // replaces "b"
  const std::vector<PathRule> want = {{"a", "ed", Access::kNone}, {"b", "", Access::kNone}};
  EXPECT_EQ(acl_.Rules("p1"), want);
  EXPECT_OK(acl_.RemoveRule("p1", "/b", ""));
  EXPECT_THAT(acl_.RemoveRule("p1", "b", ""), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(acl_.SetRule("p1", {"../x", "", Access::kRead}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(acl_.Rules("p1").size(), 1u);
  EXPECT_TRUE(acl_.Rules("nope").empty());
}

TEST_F(AclTest, MembersChangeAndProjectsAreForgotten) {
  ASSERT_OK(acl_.SetMember("p1", "vic", Role::kEditor));
  EXPECT_TRUE(Allowed("vic", "p1", "x", Permission::kWrite));
  ASSERT_OK(acl_.RemoveMember("p1", "vic"));
  EXPECT_FALSE(Allowed("vic", "p1", "x", Permission::kRead));
  EXPECT_THAT(acl_.RemoveMember("p1", "vic"), StatusIs(StatusCode::kNotFound));
  const auto members = acl_.Members("p1");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].first, "ed");
  EXPECT_EQ(members[1].first, "olga");
  acl_.RemoveProject("p1");
  EXPECT_FALSE(Allowed("olga", "p1", "x", Permission::kRead));
  EXPECT_THAT(acl_.SetMember("", "x", Role::kViewer), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(acl_.SetMember("p", "", Role::kViewer), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(AclTest, ManageIgnoresThePath) {
  EXPECT_TRUE(Allowed("olga", "p1", "../whatever", Permission::kManage));
  EXPECT_FALSE(Allowed("ed", "p1", "", Permission::kManage));
}

}  // namespace
}  // namespace codesphere::auth
