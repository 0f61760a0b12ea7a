// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/http_credentials.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "codesphere/auth/keys.h"
#include "codesphere/auth/token.h"
#include "codesphere/auth/token_verifier.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::auth {
namespace {

TEST(HttpCredentialsTest, BearerToken) {
  EXPECT_EQ(BearerToken("Bearer abc.def"), "abc.def");
  EXPECT_EQ(BearerToken("  bearer   abc.def  "), "abc.def");
  EXPECT_EQ(BearerToken("BEARER x"), "x");
  EXPECT_EQ(BearerToken("Bearer"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(BearerToken("Bearerabc"), std::nullopt);
  EXPECT_EQ(BearerToken("Basic dXNlcjpwYXNz"), std::nullopt);
  EXPECT_EQ(BearerToken("Bearer a b"), std::nullopt);
  EXPECT_EQ(BearerToken(""), std::nullopt);
}

TEST(HttpCredentialsTest, CookieValue) {
  EXPECT_EQ(CookieValue("cs_session=tok", "cs_session"), "tok");
  EXPECT_EQ(CookieValue("a=1; cs_session=tok.sig; b=2", "cs_session"), "tok.sig");
  EXPECT_EQ(CookieValue("a=1;cs_session=\"q\"", "cs_session"), "q");
  EXPECT_EQ(CookieValue("xcs_session=1; cs_session_old=2", "cs_session"), std::nullopt);
  EXPECT_EQ(CookieValue("novalue; cs_session=", "cs_session"), "");
  EXPECT_EQ(CookieValue("", "cs_session"), std::nullopt);
  EXPECT_EQ(CookieValue(";;;", "cs_session"), std::nullopt);
}

TEST(HttpCredentialsTest, SessionCookieAttributes) {
  EXPECT_EQ(SessionCookie("abc.def", std::chrono::seconds(3600), false),
            "cs_session=abc.def; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
  EXPECT_EQ(SessionCookie("t", std::chrono::seconds(1), true),
            "cs_session=t; Path=/; Max-Age=1; HttpOnly; SameSite=Lax; Secure");
  EXPECT_EQ(ClearSessionCookie(false), "cs_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
}

class AuthenticateRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ring = std::make_shared<Keyring>();
    ASSERT_OK(ring->Rotate(clock_.WallNow()));
    issuer_ = std::make_unique<TokenIssuer>(ring, clock_);
    verifier_ = std::make_unique<KeyringTokenVerifier>(ring, clock_);
    session_ = issuer_->IssueSession("u-session", std::chrono::hours(1))->token();
    api_ = issuer_->IssueApiToken("u-api", std::chrono::hours(1))->token();
    link_ = issuer_->IssueShareLink("u-owner", "p", Role::kViewer, std::chrono::hours(1))->token();
  }
  Result<TokenClaims> Auth(std::string authorization, std::string cookie, std::string query) {
    return AuthenticateRequest(*verifier_, {authorization, cookie, query});
  }

  codesphere::testing::FakeClock clock_;
  std::unique_ptr<TokenIssuer> issuer_;
  std::unique_ptr<KeyringTokenVerifier> verifier_;
  std::string session_, api_, link_;
};

TEST_F(AuthenticateRequestTest, AcceptsEachCarrier) {
  ASSERT_OK_AND_ASSIGN(TokenClaims a, Auth("Bearer " + session_, "", ""));
  EXPECT_EQ(a.subject, "u-session");
  ASSERT_OK_AND_ASSIGN(TokenClaims b, Auth("Bearer " + api_, "", ""));
  EXPECT_EQ(b.subject, "u-api");
  ASSERT_OK_AND_ASSIGN(TokenClaims c, Auth("", "theme=dark; cs_session=" + session_, ""));
  EXPECT_EQ(c.subject, "u-session");
  ASSERT_OK_AND_ASSIGN(TokenClaims d, Auth("", "", api_));
  EXPECT_EQ(d.subject, "u-api");
}

TEST_F(AuthenticateRequestTest, RefusesMissingWrongKindAndMixedCredentials) {
  using ::codesphere::testing::StatusIs;
  EXPECT_THAT(Auth("", "theme=dark", ""), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Auth("Basic dXNlcjpwYXNz", "cs_session=" + session_, ""),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Auth("Bearer " + link_, "", ""), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Auth("", "cs_session=" + api_, ""), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Auth("", "", link_), StatusIs(StatusCode::kUnauthenticated));
  // A bad bearer token is not rescued by a good cookie.
  EXPECT_THAT(Auth("Bearer x.y", "cs_session=" + session_, ""),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(Auth("", "cs_session=garbage", api_), StatusIs(StatusCode::kUnauthenticated));
}

TEST(TokenKindsTest, ContainsAndNames) {
  const TokenKinds both{TokenKind::kSession, TokenKind::kApi};
  EXPECT_TRUE(both.contains(TokenKind::kApi));
  EXPECT_FALSE(both.contains(TokenKind::kShareLink));
  EXPECT_EQ(both.ToString(), "session or api");
  EXPECT_EQ(TokenKinds(TokenKind::kShareLink).ToString(), "share-link");
  EXPECT_EQ(TokenKinds({}).ToString(), "nothing");
}

}  // namespace
}  // namespace codesphere::auth
