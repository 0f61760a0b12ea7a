// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Workspace (inotify + openat2 file access) and FileBinding (file <-> Y.Text).
//
// How an external edit merges with concurrent typing: each binding keeps a second replica of
// the document, `disk_doc_`, whose text is exactly the file content we last wrote or read (the
// "base"). A change on disk is diffed against the base and applied to `disk_doc_` as CRDT
// operations; the resulting update is then applied to the live doc, where the CRDT merges it
// with whatever collaborators typed since the base — nobody's edits are overwritten, and
// cursors outside the edited lines stay where they were.
#include "codesphere/filesync/workspace.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "codesphere/base/durable_file.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/crdt/types.h"
#include "codesphere/crdt/update.h"
#include "filesync/safe_path.h"
#include "filesync/text_diff.h"

namespace codesphere::filesync {
namespace {

using internal::UniqueFd;
using Clock = std::chrono::steady_clock;

constexpr char kDiskOrigin[] = "codesphere/filesync:disk";
constexpr std::uint32_t kWatchMask = IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE |
                                     IN_DELETE | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW;

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

class WorkspaceImpl;

class BindingImpl : public FileBinding {
 public:
  BindingImpl(WorkspaceImpl& ws, std::string path, crdt::Doc& doc, std::string text_name,
              crdt::ClientId client_id)
      : ws_(&ws), path_(std::move(path)), doc_(doc), text_name_(std::move(text_name)) {
    crdt::DocOptions o;
    o.client_id = client_id;
    disk_doc_ = std::make_unique<crdt::Doc>(o);
  }
  ~BindingImpl() override;

  Status Init(const std::string& content);

  // filesync::FileBinding
  const std::string& path() const override { return path_; }
  bool deleted() const override { return deleted_; }
  Status Flush() override;

  // The file changed on disk (or may have): merge it into the doc.
  Status OnDiskChange();
  bool Due(Clock::time_point now) const { return dirty_ && !deleted_ && now >= deadline_; }
  void set_path(std::string p) { path_ = std::move(p); }
  // The workspace is going away: the binding stays valid but inert.
  void Detach() {
    ws_ = nullptr;
    sub_.Reset();
  }
  void MarkDeleted() { deleted_ = true; }

 private:
  void MarkDirty();
  Status SyncDiskDoc() {
    return crdt::ApplyUpdate(*disk_doc_, crdt::EncodeStateAsUpdate(doc_, disk_doc_->GetStateVector()));
  }
  Status ApplyDiskText(const std::string& base, const std::string& content);

  WorkspaceImpl* ws_;  // Null once the workspace was destroyed.
  std::string path_;
  crdt::Doc& doc_;
  std::string text_name_;
  std::unique_ptr<crdt::Doc> disk_doc_;
  crdt::Subscription sub_;
  bool dirty_ = false;
  bool deleted_ = false;
  Clock::time_point deadline_;
};

class WorkspaceImpl : public Workspace {
 public:
  WorkspaceImpl(std::string root, UniqueFd root_fd, UniqueFd inotify, WorkspaceOptions options)
      : root_(std::move(root)), root_fd_(std::move(root_fd)), inotify_(std::move(inotify)),
        options_(std::move(options)) {}
  ~WorkspaceImpl() override {
    for (auto& [p, b] : bindings_) b->Detach();
  }

  Status WatchTree(const std::string& rel);

  // filesync::Workspace
  int fd() const override { return inotify_.get(); }
  Result<std::string> ReadFile(const std::string& path) override;
  Status WriteFile(const std::string& path, std::string_view data) override;
  Result<std::unique_ptr<FileBinding>> Bind(const std::string& path, crdt::Doc& doc,
                                            const std::string& text_name,
                                            crdt::ClientId client_id) override;
  void OnEvent(std::function<void(const FileEvent&)> handler) override { handler_ = std::move(handler); }
  Status Poll() override;
  Status PollFor(std::chrono::milliseconds timeout) override;

  const WorkspaceOptions& options() const { return options_; }
  void Unbind(BindingImpl* b) {
    for (auto it = bindings_.begin(); it != bindings_.end(); ++it) {
      if (it->second == b) {
        bindings_.erase(it);
        return;
      }
    }
  }

 private:
  bool Ignored(const std::string& name) const {
    return IsAtomicWriteTemporary(name) ||
           std::find(options_.ignore.begin(), options_.ignore.end(), name) != options_.ignore.end();
  }
  void Emit(const FileEvent& e) {
    if (handler_) handler_(e);
  }
  BindingImpl* Find(const std::string& path) {
    auto it = bindings_.find(path);
    return it == bindings_.end() ? nullptr : it->second;
  }
  Status HandleEvents(const char* buf, std::size_t len, std::vector<BindingImpl*>& changed);

