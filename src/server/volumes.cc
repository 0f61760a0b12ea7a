// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Workspace volumes: the per-project disk quota (docs/platform.md, "Disk quotas"). A capped
// project's files live in an ext4 image `DATA/volumes/<project>.img` that is mounted on
// `DATA/workspaces/<project>` (sandbox::MountWorkspaceVolume); while it is not mounted the
// workspace directory is an empty mount point. So every host-side access to a workspace
// holds the project's volume (HoldWorkspace / OpenWorkspace), and sandboxes name the same
// image in their specs, sharing the mount.

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <utility>

#include <asio/post.hpp>

#include "codesphere/base/log.h"
#include "codesphere/base/status_macros.h"
#include "server/platform_internal.h"

namespace codesphere::server {
namespace {

// True when `dir` is a directory on another file system than its parent: something (a
// workspace volume) is mounted on it.
bool IsMountPoint(const std::string& dir) {
  struct stat st {}, parent {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  return ::stat((dir + "/..").c_str(), &parent) == 0 && parent.st_dev != st.st_dev;
}

// True when `dir` is a directory with entries that is not itself a mount point (the files
// an unmounted volume's mount point should not have: they would be hidden under it).
bool HoldsHiddenFiles(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || IsMountPoint(dir)) return false;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  bool any = false;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") {
      any = true;
      break;
    }
  }
  ::closedir(d);
  return any;
}

// The cap as MountWorkspaceVolume sizes images: rounded up to 1 MiB.
std::uint64_t RoundedSize(std::uint64_t bytes) {
  constexpr std::uint64_t kMiB = 1u << 20;
  return (bytes + kMiB - 1) / kMiB * kMiB;
}

}  // namespace

std::string Platform::Impl::VolumeImage(std::string_view project) const {
  return (options.data_dir / "volumes" / (std::string(project) + ".img")).string();
}

std::shared_ptr<Platform::Impl::VolumeSlot> Platform::Impl::Slot(std::string_view project) {
  std::lock_guard<std::mutex> lock(volumes_mu);
  auto it = volumes.find(project);
  if (it == volumes.end()) {
    it = volumes.emplace(std::string(project), std::make_shared<VolumeSlot>()).first;
  }
  return it->second;
}

Result<std::shared_ptr<sandbox::WorkspaceVolume>> Platform::Impl::HoldWorkspace(
    std::string_view project, Hold how) {
  const bool create = how == Hold::kCreate;
  if (!internal::ValidProjectId(project)) return NotFoundError("no such project");
  std::shared_ptr<VolumeSlot> slot = Slot(project);
  std::lock_guard<std::mutex> lock(slot->mu);
  if (slot->deleted && !create) return NotFoundError("the project was deleted");
  slot->deleted = false;
  if (how != Hold::kMaintenance) slot->last_used_ms = NowMs();
  if (slot->volume) return slot->volume;

  const std::string image = VolumeImage(project);
  const std::string workspace = WorkspaceDir(project);
  struct stat img {};
  bool image_exists = ::stat(image.c_str(), &img) == 0;
  if (create && !image_exists && workspace_cap != 0 && ::access(workspace.c_str(), F_OK) != 0) {
    // A new project takes the spare image, if one is ready (the next one is made later).
    std::unique_lock<std::mutex> spare(spare_mu, std::try_to_lock);
    const std::string spare_image = VolumeImage(".spare");
    if (spare.owns_lock() && ::rename(spare_image.c_str(), image.c_str()) == 0) {
      image_exists = ::stat(image.c_str(), &img) == 0;
    }
  }
  if (!volume_support.ok()) {
    if (image_exists) {
      return FailedPreconditionError("the project's files are in the workspace image " + image +
                                     ", which this host cannot mount: " +
                                     volume_support.ToString());
    }
    return std::shared_ptr<sandbox::WorkspaceVolume>();
  }
  std::uint64_t size = workspace_cap;
  if (size == 0) {
    // Uncapped now, but the project was capped before: its files are in the image.
    if (!image_exists) return std::shared_ptr<sandbox::WorkspaceVolume>();
    size = static_cast<std::uint64_t>(img.st_size);
  }
  if (!image_exists && !create && ::access(workspace.c_str(), F_OK) != 0) {
    return NotFoundError("the project's workspace is missing");
  }
  if (image_exists && HoldsHiddenFiles(workspace)) {
    LogWarning("workspace directory holds files under its volume's mount point: they stay "
               "hidden while the volume is mounted (remove the image to move them in)",
               {{"project", project}, {"workspace", workspace}, {"image", image}});
  }
  sandbox::WorkspaceVolumeOptions vo;
  vo.image = image;
  vo.mount_point = workspace;
  vo.size_bytes = size;
  // A project from before the cap (files in the plain directory) moves into its new image.
  vo.move_existing_files = true;
  auto start = std::chrono::steady_clock::now();
  auto mounted = sandbox::MountWorkspaceVolume(vo);
  if (!mounted.ok() && image_exists && static_cast<std::uint64_t>(img.st_size) != size) {
    // The cap changed but the image cannot follow (the files need more than the new cap, or
    // a mount adopted from a crashed server is busy): keep the project's current size.
    LogWarning("workspace volume keeps its size",
               {{"project", project}, {"wanted", size}, {"size", img.st_size},
                {"reason", mounted.error().ToString()}});
    vo.size_bytes = static_cast<std::uint64_t>(img.st_size);
    mounted = sandbox::MountWorkspaceVolume(vo);
  }
  if (!mounted.ok()) {
    LogError("workspace volume mount failed",
             {{"project", project}, {"image", image}, {"error", mounted.error().ToString()}});
    return mounted.error();
  }
  if (how == Hold::kMaintenance) {
    // Held by the caller only: a snapshot of an idle project does not keep it mounted.
    return std::move(*mounted);
  }
  slot->volume = std::move(*mounted);
  LogInfo("workspace volume mounted",
          {{"project", project},
           {"size", slot->volume->size_bytes()},
           {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}});
  return slot->volume;
}

