// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/role.h"

#include <string>

namespace codesphere::auth {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kEditor:
      return "editor";
    case Role::kOwner:
      return "owner";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "editor") return Role::kEditor;
  if (name == "owner") return Role::kOwner;
  return InvalidArgumentError("unknown role '" + std::string(name.substr(0, 32)) +
                              "' (expected owner, editor or viewer)");
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "read";
    case Permission::kWrite:
      return "write";
    case Permission::kManage:
      return "manage";
  }
  return "unknown";
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kNone:
      return "none";
    case Access::kRead:
      return "read";
    case Access::kWrite:
      return "write";
  }
  return "unknown";
}

Result<Access> ParseAccess(std::string_view name) {
  if (name == "none") return Access::kNone;
  if (name == "read") return Access::kRead;
  if (name == "write") return Access::kWrite;
  return InvalidArgumentError("unknown access '" + std::string(name.substr(0, 32)) +
                              "' (expected none, read or write)");
}

}  // namespace codesphere::auth
