// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// S3ObjectStore against a real S3 API: the moto server on loopback (skipped with a reason when
// moto is not installed). boto3 independently reads what we wrote.
#include "codesphere/storage/s3_object_store.h"

#include <sodium.h>

#include <atomic>

#include "codesphere/storage/object_store_url.h"
#include "tests/storage/moto_server.h"
#include "tests/storage/object_store_conformance.h"

namespace codesphere::storage::testing {
namespace {

using ::codesphere::testing::StatusIs;

// One moto per test process (ctest runs each test in its own process).
MotoServer* SharedMoto(std::string* reason) {
  // Destroyed at exit, which stops the server.
  static Result<std::unique_ptr<MotoServer>> holder = MotoServer::Start();
  static Result<std::unique_ptr<MotoServer>>* moto = [] {
    auto* m = &holder;
    if (m->has_value()) {
      auto r = (**m)->Tool({"create-bucket", "conformance", "interop", "vhost", "urlbucket"});
      if (!r.has_value()) *m = r.error();
    }
    return m;
  }();
  if (!moto->has_value()) {
    if (reason) *reason = std::string(moto->error().message());
    return nullptr;
  }
  return moto->value().get();
}

S3ObjectStoreOptions Options(MotoServer& moto, const std::string& bucket) {
  S3ObjectStoreOptions o;
  o.bucket = bucket;
  o.endpoint = moto.endpoint();
  o.access_key_id = "testing";
  o.secret_access_key = "testing";
  o.multipart_threshold = 5u << 20;
  o.part_size = 5u << 20;
  o.max_attempts = 2;
  o.initial_backoff = std::chrono::milliseconds(10);
  return o;
}

std::unique_ptr<ObjectStore> MakeConformanceStore(std::string* reason) {
  MotoServer* moto = SharedMoto(reason);
  if (moto == nullptr) return nullptr;
  static std::atomic<int> counter{0};
  S3ObjectStoreOptions o = Options(*moto, "conformance");
  o.prefix = "t" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "/";
  auto s = NewS3ObjectStore(o);
  if (!s.has_value()) {
    *reason = s.error().ToString();
    return nullptr;
  }
  return std::move(*s);
}

INSTANTIATE_TEST_SUITE_P(S3, ObjectStoreConformanceTest,
                         ::testing::Values(ConformanceParam{"S3Moto", MakeConformanceStore, 4}),
                         PrintParam);

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason;
    moto_ = SharedMoto(&reason);
    if (moto_ == nullptr) GTEST_SKIP() << reason;
  }
  MotoServer* moto_ = nullptr;
};

std::string Sha256(ByteSpan b) {
  unsigned char d[32];
  crypto_hash_sha256(d, b.data(), b.size());
  return ToHex(ByteSpan(d, 32));
}

TEST_F(S3ObjectStoreTest, Boto3ReadsAndListsWhatWeWrote) {
  ASSERT_OK_AND_ASSIGN(auto store, NewS3ObjectStore(Options(*moto_, "interop")));
  Bytes big(6u << 20);  // Multipart (threshold 5 MiB): two parts.
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7 + (i >> 12));
  ASSERT_OK(store->Put("dir/small file+name", ToBytes("hello s3")));
  ASSERT_OK_AND_ASSIGN(Generation g, store->Put("dir/big", big));
  // One boto3 run: list, read, and write an object for us to read.
  ASSERT_OK_AND_ASSIGN(std::string got,
                       moto_->Tool({"list", "interop", "dir/", "+", "get", "interop", "dir/big", "+",
                                    "put", "interop", "from-boto3", "written by boto3"}));
  const std::string& listing = got;
  EXPECT_NE(listing.find("\"key\": \"dir/big\", \"size\": 6291456"), std::string::npos) << listing;
  EXPECT_NE(listing.find("\"key\": \"dir/small file+name\", \"size\": 8"), std::string::npos) << listing;
  EXPECT_NE(got.find(Sha256(big)), std::string::npos) << got;
  // The JSON escapes the ETag's quotes; compare the text between them.
  EXPECT_NE(got.find(g.value().substr(1, g.value().size() - 2)), std::string::npos) << got << " vs " << g;
  // And the other way round: boto3 wrote, we read.
  ASSERT_OK_AND_ASSIGN(GetResult r, store->Get("from-boto3"));
  EXPECT_EQ(AsStringView(r.value), "written by boto3");
}

TEST_F(S3ObjectStoreTest, VirtualHostStyleAddressing) {
  S3ObjectStoreOptions o = Options(*moto_, "vhost");
  o.endpoint = "http://localhost:" + std::to_string(moto_->port());  // vhost.localhost -> loopback
  o.path_style = false;
  ASSERT_OK_AND_ASSIGN(auto store, NewS3ObjectStore(o));
  ASSERT_OK(store->Put("k", ToBytes("virtual")));
  // Read back path-style: the object is in bucket "vhost".
  ASSERT_OK_AND_ASSIGN(auto path_style, NewS3ObjectStore(Options(*moto_, "vhost")));
  ASSERT_OK_AND_ASSIGN(GetResult got, path_style->Get("k"));
  EXPECT_EQ(AsStringView(got.value), "virtual");
  ASSERT_OK_AND_ASSIGN(auto list, store->List(""));
  ASSERT_EQ(list.size(), 1u);
}