Result<internal::HeldWorkspace> Platform::Impl::OpenWorkspace(std::string_view project) {
  CODESPHERE_ASSIGN_OR_RETURN(auto volume, HoldWorkspace(project));
  CODESPHERE_ASSIGN_OR_RETURN(auto dir, sandbox::SafeDir::Open(WorkspaceDir(project)));
  return internal::HeldWorkspace{std::move(volume), std::move(dir)};
}

Status Platform::Impl::NewWorkspace(std::string_view project, const std::function<Status()>& fill) {
  Status st;
  {
    auto volume = HoldWorkspace(project, Hold::kCreate);
    st = volume.ok() ? fill() : volume.error();
  }
  if (!st.ok()) DeleteWorkspace(project);
  if (workspace_cap != 0) {
    std::weak_ptr<Impl> weak = weak_from_this();
    asio::post(blocking, [weak] {
      if (auto self = weak.lock()) self->PrepareSpareVolume();
    });
  }
  return st;
}

void Platform::Impl::PrepareSpareVolume() {
  if (workspace_cap == 0 || stopping) return;
  std::unique_lock<std::mutex> lock(spare_mu, std::try_to_lock);
  if (!lock.owns_lock()) return;  // being made, or being taken
  sandbox::WorkspaceVolumeOptions vo;
  vo.image = VolumeImage(".spare");
  vo.mount_point = (options.data_dir / "volumes" / ".spare").string();
  vo.size_bytes = workspace_cap;
  struct stat st {};
  if (::stat(vo.image.c_str(), &st) == 0) {
    if (static_cast<std::uint64_t>(st.st_size) == RoundedSize(workspace_cap)) return;
    ::unlink(vo.image.c_str());  // made for another cap
  }
  {
    // Mounting a new image formats it; releasing it (end of scope) leaves the formatted image.
    auto volume = sandbox::MountWorkspaceVolume(vo);
    if (!volume.ok()) {
      LogWarning("spare workspace volume not made", {{"error", volume.error().ToString()}});
      ::unlink(vo.image.c_str());
    }
  }
  ::rmdir(vo.mount_point.c_str());
}

