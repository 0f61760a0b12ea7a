// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/token.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "codesphere/auth/keys.h"
#include "codesphere/auth/secret.h"
#include "codesphere/auth/token_verifier.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::auth {
namespace {

using ::codesphere::testing::FakeClock;
using ::codesphere::testing::StatusIs;
using ::testing::HasSubstr;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::shared_ptr<const Keyring> RingWithKey(std::uint8_t seed_byte, const FakeClock& clock) {
  auto ring = std::make_shared<Keyring>();
  SigningKey key = *SigningKey::FromSeed(Bytes(kSeedBytes, seed_byte));
  CODESPHERE_CHECK(ring->AddSigningKey(key, clock.WallNow(), true).ok());
  return ring;
}

class TokenTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::shared_ptr<const Keyring> ring_ = RingWithKey(1, clock_);
  TokenIssuer issuer_{ring_, clock_};
  KeyringTokenVerifier verifier_{ring_, clock_};

  std::string Session(std::string_view user = "user-1", seconds ttl = hours(1)) {
    Result<IssuedToken> t = issuer_.IssueSession(user, ttl);
    CODESPHERE_CHECK(t.has_value());
    return t->token();
  }
};

TEST_F(TokenTest, SessionRoundTrips) {
  ASSERT_OK_AND_ASSIGN(IssuedToken issued, issuer_.IssueSession("user-1", hours(1)));
  ASSERT_OK_AND_ASSIGN(TokenClaims claims, verifier_.Verify(issued.token(), TokenKind::kSession));
  EXPECT_EQ(claims.kind, TokenKind::kSession);
  EXPECT_EQ(claims.subject, "user-1");
  EXPECT_EQ(claims.project, "");
  EXPECT_EQ(claims.expires_at - claims.issued_at, hours(1));
  EXPECT_EQ(claims.key_id, ring_->active_key()->id());
  EXPECT_EQ(claims.token_id, issued.claims().token_id);
  EXPECT_EQ(claims.token_id.size(), 32u);
  EXPECT_EQ(claims.issued_at, issued.claims().issued_at);
}

TEST_F(TokenTest, TokensAreUrlAndCookieSafeAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const std::string t = Session();
    for (char c : t) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
          << t;
    }
    EXPECT_TRUE(seen.insert(t).second);
  }
}

TEST_F(TokenTest, ExpiredTokenIsUnauthenticated) {
  const std::string t = Session("user-1", minutes(30));
  clock_.Advance(minutes(30) - seconds(1));
  EXPECT_OK(verifier_.Verify(t, TokenKind::kSession));
  clock_.Advance(seconds(1));
  const auto r = verifier_.Verify(t, TokenKind::kSession);
  EXPECT_THAT(r, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(r.error().message()), HasSubstr("expired"));
}

TEST_F(TokenTest, TokenFromTheFutureBeyondSkewIsRefused) {
  FakeClock ahead;
  ahead.Advance(minutes(5));
  TokenIssuer future_issuer(ring_, ahead);
  ASSERT_OK_AND_ASSIGN(IssuedToken t, future_issuer.IssueSession("user-1", hours(1)));
  EXPECT_THAT(verifier_.Verify(t.token(), TokenKind::kSession),
              StatusIs(StatusCode::kUnauthenticated));
  clock_.Advance(minutes(4));  // now within the 60 s skew
  EXPECT_OK(verifier_.Verify(t.token(), TokenKind::kSession));
}

TEST_F(TokenTest, TamperedTokenIsUnauthenticated) {
  const std::string t = Session();
  // Every single-character substitution breaks the token.
  for (std::size_t i = 0; i < t.size(); ++i) {
    std::string bad = t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    if (bad[i] == t[i]) continue;
    EXPECT_THAT(verifier_.Verify(bad, TokenKind::kSession), StatusIs(StatusCode::kUnauthenticated))
        << "position " << i;
  }
  // Swapping payloads between two valid tokens breaks both.
  const std::string other = Session("user-2");
  const std::string spliced = other.substr(0, other.find('.')) + t.substr(t.find('.'));
  EXPECT_THAT(verifier_.Verify(spliced, TokenKind::kSession),
              StatusIs(StatusCode::kUnauthenticated));
}

