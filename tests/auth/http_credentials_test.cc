// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/http_credentials.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace codesphere::auth