  std::string root_;
  UniqueFd root_fd_;
  UniqueFd inotify_;
  WorkspaceOptions options_;
  std::unordered_map<int, std::string> watches_;  // wd -> relative dir ("" = root)
  std::map<std::string, BindingImpl*> bindings_;
  std::function<void(const FileEvent&)> handler_;
};

// --------------------------------------------------------------------------------------------

BindingImpl::~BindingImpl() {
  if (ws_ != nullptr) ws_->Unbind(this);
}

Status BindingImpl::Init(const std::string& content) {
  crdt::Text text = doc_.GetText(text_name_);
  CODESPHERE_RETURN_IF_ERROR(SyncDiskDoc());
  std::string current = text.ToString();
  if (current.empty() && !content.empty()) {
    CODESPHERE_RETURN_IF_ERROR(ApplyDiskText(current, content));
  } else if (current != content) {
    CODESPHERE_RETURN_IF_ERROR(ws_->WriteFile(path_, current));
  }
  sub_ = doc_.OnUpdate([this](ByteSpan, const crdt::Transaction& txn) {
    if (txn.origin() != kDiskOrigin) MarkDirty();
  });
  return OkStatus();
}

void BindingImpl::MarkDirty() {
  if (!dirty_ && ws_ != nullptr) deadline_ = Clock::now() + ws_->options().write_debounce;
  dirty_ = true;
}

Status BindingImpl::ApplyDiskText(const std::string& base, const std::string& content) {
  std::vector<internal::TextEdit> edits = internal::DiffText(base, content);
  {
    crdt::Transaction txn(*disk_doc_, kDiskOrigin);
    crdt::Text text = disk_doc_->GetText(text_name_);
    for (auto it = edits.rbegin(); it != edits.rend(); ++it) {
      std::uint64_t pos = internal::Utf16Length(std::string_view(base).substr(0, it->pos));
      std::uint64_t len = internal::Utf16Length(std::string_view(base).substr(it->pos, it->erase));
      if (len > 0) CODESPHERE_RETURN_IF_ERROR(text.Delete(txn, pos, len));
      if (!it->insert.empty()) CODESPHERE_RETURN_IF_ERROR(text.Insert(txn, pos, it->insert));
    }
  }
  Bytes update = crdt::EncodeStateAsUpdate(*disk_doc_, doc_.GetStateVector());
  return crdt::ApplyUpdate(doc_, update, kDiskOrigin);
}

Status BindingImpl::OnDiskChange() {
  if (deleted_) return OkStatus();
  if (ws_ == nullptr) return FailedPreconditionError("the workspace of " + path_ + " is closed");
  auto content = ws_->ReadFile(path_);
  if (!content.has_value()) {
    // Gone or replaced by something we may not read (a symlink): the delete event tells.
    if (content.error().code() == StatusCode::kNotFound ||
        content.error().code() == StatusCode::kPermissionDenied) {
      return OkStatus();
    }
    return content.error();
  }
  if (content->size() > ws_->options().max_bound_file_size || !internal::IsBindableText(*content)) {
    return FailedPreconditionError(path_ + " is no longer a text file; its binding keeps the doc");
  }
  std::string base = disk_doc_->GetText(text_name_).ToString();
  if (*content == base) return OkStatus();  // Our own write, or no change.
  CODESPHERE_RETURN_IF_ERROR(ApplyDiskText(base, *content));
  // Collaborators' concurrent edits are in the doc now too: write the merge back.
  if (doc_.GetText(text_name_).ToString() != *content) MarkDirty();
  return OkStatus();
}

Status BindingImpl::Flush() {
  if (deleted_) return OkStatus();
  // Never overwrite an external edit we have not merged yet.
  CODESPHERE_RETURN_IF_ERROR(OnDiskChange());
  dirty_ = false;
  std::string text = doc_.GetText(text_name_).ToString();
  if (text != disk_doc_->GetText(text_name_).ToString()) {
    CODESPHERE_RETURN_IF_ERROR(ws_->WriteFile(path_, text));
  }
  return SyncDiskDoc();
}

// --------------------------------------------------------------------------------------------

Status WorkspaceImpl::WatchTree(const std::string& rel) {
  std::string abs = rel.empty() ? root_ : root_ + "/" + rel;
  int wd = ::inotify_add_watch(inotify_.get(), abs.c_str(), kWatchMask);
  if (wd < 0) {
    if (errno == ENOSPC) return ResourceExhaustedError("inotify watch limit reached at " + abs);
    if (errno == ENOENT || errno == ENOTDIR) return OkStatus();  // Vanished or a symlink.
    return ErrnoToStatus(errno, "watch " + abs);
  }
  watches_[wd] = rel;
  int dfd = rel.empty() ? ::dup(root_fd_.get()) : -1;
  if (!rel.empty()) {
    auto opened = internal::OpenBeneath(root_fd_.get(), rel, O_RDONLY | O_DIRECTORY);
    if (!opened.has_value()) return OkStatus();  // Raced with a delete or a symlink swap.
    dfd = opened->release();
  }
  DIR* d = ::fdopendir(dfd);
  if (d == nullptr) {
    ::close(dfd);
    return ErrnoToStatus(errno, "read directory " + abs);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
  std::vector<std::string> subdirs;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || Ignored(name)) continue;
    if (e->d_type == DT_DIR) subdirs.push_back(name);
  }
  for (const auto& s : subdirs) CODESPHERE_RETURN_IF_ERROR(WatchTree(Join(rel, s)));
  return OkStatus();
}

Result<std::string> WorkspaceImpl::ReadFile(const std::string& path) {
  CODESPHERE_ASSIGN_OR_RETURN(UniqueFd fd, internal::OpenBeneath(root_fd_.get(), path, O_RDONLY | O_NONBLOCK));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "stat " + path);
  if (!S_ISREG(st.st_mode)) return FailedPreconditionError(path + " is not a regular file");
  std::string out;
  auto n = internal::ReadAll(fd.get(), out);
  if (!n.has_value()) return n.error().WithContext(path);
  return out;
}

