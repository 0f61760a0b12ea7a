// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "auth/sodium_util.h"
#include "codesphere/base/durable_file.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/base/unique_fd.h"

namespace codesphere::auth {

static_assert(kPublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kSeedBytes == crypto_sign_SEEDBYTES);
static_assert(kSignatureBytes == crypto_sign_BYTES);

namespace {

constexpr char kKeyIdContext[] = "codesphere-key-id";  // sizeof includes the NUL

std::array<std::uint8_t, kKeyIdBytes> DeriveKeyId(ByteSpan public_key) {
  std::uint8_t digest[crypto_generichash_BYTES];
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, sizeof digest);
  crypto_generichash_update(&state, reinterpret_cast<const std::uint8_t*>(kKeyIdContext),
                            sizeof kKeyIdContext);
  crypto_generichash_update(&state, public_key.data(), public_key.size());
  crypto_generichash_final(&state, digest, sizeof digest);
  std::array<std::uint8_t, kKeyIdBytes> id{};
  std::memcpy(id.data(), digest, id.size());
  return id;
}

}  // namespace

// ---- VerificationKey -------------------------------------------------------------------------

Result<VerificationKey> VerificationKey::FromBytes(ByteSpan public_key) {
  CODESPHERE_RETURN_IF_ERROR(internal::EnsureSodium());
  if (public_key.size() != kPublicKeyBytes) {
    return InvalidArgumentError("an Ed25519 public key has 32 bytes, got " +
                                std::to_string(public_key.size()));
  }
  VerificationKey key;
  std::copy(public_key.begin(), public_key.end(), key.public_key_.begin());
  key.raw_id_ = DeriveKeyId(public_key);
  key.id_ = ToHex(key.raw_id());
  return key;
}

bool VerificationKey::Verify(ByteSpan message, ByteSpan signature) const {
  if (signature.size() != kSignatureBytes) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key_.data()) == 0;
}

// ---- SigningKey ------------------------------------------------------------------------------

struct SigningKey::Material {
  std::uint8_t secret_key[crypto_sign_SECRETKEYBYTES];  // seed || public key
  ~Material() { sodium_memzero(secret_key, sizeof secret_key); }
};

SigningKey::SigningKey(std::unique_ptr<Material> material, VerificationKey public_key)
    : material_(std::move(material)), public_key_(std::move(public_key)) {}

Result<SigningKey> SigningKey::Generate() {
  CODESPHERE_RETURN_IF_ERROR(internal::EnsureSodium());
  SecretBytes seed(kSeedBytes);
  randombytes_buf(seed.data(), seed.size());
  return FromSeed(seed.span());
}

Result<SigningKey> SigningKey::FromSeed(ByteSpan seed) {
  CODESPHERE_RETURN_IF_ERROR(internal::EnsureSodium());
  if (seed.size() != kSeedBytes) {
    return InvalidArgumentError("an Ed25519 seed has 32 bytes, got " +
                                std::to_string(seed.size()));
  }
  auto material = std::make_unique<Material>();
  std::uint8_t public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(public_key, material->secret_key, seed.data());
  CODESPHERE_ASSIGN_OR_RETURN(VerificationKey vk,
                              VerificationKey::FromBytes(ByteSpan(public_key, sizeof public_key)));
  return SigningKey(std::move(material), std::move(vk));
}

SigningKey::SigningKey(const SigningKey& other)
    : material_(std::make_unique<Material>(*other.material_)), public_key_(other.public_key_) {}

SigningKey& SigningKey::operator=(const SigningKey& other) {
  if (this != &other) {
    material_ = std::make_unique<Material>(*other.material_);
    public_key_ = other.public_key_;
  }
  return *this;
}

SigningKey::SigningKey(SigningKey&& other) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&& other) noexcept = default;
SigningKey::~SigningKey() = default;

std::array<std::uint8_t, kSignatureBytes> SigningKey::Sign(ByteSpan message) const {
  std::array<std::uint8_t, kSignatureBytes> signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                       material_->secret_key);
  return signature;
}

SecretBytes SigningKey::Seed() const {
  SecretBytes seed(kSeedBytes);
  crypto_sign_ed25519_sk_to_seed(seed.data(), material_->secret_key);
  return seed;
}

// ---- Keyring ---------------------------------------------------------------------------------

namespace {

constexpr std::uint8_t kMagic[4] = {'C', 'S', 'K', 'R'};
constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kHeaderBytes = 6;
constexpr std::size_t kEntryBytes = 1 + 8 + 32;
constexpr std::size_t kChecksumBytes = 32;
constexpr std::uint8_t kFlagSecret = 1;
constexpr std::uint8_t kFlagActive = 2;

std::chrono::system_clock::time_point TruncateToSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()));
}

void Checksum(ByteSpan bytes, std::uint8_t out[kChecksumBytes]) {
  crypto_generichash(out, kChecksumBytes, bytes.data(), bytes.size(), nullptr, 0);
}

}  // namespace

const Keyring::Entry* Keyring::Find(std::string_view key_id) const {
  for (const Entry& e : entries_) {
    if (e.public_key.id() == key_id) return &e;
  }
  return nullptr;
}

