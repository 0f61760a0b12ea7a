// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Acl`: who may do what in which project. Per-project roles (owner, editor, viewer) and
// per-path rules (none/read/write under a path prefix; the most specific prefix wins).
// A pure in-memory structure: the server persists members and rules and loads them here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/auth/role.h"
#include "codesphere/base/result.h"
#include "codesphere/base/status.h"

namespace codesphere::auth {

// Longest path `NormalizePath` accepts, in bytes.
inline constexpr std::size_t kMaxPathBytes = 4096;

// Canonicalises a workspace-relative path: leading and repeated `/` and `.` segments are
// dropped, so "/src//./main.py" becomes "src/main.py" and "", "/" and "." become "" (the
// workspace root). Returns kInvalidArgument for a `..` segment, a NUL or other control
// character, a backslash, or more than kMaxPathBytes bytes. The result never starts or ends
// with `/`.
Result<std::string> NormalizePath(std::string_view path);

// Sets the access of non-owner members under `prefix` (a normalized path; "" = the whole
// project), replacing what their role gives. Prefixes match whole segments: "src" covers
// "src" and "src/a.py", not "srcx". Example: {"secrets", "", kNone} hides a folder from
// editors and viewers; {"notes", "", kWrite} lets viewers write there.
struct PathRule {
  std::string prefix;
  // The user id the rule is for, or empty for every non-owner member.
  std::string user;
  Access access = Access::kRead;

  friend bool operator==(const PathRule&, const PathRule&) = default;
};

// Members and path rules of many projects.
//
// Decision for `Check(user, project, path, permission)`:
//   1. not a member of `project`               -> kPermissionDenied
//   2. kManage                                 -> allowed for owners only
//   3. owner                                   -> allowed (rules never restrict owners)
//   4. the matching rule with the longest prefix decides (at equal prefixes a rule for this
//      user beats a rule for everyone); without a matching rule, the role decides
//      (viewer: read, editor: write)
//   5. kRead needs read or write access, kWrite needs write access.
//
// Thread-safety: thread-compatible (external synchronization); const methods may be called
// concurrently.
class Acl {
 public:
  // Makes `user` a member of `project` with `role` (replacing a previous role).
  // Returns kInvalidArgument for an empty user or project.
  Status SetMember(std::string_view project, std::string_view user, Role role);
  // Removes `user` from `project`. kNotFound if they were not a member.
  Status RemoveMember(std::string_view project, std::string_view user);
  // The role of `user` in `project`, if any.
  std::optional<Role> RoleOf(std::string_view project, std::string_view user) const;
  // The members of `project` and their roles, sorted by user id.
  std::vector<std::pair<std::string, Role>> Members(std::string_view project) const;

  // Adds `rule` to `project` (its prefix is normalized first), replacing a rule with the
  // same prefix and user. Returns `NormalizePath`'s errors, or kInvalidArgument for an empty
  // project.
  Status SetRule(std::string_view project, PathRule rule);
  // Removes the rule for (`prefix`, `user`). kNotFound if there is none.
  Status RemoveRule(std::string_view project, std::string_view prefix, std::string_view user);
  // The rules of `project`, sorted by (prefix, user).
  std::vector<PathRule> Rules(std::string_view project) const;

  // Forgets `project` (its members and rules).
  void RemoveProject(std::string_view project);

  // OK if `user` may do `permission` on `path` in `project` (the decision above). Returns
  // kPermissionDenied (with a message naming user, project, path and permission) if not, and
  // kInvalidArgument if `path` does not normalize. `path` is ignored for kManage.
  Status Check(std::string_view user, std::string_view project, std::string_view path,
               Permission permission) const;
  // The access `user` has to `path` in `project` (kNone for non-members; kWrite for owners).
  // Returns kInvalidArgument if `path` does not normalize.
  Result<Access> EffectiveAccess(std::string_view user, std::string_view project,
                                 std::string_view path) const;

 private:
  struct Project {
    std::map<std::string, Role, std::less<>> members;
    std::vector<PathRule> rules;  // normalized prefixes, sorted by (prefix, user)
  };
  const Project* FindProject(std::string_view project) const;
  static Access AccessUnder(const Project& p, std::string_view user, Role role,
                            std::string_view normalized_path);

  std::map<std::string, Project, std::less<>> projects_;
};

}  // namespace codesphere::auth
