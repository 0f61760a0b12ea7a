// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/status.h"

#include <cerrno>

#include "tests/testing/status_matchers.h"

namespace codesphere {
namespace {

TEST(StatusTest, OkIsCheapAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status(StatusCode::kOk, "ignored").message().empty());
}

TEST(StatusTest, CodesKeepCanonicalNumbers) {
  EXPECT_EQ(static_cast<int>(StatusCode::kInvalidArgument), 3);
  EXPECT_EQ(static_cast<int>(StatusCode::kResourceExhausted), 8);
  EXPECT_EQ(static_cast<int>(StatusCode::kDataLoss), 15);
  EXPECT_EQ(static_cast<int>(StatusCode::kUnauthenticated), 16);
}

TEST(StatusTest, ErrorsCarryCodeMessageAndContext) {
  Status s = NotFoundError("room 'x'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: room 'x'");
  Status c = s.WithContext("load");
  EXPECT_EQ(c.message(), "load: room 'x'");
  EXPECT_TRUE(OkStatus().WithContext("x").ok());
  Status copy = c;
  EXPECT_EQ(copy, c);
  EXPECT_FALSE(copy == s);
}

TEST(StatusTest, ErrnoMapping) {
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open a").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(EACCES, "open a").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(EPERM, "mount").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(EEXIST, "mkdir").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "write").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EIO, "read").code(), StatusCode::kInternal);
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open a").message(), "open a: No such file or directory");
}

TEST(StatusTest, HttpMapping) {
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFromCode(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(99)), "Unknown(99)");
}

}  // namespace
}  // namespace codesphere