void Platform::Impl::DeleteWorkspace(std::string_view project) {
  std::shared_ptr<VolumeSlot> slot = Slot(project);
  std::weak_ptr<sandbox::WorkspaceVolume> held;
  {
    std::lock_guard<std::mutex> lock(slot->mu);
    slot->deleted = true;
    // Unmounts unless someone else still holds it (then the last holder does; the image's
    // blocks go when the loop device lets go of the unlinked file).
    held = slot->volume;
    slot->volume.reset();
    const std::string image = VolumeImage(project);
    if (::unlink(image.c_str()) != 0 && errno != ENOENT) {
      LogWarning("workspace image not removed", {{"project", project}, {"error", strerror(errno)}});
    }
  }
  // The other holders are a runtime being torn down (its terminals' connections let go of it
  // on their own strands, moments after it was dropped) or a request still in flight: wait
  // for them, so that the workspace is gone when the deletion is answered.
  constexpr auto kLetGo = std::chrono::seconds(5);
  const auto deadline = std::chrono::steady_clock::now() + kLetGo;
  while (!held.expired() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::lock_guard<std::mutex> lock(slot->mu);
  if (!slot->deleted) return;  // made again meanwhile (kCreate): not ours to remove
  slot->removal_pending = !RemoveWorkspaceDir(project, held.expired());
  if (slot->removal_pending) {
    LogInfo("workspace removal deferred: its volume is still held", {{"project", project}});
  }
}

bool Platform::Impl::RemoveWorkspaceDir(std::string_view project, bool warn_if_busy) {
  auto root = sandbox::SafeDir::Open((options.data_dir / "workspaces").string());
  if (!root.ok()) return true;  // nothing to remove there
  Status st = root->RemoveAll(project);
  if (st.ok()) return true;
  const bool busy = IsMountPoint(WorkspaceDir(project));
  if (!busy || warn_if_busy) {
    LogWarning("workspace not removed", {{"project", project}, {"error", st.ToString()}});
  }
  return !busy;  // other errors are not retried
}

void Platform::Impl::RetryWorkspaceRemovals() {
  std::vector<std::pair<std::string, std::shared_ptr<VolumeSlot>>> pending;
  {
    std::lock_guard<std::mutex> lock(volumes_mu);
    for (const auto& [project, slot] : volumes) pending.emplace_back(project, slot);
  }
  for (auto& [project, slot] : pending) {
    std::lock_guard<std::mutex> lock(slot->mu);
    if (!slot->removal_pending || !slot->deleted) continue;
    slot->removal_pending = !RemoveWorkspaceDir(project, false);
    if (!slot->removal_pending) LogInfo("workspace removed", {{"project", project}});
  }
}

void Platform::Impl::ReleaseIdleVolumes() {
  RetryWorkspaceRemovals();
  const std::int64_t now = NowMs();
  std::vector<std::pair<std::string, std::shared_ptr<VolumeSlot>>> candidates;
  {
    std::lock_guard<std::mutex> lock(volumes_mu);
    // Slots stay in the map (one per project used since the start: those of deleted
    // projects answer kNotFound); only their volumes are released.
    for (const auto& [project, slot] : volumes) {
      if (now - slot->last_used_ms.load() >= options.idle_timeout.count()) {
        candidates.emplace_back(project, slot);
      }
    }
  }
  for (auto& [project, slot] : candidates) {
    if (FindRuntime(project)) continue;  // a runtime holds it anyway
    std::shared_ptr<sandbox::WorkspaceVolume> volume;
    {
      std::lock_guard<std::mutex> lock(slot->mu);
      if (!slot->volume || NowMs() - slot->last_used_ms.load() < options.idle_timeout.count()) {
        continue;
      }
      volume = std::move(slot->volume);
    }
    // Give the blocks of deleted files back to the host before letting go.
    if (Status st = volume->Trim(); !st.ok()) {
      LogWarning("workspace volume trim failed", {{"project", project}, {"error", st.ToString()}});
    }
    volume.reset();
    LogInfo("workspace volume released", {{"project", project}});
  }
}

void Platform::Impl::ReleaseAllVolumes() {
  std::map<std::string, std::shared_ptr<VolumeSlot>, std::less<>> all;
  {
    std::lock_guard<std::mutex> lock(volumes_mu);
    all = volumes;
  }
  for (auto& [project, slot] : all) {
    std::lock_guard<std::mutex> lock(slot->mu);
    slot->volume.reset();  // unmounts unless a request still holds it
  }
  RetryWorkspaceRemovals();
}

std::vector<std::shared_ptr<sandbox::WorkspaceVolume>> Platform::Impl::HeldVolumes() {
  std::vector<std::shared_ptr<VolumeSlot>> slots;
  {
    std::lock_guard<std::mutex> lock(volumes_mu);
    for (const auto& [project, slot] : volumes) slots.push_back(slot);
  }
  std::vector<std::shared_ptr<sandbox::WorkspaceVolume>> out;
  for (const auto& slot : slots) {
    std::lock_guard<std::mutex> lock(slot->mu);  // waits for a mount in progress
    if (slot->volume) out.push_back(slot->volume);
  }
  return out;
}

Any Platform::Impl::DiskJson(std::string_view project) {
  auto volume = HoldWorkspace(project);
  if (!volume.ok() || *volume == nullptr) return Any(nullptr);
  auto usage = (*volume)->Usage();
  if (!usage.ok()) return Any(nullptr);
  internal::Object o;
  o.emplace_back("size_bytes", Any(usage->size_bytes));
  o.emplace_back("used_bytes", Any(usage->used_bytes));
  o.emplace_back("free_bytes", Any(usage->free_bytes));
  return Any(std::move(o));
}

}  // namespace codesphere::server