TEST_F(TokenTest, TokenFromAnotherKeyIsUnauthenticated) {
  auto stranger = RingWithKey(2, clock_);
  TokenIssuer other_issuer(stranger, clock_);
  ASSERT_OK_AND_ASSIGN(IssuedToken t, other_issuer.IssueSession("user-1", hours(1)));
  const auto r = verifier_.Verify(t.token(), TokenKind::kSession);
  EXPECT_THAT(r, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(r.error().message()), HasSubstr("unknown"));
}

TEST_F(TokenTest, ForgedKeyIdWithForeignSignatureIsUnauthenticated) {
  // An attacker signs with their own key but claims our key id.
  SigningKey attacker = *SigningKey::FromSeed(Bytes(kSeedBytes, 9));
  const std::string t = Session();
  const std::string payload = t.substr(0, t.find('.'));
  Keyring attacker_ring;
  ASSERT_OK(attacker_ring.AddSigningKey(attacker, clock_.WallNow(), true));
  TokenIssuer attacker_issuer(std::make_shared<Keyring>(attacker_ring), clock_);
  ASSERT_OK_AND_ASSIGN(IssuedToken theirs, attacker_issuer.IssueSession("user-1", hours(1)));
  const std::string forged = payload + theirs.token().substr(theirs.token().find('.'));
  const auto r = verifier_.Verify(forged, TokenKind::kSession);
  EXPECT_THAT(r, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(r.error().message()), HasSubstr("signature"));
}

