// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "server/metadata_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::server {
namespace {

using ::codesphere::testing::StatusIs;
using ::codesphere::testing::TempDir;
using auth::Permission;
using auth::Role;

constexpr std::int64_t kT0 = 1'790'000'000'000;

UserRecord User(std::string id, std::string username) {
  return UserRecord{std::move(id), std::move(username), "Name of " + username,
                    "$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA", kT0};
}

ProjectRecord Project(std::string id, std::string owner, std::int64_t created = kT0) {
  return ProjectRecord{std::move(id), "My project", std::move(owner), "python", created, false};
}

class MetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = MetadataStore::Open(path_);
    ASSERT_OK(opened);
    store_ = std::move(*opened);
    ASSERT_OK(store_->CreateUser(User("u-alice", "alice")));
    ASSERT_OK(store_->CreateUser(User("u-bob", "bob")));
    ASSERT_OK(store_->CreateUser(User("u-carol", "Carol")));
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "metadata.sqlite";
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(MetadataStoreTest, OpensInWalModeAtTheLatestSchema) {
  ASSERT_OK_AND_ASSIGN(int version, store_->SchemaVersion());
  EXPECT_EQ(version, static_cast<int>(MetadataMigrations().size()));
  EXPECT_TRUE(std::filesystem::exists(path_.string() + "-wal"));
}

TEST_F(MetadataStoreTest, DataSurvivesReopening) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  store_.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, MetadataStore::Open(path_));
  ASSERT_OK_AND_ASSIGN(UserRecord alice, reopened->GetUser("u-alice"));
  EXPECT_EQ(alice, User("u-alice", "alice"));
  ASSERT_OK_AND_ASSIGN(ProjectRecord p, reopened->GetProject("p1"));
  EXPECT_EQ(p, Project("p1", "u-alice"));
}

