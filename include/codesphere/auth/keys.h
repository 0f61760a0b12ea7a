// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Token signing keys (Ed25519) and the `Keyring` that rotates them: one active signing key plus
// older keys kept for verification until they are removed. A keyring serializes to a small
// checksummed binary file for the server's data directory (layout at `Keyring::Serialize`).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/auth/secret.h"
#include "codesphere/base/bytes.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::auth {

// Sizes of the Ed25519 primitives (libsodium's crypto_sign_*BYTES).
inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSeedBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
// A key id is 8 bytes, derived from the public key: the first 8 bytes of
// BLAKE2b-256("codesphere-key-id\0" || public key), written as 16 lower-case hex digits.
inline constexpr std::size_t kKeyIdBytes = 8;

// An Ed25519 public key and its id. Not secret; copyable.
//
// Thread-safety: thread-compatible; const methods may be called concurrently.
class VerificationKey {
 public:
  // Wraps a 32-byte public key. Returns kInvalidArgument on a wrong size.
  static Result<VerificationKey> FromBytes(ByteSpan public_key);

  // The 16-hex-digit key id.
  const std::string& id() const { return id_; }
  // The raw key id (8 bytes).
  ByteSpan raw_id() const { return ByteSpan(raw_id_.data(), raw_id_.size()); }
  // The 32-byte public key.
  ByteSpan bytes() const { return ByteSpan(public_key_.data(), public_key_.size()); }

  // True iff `signature` is a valid Ed25519 signature of `message` by this key.
  bool Verify(ByteSpan message, ByteSpan signature) const;

 private:
  VerificationKey() = default;
  friend class SigningKey;

  std::array<std::uint8_t, kPublicKeyBytes> public_key_{};
  std::array<std::uint8_t, kKeyIdBytes> raw_id_{};
  std::string id_;
};

// An Ed25519 secret key. The secret lives in its own allocation, is wiped on destruction and
// is never printed (no `operator<<`). Copies are deep (each wipes its own copy).
//
// Thread-safety: thread-compatible; const methods may be called concurrently.
class SigningKey {
 public:
  // A fresh random key. Returns kInternal if libsodium cannot be initialised.
  static Result<SigningKey> Generate();
  // The key derived from a 32-byte seed (deterministic; tests and key files use it).
  // Returns kInvalidArgument on a wrong size.
  static Result<SigningKey> FromSeed(ByteSpan seed);

  SigningKey(const SigningKey& other);
  SigningKey& operator=(const SigningKey& other);
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  ~SigningKey();

  const std::string& id() const { return public_key_.id(); }
  const VerificationKey& verification_key() const { return public_key_; }

  // The 64-byte detached signature of `message`.
  std::array<std::uint8_t, kSignatureBytes> Sign(ByteSpan message) const;
  // A copy of the 32-byte seed (for serialization).
  SecretBytes Seed() const;

 private:
  struct Material;
  SigningKey(std::unique_ptr<Material> material, VerificationKey public_key);

  std::unique_ptr<Material> material_;
  VerificationKey public_key_;
};

// What a keyring knows about one of its keys.
struct KeyInfo {
  std::string id;
  // True if the keyring holds the secret key (it can sign with it).
  bool has_secret = false;
  // True for the key new tokens are signed with.
  bool active = false;
  // When the key was added (second resolution).
  std::chrono::system_clock::time_point created_at;
};

// A set of keys: at most one active signing key, plus older keys that still verify tokens they
// signed. Rotation: `Rotate()` adds a new active key and keeps the old one for verification;
// once every token signed by the old key has expired, `Remove()` (or `RemoveOlderThan()`) drops
// it and its tokens stop verifying. A verify-only keyring (`PublicOnly()`) suits processes that
// must check tokens but never mint them.
//
// Thread-safety: thread-compatible (a value type). Share a `std::shared_ptr<const Keyring>`
// between threads and swap it to rotate (see `TokenIssuer::SetKeyring`).
class Keyring {
 public:
  // At most this many keys in one keyring.
  static constexpr std::size_t kMaxKeys = 32;

