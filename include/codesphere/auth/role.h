// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Project roles (owner, editor, viewer), the permissions a request asks for, and path access
// levels: the vocabulary shared by `Acl` and share-link tokens.
#pragma once

#include <cstdint>
#include <string_view>

#include "codesphere/base/result.h"

namespace codesphere::auth {

// A member's role in a project. Ordered: a higher role includes everything a lower one may do.
// The numeric values are part of the token format (docs/auth.md); never renumber.
enum class Role : std::uint8_t {
  // Reads files, watches terminals read-only, sees presence.
  kViewer = 1,
  // Also writes files, types into terminals, runs and stops the project.
  kEditor = 2,
  // Also manages members, path rules and share links; renames and deletes the project.
  kOwner = 3,
};

// "viewer", "editor", "owner".
std::string_view RoleName(Role role);
// Parses the names above (exact, lower case). Returns kInvalidArgument on anything else.
Result<Role> ParseRole(std::string_view name);

// What a request wants to do.
enum class Permission : std::uint8_t {
  // Read a file or directory listing, open a document or terminal as a viewer.
  kRead = 1,
  // Change a file, type into a terminal, run or stop the project.
  kWrite = 2,
  // Manage the project itself: members, rules, share links, rename, delete.
  kManage = 3,
};

// "read", "write", "manage".
std::string_view PermissionName(Permission permission);

// The access a path rule grants under its prefix.
enum class Access : std::uint8_t {
  kNone = 0,
  kRead = 1,
  kWrite = 2,  // includes read
};

// "none", "read", "write".
std::string_view AccessName(Access access);
// Parses the names above. Returns kInvalidArgument on anything else.
Result<Access> ParseAccess(std::string_view name);

}  // namespace codesphere::auth
