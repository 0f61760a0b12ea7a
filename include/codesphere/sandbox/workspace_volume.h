// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `WorkspaceVolume`: a workspace with a hard total size cap. The workspace directory on the
// host becomes the mount point of an ext4 file system in a sparse image file (loop device),
// so a sandbox filling its workspace gets ENOSPC at the cap and the host's disk is untouched
// beyond the image. The host side (server, filesync) keeps using the workspace path as
// before; sandboxes bind it at /workspace. See docs/sandbox.md "Workspace size cap".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "codesphere/base/result.h"
#include "codesphere/base/status.h"
#include "codesphere/sandbox/spec.h"

namespace codesphere::sandbox {

struct WorkspaceVolumeOptions {
  // Host path of the image file (absolute, normalized). Created (sparse, then formatted
  // ext4) when missing. Must not lie inside `mount_point`.
  std::string image;
  // Host directory the file system is mounted on (absolute, normalized): the workspace.
  // Created when missing. When the image is new and the directory holds files, see
  // `move_existing_files`.
  std::string mount_point;
  // The cap: the file system's size in bytes, at least 16 MiB, rounded up to 1 MiB. An
  // existing image of another size is grown or shrunk (offline: only while not mounted;
  // shrinking below what the files need fails with kResourceExhausted). Default: 0 (invalid).
  uint64_t size_bytes = 0;
  // When the image is new and `mount_point` already holds files: move them into the new
  // volume (copied without following symlinks, with modes, owners and times; the image is
  // committed only once the copy is complete, then the originals are removed), or, when
  // they do not fit, fail with kResourceExhausted leaving them untouched. Without it such a
  // directory is kFailedPrecondition (its files would be hidden under the mount).
  // Default: false (`MountWorkspaceVolumeForSpec` sets it).
  bool move_existing_files = false;
  // Owner of the file system's root directory when the image is created. Default: 0/0.
  uid_t owner_uid = 0;
  gid_t owner_gid = 0;
};

struct WorkspaceVolumeUsage {
  uint64_t size_bytes = 0;   // Usable size of the file system.
  uint64_t used_bytes = 0;   // Blocks in use.
  uint64_t free_bytes = 0;   // Blocks a writer can still get.
  uint64_t inodes_used = 0;
  uint64_t inodes_free = 0;
  uint64_t image_allocated_bytes = 0;  // Host disk the sparse image occupies.
};

// A mounted workspace volume. Shared: every holder (the platform, each sandbox whose spec
// names the workspace) keeps a `shared_ptr`; when the last one goes away the file system is
// unmounted (lazily, with a warning, when a host process still has files open in it) and
// the loop device detaches itself (LO_FLAGS_AUTOCLEAR) once the kernel lets go of it.
//
// Thread-safety: thread-safe.
class WorkspaceVolume {
 public:
  virtual ~WorkspaceVolume() = default;
  WorkspaceVolume(const WorkspaceVolume&) = delete;
  WorkspaceVolume& operator=(const WorkspaceVolume&) = delete;

  virtual const std::string& image() const = 0;
  virtual const std::string& mount_point() const = 0;
  // The cap in bytes (the image's size).
  virtual uint64_t size_bytes() const = 0;
  // Current usage (statvfs of the mount, st_blocks of the image).
  virtual Result<WorkspaceVolumeUsage> Usage() const = 0;
  // Gives the blocks of deleted files back to the host (FITRIM: holes are punched into the
  // sparse image), so the image occupies what the workspace uses now rather than the most it
  // ever used. Call it now and then (e.g. when a project goes idle). Errors: errno-mapped.
  virtual Status Trim() = 0;

 protected:
  WorkspaceVolume() = default;
};

// Mounts (creating, growing or shrinking the image first as needed) the volume described by
// `options`, or returns the volume this process already has mounted at `mount_point` (then
// `size_bytes` must match: kFailedPrecondition, since resizing needs it unmounted). A mount
// left behind by a crashed supervisor (the same image on the same mount point) is adopted.
// Returns kInvalidArgument for bad options, kFailedPrecondition when the mount point holds
// files or another file system, or the image is in use by another process,
// kPermissionDenied without the privileges (root: loop devices, mount), kDataLoss when
// e2fsck finds the image damaged beyond automatic repair, kResourceExhausted when shrinking
// below the data, and errno-mapped errors otherwise.
Result<std::shared_ptr<WorkspaceVolume>> MountWorkspaceVolume(const WorkspaceVolumeOptions& options);

// The volume `spec` asks for (`RootFs::workspace_size_bytes`, `workspace_image`), mounted
// on its workspace; nullptr when the spec sets no cap. Launchers call it at Start; a
// platform calls it to hold a workspace's volume while it writes there outside any sandbox
// (restoring a snapshot, syncing files), so that the writes land in the image. Errors: as
// `MountWorkspaceVolume`.
Result<std::shared_ptr<WorkspaceVolume>> MountWorkspaceVolumeForSpec(const Spec& spec);

// kOk when this host can create workspace volumes: root, /dev/loop-control, ext4 support
// and the e2fsprogs tools (mke2fs, e2fsck, resize2fs); otherwise the reason (tests skip).
Status ProbeWorkspaceVolumeSupport();

// The image path used for a spec's workspace when `RootFs::workspace_image` is empty:
// `<workspace>.img`, a sibling of the workspace directory.
std::string DefaultWorkspaceImage(const std::string& workspace);

}  // namespace codesphere::sandbox
