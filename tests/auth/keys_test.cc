// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "codesphere/auth/secret.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::auth {
namespace {

using ::codesphere::testing::StatusIs;
using ::codesphere::testing::TempDir;
using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::system_clock;

const system_clock::time_point kT0{seconds(1'790'000'000)};

SigningKey KeyFromByte(std::uint8_t b) {
  Bytes seed(kSeedBytes, b);
  return *SigningKey::FromSeed(seed);
}

TEST(SecretBytesTest, ComparesByContentAndEmptiesOnMove) {
  const Bytes raw = {1, 2, 3};
  SecretBytes a{ByteSpan(raw)};
  SecretBytes b = a;
  EXPECT_TRUE(a == b);
  b.data()[2] = 4;
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(a == SecretBytes(2));
  SecretBytes c = std::move(a);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is defined empty
  c = b;
  EXPECT_TRUE(c == b);
}

TEST(SigningKeyTest, SeedDeterminesKeyAndId) {
  SigningKey a = KeyFromByte(7);
  SigningKey b = KeyFromByte(7);
  SigningKey c = KeyFromByte(8);
  EXPECT_EQ(a.id(), b.id());
  EXPECT_NE(a.id(), c.id());
  EXPECT_EQ(a.id().size(), 2 * kKeyIdBytes);
  EXPECT_TRUE(a.Seed() == SecretBytes(ByteSpan(Bytes(kSeedBytes, 7))));
}

TEST(SigningKeyTest, SignaturesVerifyOnlyWithTheRightKeyAndMessage) {
  SigningKey a = KeyFromByte(1);
  SigningKey b = KeyFromByte(2);
  const Bytes msg = ToBytes("hello");
  const auto sig = a.Sign(msg);
  EXPECT_TRUE(a.verification_key().Verify(msg, sig));
  EXPECT_FALSE(b.verification_key().Verify(msg, sig));
  EXPECT_FALSE(a.verification_key().Verify(ToBytes("hellp"), sig));
  EXPECT_FALSE(a.verification_key().Verify(msg, ByteSpan(sig.data(), 63)));
  SigningKey copy = a;  // deep copy signs identically (Ed25519 is deterministic)
  EXPECT_EQ(copy.Sign(msg), sig);
}

TEST(SigningKeyTest, GeneratedKeysDiffer) {
  ASSERT_OK_AND_ASSIGN(SigningKey a, SigningKey::Generate());
  ASSERT_OK_AND_ASSIGN(SigningKey b, SigningKey::Generate());
  EXPECT_NE(a.id(), b.id());
}

TEST(SigningKeyTest, WrongSizesAreInvalidArgument) {
  EXPECT_THAT(SigningKey::FromSeed(Bytes(31)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(VerificationKey::FromBytes(Bytes(33)), StatusIs(StatusCode::kInvalidArgument));
}

TEST(KeyringTest, RotateKeepsOldKeysForVerification) {
  Keyring ring;
  EXPECT_EQ(ring.active_key(), nullptr);
  ASSERT_OK_AND_ASSIGN(std::string first, ring.Rotate(kT0));
  ASSERT_OK_AND_ASSIGN(std::string second, ring.Rotate(kT0 + hours(24)));
  ASSERT_NE(ring.active_key(), nullptr);
  EXPECT_EQ(ring.active_key()->id(), second);
  EXPECT_NE(ring.FindVerificationKey(std::string_view(first)), nullptr);
  const auto keys = ring.keys();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].id, first);
  EXPECT_FALSE(keys[0].active);
  EXPECT_TRUE(keys[1].active);
  EXPECT_EQ(keys[1].created_at, kT0 + hours(24));
}

TEST(KeyringTest, RemovingTheActiveKeyIsRefused) {
  Keyring ring;
  ASSERT_OK_AND_ASSIGN(std::string first, ring.Rotate(kT0));
  EXPECT_THAT(ring.Remove(first), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(std::string second, ring.Rotate(kT0 + hours(1)));
  EXPECT_OK(ring.Remove(first));
  EXPECT_EQ(ring.FindVerificationKey(std::string_view(first)), nullptr);
  EXPECT_THAT(ring.Remove(first), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.active_key()->id(), second);
}

TEST(KeyringTest, RemoveOlderThanKeepsTheActiveKey) {
  Keyring ring;
  ASSERT_OK(ring.Rotate(kT0));
  ASSERT_OK(ring.Rotate(kT0 + hours(1)));
  ASSERT_OK_AND_ASSIGN(std::string active, ring.Rotate(kT0 + hours(2)));
  // Both older keys go; the active one stays although it is older than the cutoff too.
  EXPECT_EQ(ring.RemoveOlderThan(kT0 + hours(10)), 2u);
  ASSERT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.keys()[0].id, active);
}

TEST(KeyringTest, DuplicatesAndVerifyOnlyActivationAreRefused) {
  Keyring ring;
  SigningKey k = KeyFromByte(3);
  ASSERT_OK(ring.AddSigningKey(k, kT0, true));
  EXPECT_THAT(ring.AddSigningKey(k, kT0, false), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(ring.AddVerificationKey(k.verification_key(), kT0),
              StatusIs(StatusCode::kAlreadyExists));
  SigningKey other = KeyFromByte(4);
  ASSERT_OK(ring.AddVerificationKey(other.verification_key(), kT0));
  EXPECT_THAT(ring.Activate(other.id()), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(ring.Activate("0000000000000000"), StatusIs(StatusCode::kNotFound));
}

TEST(KeyringTest, IsBounded) {
  Keyring ring;
  for (std::size_t i = 0; i < Keyring::kMaxKeys; ++i) {
    ASSERT_OK(ring.AddSigningKey(KeyFromByte(static_cast<std::uint8_t>(i)), kT0, true));
  }
  EXPECT_THAT(ring.Rotate(kT0), StatusIs(StatusCode::kResourceExhausted));
}

TEST(KeyringTest, PublicOnlyCannotSignButVerifies) {
  Keyring ring;
  ASSERT_OK_AND_ASSIGN(std::string id, ring.Rotate(kT0));
  Keyring pub = ring.PublicOnly();
  EXPECT_EQ(pub.active_key(), nullptr);
  ASSERT_NE(pub.FindVerificationKey(std::string_view(id)), nullptr);
  const Bytes msg = ToBytes("m");
  EXPECT_TRUE(pub.FindVerificationKey(std::string_view(id))->Verify(msg, ring.active_key()->Sign(msg)));
  EXPECT_FALSE(pub.keys()[0].has_secret);
}

TEST(KeyringSerializationTest, RoundTripsSecretsFlagsAndTimes) {
  Keyring ring;
  ASSERT_OK(ring.AddSigningKey(KeyFromByte(1), kT0, false));
  ASSERT_OK(ring.AddVerificationKey(KeyFromByte(2).verification_key(), kT0 + hours(1)));
  ASSERT_OK(ring.AddSigningKey(KeyFromByte(3), kT0 + hours(2), true));
  const SecretBytes bytes = ring.Serialize();
  EXPECT_EQ(bytes.size(), 6u + 3 * 41 + 32);
  ASSERT_OK_AND_ASSIGN(Keyring back, Keyring::Parse(bytes.span()));
  const auto a = ring.keys();
  const auto b = back.keys();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].has_secret, b[i].has_secret);
    EXPECT_EQ(a[i].active, b[i].active);
    EXPECT_EQ(a[i].created_at, b[i].created_at);
  }
  const Bytes msg = ToBytes("x");
  EXPECT_EQ(back.active_key()->Sign(msg), ring.active_key()->Sign(msg));
  EXPECT_TRUE(back.Serialize() == bytes);
}

TEST(KeyringSerializationTest, EmptyKeyringRoundTrips) {
  ASSERT_OK_AND_ASSIGN(Keyring back, Keyring::Parse(Keyring().Serialize().span()));
  EXPECT_TRUE(back.empty());
}

TEST(KeyringSerializationTest, EverySingleBitFlipIsDetected) {
  Keyring ring;
  ASSERT_OK(ring.AddSigningKey(KeyFromByte(1), kT0, true));
  ASSERT_OK(ring.AddVerificationKey(KeyFromByte(2).verification_key(), kT0));
  const SecretBytes good = ring.Serialize();
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      SecretBytes bad = good;
      bad.data()[i] ^= static_cast<std::uint8_t>(1 << bit);
      EXPECT_FALSE(Keyring::Parse(bad.span()).has_value()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(KeyringSerializationTest, TruncationsAndExtensionsAreRefused) {
  Keyring ring;
  ASSERT_OK(ring.Rotate(kT0));
  const SecretBytes good = ring.Serialize();
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(Keyring::Parse(good.span().first(n)).has_value()) << n;
  }
  Bytes longer(good.span().begin(), good.span().end());
  longer.push_back(0);
  EXPECT_THAT(Keyring::Parse(longer), StatusIs(StatusCode::kInvalidArgument));
}

TEST(KeyringSerializationTest, ChecksumMismatchIsDataLoss) {
  Keyring ring;
  ASSERT_OK(ring.Rotate(kT0));
  SecretBytes bytes = ring.Serialize();
  bytes.data()[bytes.size() - 1] ^= 1;
  EXPECT_THAT(Keyring::Parse(bytes.span()), StatusIs(StatusCode::kDataLoss));
}

TEST(KeyringFileTest, SavesPrivatelyAndLoadsBack) {
  TempDir dir;
  const auto path = dir.path() / "keyring";
  Keyring ring;
  ASSERT_OK(ring.Rotate(kT0));
  ASSERT_OK(SaveKeyringFile(path, ring));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(Keyring back, LoadKeyringFile(path));
  EXPECT_EQ(back.active_key()->id(), ring.active_key()->id());
}

TEST(KeyringFileTest, SaveReplacesASymlinkInsteadOfWritingThroughIt) {
  TempDir dir;
  const auto victim = dir.path() / "victim";
  { std::ofstream(victim) << "precious"; }
  ASSERT_EQ(::chmod(victim.c_str(), 0644), 0);
  const auto path = dir.path() / "keyring";
  std::filesystem::create_symlink(victim, path);
  const mode_t old_umask = ::umask(0);
  Keyring ring;
  ASSERT_OK(ring.Rotate(kT0));
  Status saved = SaveKeyringFile(path, ring);
  ::umask(old_umask);
  ASSERT_OK(saved);
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  std::ifstream in(victim);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "precious");
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_OK_AND_ASSIGN(Keyring back, LoadKeyringFile(path));
  EXPECT_EQ(back.active_key()->id(), ring.active_key()->id());
  // No temporary is left behind.
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) entries += e.exists() ? 1 : 0;
  EXPECT_EQ(entries, 2u);
}

TEST(KeyringFileTest, RefusesMissingReadableOrCorruptFiles) {
  TempDir dir;
  EXPECT_THAT(LoadKeyringFile(dir.path() / "absent"), StatusIs(StatusCode::kNotFound));
  const auto path = dir.path() / "keyring";
  Keyring ring;
  ASSERT_OK(ring.Rotate(kT0));
  ASSERT_OK(SaveKeyringFile(path, ring));
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_THAT(LoadKeyringFile(path), StatusIs(StatusCode::kPermissionDenied));
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << "CSKR garbage"; }
  EXPECT_THAT(LoadKeyringFile(path), StatusIs(StatusCode::kInvalidArgument));
}

TEST(KeyringFileTest, LoadOrCreateCreatesOnceThenLoads) {
  TempDir dir;
  const auto path = dir.path() / "keyring";
  ASSERT_OK_AND_ASSIGN(Keyring created, LoadOrCreateKeyringFile(path, kT0));
  ASSERT_NE(created.active_key(), nullptr);
  ASSERT_OK_AND_ASSIGN(Keyring again, LoadOrCreateKeyringFile(path, kT0 + hours(1)));
  EXPECT_EQ(again.active_key()->id(), created.active_key()->id());
  EXPECT_EQ(again.size(), 1u);
}

}  // namespace
}  // namespace codesphere::auth