Status Keyring::Add(Entry entry, bool activate) {
  if (Find(entry.public_key.id()) != nullptr) {
    return AlreadyExistsError("key " + entry.public_key.id() + " is already in the keyring");
  }
  if (entries_.size() >= kMaxKeys) {
    return ResourceExhaustedError("the keyring is full (" + std::to_string(kMaxKeys) +
                                  " keys); remove retired keys first");
  }
  entry.created_at = TruncateToSeconds(entry.created_at);
  if (activate) active_id_ = entry.public_key.id();
  entries_.push_back(std::move(entry));
  return OkStatus();
}

Result<std::string> Keyring::Rotate(std::chrono::system_clock::time_point now) {
  if (entries_.size() >= kMaxKeys) {
    return ResourceExhaustedError("the keyring is full; remove retired keys before rotating");
  }
  CODESPHERE_ASSIGN_OR_RETURN(SigningKey key, SigningKey::Generate());
  std::string id = key.id();
  CODESPHERE_RETURN_IF_ERROR(AddSigningKey(key, now, /*activate=*/true));
  return id;
}

Status Keyring::AddSigningKey(const SigningKey& key,
                              std::chrono::system_clock::time_point created_at, bool activate) {
  return Add(Entry{key.verification_key(), std::make_shared<const SigningKey>(key), created_at},
             activate);
}

Status Keyring::AddVerificationKey(const VerificationKey& key,
                                   std::chrono::system_clock::time_point created_at) {
  return Add(Entry{key, nullptr, created_at}, /*activate=*/false);
}

Status Keyring::Activate(std::string_view key_id) {
  const Entry* e = Find(key_id);
  if (e == nullptr) return NotFoundError("no key " + std::string(key_id) + " in the keyring");
  if (e->secret == nullptr) {
    return FailedPreconditionError("key " + std::string(key_id) +
                                   " is verify-only and cannot sign");
  }
  active_id_ = e->public_key.id();
  return OkStatus();
}

Status Keyring::Remove(std::string_view key_id) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.public_key.id() == key_id; });
  if (it == entries_.end()) {
    return NotFoundError("no key " + std::string(key_id) + " in the keyring");
  }
  if (key_id == active_id_) {
    return FailedPreconditionError("key " + std::string(key_id) +
                                   " is the active signing key; rotate before removing it");
  }
  entries_.erase(it);
  return OkStatus();
}

std::size_t Keyring::RemoveOlderThan(std::chrono::system_clock::time_point cutoff) {
  const std::size_t before = entries_.size();
  std::erase_if(entries_, [&](const Entry& e) {
    return e.public_key.id() != active_id_ && e.created_at < cutoff;
  });
  return before - entries_.size();
}

const SigningKey* Keyring::active_key() const {
  if (active_id_.empty()) return nullptr;
  const Entry* e = Find(active_id_);
  return e == nullptr ? nullptr : e->secret.get();
}

const VerificationKey* Keyring::FindVerificationKey(ByteSpan raw_key_id) const {
  if (raw_key_id.size() != kKeyIdBytes) return nullptr;
  for (const Entry& e : entries_) {
    if (std::equal(raw_key_id.begin(), raw_key_id.end(), e.public_key.raw_id().begin())) {
      return &e.public_key;
    }
  }
  return nullptr;
}

const VerificationKey* Keyring::FindVerificationKey(std::string_view key_id) const {
  const Entry* e = Find(key_id);
  return e == nullptr ? nullptr : &e->public_key;
}

std::vector<KeyInfo> Keyring::keys() const {
  std::vector<KeyInfo> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) {
    out.push_back(KeyInfo{e.public_key.id(), e.secret != nullptr,
                          e.public_key.id() == active_id_, e.created_at});
  }
  return out;
}

Keyring Keyring::PublicOnly() const {
  Keyring copy;
  for (const Entry& e : entries_) copy.entries_.push_back(Entry{e.public_key, nullptr, e.created_at});
  return copy;
}

SecretBytes Keyring::Serialize() const {
  SecretBytes out(kHeaderBytes + kEntryBytes * entries_.size() + kChecksumBytes);
  std::uint8_t* p = out.data();
  std::memcpy(p, kMagic, sizeof kMagic);
  p[4] = kFormatVersion;
  p[5] = static_cast<std::uint8_t>(entries_.size());
  p += kHeaderBytes;
  for (const Entry& e : entries_) {
    std::uint8_t flags = 0;
    if (e.secret != nullptr) flags |= kFlagSecret;
    if (e.public_key.id() == active_id_) flags |= kFlagActive;
    *p++ = flags;
    const auto seconds = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(e.created_at.time_since_epoch())
            .count());
    for (int i = 0; i < 8; ++i) *p++ = static_cast<std::uint8_t>(seconds >> (8 * i));
    if (e.secret != nullptr) {
      SecretBytes seed = e.secret->Seed();
      std::memcpy(p, seed.data(), kSeedBytes);
    } else {
      std::memcpy(p, e.public_key.bytes().data(), kPublicKeyBytes);
    }
    p += 32;
  }
  Checksum(ByteSpan(out.data(), static_cast<std::size_t>(p - out.data())), p);
  return out;
}

