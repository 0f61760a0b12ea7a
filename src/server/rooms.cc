// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// File rooms: /yjs/{project}/{path} is the CollabService room "{project}/{path}" whose
// Y.Text "monaco" is the file's text. When a room opens, its stored document is reconciled
// with the file (a missing or different file text is written into the document as one durable
// update: first opens seed from the file, and changes made on disk while nobody had the file
// open win); every durable change of the room is written back into the workspace. Rooms under
// ".codesphere/" (the project document with the chat) are documents only.

#include <algorithm>
#include <random>
#include <utility>

#include "codesphere/auth/acl.h"
#include "codesphere/auth/http_credentials.h"
#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/crdt/doc.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "server/platform_internal.h"

namespace codesphere::server {
namespace internal {
namespace {

bool IsProjectDocument(std::string_view path) {
  return path == ".codesphere" || path.starts_with(".codesphere/");
}

class WorkspaceDocumentStore final : public sync::DocumentStore {
 public:
  WorkspaceDocumentStore(std::unique_ptr<sync::DocumentStore> inner,
                         std::function<Result<HeldWorkspace>(std::string_view)> open_workspace)
      : inner_(std::move(inner)), open_workspace_(std::move(open_workspace)) {}

  Result<sync::StoredRoom> OpenRoom(std::string_view room) override {
    auto stored = inner_->OpenRoom(room);
    if (!stored.ok()) return stored;
    auto name = ParseRoomName(room);
    if (!name || IsProjectDocument(name->path)) return stored;
    auto ws = open_workspace_(name->project);
    if (!ws.ok()) return stored;
    std::string file;
    auto read = ws->dir.ReadFile(name->path, 1u << 20);
    if (read.ok()) {
      file = std::move(*read);
    } else if (read.error().code() != StatusCode::kNotFound) {
      return stored;  // too large, a symlink, ...: the room keeps what it has
    }
    if (!IsText(file)) return stored;
    std::mt19937_64 rng(std::random_device{}());
    crdt::Doc doc(crdt::DocOptions{1 + (rng() & 0xffffffffu), true});
    for (const auto& u : stored->updates) {
      if (!crdt::ApplyUpdate(doc, u).ok()) return stored;
    }
    crdt::Text text = doc.GetText("monaco");
    if (text.ToString() == file) return stored;
    Bytes update;
    {
      auto sub = doc.OnUpdate([&](ByteSpan u, const crdt::Transaction&) {
        update.assign(u.begin(), u.end());
      });
      crdt::Transaction txn(doc, "workspace");
      if (text.Length() > 0 && !text.Delete(txn, 0, text.Length()).ok()) return stored;
      if (!file.empty() && !text.Insert(txn, 0, file).ok()) return stored;
    }
    if (update.empty()) return stored;
    ByteSpan span(update);
    if (Status st = stored->storage->Append(std::span<const ByteSpan>(&span, 1)); !st.ok()) {
      return st;
    }
    stored->updates.push_back(std::move(update));
    return stored;
  }

  Result<std::vector<std::string>> ListRooms() override { return inner_->ListRooms(); }

