// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/password_hasher.h"

#include <sodium.h>

#include <cstring>
#include <mutex>

#include "auth/sodium_util.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::auth {

static_assert(crypto_pwhash_OPSLIMIT_INTERACTIVE == 2);
static_assert(crypto_pwhash_MEMLIMIT_INTERACTIVE == std::size_t{64} << 20);
static_assert(crypto_pwhash_ALG_DEFAULT == crypto_pwhash_ALG_ARGON2ID13);

namespace {
constexpr std::string_view kArgon2idPrefix = "$argon2id$";
constexpr std::string_view kArgon2Prefix = "$argon2";
}  // namespace

// A hash of a random password made on first use with this hasher's limits; `VerifyUnknownUser`
// verifies against it so that unknown user names cost as much as known ones.
struct PasswordHasher::Dummy {
  std::once_flag once;
  std::string hash;
};

PasswordHasherOptions PasswordHasherOptions::Moderate() {
  PasswordHasherOptions o;
  o.ops_limit = crypto_pwhash_OPSLIMIT_MODERATE;
  o.mem_limit = crypto_pwhash_MEMLIMIT_MODERATE;
  return o;
}

PasswordHasherOptions PasswordHasherOptions::MinimumForTests() {
  PasswordHasherOptions o;
  o.ops_limit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
  o.mem_limit = crypto_pwhash_argon2id_MEMLIMIT_MIN;
  return o;
}

Result<PasswordHasher> PasswordHasher::Create(PasswordHasherOptions options) {
  CODESPHERE_RETURN_IF_ERROR(internal::EnsureSodium());
  if (options.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      options.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return InvalidArgumentError("Argon2id ops_limit " + std::to_string(options.ops_limit) +
                                " is out of range");
  }
  if (options.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      options.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
    return InvalidArgumentError("Argon2id mem_limit " + std::to_string(options.mem_limit) +
                                " is out of range");
  }
  if (options.min_password_bytes > options.max_password_bytes ||
      options.max_password_bytes > crypto_pwhash_PASSWD_MAX) {
    return InvalidArgumentError("password length limits are inconsistent");
  }
  return PasswordHasher(options, std::make_shared<Dummy>());
}

Result<std::string> PasswordHasher::Hash(std::string_view password) const {
  if (password.size() < options_.min_password_bytes) {
    return InvalidArgumentError("password is too short (at least " +
                                std::to_string(options_.min_password_bytes) + " bytes)");
  }
  if (password.size() > options_.max_password_bytes) {
    return InvalidArgumentError("password is too long (at most " +
                                std::to_string(options_.max_password_bytes) + " bytes)");
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), options_.ops_limit,
                            options_.mem_limit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return ResourceExhaustedError("not enough memory to hash a password with Argon2id");
  }
  return std::string(out);
}

Status PasswordHasher::Verify(std::string_view password, std::string_view stored_hash) const {
  if (stored_hash.size() >= crypto_pwhash_STRBYTES ||
      stored_hash.substr(0, kArgon2Prefix.size()) != kArgon2Prefix ||
      stored_hash.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("stored password hash is not an Argon2 PHC string");
  }
  if (password.size() > options_.max_password_bytes) {
    return UnauthenticatedError("wrong user name or password");
  }
  char hash[crypto_pwhash_STRBYTES] = {};
  std::memcpy(hash, stored_hash.data(), stored_hash.size());
  if (crypto_pwhash_str_verify(hash, password.data(), password.size()) != 0) {
    return UnauthenticatedError("wrong user name or password");
  }
  return OkStatus();
}

Status PasswordHasher::VerifyUnknownUser(std::string_view password) const {
  std::call_once(dummy_->once, [this] {
    char random_password[33];
    std::uint8_t raw[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(random_password, sizeof random_password, raw, sizeof raw);
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, random_password, 32, options_.ops_limit, options_.mem_limit,
                              crypto_pwhash_ALG_ARGON2ID13) == 0) {
      dummy_->hash = out;
    }
  });
  if (!dummy_->hash.empty()) (void)Verify(password, dummy_->hash);
  return UnauthenticatedError("wrong user name or password");
}

bool PasswordHasher::NeedsRehash(std::string_view stored_hash) const {
  if (stored_hash.size() >= crypto_pwhash_STRBYTES ||
      stored_hash.substr(0, kArgon2idPrefix.size()) != kArgon2idPrefix ||
      stored_hash.find('\0') != std::string_view::npos) {
    return true;
  }
  char hash[crypto_pwhash_STRBYTES] = {};
  std::memcpy(hash, stored_hash.data(), stored_hash.size());
  return crypto_pwhash_str_needs_rehash(hash, options_.ops_limit, options_.mem_limit) != 0;
}

}  // namespace codesphere::auth
