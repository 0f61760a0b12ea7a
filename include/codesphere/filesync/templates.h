// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Project templates and forks on top of `Repository`: a template is a directory with a
// `codesphere-template.json` ({"name", "description", "run"}) stored as snapshots of project
// `template/<name>`; a new project is a fork of the newest template snapshot, restored into its
// workspace.
#pragma once

#include <string>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/filesync/repository.h"

namespace codesphere::filesync {

// The metadata file inside each template directory (excluded from its snapshots).
inline constexpr char kTemplateManifestFile[] = "codesphere-template.json";

struct TemplateInfo {
  std::string name;         // [a-z0-9-]+, unique
  std::string description;  // One line for humans.
  std::string run_command;  // Shell command that runs the project (e.g. "npm start").
  std::string dir;          // Where the template's files are.
};

// Reads every `<root>/<dir>/codesphere-template.json`, sorted by name. Returns kDataLoss for a
// malformed file (naming it), kInvalidArgument for a bad or duplicate name.
Result<std::vector<TemplateInfo>> LoadTemplates(const std::string& root);

// Snapshots each template as project `template/<name>`. Returns the snapshots, in order.
Result<std::vector<SnapshotInfo>> PublishTemplates(Repository& repo,
                                                   const std::vector<TemplateInfo>& templates);

// The newest snapshot of `project`; kNotFound if it has none.
Result<SnapshotInfo> LatestSnapshot(Repository& repo, const std::string& project);

// Forks the newest snapshot of `source_project` as `new_project` and restores it into
// `workspace_dir` (empty or absent). Returns the fork's snapshot.
Result<SnapshotInfo> ForkProject(Repository& repo, const std::string& source_project,
                                 const std::string& new_project, const std::string& workspace_dir);

// ForkProject from `template/<template_name>`.
Result<SnapshotInfo> CreateProjectFromTemplate(Repository& repo, const std::string& template_name,
                                               const std::string& project,
                                               const std::string& workspace_dir);

}  // namespace codesphere::filesync