TEST_F(MetadataStoreTest, BackupIsAConsistentOpenableCopy) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  const auto backup = dir_.path() / "backup.sqlite";
  ASSERT_OK(store_->BackupTo(backup));
  // Changes after the backup stay out of it.
  ASSERT_OK(store_->CreateProject(Project("p2", "u-bob")));
  ASSERT_OK_AND_ASSIGN(auto restored, MetadataStore::Open(backup));
  ASSERT_OK_AND_ASSIGN(ProjectRecord p1, restored->GetProject("p1"));
  EXPECT_EQ(p1, Project("p1", "u-alice"));
  EXPECT_THAT(restored->GetProject("p2"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(int version, restored->SchemaVersion());
  EXPECT_EQ(version, static_cast<int>(MetadataMigrations().size()));
  EXPECT_FALSE(store_->BackupTo(dir_.path() / "missing" / "dir" / "b.sqlite").ok());
}

TEST(MetadataStoreMigrationTest, UpgradesInOrderAndKeepsData) {
  TempDir dir;
  const auto path = dir.path() / "m.sqlite";
  const auto v1 = MetadataMigrations();
  {
    ASSERT_OK_AND_ASSIGN(auto store, MetadataStore::Open(path, v1));
    ASSERT_OK(store->CreateUser(User("u1", "one")));
  }
  std::vector<Migration> v2(v1.begin(), v1.end());
  v2.push_back({"test: a second step", "CREATE TABLE extra (x INTEGER) STRICT;"
                                       "INSERT INTO extra SELECT COUNT(*) FROM users;"});
  ASSERT_OK_AND_ASSIGN(auto store, MetadataStore::Open(path, v2));
  ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_EQ(version, static_cast<int>(v2.size()));
  EXPECT_OK(store->GetUser("u1"));
  // Reopening with the same list applies nothing twice (the INSERT would duplicate rows, and
  // CREATE TABLE would fail).
  store.reset();
  ASSERT_OK(MetadataStore::Open(path, v2));
}

TEST(MetadataStoreMigrationTest, FailedStepRollsBackCompletely) {
  TempDir dir;
  const auto path = dir.path() / "m.sqlite";
  const auto v1 = MetadataMigrations();
  std::vector<Migration> broken(v1.begin(), v1.end());
  broken.push_back({"test: half good", "CREATE TABLE half (x INTEGER); CREATE TABLE users (y);"});
  EXPECT_FALSE(MetadataStore::Open(path, broken).has_value());
  // The real steps were committed, the broken one left nothing behind: a correct one applies.
  std::vector<Migration> fixed(v1.begin(), v1.end());
  fixed.push_back({"test: good", "CREATE TABLE half (x INTEGER);"});
  ASSERT_OK_AND_ASSIGN(auto store, MetadataStore::Open(path, fixed));
  ASSERT_OK_AND_ASSIGN(int version, store->SchemaVersion());
  EXPECT_EQ(version, static_cast<int>(fixed.size()));
}

TEST(MetadataStoreMigrationTest, NewerSchemaIsRefused) {
  TempDir dir;
  const auto path = dir.path() / "m.sqlite";
  ASSERT_OK(MetadataStore::Open(path));
  EXPECT_THAT(MetadataStore::Open(path, MetadataMigrations().first(0)),
              StatusIs(StatusCode::kFailedPrecondition));
}

TEST(MetadataStoreOpenTest, NotADatabaseIsDataLoss) {
  TempDir dir;
  const auto path = dir.path() / "garbage.sqlite";
  { std::ofstream(path) << std::string(4096, 'x'); }
  EXPECT_THAT(MetadataStore::Open(path), StatusIs(StatusCode::kDataLoss));
}

TEST(MetadataStoreOpenTest, MissingDirectoryIsAnError) {
  TempDir dir;
  EXPECT_FALSE(MetadataStore::Open(dir.path() / "no" / "such" / "dir" / "m.sqlite").has_value());
}

TEST_F(MetadataStoreTest, UsernamesAreUniqueCaseInsensitively) {
  EXPECT_THAT(store_->CreateUser(User("u-other", "ALICE")), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateUser(User("u-alice", "alice2")), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateUser(User("", "x")), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->CreateUser(User("x", "")), StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(UserRecord carol, store_->FindUserByUsername("carol"));
  EXPECT_EQ(carol.id, "u-carol");
  EXPECT_EQ(carol.username, "Carol");
  EXPECT_THAT(store_->FindUserByUsername("dave"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetUser("u-dave"), StatusIs(StatusCode::kNotFound));
}

TEST_F(MetadataStoreTest, HostileTextIsStoredVerbatim) {
  const std::string name = "x'); DROP TABLE users; --\n\xe2\x9c\x93";
  ASSERT_OK(store_->CreateUser(User("u-evil", name)));
  ASSERT_OK_AND_ASSIGN(UserRecord back, store_->FindUserByUsername(name));
  EXPECT_EQ(back.username, name);
  EXPECT_OK(store_->GetUser("u-alice"));
}

TEST_F(MetadataStoreTest, UpdatesUsers) {
  ASSERT_OK(store_->UpdatePasswordHash("u-alice", "$argon2id$new"));
  ASSERT_OK(store_->UpdateDisplayName("u-alice", "Alice A."));
  ASSERT_OK_AND_ASSIGN(UserRecord alice, store_->GetUser("u-alice"));
  EXPECT_EQ(alice.password_hash, "$argon2id$new");
  EXPECT_EQ(alice.display_name, "Alice A.");
  EXPECT_THAT(store_->UpdatePasswordHash("nobody", "h"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->UpdateDisplayName("nobody", "n"), StatusIs(StatusCode::kNotFound));
}

TEST_F(MetadataStoreTest, CreatingAProjectMakesItsOwnerAMember) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  ASSERT_OK_AND_ASSIGN(auto members, store_->ListMembers("p1"));
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0], (MemberRecord{"u-alice", "alice", Role::kOwner}));
  EXPECT_THAT(store_->CreateProject(Project("p1", "u-bob")), StatusIs(StatusCode::kAlreadyExists));
  // Unknown owner: nothing is left behind.
  EXPECT_THAT(store_->CreateProject(Project("p2", "u-nobody")), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->GetProject("p2"), StatusIs(StatusCode::kNotFound));
}

TEST_F(MetadataStoreTest, ListsProjectsForAUserWithRolesNewestFirst) {
  ASSERT_OK(store_->CreateProject(Project("p-old", "u-alice", kT0)));
  ASSERT_OK(store_->CreateProject(Project("p-new", "u-bob", kT0 + 1000)));
  ASSERT_OK(store_->SetMember("p-new", "u-alice", Role::kViewer));
  ASSERT_OK_AND_ASSIGN(auto list, store_->ListProjectsForUser("u-alice"));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].project.id, "p-new");
  EXPECT_EQ(list[0].role, Role::kViewer);
  EXPECT_EQ(list[1].project.id, "p-old");
  EXPECT_EQ(list[1].role, Role::kOwner);
  ASSERT_OK_AND_ASSIGN(auto none, store_->ListProjectsForUser("u-carol"));
  EXPECT_TRUE(none.empty());
}

