// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/password_hasher.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/testing/status_matchers.h"

namespace codesphere::auth {
namespace {

using ::codesphere::testing::StatusIs;

class PasswordHasherTest : public ::testing::Test {
 protected:
  PasswordHasher hasher_ = *PasswordHasher::Create(PasswordHasherOptions::MinimumForTests());
};

TEST_F(PasswordHasherTest, RightPasswordVerifies) {
  ASSERT_OK_AND_ASSIGN(std::string hash, hasher_.Hash("correct horse battery"));
  EXPECT_EQ(hash.rfind("$argon2id$v=19$", 0), 0u) << hash;
  EXPECT_OK(hasher_.Verify("correct horse battery", hash));
}

TEST_F(PasswordHasherTest, WrongPasswordIsUnauthenticated) {
  ASSERT_OK_AND_ASSIGN(std::string hash, hasher_.Hash("correct horse battery"));
  EXPECT_THAT(hasher_.Verify("correct horse batterY", hash),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(hasher_.Verify("", hash), StatusIs(StatusCode::kUnauthenticated));
}

TEST_F(PasswordHasherTest, SamePasswordGetsDifferentSalts) {
  ASSERT_OK_AND_ASSIGN(std::string a, hasher_.Hash("password1234"));
  ASSERT_OK_AND_ASSIGN(std::string b, hasher_.Hash("password1234"));
  EXPECT_NE(a, b);
  EXPECT_OK(hasher_.Verify("password1234", a));
  EXPECT_OK(hasher_.Verify("password1234", b));
}

TEST_F(PasswordHasherTest, PasswordsWithNulBytesAreHashedWhole) {
  const std::string with_nul("abcdefgh\0ijk", 12);
  ASSERT_OK_AND_ASSIGN(std::string hash, hasher_.Hash(with_nul));
  EXPECT_OK(hasher_.Verify(with_nul, hash));
  EXPECT_THAT(hasher_.Verify("abcdefgh", hash), StatusIs(StatusCode::kUnauthenticated));
}

TEST_F(PasswordHasherTest, LengthLimitsAreEnforced) {
  EXPECT_THAT(hasher_.Hash("short"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(hasher_.Hash(std::string(1025, 'x')), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_OK(hasher_.Hash(std::string(1024, 'x')));
  ASSERT_OK_AND_ASSIGN(std::string hash, hasher_.Hash("password1234"));
  // Over-long guesses are refused without hashing them.
  EXPECT_THAT(hasher_.Verify(std::string(100000, 'x'), hash),
              StatusIs(StatusCode::kUnauthenticated));
}

TEST_F(PasswordHasherTest, MalformedStoredHashIsInvalidArgument) {
  for (std::string_view bad : {std::string_view(""), std::string_view("plaintext"),
                               std::string_view("$argon2id$v=19$garbage"),
                               std::string_view("$2b$10$abcdefghijklmnopqrstuv")}) {
    const Status st = hasher_.Verify("password1234", bad);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_TRUE(st.code() == StatusCode::kInvalidArgument ||
                st.code() == StatusCode::kUnauthenticated)
        << st;
  }
  EXPECT_THAT(hasher_.Verify("password1234", std::string(500, '$')),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(hasher_.Verify("password1234", std::string("$argon2id\0x", 11)),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(PasswordHasherTest, UnknownUserIsAlwaysUnauthenticated) {
  EXPECT_THAT(hasher_.VerifyUnknownUser("anything at all"),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(hasher_.VerifyUnknownUser(""), StatusIs(StatusCode::kUnauthenticated));
}

TEST_F(PasswordHasherTest, NeedsRehashWhenLimitsChange) {
  ASSERT_OK_AND_ASSIGN(std::string hash, hasher_.Hash("password1234"));
  EXPECT_FALSE(hasher_.NeedsRehash(hash));
  PasswordHasherOptions stronger = PasswordHasherOptions::MinimumForTests();
  stronger.ops_limit = 2;
  ASSERT_OK_AND_ASSIGN(PasswordHasher upgraded, PasswordHasher::Create(stronger));
  EXPECT_TRUE(upgraded.NeedsRehash(hash));
  // The old hash still verifies under the new hasher: cost is read from the hash.
  EXPECT_OK(upgraded.Verify("password1234", hash));
  EXPECT_TRUE(hasher_.NeedsRehash("not a hash"));
  EXPECT_TRUE(hasher_.NeedsRehash("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"));
}

TEST(PasswordHasherOptionsTest, DefaultsAreInteractive) {
  const PasswordHasherOptions o;
  EXPECT_EQ(o.ops_limit, 2u);
  EXPECT_EQ(o.mem_limit, std::size_t{64} << 20);
  EXPECT_GT(PasswordHasherOptions::Moderate().mem_limit, o.mem_limit);
}

TEST(PasswordHasherOptionsTest, OutOfRangeOptionsAreRefused) {
  PasswordHasherOptions o = PasswordHasherOptions::MinimumForTests();
  o.ops_limit = 0;
  EXPECT_THAT(PasswordHasher::Create(o), StatusIs(StatusCode::kInvalidArgument));
  o = PasswordHasherOptions::MinimumForTests();
  o.mem_limit = 1024;
  EXPECT_THAT(PasswordHasher::Create(o), StatusIs(StatusCode::kInvalidArgument));
  o = PasswordHasherOptions::MinimumForTests();
  o.min_password_bytes = 20;
  o.max_password_bytes = 10;
  EXPECT_THAT(PasswordHasher::Create(o), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace codesphere::auth