  Keyring() = default;

  // Generates a new signing key created at `now`, adds it and makes it active. The previously
  // active key stays for verification. Returns the new key's id; kResourceExhausted when the
  // keyring already has `kMaxKeys` keys.
  Result<std::string> Rotate(std::chrono::system_clock::time_point now);

  // Adds `key` (created at `created_at`); makes it active if `activate`. Returns kAlreadyExists
  // if a key with the same id is present, kResourceExhausted when full.
  Status AddSigningKey(const SigningKey& key, std::chrono::system_clock::time_point created_at,
                       bool activate);
  // Adds a verify-only key. Same errors as `AddSigningKey`.
  Status AddVerificationKey(const VerificationKey& key,
                            std::chrono::system_clock::time_point created_at);

  // Makes the signing key `key_id` active. kNotFound if absent, kFailedPrecondition if the
  // keyring holds only its public half.
  Status Activate(std::string_view key_id);
  // Drops `key_id`; tokens it signed no longer verify. kNotFound if absent,
  // kFailedPrecondition for the active key (rotate first).
  Status Remove(std::string_view key_id);
  // Drops every inactive key created before `cutoff`; returns how many were dropped.
  std::size_t RemoveOlderThan(std::chrono::system_clock::time_point cutoff);

  // The active signing key, or nullptr if there is none.
  const SigningKey* active_key() const;
  // The key with id `key_id` (raw 8-byte form), or nullptr.
  const VerificationKey* FindVerificationKey(ByteSpan raw_key_id) const;
  // The key with id `key_id` (hex form), or nullptr.
  const VerificationKey* FindVerificationKey(std::string_view key_id) const;
  // All keys, oldest first.
  std::vector<KeyInfo> keys() const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // A copy without any secret key (no active key; every key verify-only).
  Keyring PublicOnly() const;

  // Serializes the keyring, secrets included (treat the bytes like a private key file).
  //
  //   offset  size  field
  //   0       4     magic "CSKR"
  //   4       1     format version (1)
  //   5       1     key count n (<= kMaxKeys)
  //   6       41*n  entries, oldest first:
  //                   1   flags: bit 0 = secret (seed follows), bit 1 = active; others zero
  //                   8   created_at, Unix seconds, little-endian
  //                   32  Ed25519 seed if bit 0, else the public key
  //   6+41n   32    BLAKE2b-256 of all preceding bytes
  SecretBytes Serialize() const;
  // Parses `Serialize()`'s output and validates it: kInvalidArgument on a bad magic, version,
  // size, flag or duplicate key; kDataLoss on a checksum mismatch; kFailedPrecondition if more
  // than one key, or a key without its secret, is marked active.
  static Result<Keyring> Parse(ByteSpan bytes);

 private:
  struct Entry {
    VerificationKey public_key;
    std::shared_ptr<const SigningKey> secret;  // null for verify-only keys
    std::chrono::system_clock::time_point created_at;
  };
  Status Add(Entry entry, bool activate);
  const Entry* Find(std::string_view key_id) const;

  std::vector<Entry> entries_;
  std::string active_id_;
};

// Writes `keyring` to `path` atomically (temporary file with mode 0600, fsync, rename, fsync of
// the directory). Returns errno-mapped errors (see `ErrnoToStatus`).
Status SaveKeyringFile(const std::filesystem::path& path, const Keyring& keyring);
// Reads and validates a keyring file. Returns kNotFound if it does not exist,
// kPermissionDenied if group or others may read or write it (as ssh does for private keys), and
// `Keyring::Parse`'s errors for bad content.
Result<Keyring> LoadKeyringFile(const std::filesystem::path& path);
// Loads `path`, or, if it does not exist, creates a keyring with one fresh active key created
// at `now` and saves it there. Other errors as `LoadKeyringFile` / `SaveKeyringFile`.
Result<Keyring> LoadOrCreateKeyringFile(const std::filesystem::path& path,
                                        std::chrono::system_clock::time_point now);

}  // namespace codesphere::auth