TEST_F(TokenTest, RotatedKeyKeepsVerifyingUntilRemoved) {
  auto ring = std::make_shared<Keyring>(*ring_);
  TokenIssuer issuer(ring, clock_);
  KeyringTokenVerifier verifier(ring, clock_);
  ASSERT_OK_AND_ASSIGN(IssuedToken old_token, issuer.IssueSession("user-1", hours(48)));
  const std::string old_id = ring->active_key()->id();

  auto rotated = std::make_shared<Keyring>(*ring);
  ASSERT_OK_AND_ASSIGN(std::string new_id, rotated->Rotate(clock_.WallNow()));
  issuer.SetKeyring(rotated);
  verifier.SetKeyring(rotated);
  ASSERT_OK_AND_ASSIGN(IssuedToken new_token, issuer.IssueSession("user-1", hours(48)));
  EXPECT_EQ(new_token.claims().key_id, new_id);
  EXPECT_OK(verifier.Verify(old_token.token(), TokenKind::kSession));
  EXPECT_OK(verifier.Verify(new_token.token(), TokenKind::kSession));

  auto retired = std::make_shared<Keyring>(*rotated);
  ASSERT_OK(retired->Remove(old_id));
  verifier.SetKeyring(retired);
  EXPECT_THAT(verifier.Verify(old_token.token(), TokenKind::kSession),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_OK(verifier.Verify(new_token.token(), TokenKind::kSession));
}

TEST_F(TokenTest, VerifyOnlyKeyringVerifies) {
  KeyringTokenVerifier verifier(std::make_shared<Keyring>(ring_->PublicOnly()), clock_);
  EXPECT_OK(verifier.Verify(Session(), TokenKind::kSession));
  TokenIssuer issuer(std::make_shared<Keyring>(ring_->PublicOnly()), clock_);
  EXPECT_THAT(issuer.IssueSession("u", hours(1)), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(TokenTest, ShareLinkCarriesProjectRoleAndExpiry) {
  ASSERT_OK_AND_ASSIGN(IssuedToken link,
                       issuer_.IssueShareLink("owner-1", "project-7", Role::kEditor, hours(24)));
  ASSERT_OK_AND_ASSIGN(TokenClaims c, verifier_.Verify(link.token(), TokenKind::kShareLink));
  EXPECT_EQ(c.kind, TokenKind::kShareLink);
  EXPECT_EQ(c.subject, "owner-1");
  EXPECT_EQ(c.project, "project-7");
  EXPECT_EQ(c.role, Role::kEditor);
  clock_.Advance(hours(24));
  EXPECT_THAT(verifier_.Verify(link.token(), TokenKind::kShareLink),
              StatusIs(StatusCode::kUnauthenticated));
}

TEST_F(TokenTest, ShareLinksNeverGrantOwnership) {
  EXPECT_THAT(issuer_.IssueShareLink("owner-1", "p", Role::kOwner, hours(1)),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_.IssueShareLink("owner-1", "", Role::kViewer, hours(1)),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(TokenTest, KindsAreNotInterchangeable) {
  ASSERT_OK_AND_ASSIGN(IssuedToken link,
                       issuer_.IssueShareLink("owner-1", "p", Role::kViewer, hours(1)));
  ASSERT_OK_AND_ASSIGN(IssuedToken api, issuer_.IssueApiToken("user-1", hours(1)));
  EXPECT_THAT(verifier_.Verify(link.token(), TokenKind::kSession),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_.Verify(api.token(), TokenKind::kSession),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(verifier_.Verify(Session(), TokenKind::kApi), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_OK(verifier_.Verify(api.token(), TokenKind::kApi));
}

TEST_F(TokenTest, PreviewTokensNameAProjectAndPassAsNothingElse) {
  ASSERT_OK_AND_ASSIGN(IssuedToken preview, issuer_.IssuePreview("user-1", "project-7", hours(1)));
  ASSERT_OK_AND_ASSIGN(TokenClaims c, verifier_.Verify(preview.token(), TokenKind::kPreview));
  EXPECT_EQ(c.kind, TokenKind::kPreview);
  EXPECT_EQ(c.subject, "user-1");
  EXPECT_EQ(c.project, "project-7");
  for (TokenKind other : {TokenKind::kSession, TokenKind::kApi, TokenKind::kShareLink}) {
    EXPECT_THAT(verifier_.Verify(preview.token(), other), StatusIs(StatusCode::kUnauthenticated));
  }
  ASSERT_OK_AND_ASSIGN(IssuedToken link,
                       issuer_.IssueShareLink("owner-1", "project-7", Role::kViewer, hours(1)));
  EXPECT_THAT(verifier_.Verify(link.token(), TokenKind::kPreview),
              StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(issuer_.IssuePreview("user-1", "", hours(1)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(TokenKinds(TokenKind::kPreview).ToString(), "preview");
}

TEST_F(TokenTest, RevocationHookRefusesTokens) {
  ASSERT_OK_AND_ASSIGN(IssuedToken revoked, issuer_.IssueSession("user-1", hours(1)));
  ASSERT_OK_AND_ASSIGN(IssuedToken kept, issuer_.IssueSession("user-1", hours(1)));
  TokenVerifierOptions options;
  const std::string revoked_id = revoked.claims().token_id;
  options.is_revoked = [revoked_id](const TokenClaims& c) { return c.token_id == revoked_id; };
  KeyringTokenVerifier verifier(ring_, clock_, options);
  const auto r = verifier.Verify(revoked.token(), TokenKind::kSession);
  EXPECT_THAT(r, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(std::string(r.error().message()), HasSubstr("revoked"));
  EXPECT_OK(verifier.Verify(kept.token(), TokenKind::kSession));
}

TEST_F(TokenTest, IssueValidatesArguments) {
  EXPECT_THAT(issuer_.IssueSession("", hours(1)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_.IssueSession(std::string(kMaxSubjectBytes + 1, 'u'), hours(1)),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_.IssueSession("u", seconds(0)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_.IssueSession("u", hours(24 * 366)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_.IssueSession("\xff\xfe", hours(1)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(issuer_.IssueShareLink("u", "p\xc3", Role::kViewer, hours(1)),
              StatusIs(StatusCode::kInvalidArgument));
  TokenIssuer no_keys(std::make_shared<Keyring>(), clock_);
  EXPECT_THAT(no_keys.IssueSession("u", hours(1)), StatusIs(StatusCode::kFailedPrecondition));
  TokenIssuer null_ring(nullptr, clock_);
  EXPECT_THAT(null_ring.IssueSession("u", hours(1)), StatusIs(StatusCode::kFailedPrecondition));
}

TEST_F(TokenTest, UnicodeIdsRoundTrip) {
  ASSERT_OK_AND_ASSIGN(IssuedToken t, issuer_.IssueShareLink("j\xc3\xbcrgen", "\xe9\xa1\xb9\xe7\x9b\xae",
                                                             Role::kEditor, hours(1)));
  ASSERT_OK_AND_ASSIGN(TokenClaims c, verifier_.Verify(t.token(), TokenKind::kShareLink));
  EXPECT_EQ(c.subject, "j\xc3\xbcrgen");
  EXPECT_EQ(c.project, "\xe9\xa1\xb9\xe7\x9b\xae");
}

TEST_F(TokenTest, LongestFieldsStillFitTheVerifierLimit) {
  ASSERT_OK_AND_ASSIGN(IssuedToken t, issuer_.IssueShareLink(std::string(kMaxSubjectBytes, 's'),
                                                             std::string(kMaxProjectBytes, 'p'),
                                                             Role::kViewer, hours(24 * 365)));
  EXPECT_LE(t.token().size(), TokenVerifierOptions().max_token_length);
  EXPECT_OK(verifier_.Verify(t.token(), TokenKind::kShareLink));
}

TEST_F(TokenTest, MalformedTokensOfEveryShapeAreUnauthenticated) {
  const std::string good = Session();
  const std::string payload = good.substr(0, good.find('.'));
  const std::string sig = good.substr(good.find('.') + 1);
  const std::vector<std::string> bad = {
      "",
      ".",
      "..",
      "nodot",
      payload,
      payload + ".",
      "." + sig,
      payload + "." + sig + ".",
      payload + "." + sig + "." + sig,
      payload + ".." + sig,
      payload + "=." + sig,                  // padding
      payload + "." + sig + "=",
      payload + " ." + sig,                  // whitespace
      payload + "." + sig.substr(1),         // short signature
      payload + "." + sig + "AA",            // long signature
      payload.substr(0, 4) + "." + sig,      // short payload
      "!!!!." + sig,                         // bad alphabet
      payload + ".+/+/" + sig.substr(4),     // standard base64 alphabet
      std::string(5000, 'A'),                // huge, no dot
      std::string(5000, 'A') + "." + sig,    // huge payload
      payload + "." + std::string(100000, 'A'),
      std::string("\0\0\0.\0\0", 6),
      std::string(1, '\xff') + "." + sig,
  };
  for (const std::string& t : bad) {
    EXPECT_THAT(verifier_.Verify(t, TokenKind::kSession), StatusIs(StatusCode::kUnauthenticated))
        << "token of size " << t.size();
  }
  // Random garbage of many lengths, with and without a dot.
  std::uint32_t x = 12345;
  for (int len = 0; len < 400; ++len) {
    std::string t(static_cast<std::size_t>(len), 'a');
    for (char& c : t) {
      x = x * 1103515245u + 12345u;
      c = static_cast<char>(x >> 16);
    }
    if (len > 2) t[static_cast<std::size_t>(len / 2)] = '.';
    EXPECT_FALSE(verifier_.Verify(t, TokenKind::kSession).has_value());
  }
}

TEST_F(TokenTest, HugePartsAreRefusedEvenWithALenientLengthLimit) {
  TokenVerifierOptions options;
  options.max_token_length = std::size_t{1} << 22;
  KeyringTokenVerifier lenient(ring_, clock_, options);
  const std::string good = Session();
  const std::string payload = good.substr(0, good.find('.'));
  const std::string sig = good.substr(good.find('.') + 1);
  EXPECT_OK(lenient.Verify(good, TokenKind::kSession));
  for (const std::string& t : {std::string(1 << 21, 'A') + "." + sig,
                               payload + "." + std::string(1 << 21, 'A'),
                               payload + std::string(4000, 'A') + "." + sig}) {
    EXPECT_THAT(lenient.Verify(t, TokenKind::kSession), StatusIs(StatusCode::kUnauthenticated));
  }
}

// Secret-holding types must never be streamable (STYLE.md §9, auth).
template <typename T>
concept Streamable = requires(std::ostream& os, const T& t) { os << t; };
static_assert(!Streamable<IssuedToken>);
static_assert(!Streamable<SigningKey>);
static_assert(!Streamable<SecretBytes>);
static_assert(!Streamable<Keyring>);

TEST_F(TokenTest, ConcurrentIssueVerifyAndRotateAgree) {
  auto ring = std::make_shared<Keyring>(*ring_);
  TokenIssuer issuer(ring, clock_);
  KeyringTokenVerifier verifier(ring, clock_);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        Result<IssuedToken> tok = issuer.IssueSession("u", hours(1));
        if (!tok.has_value() || !verifier.Verify(tok->token(), TokenKind::kSession).has_value()) {
          ++failures;
        }
      }
    });
  }
  for (int i = 0; i < 5; ++i) {
    // Verifier first: it knows every key the issuer may sign with.
    auto next = std::make_shared<Keyring>(*ring);
    ASSERT_OK(next->Rotate(clock_.WallNow()));
    verifier.SetKeyring(next);
    issuer.SetKeyring(next);
    ring = next;
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace codesphere::auth
