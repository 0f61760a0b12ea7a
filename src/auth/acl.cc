// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/auth/acl.h"

#include <algorithm>
#include <tuple>

#include "codesphere/base/status_macros.h"

namespace codesphere::auth {

Result<std::string> NormalizePath(std::string_view path) {
  if (path.size() > kMaxPathBytes) {
    return InvalidArgumentError("path is longer than " + std::to_string(kMaxPathBytes) +
                                " bytes");
  }
  std::string out;
  out.reserve(path.size());
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(i, end - i);
    i = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") return InvalidArgumentError("path must not contain '..'");
    for (char c : segment) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        return InvalidArgumentError("path contains a control character");
      }
      if (c == '\\') return InvalidArgumentError("path contains a backslash");
    }
    if (!out.empty()) out += '/';
    out += segment;
  }
  return out;
}

namespace {

// True if `prefix` covers `path` on segment boundaries ("" covers everything).
bool Covers(std::string_view prefix, std::string_view path) {
  if (prefix.empty()) return true;
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

bool RuleLess(const PathRule& a, const PathRule& b) {
  return std::tie(a.prefix, a.user) < std::tie(b.prefix, b.user);
}

Access RoleAccess(Role role) { return role == Role::kViewer ? Access::kRead : Access::kWrite; }

}  // namespace

const Acl::Project* Acl::FindProject(std::string_view project) const {
  auto it = projects_.find(project);
  return it == projects_.end() ? nullptr : &it->second;
}

Status Acl::SetMember(std::string_view project, std::string_view user, Role role) {
  if (project.empty() || user.empty()) {
    return InvalidArgumentError("a membership needs a project and a user");
  }
  auto it = projects_.find(project);
  if (it == projects_.end()) it = projects_.emplace(std::string(project), Project{}).first;
  it->second.members.insert_or_assign(std::string(user), role);
  return OkStatus();
}

Status Acl::RemoveMember(std::string_view project, std::string_view user) {
  auto it = projects_.find(project);
  if (it != projects_.end()) {
    auto m = it->second.members.find(user);
    if (m != it->second.members.end()) {
      it->second.members.erase(m);
      return OkStatus();
    }
  }
  return NotFoundError("user " + std::string(user) + " is not a member of project " +
                       std::string(project));
}

std::optional<Role> Acl::RoleOf(std::string_view project, std::string_view user) const {
  const Project* p = FindProject(project);
  if (p == nullptr) return std::nullopt;
  auto m = p->members.find(user);
  if (m == p->members.end()) return std::nullopt;
  return m->second;
}

std::vector<std::pair<std::string, Role>> Acl::Members(std::string_view project) const {
  std::vector<std::pair<std::string, Role>> out;
  if (const Project* p = FindProject(project)) out.assign(p->members.begin(), p->members.end());
  return out;
}

Status Acl::SetRule(std::string_view project, PathRule rule) {
  if (project.empty()) return InvalidArgumentError("a path rule needs a project");
  CODESPHERE_ASSIGN_OR_RETURN(rule.prefix, NormalizePath(rule.prefix));
  auto it = projects_.find(project);
  if (it == projects_.end()) it = projects_.emplace(std::string(project), Project{}).first;
  std::vector<PathRule>& rules = it->second.rules;
  auto pos = std::lower_bound(rules.begin(), rules.end(), rule, RuleLess);
  if (pos != rules.end() && pos->prefix == rule.prefix && pos->user == rule.user) {
    pos->access = rule.access;
  } else {
    rules.insert(pos, std::move(rule));
  }
  return OkStatus();
}

Status Acl::RemoveRule(std::string_view project, std::string_view prefix,
                       std::string_view user) {
  CODESPHERE_ASSIGN_OR_RETURN(std::string normalized, NormalizePath(prefix));
  auto it = projects_.find(project);
  if (it != projects_.end()) {
    auto& rules = it->second.rules;
    auto pos = std::find_if(rules.begin(), rules.end(), [&](const PathRule& r) {
      return r.prefix == normalized && r.user == user;
    });
    if (pos != rules.end()) {
      rules.erase(pos);
      return OkStatus();
    }
  }
  return NotFoundError("no path rule for '" + normalized + "' in project " +
                       std::string(project));
}

std::vector<PathRule> Acl::Rules(std::string_view project) const {
  const Project* p = FindProject(project);
  return p == nullptr ? std::vector<PathRule>{} : p->rules;
}

void Acl::RemoveProject(std::string_view project) {
  auto it = projects_.find(project);
  if (it != projects_.end()) projects_.erase(it);
}

Access Acl::AccessUnder(const Project& p, std::string_view user, Role role,
                        std::string_view normalized_path) {
  if (role == Role::kOwner) return Access::kWrite;
  const PathRule* best = nullptr;
  for (const PathRule& r : p.rules) {
    if (!r.user.empty() && r.user != user) continue;
    if (!Covers(r.prefix, normalized_path)) continue;
    if (best == nullptr || r.prefix.size() > best->prefix.size() ||
        (r.prefix.size() == best->prefix.size() && !r.user.empty())) {
      best = &r;
    }
  }
  return best != nullptr ? best->access : RoleAccess(role);
}

Result<Access> Acl::EffectiveAccess(std::string_view user, std::string_view project,
                                    std::string_view path) const {
  CODESPHERE_ASSIGN_OR_RETURN(std::string normalized, NormalizePath(path));
  const Project* p = FindProject(project);
  if (p == nullptr) return Access::kNone;
  auto m = p->members.find(user);
  if (m == p->members.end()) return Access::kNone;
  return AccessUnder(*p, user, m->second, normalized);
}

Status Acl::Check(std::string_view user, std::string_view project, std::string_view path,
                  Permission permission) const {
  std::string normalized;
  if (permission != Permission::kManage) {
    CODESPHERE_ASSIGN_OR_RETURN(normalized, NormalizePath(path));
  }
  const Project* p = FindProject(project);
  const std::optional<Role> member = RoleOf(project, user);
  if (p == nullptr || !member.has_value()) {
    return PermissionDeniedError("user " + std::string(user) + " is not a member of project " +
                                 std::string(project));
  }
  const Role role = *member;
  bool allowed = false;
  if (permission == Permission::kManage) {
    allowed = role == Role::kOwner;
  } else {
    const Access access = AccessUnder(*p, user, role, normalized);
    allowed = permission == Permission::kRead ? access != Access::kNone
                                              : access == Access::kWrite;
  }
  if (allowed) return OkStatus();
  return PermissionDeniedError("user " + std::string(user) + " (" + std::string(RoleName(role)) +
                               ") may not " + std::string(PermissionName(permission)) + " '" +
                               normalized + "' in project " + std::string(project));
}

}  // namespace codesphere::auth
