// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The shipped templates (templates/) load, publish as snapshots and instantiate exactly.
#include "codesphere/filesync/templates.h"

#include "codesphere/storage/memory_object_store.h"
#include "tests/filesync/tree_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace codesphere::filesync {
namespace {

using ::codesphere::testing::SourceDir;
using ::codesphere::testing::StatusIs;
namespace fs = std::filesystem;

TEST(TemplatesTest, ShippedTemplatesHaveNamesDescriptionsAndRunCommands) {
  ASSERT_OK_AND_ASSIGN(auto templates, LoadTemplates((SourceDir() / "templates").string()));
  std::vector<std::string> names;
  for (const auto& t : templates) {
    names.push_back(t.name);
    EXPECT_FALSE(t.description.empty()) << t.name;
    EXPECT_FALSE(t.run_command.empty()) << t.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"cpp-cmake", "express", "go", "nodejs", "python",
                                             "react-vite", "rust", "static-html"}));
}

TEST(TemplatesTest, CreateProjectRestoresTheTemplateWithoutItsMetadata) {
  testing::ScratchDir tmp("codesphere-templates-");
  auto store = storage::NewMemoryObjectStore();
  ASSERT_OK_AND_ASSIGN(auto repo, Repository::Open(*store));
  ASSERT_OK_AND_ASSIGN(auto templates, LoadTemplates((SourceDir() / "templates").string()));
  ASSERT_OK_AND_ASSIGN(auto published, PublishTemplates(*repo, templates));
  ASSERT_EQ(published.size(), templates.size());
  for (const auto& t : templates) {
    fs::path ws = tmp.path() / ("ws-" + t.name);
    ASSERT_OK_AND_ASSIGN(SnapshotInfo created, CreateProjectFromTemplate(*repo, t.name, "user/" + t.name, ws.string()));
    EXPECT_EQ(created.project, "user/" + t.name);
    EXPECT_FALSE(fs::exists(ws / kTemplateManifestFile));
    for (auto it = fs::recursive_directory_iterator(t.dir); it != fs::recursive_directory_iterator(); ++it) {
      fs::path rel = it->path().lexically_relative(t.dir);
      if (rel == kTemplateManifestFile || !it->is_regular_file()) continue;
      EXPECT_EQ(testing::ReadFile(ws / rel), testing::ReadFile(it->path())) << t.name << "/" << rel;
    }
  }
  // A user's project can be forked in turn; the fork is independent of the original.
  fs::path ws = tmp.path() / "ws-python";
  testing::WriteFile(ws / "main.py", "print('edited')\n");
  ASSERT_OK(repo->Save(ws.string(), SaveOptions{"user/python", {}, nullptr}));
  ASSERT_OK_AND_ASSIGN(SnapshotInfo fork, ForkProject(*repo, "user/python", "other/python-fork",
                                                      (tmp.path() / "fork").string()));
  EXPECT_EQ(testing::ReadFile(tmp.path() / "fork/main.py"), "print('edited')\n");
  EXPECT_THAT(CreateProjectFromTemplate(*repo, "no-such-template", "x", (tmp.path() / "x").string()),
              StatusIs(StatusCode::kNotFound));
}

TEST(TemplatesTest, MalformedTemplateManifestIsAClearError) {
  testing::ScratchDir tmp("codesphere-templates-");
  testing::WriteFile(tmp.path() / "bad/codesphere-template.json", "{\"name\": \"bad\"}");
  auto r = LoadTemplates(tmp.path().string());
  ASSERT_THAT(r, StatusIs(StatusCode::kDataLoss));
  EXPECT_NE(r.error().message().find("missing \"description\""), std::string::npos);
  EXPECT_THAT(LoadTemplates((tmp.path() / "missing").string()), StatusIs(StatusCode::kNotFound));
}

}  // namespace
}  // namespace codesphere::filesync