Status WorkspaceImpl::WriteFile(const std::string& path, std::string_view data) {
  CODESPHERE_RETURN_IF_ERROR(internal::ValidateRelativePath(path));
  CODESPHERE_ASSIGN_OR_RETURN(ParentDir parent, OpenParentBeneath(root_fd_.get(), path));
  AtomicWriteOptions options;  // fsyncs the file and, after the rename, its directory
  struct stat st;
  if (::fstatat(parent.fd, parent.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISREG(st.st_mode)) return FailedPreconditionError(path + " exists and is not a regular file");
    options.mode = st.st_mode & 07777;  // an existing file keeps its mode
  }
  Status s = WriteFileAtomically(parent.fd, parent.name, AsBytes(data), options);
  if (!s.ok()) return s.WithContext("write " + path);
  return OkStatus();
}

Result<std::unique_ptr<FileBinding>> WorkspaceImpl::Bind(const std::string& path, crdt::Doc& doc,
                                                         const std::string& text_name,
                                                         crdt::ClientId client_id) {
  CODESPHERE_RETURN_IF_ERROR(internal::ValidateRelativePath(path));
  if (bindings_.count(path)) return AlreadyExistsError(path + " is already bound");
  for (std::string_view rest = path;;) {
    auto slash = rest.find('/');
    if (Ignored(std::string(rest.substr(0, slash)))) return FailedPreconditionError(path + " is ignored");
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  CODESPHERE_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  if (content.size() > options_.max_bound_file_size) {
    return FailedPreconditionError(path + " is too large to bind (" + std::to_string(content.size()) + " bytes)");
  }
  if (!internal::IsBindableText(content)) return FailedPreconditionError(path + " is not UTF-8 text");
  auto b = std::make_unique<BindingImpl>(*this, path, doc, text_name, client_id);
  bindings_[path] = b.get();
  CODESPHERE_RETURN_IF_ERROR(b->Init(content));
  return std::unique_ptr<FileBinding>(std::move(b));
}

Status WorkspaceImpl::HandleEvents(const char* buf, std::size_t len, std::vector<BindingImpl*>& changed) {
  // Pair MOVED_FROM/MOVED_TO by cookie within this batch.
  std::map<std::uint32_t, std::pair<std::string, bool>> moved_from;
  std::vector<std::pair<std::string, bool>> created_dirs;
  for (std::size_t off = 0; off < len;) {
    const auto* ev = reinterpret_cast<const struct inotify_event*>(buf + off);
    off += sizeof(struct inotify_event) + ev->len;
    if (ev->mask & IN_Q_OVERFLOW) {
      for (auto& [p, b] : bindings_) changed.push_back(b);
      continue;
    }
    if (ev->mask & IN_IGNORED) {
      watches_.erase(ev->wd);
      continue;
    }
    auto w = watches_.find(ev->wd);
    if (w == watches_.end() || ev->len == 0) continue;
    std::string name = ev->name;
    if (Ignored(name)) continue;
    std::string path = Join(w->second, name);
    bool dir = (ev->mask & IN_ISDIR) != 0;
    if (ev->mask & IN_MOVED_FROM) {
      moved_from[ev->cookie] = {path, dir};
    } else if (ev->mask & IN_MOVED_TO) {
      auto from = moved_from.find(ev->cookie);
      if (from != moved_from.end()) {
        std::string old_path = from->second.first;
        moved_from.erase(from);
        if (BindingImpl* b = Find(old_path)) {  // A bound file was renamed: follow it.
          bindings_.erase(old_path);
          if (BindingImpl* over = Find(path)) over->MarkDeleted();
          bindings_[path] = b;
          b->set_path(path);
        } else if (BindingImpl* b2 = Find(path)) {  // Replaced by rename (sed -i, editors).
          changed.push_back(b2);
        }
        Emit(FileEvent{FileEvent::Kind::kRenamed, old_path, path, dir});
      } else {
        if (BindingImpl* b = Find(path)) changed.push_back(b);
        Emit(FileEvent{FileEvent::Kind::kCreated, path, "", dir});
      }
      if (dir) created_dirs.emplace_back(path, true);
    } else if (ev->mask & IN_CREATE) {
      Emit(FileEvent{FileEvent::Kind::kCreated, path, "", dir});
      if (dir) created_dirs.emplace_back(path, true);
    } else if (ev->mask & IN_CLOSE_WRITE) {
      if (BindingImpl* b = Find(path)) {
        changed.push_back(b);
      } else {
        Emit(FileEvent{FileEvent::Kind::kModified, path, "", false});
      }
    } else if (ev->mask & IN_DELETE) {
      if (BindingImpl* b = Find(path)) {
        b->MarkDeleted();
        bindings_.erase(path);
      }
      Emit(FileEvent{FileEvent::Kind::kDeleted, path, "", dir});
    }
  }
  // Moved out of the workspace (no MOVED_TO): a delete.
  for (auto& [cookie, from] : moved_from) {
    if (BindingImpl* b = Find(from.first)) {
      b->MarkDeleted();
      bindings_.erase(from.first);
    }
    Emit(FileEvent{FileEvent::Kind::kDeleted, from.first, "", from.second});
  }
  for (auto& [d, unused] : created_dirs) CODESPHERE_RETURN_IF_ERROR(WatchTree(d));
  return OkStatus();
}

Status WorkspaceImpl::Poll() {
  alignas(struct inotify_event) char buf[64 * 1024];
  std::vector<BindingImpl*> changed;
  while (true) {
    ssize_t n = ::read(inotify_.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return ErrnoToStatus(errno, "read inotify events");
    }
    CODESPHERE_RETURN_IF_ERROR(HandleEvents(buf, static_cast<std::size_t>(n), changed));
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  Status first;
  for (BindingImpl* b : changed) {
    // The binding may have been deleted by a later event of the same batch.
    if (Find(b->path()) != b) continue;
    Status s = b->OnDiskChange();
    if (first.ok() && !s.ok()) first = s;
  }
  auto now = Clock::now();
  for (auto& [p, b] : bindings_) {
    if (b->Due(now)) {
      Status s = b->Flush();
      if (first.ok() && !s.ok()) first = s;
    }
  }
  return first;
}

Status WorkspaceImpl::PollFor(std::chrono::milliseconds timeout) {
  struct pollfd p = {inotify_.get(), POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoToStatus(errno, "poll inotify");
  return Poll();
}

}  // namespace

Result<std::unique_ptr<Workspace>> Workspace::Open(const std::string& root, WorkspaceOptions options) {
  CODESPHERE_ASSIGN_OR_RETURN(UniqueFd root_fd, internal::OpenRootDir(root, false));
  int ifd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ifd < 0) return ErrnoToStatus(errno, "inotify_init1");
  char resolved[PATH_MAX];
  std::string abs = ::realpath(root.c_str(), resolved) ? resolved : root;
  auto ws = std::make_unique<WorkspaceImpl>(abs, std::move(root_fd), UniqueFd(ifd), std::move(options));
  CODESPHERE_RETURN_IF_ERROR(ws->WatchTree(""));
  return std::unique_ptr<Workspace>(std::move(ws));
}

}  // namespace codesphere::filesync
