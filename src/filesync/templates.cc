// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/filesync/templates.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "codesphere/base/any.h"
#include "codesphere/base/status_macros.h"

namespace codesphere::filesync {
namespace {

namespace fs = std::filesystem;

Result<std::string> Field(const Any& json, const std::string& key, const std::string& file) {
  for (const auto& [k, v] : json.as_object()) {
    if (k == key) {
      if (!v.is_string()) return DataLossError(file + ": \"" + key + "\" must be a string");
      return v.as_string();
    }
  }
  return DataLossError(file + ": missing \"" + key + "\"");
}

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

}  // namespace

Result<std::vector<TemplateInfo>> LoadTemplates(const std::string& root) {
  std::error_code ec;
  fs::directory_iterator it(root, ec);
  if (ec) return ErrnoToStatus(ec.value(), "read templates directory " + root);
  std::vector<TemplateInfo> out;
  std::set<std::string> names;
  for (const auto& entry : it) {
    fs::path meta = entry.path() / kTemplateManifestFile;
    if (!entry.is_directory(ec) || !fs::is_regular_file(meta, ec)) continue;
    std::ifstream f(meta);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto json = ParseJson(text);
    if (!json.has_value() || !json->is_object()) {
      return DataLossError(meta.string() + ": not a JSON object");
    }
    TemplateInfo t;
    CODESPHERE_ASSIGN_OR_RETURN(t.name, Field(*json, "name", meta.string()));
    CODESPHERE_ASSIGN_OR_RETURN(t.description, Field(*json, "description", meta.string()));
    CODESPHERE_ASSIGN_OR_RETURN(t.run_command, Field(*json, "run", meta.string()));
    t.dir = entry.path().string();
    if (!ValidName(t.name)) return InvalidArgumentError(meta.string() + ": bad template name " + t.name);
    if (!names.insert(t.name).second) return InvalidArgumentError("duplicate template name " + t.name);
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(),
            [](const TemplateInfo& a, const TemplateInfo& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<SnapshotInfo>> PublishTemplates(Repository& repo,
                                                   const std::vector<TemplateInfo>& templates) {
  std::vector<SnapshotInfo> out;
  for (const auto& t : templates) {
    SaveOptions options;
    options.project = "template/" + t.name;
    options.exclude = {kTemplateManifestFile};
    CODESPHERE_ASSIGN_OR_RETURN(SaveStats saved, repo.Save(t.dir, options));
    out.push_back(std::move(saved.snapshot));
  }
  return out;
}

Result<SnapshotInfo> LatestSnapshot(Repository& repo, const std::string& project) {
  CODESPHERE_ASSIGN_OR_RETURN(auto list, repo.List());
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    if (it->project == project) return *it;
  }
  return NotFoundError("project " + project + " has no snapshot");
}

Result<SnapshotInfo> ForkProject(Repository& repo, const std::string& source_project,
                                 const std::string& new_project, const std::string& workspace_dir) {
  if (new_project.empty()) return InvalidArgumentError("new project id is empty");
  CODESPHERE_ASSIGN_OR_RETURN(SnapshotInfo source, LatestSnapshot(repo, source_project));
  CODESPHERE_ASSIGN_OR_RETURN(SnapshotInfo fork, repo.Fork(source.id, new_project));
  CODESPHERE_RETURN_IF_ERROR(repo.Restore(fork.id, workspace_dir).error());
  return fork;
}

Result<SnapshotInfo> CreateProjectFromTemplate(Repository& repo, const std::string& template_name,
                                               const std::string& project,
                                               const std::string& workspace_dir) {
  return ForkProject(repo, "template/" + template_name, project, workspace_dir);
}

}  // namespace codesphere::filesync