Result<Keyring> Keyring::Parse(ByteSpan bytes) {
  CODESPHERE_RETURN_IF_ERROR(internal::EnsureSodium());
  if (bytes.size() < kHeaderBytes + kChecksumBytes ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return InvalidArgumentError("not a codesphere keyring (bad magic or too short)");
  }
  if (bytes[4] != kFormatVersion) {
    return InvalidArgumentError("unsupported keyring format version " + std::to_string(bytes[4]));
  }
  const std::size_t count = bytes[5];
  if (count > kMaxKeys) {
    return InvalidArgumentError("keyring claims " + std::to_string(count) + " keys; at most " +
                                std::to_string(kMaxKeys) + " are allowed");
  }
  const std::size_t body = kHeaderBytes + kEntryBytes * count;
  if (bytes.size() != body + kChecksumBytes) {
    return InvalidArgumentError("keyring size " + std::to_string(bytes.size()) +
                                " does not match its key count " + std::to_string(count));
  }
  std::uint8_t checksum[kChecksumBytes];
  Checksum(bytes.first(body), checksum);
  if (sodium_memcmp(checksum, bytes.data() + body, kChecksumBytes) != 0) {
    return DataLossError("keyring checksum mismatch (corrupted file)");
  }
  Keyring ring;
  const std::uint8_t* p = bytes.data() + kHeaderBytes;
  for (std::size_t i = 0; i < count; ++i, p += kEntryBytes) {
    const std::uint8_t flags = p[0];
    if ((flags & ~(kFlagSecret | kFlagActive)) != 0) {
      return InvalidArgumentError("keyring entry " + std::to_string(i) + " has unknown flags");
    }
    std::uint64_t seconds = 0;
    for (int b = 0; b < 8; ++b) seconds |= std::uint64_t{p[1 + b]} << (8 * b);
    if (seconds > static_cast<std::uint64_t>(INT64_MAX / 1000000000)) {
      return InvalidArgumentError("keyring entry " + std::to_string(i) + " has a bad timestamp");
    }
    const auto created = std::chrono::system_clock::time_point(
        std::chrono::seconds(static_cast<std::int64_t>(seconds)));
    const bool active = (flags & kFlagActive) != 0;
    if (active && !ring.active_id_.empty()) {
      return FailedPreconditionError("keyring marks more than one key active");
    }
    ByteSpan material(p + 9, 32);
    Status added;
    if ((flags & kFlagSecret) != 0) {
      CODESPHERE_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromSeed(material));
      added = ring.AddSigningKey(key, created, active);
    } else {
      if (active) {
        return FailedPreconditionError("keyring marks a verify-only key active");
      }
      CODESPHERE_ASSIGN_OR_RETURN(VerificationKey key, VerificationKey::FromBytes(material));
      added = ring.AddVerificationKey(key, created);
    }
    if (!added.ok()) {
      return InvalidArgumentError("keyring entry " + std::to_string(i) + ": " +
                                  std::string(added.message()));
    }
  }
  return ring;
}

// ---- files -----------------------------------------------------------------------------------

Status SaveKeyringFile(const std::filesystem::path& path, const Keyring& keyring) {
  const SecretBytes bytes = keyring.Serialize();
  // A private temporary (O_EXCL | O_NOFOLLOW, fchmod 0600 whatever the umask), fsync, rename
  // over the entry itself (a symlink at `path` is replaced, never followed), fsync the dir.
  AtomicWriteOptions options;
  options.mode = 0600;
  return WriteFileAtomically(path, bytes.span(), options);
}

Result<Keyring> LoadKeyringFile(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return ErrnoToStatus(errno, "open " + path.string());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "stat " + path.string());
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgumentError(path.string() + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return PermissionDeniedError(path.string() +
                                 " is accessible by group or others; chmod 600 it");
  }
  constexpr std::size_t kMaxFile = kHeaderBytes + kEntryBytes * Keyring::kMaxKeys + kChecksumBytes;
  if (static_cast<std::uint64_t>(st.st_size) > kMaxFile) {
    return InvalidArgumentError(path.string() + " is too large for a keyring");
  }
  SecretBytes bytes(static_cast<std::size_t>(st.st_size));
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read " + path.string());
    }
    if (n == 0) return DataLossError(path.string() + " shrank while being read");
    off += static_cast<std::size_t>(n);
  }
  Result<Keyring> ring = Keyring::Parse(bytes.span());
  if (!ring.has_value()) return ring.error().WithContext(path.string());
  return ring;
}

Result<Keyring> LoadOrCreateKeyringFile(const std::filesystem::path& path,
                                        std::chrono::system_clock::time_point now) {
  Result<Keyring> loaded = LoadKeyringFile(path);
  if (loaded.has_value() || loaded.error().code() != StatusCode::kNotFound) return loaded;
  Keyring ring;
  CODESPHERE_RETURN_IF_ERROR(ring.Rotate(now));
  CODESPHERE_RETURN_IF_ERROR(SaveKeyringFile(path, ring));
  return ring;
}

}  // namespace codesphere::auth