TEST_F(S3ObjectStoreTest, MissingBucketIsAClearNotFound) {
  ASSERT_OK_AND_ASSIGN(auto store, NewS3ObjectStore(Options(*moto_, "no-such-bucket")));
  auto list = store->List("");
  ASSERT_THAT(list, StatusIs(StatusCode::kNotFound));
  EXPECT_NE(list.error().message().find("bucket no-such-bucket does not exist"), std::string::npos)
      << list.error();
  auto put = store->Put("x", ToBytes("y"));
  EXPECT_THAT(put, StatusIs(StatusCode::kNotFound));
}

TEST_F(S3ObjectStoreTest, UnreachableEndpointIsUnavailableAfterRetries) {
  S3ObjectStoreOptions o = Options(*moto_, "conformance");
  o.endpoint = "http://127.0.0.1:1";
  o.max_attempts = 3;
  ASSERT_OK_AND_ASSIGN(auto store, NewS3ObjectStore(o));
  auto r = store->Get("x");
  ASSERT_THAT(r, StatusIs(StatusCode::kUnavailable));
  EXPECT_NE(r.error().message().find("3 attempts"), std::string::npos) << r.error();
}

TEST_F(S3ObjectStoreTest, InvalidOptionsAreRejected) {
  S3ObjectStoreOptions o;
  EXPECT_THAT(NewS3ObjectStore(o), StatusIs(StatusCode::kInvalidArgument));
  o.bucket = "Bad_Bucket";
  EXPECT_THAT(NewS3ObjectStore(o), StatusIs(StatusCode::kInvalidArgument));
  o.bucket = "ok";
  o.endpoint = "ftp://x";
  EXPECT_THAT(NewS3ObjectStore(o), StatusIs(StatusCode::kInvalidArgument));
  o.endpoint = "http://x";
  o.part_size = 1024;
  EXPECT_THAT(NewS3ObjectStore(o), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(S3ObjectStoreTest, OpenObjectStoreParsesS3Urls) {
  ::setenv("AWS_ACCESS_KEY_ID", "testing", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
  ::setenv("AWS_REGION", "us-east-1", 1);
  ASSERT_OK_AND_ASSIGN(auto store,
                       OpenObjectStore("s3://urlbucket/some/prefix?endpoint=" + moto_->endpoint()));
  ASSERT_OK(store->Put("obj", ToBytes("v")));
  ASSERT_OK_AND_ASSIGN(auto whole_bucket, NewS3ObjectStore(Options(*moto_, "urlbucket")));
  ASSERT_OK_AND_ASSIGN(auto list, whole_bucket->List(""));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].key, "some/prefix/obj");
  EXPECT_THAT(OpenObjectStore("s3://urlbucket?bogus=1"), StatusIs(StatusCode::kInvalidArgument));
}

// A moto of its own with authentication on, which then checks every request's SigV4
// signature against IAM credentials.
TEST_F(S3ObjectStoreTest, SignaturesAreVerifiedAndBadCredentialsRejected) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<MotoServer> auth_moto, MotoServer::Start());
  MotoServer* moto_ = auth_moto.get();
  ASSERT_OK_AND_ASSIGN(std::string creds,
                       moto_->Tool({"create-bucket", "authbucket", "+", "setup-auth"}));
  auto field = [&](const std::string& name) {
    std::size_t a = creds.find("\"" + name + "\": \"") + name.size() + 5;
    return creds.substr(a, creds.find('"', a) - a);
  };
  S3ObjectStoreOptions good = Options(*moto_, "authbucket");
  good.access_key_id = field("key");
  good.secret_access_key = field("secret");
  ASSERT_OK_AND_ASSIGN(auto store, NewS3ObjectStore(good));
  auto put = store->Put("signed/obj", ToBytes("ok"));  // Moto verifies our signature.
  ASSERT_TRUE(put.has_value()) << put.error() << " with " << good.access_key_id << ":" << good.secret_access_key;
  // No '/' in this prefix: moto re-signs the *decoded* query string, so an encoded %2F (which
  // AWS requires and boto3 sends too) would not verify there.
  ASSERT_OK_AND_ASSIGN(auto list, store->List("signed"));
  EXPECT_EQ(list.size(), 1u);

  S3ObjectStoreOptions wrong_secret = good;
  wrong_secret.secret_access_key = "not-the-secret";
  ASSERT_OK_AND_ASSIGN(auto bad, NewS3ObjectStore(wrong_secret));
  auto r = bad->Put("signed/evil", ToBytes("x"));
  ASSERT_THAT(r, StatusIs(StatusCode::kUnauthenticated));
  EXPECT_NE(r.error().message().find("SignatureDoesNotMatch"), std::string::npos) << r.error();

  S3ObjectStoreOptions unknown_key = good;
  unknown_key.access_key_id = "AKIAUNKNOWNKEY000000";
  ASSERT_OK_AND_ASSIGN(auto bad2, NewS3ObjectStore(unknown_key));
  EXPECT_THAT(bad2->List(""), StatusIs(StatusCode::kUnauthenticated));
  EXPECT_THAT(store->Stat("signed/evil"), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace codesphere::storage::testing