TEST_F(MetadataStoreTest, RenamesTogglesAlwaysOnAndDeletesWithEverythingAttached) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  ASSERT_OK(store_->RenameProject("p1", "Renamed"));
  ASSERT_OK(store_->SetAlwaysOn("p1", true));
  ASSERT_OK_AND_ASSIGN(ProjectRecord p, store_->GetProject("p1"));
  EXPECT_EQ(p.name, "Renamed");
  EXPECT_TRUE(p.always_on);
  EXPECT_FALSE(p.public_preview);
  ASSERT_OK(store_->SetPublicPreview(p.id, true));
  ASSERT_OK_AND_ASSIGN(ProjectRecord shown, store_->GetProject(p.id));
  EXPECT_TRUE(shown.public_preview);
  EXPECT_THAT(store_->SetPublicPreview("nope", true), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->RenameProject("nope", "x"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->SetAlwaysOn("nope", true), StatusIs(StatusCode::kNotFound));

  ASSERT_OK(store_->SetMember("p1", "u-bob", Role::kEditor));
  ASSERT_OK(store_->SetPathRule("p1", {"docs", "", auth::Access::kRead}));
  ASSERT_OK(store_->CreateShareLink({"tok1", "p1", Role::kViewer, "u-alice", kT0, kT0 + 1, false}));
  ASSERT_OK(store_->StartRun("p1", kT0));
  ASSERT_OK(store_->DeleteProject("p1"));
  EXPECT_THAT(store_->GetProject("p1"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto members, store_->ListMembers("p1"));
  EXPECT_TRUE(members.empty());
  ASSERT_OK_AND_ASSIGN(auto rules, store_->ListPathRules("p1"));
  EXPECT_TRUE(rules.empty());
  EXPECT_THAT(store_->GetShareLink("tok1"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->LatestRun("p1"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->DeleteProject("p1"), StatusIs(StatusCode::kNotFound));
}

TEST_F(MetadataStoreTest, MembershipChangesKeepAnOwner) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  EXPECT_THAT(store_->SetMember("p1", "u-nobody", Role::kEditor), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->SetMember("p-none", "u-bob", Role::kEditor), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(store_->SetMember("p1", "u-bob", Role::kViewer));
  ASSERT_OK(store_->SetMember("p1", "u-bob", Role::kEditor));  // upsert
  ASSERT_OK(store_->SetMember("p1", "u-carol", Role::kViewer));
  ASSERT_OK_AND_ASSIGN(auto members, store_->ListMembers("p1"));
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0], (MemberRecord{"u-alice", "alice", Role::kOwner}));
  EXPECT_EQ(members[1], (MemberRecord{"u-bob", "bob", Role::kEditor}));
  EXPECT_EQ(members[2], (MemberRecord{"u-carol", "Carol", Role::kViewer}));

  EXPECT_THAT(store_->SetMember("p1", "u-alice", Role::kEditor),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->RemoveMember("p1", "u-alice"), StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK(store_->SetMember("p1", "u-bob", Role::kOwner));
  ASSERT_OK(store_->SetMember("p1", "u-alice", Role::kEditor));  // bob still owns it
  ASSERT_OK(store_->RemoveMember("p1", "u-carol"));
  EXPECT_THAT(store_->RemoveMember("p1", "u-carol"), StatusIs(StatusCode::kNotFound));
}

TEST_F(MetadataStoreTest, PathRulesAreNormalizedAndFeedTheAcl) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  ASSERT_OK(store_->SetMember("p1", "u-bob", Role::kEditor));
  ASSERT_OK(store_->SetMember("p1", "u-carol", Role::kViewer));
  ASSERT_OK(store_->SetPathRule("p1", {"/secrets//", "", auth::Access::kNone}));
  ASSERT_OK(store_->SetPathRule("p1", {"notes", "u-carol", auth::Access::kRead}));
  ASSERT_OK(store_->SetPathRule("p1", {"notes", "u-carol", auth::Access::kWrite}));  // replace
  EXPECT_THAT(store_->SetPathRule("p1", {"../x", "", auth::Access::kRead}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->SetPathRule("p-none", {"x", "", auth::Access::kRead}),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto rules, store_->ListPathRules("p1"));
  const std::vector<auth::PathRule> want = {{"notes", "u-carol", auth::Access::kWrite},
                                            {"secrets", "", auth::Access::kNone}};
  EXPECT_EQ(rules, want);

  ASSERT_OK_AND_ASSIGN(auth::Acl acl, store_->LoadAcl());
  EXPECT_OK(acl.Check("u-alice", "p1", "secrets/k", Permission::kWrite));
  EXPECT_THAT(acl.Check("u-bob", "p1", "secrets/k", Permission::kRead),
              StatusIs(StatusCode::kPermissionDenied));
  EXPECT_OK(acl.Check("u-bob", "p1", "src/a.py", Permission::kWrite));
  EXPECT_OK(acl.Check("u-carol", "p1", "notes/todo.md", Permission::kWrite));
  EXPECT_THAT(acl.Check("u-carol", "p1", "src/a.py", Permission::kWrite),
              StatusIs(StatusCode::kPermissionDenied));

  ASSERT_OK(store_->RemovePathRule("p1", "secrets", ""));
  EXPECT_THAT(store_->RemovePathRule("p1", "secrets", ""), StatusIs(StatusCode::kNotFound));
  auth::Acl project_acl;
  ASSERT_OK(project_acl.SetMember("p1", "stale-user", Role::kOwner));
  ASSERT_OK(store_->LoadProjectAcl("p1", project_acl));
  EXPECT_EQ(project_acl.RoleOf("p1", "stale-user"), std::nullopt);
  EXPECT_OK(project_acl.Check("u-bob", "p1", "secrets/k", Permission::kRead));
}

TEST_F(MetadataStoreTest, ShareLinksAreStoredListedAndRevoked) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  const ShareLinkRecord a{"tok-a", "p1", Role::kEditor, "u-alice", kT0, kT0 + 3600000, false};
  const ShareLinkRecord b{"tok-b", "p1", Role::kViewer, "u-alice", kT0 + 1, kT0 + 7200000, false};
  ASSERT_OK(store_->CreateShareLink(a));
  ASSERT_OK(store_->CreateShareLink(b));
  EXPECT_THAT(store_->CreateShareLink(a), StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateShareLink({"tok-c", "p1", Role::kOwner, "u-alice", kT0, kT0, false}),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->CreateShareLink({"tok-d", "p-none", Role::kViewer, "u", kT0, kT0, false}),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(ShareLinkRecord got, store_->GetShareLink("tok-a"));
  EXPECT_EQ(got, a);
  ASSERT_OK(store_->RevokeShareLink("tok-a"));
  ASSERT_OK_AND_ASSIGN(got, store_->GetShareLink("tok-a"));
  EXPECT_TRUE(got.revoked);
  EXPECT_THAT(store_->RevokeShareLink("tok-zzz"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto links, store_->ListShareLinks("p1"));
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].token_id, "tok-b");
  EXPECT_EQ(links[1].token_id, "tok-a");
}

TEST_F(MetadataStoreTest, RunsMoveFromRunningToEnded) {
  ASSERT_OK(store_->CreateProject(Project("p1", "u-alice")));
  EXPECT_THAT(store_->LatestRun("p1"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::int64_t r1, store_->StartRun("p1", kT0));
  ASSERT_OK(store_->EndRun(r1, RunState::kExited, 3, kT0 + 500));
  ASSERT_OK_AND_ASSIGN(std::int64_t r2, store_->StartRun("p1", kT0 + 1000));
  EXPECT_GT(r2, r1);
  ASSERT_OK_AND_ASSIGN(RunRecord latest, store_->LatestRun("p1"));
  EXPECT_EQ(latest, (RunRecord{r2, "p1", RunState::kRunning, std::nullopt, kT0 + 1000,
                               std::nullopt}));
  ASSERT_OK_AND_ASSIGN(auto runs, store_->ListRuns("p1", 10));
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1], (RunRecord{r1, "p1", RunState::kExited, 3, kT0, kT0 + 500}));
  ASSERT_OK_AND_ASSIGN(auto one, store_->ListRuns("p1", 1));
  EXPECT_EQ(one.size(), 1u);

  EXPECT_THAT(store_->EndRun(r1, RunState::kStopped, std::nullopt, kT0),
              StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(store_->EndRun(9999, RunState::kStopped, std::nullopt, kT0),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store_->EndRun(r2, RunState::kRunning, std::nullopt, kT0),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store_->StartRun("p-none", kT0), StatusIs(StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(int closed, store_->StopAllRunning(kT0 + 2000));
  EXPECT_EQ(closed, 1);
  ASSERT_OK_AND_ASSIGN(latest, store_->LatestRun("p1"));
  EXPECT_EQ(latest.state, RunState::kStopped);
  EXPECT_EQ(latest.ended_at_unix_ms, kT0 + 2000);
  EXPECT_EQ(RunStateName(RunState::kExited), "exited");
}

TEST_F(MetadataStoreTest, SessionsExpireAndAreRevoked) {
  ASSERT_OK(store_->CreateSession({"s1", "u-alice", kT0, kT0 + 1000, false}));
  ASSERT_OK(store_->CreateSession({"s2", "u-alice", kT0, kT0 + 5000, false}));
  ASSERT_OK(store_->CreateSession({"s3", "u-bob", kT0, kT0 + 5000, false}));
  EXPECT_THAT(store_->CreateSession({"s1", "u-bob", kT0, kT0, false}),
              StatusIs(StatusCode::kAlreadyExists));
  EXPECT_THAT(store_->CreateSession({"s9", "u-nobody", kT0, kT0, false}),
              StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(SessionRecord s1, store_->GetSession("s1"));
  EXPECT_EQ(s1, (SessionRecord{"s1", "u-alice", kT0, kT0 + 1000, false}));

  EXPECT_FALSE(store_->IsSessionRevoked("s1", kT0 + 999));
  EXPECT_TRUE(store_->IsSessionRevoked("s1", kT0 + 1000));  // expired
  EXPECT_TRUE(store_->IsSessionRevoked("missing", kT0));
  ASSERT_OK(store_->RevokeSession("s3"));
  EXPECT_TRUE(store_->IsSessionRevoked("s3", kT0));
  EXPECT_THAT(store_->RevokeSession("missing"), StatusIs(StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(int revoked, store_->RevokeUserSessions("u-alice"));
  EXPECT_EQ(revoked, 2);
  EXPECT_TRUE(store_->IsSessionRevoked("s2", kT0));
  ASSERT_OK_AND_ASSIGN(int deleted, store_->DeleteExpiredSessions(kT0 + 1000));
  EXPECT_EQ(deleted, 1);
  EXPECT_THAT(store_->GetSession("s1"), StatusIs(StatusCode::kNotFound));
}

TEST_F(MetadataStoreTest, ConcurrentWritersAndReadersAgree) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!store_->CreateUser(User(id, id)).ok()) ++failures;
        if (!store_->GetUser(id).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(UserRecord last, store_->GetUser("t3-24"));
  EXPECT_EQ(last.username, "t3-24");
}

}  // namespace
}  // namespace codesphere::server
