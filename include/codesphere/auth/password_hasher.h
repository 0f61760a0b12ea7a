// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `PasswordHasher`: Argon2id password hashes in the PHC string format
// (`$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>`, libsodium's `crypto_pwhash_str`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::auth {

// Argon2id cost and password policy.
struct PasswordHasherOptions {
  // Passes over memory (libsodium's opslimit). Default: 2 (crypto_pwhash_OPSLIMIT_INTERACTIVE).
  std::uint64_t ops_limit = 2;
  // Memory per hash in bytes. Default: 64 MiB (crypto_pwhash_MEMLIMIT_INTERACTIVE).
  std::size_t mem_limit = std::size_t{64} << 20;
  // Shortest password accepted by `Hash`. Default: 8 bytes.
  std::size_t min_password_bytes = 8;
  // Longest password accepted by `Hash` and `Verify` (bounds the work an attacker can ask
  // for). Default: 1024 bytes.
  std::size_t max_password_bytes = 1024;

  // The defaults above: 64 MiB and a few hundred ms per hash at most (docs/auth.md).
  static PasswordHasherOptions Interactive() { return {}; }
  // libsodium's MODERATE limits (3 passes, 256 MiB), for rarely used admin secrets.
  static PasswordHasherOptions Moderate();
  // The smallest limits Argon2id accepts (1 pass, 8 KiB). Tests only: trivially brute-forced.
  static PasswordHasherOptions MinimumForTests();
};

// Hashes and verifies passwords with Argon2id. A hash embeds its salt and cost, so a stored
// hash stays verifiable after the options change; `NeedsRehash` tells when to upgrade it (after
// the next successful login).
//
// Thread-safety: thread-safe (const methods only, plus an internal once-initialised dummy).
class PasswordHasher {
 public:
  // Validates `options` against libsodium's bounds. Returns kInvalidArgument when a limit is
  // out of range or min_password_bytes > max_password_bytes; kInternal if libsodium cannot be
  // initialised.
  static Result<PasswordHasher> Create(PasswordHasherOptions options = {});

  // A new salted hash of `password` (an ASCII string of at most 128 bytes, safe to store).
  // Returns kInvalidArgument if the password is shorter than min or longer than max bytes;
  // kResourceExhausted if the memory for Argon2id cannot be allocated.
  Result<std::string> Hash(std::string_view password) const;

  // OK if `password` matches `stored_hash` (comparison in constant time, inside libsodium).
  // Returns kUnauthenticated on a mismatch or a password longer than max bytes, and
  // kInvalidArgument if `stored_hash` is not an Argon2 PHC string.
  Status Verify(std::string_view password, std::string_view stored_hash) const;

  // Spends the same time as a `Verify` against a real hash, then returns kUnauthenticated.
  // Call it when the user name does not exist, so response times do not reveal which names
  // are registered.
  Status VerifyUnknownUser(std::string_view password) const;

  // True if `stored_hash` is not Argon2id or was made with other limits than this hasher's
  // (including malformed hashes).
  bool NeedsRehash(std::string_view stored_hash) const;

  const PasswordHasherOptions& options() const { return options_; }

 private:
  struct Dummy;
  PasswordHasher(PasswordHasherOptions options, std::shared_ptr<Dummy> dummy)
      : options_(options), dummy_(std::move(dummy)) {}

  PasswordHasherOptions options_;
  std::shared_ptr<Dummy> dummy_;
};

}  // namespace codesphere::auth