 private:
  std::unique_ptr<sync::DocumentStore> inner_;
  std::function<Result<HeldWorkspace>(std::string_view)> open_workspace_;
};

}  // namespace

std::shared_ptr<sync::DocumentStore> NewWorkspaceDocumentStore(
    std::unique_ptr<sync::DocumentStore> inner,
    std::function<Result<HeldWorkspace>(std::string_view)> open_workspace) {
  return std::make_shared<WorkspaceDocumentStore>(std::move(inner), std::move(open_workspace));
}

}  // namespace internal

sync::HubHooks Platform::Impl::RoomHooks() {
  sync::HubHooks hooks;
  hooks.authenticate = [this](const sync::ConnectionInfo& info) -> Result<sync::Access> {
    // The platform's own file agents (workspace_sync.h): the per-process secret, compared in
    // constant time.
    if (auto agent = info.headers.find("x-codesphere-agent"); agent != info.headers.end()) {
      const std::string& given = agent->second;
      unsigned diff = given.size() == agent_secret.size() ? 0u : 1u;
      for (std::size_t i = 0; i < std::min(given.size(), agent_secret.size()); ++i) {
        diff |= static_cast<unsigned char>(given[i] ^ agent_secret[i]);
      }
      if (diff != 0) return UnauthenticatedError("bad agent credentials");
      return sync::Access::kReadWrite;
    }
    CODESPHERE_ASSIGN_OR_RETURN(internal::RoomName name, internal::ParseCanonicalRoomName(info.room));
    net::HttpRequest req;
    auto q = info.target.find('?');
    if (q != std::string::npos) req.query = info.target.substr(q + 1);
    for (const auto& [k, v] : info.headers) {
      if (k == "cookie" || k == "authorization") req.headers.Add(k, v);
    }
    auto caller = Authenticate(req);
    if (!caller.ok()) return caller.error();
    if (auto role = RequireRole(*caller, name.project, auth::Role::kViewer); !role.ok()) {
      return role.error();
    }
    auth::Acl acl;
    CODESPHERE_RETURN_IF_ERROR(store->LoadProjectAcl(name.project, acl));
    auto access = acl.EffectiveAccess(caller->user.id, name.project, name.path);
    if (!access.ok()) return access.error();
    if (*access == auth::Access::kNone) return PermissionDeniedError("no access to this file");
    Touch(name.project);
    if (!internal::IsProjectDocument(name.path)) {
      // The runtime holds the workspace's volume (mounted here on first use) for the room's
      // file agent and for seeding the room from the file.
      CODESPHERE_ASSIGN_OR_RETURN(auto rt, Runtime(name.project));
      rt->files().EnsureAgent(info.room, name.path);
    }
    return *access == auth::Access::kWrite ? sync::Access::kReadWrite : sync::Access::kReadOnly;
  };
  hooks.on_load = [this](std::string_view room, sync::Room& loaded) {
    std::lock_guard<std::mutex> lock(mu);
    open_rooms[std::string(room)] = &loaded;
  };
  hooks.on_change = [this](std::string_view room, ByteSpan) {
    auto name = internal::ParseRoomName(room);
    if (!name) return;
    MarkDirty(name->project);
    Touch(name->project);
    if (internal::IsProjectDocument(name->path)) return;
    // The room's file agent writes the file (debounced, merged with changes on disk). The
    // direct write below covers files no agent can bind (binary, too large, ignored dirs)
    // and creates files that do not exist yet; it never overwrites an existing file the
    // agent binds or is about to bind (a change on disk there wins).
    auto rt = Runtime(name->project);
    if (!rt.ok()) return;  // the project was deleted, or its volume cannot be mounted
    auto& files = (*rt)->files();
    files.EnsureAgent(std::string(room), name->path);
    files.NoteRoomChange(std::string(room));
    const bool agent_writes = files.AgentHandles(std::string(room));
    sync::Room* loaded = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = open_rooms.find(room);
      if (it != open_rooms.end()) loaded = it->second;
    }
    if (loaded == nullptr) return;
    std::string text = loaded->doc().GetText("monaco").ToString();
    auto ws = OpenWorkspace(name->project);
    if (!ws.ok()) return;  // the project was deleted
    const sandbox::SafeDir& dir = ws->dir;
    auto current = dir.ReadFile(name->path, 64u << 20);
    if (current.ok() && (*current == text || agent_writes)) return;
    bool created = !current.ok();
    auto slash = name->path.rfind('/');
    if (slash != std::string::npos) (void)dir.MakeDirectory(name->path.substr(0, slash), 0755, true);
    if (Status st = dir.WriteFile(name->path, text); !st.ok()) {
      LogWarning("file room not written to the workspace",
                 {{"room", room}, {"error", st.ToString()}});
      return;
    }
    FixOwner(dir, name->path);
    if (created) {
      internal::Object o;
      o.emplace_back("type", Any("files"));
      Event(name->project, Any(std::move(o)));
    }
  };
  return hooks;
}

void Platform::Impl::RegisterRooms() { collab->Register(*server, "/yjs/"); }

}  // namespace codesphere::server
