// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "tests/sandbox/sandbox_test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codesphere/base/check.h"
#include "tests/testing/status_matchers.h"

#include <fstream>
#include <sstream>

#include "codesphere/sandbox/linux_namespace_launcher.h"

namespace codesphere::sandbox::testing {

std::string EscapeProbeHostPath() { return CODESPHERE_ESCAPE_PROBE; }

Result<std::unique_ptr<Launcher>> NewLinuxLauncherForTest() {
  if (Status s = ProbeLinuxNamespaceSupport(); !s.ok()) return s;
  return NewLinuxNamespaceLauncher();
}

Spec TestSpec(const std::string& workspace) {
  Spec spec = DefaultSpec(workspace);
  spec.rootfs.binds.push_back({EscapeProbeHostPath(), kProbeInside, true, false});
  spec.limits.memory_bytes = 128ull << 20;
  spec.limits.pids = 128;
  spec.limits.cpu_millis = 1000;
  spec.limits.wall_time_ms = 30000;
  return spec;
}

bool SandboxCgroupExists(const std::string& id) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    if (line.find(" - cgroup") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string a, b, c, root, mount_point;
    fields >> a >> b >> c >> root >> mount_point;
    // Look below every cgroup this process is in (any hierarchy): cheap and exact enough.
    std::ifstream own("/proc/self/cgroup");
    std::string entry;
    while (std::getline(own, entry)) {
      std::string path = entry.substr(entry.rfind(':') + 1);
      if (path == "/") path.clear();
      std::string dir = mount_point + path + "/codesphere-sandboxes/" + id;
      struct stat st;
      if (stat(dir.c_str(), &st) == 0) return true;
    }
  }
  return false;
}

bool HostProcessWithArgument(const std::string& token) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return false;
  bool found = false;
  while (struct dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream cmdline(std::string("/proc/") + e->d_name + "/cmdline");
    std::string arg;
    while (std::getline(cmdline, arg, '\0')) {
      if (arg == token) found = true;
    }
  }
  closedir(proc);
  return found;
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

HostCanary::HostCanary(const std::filesystem::path& dir) : path_(dir / "canary") {
  std::ofstream(path_) << "host secret";
  chmod(path_.c_str(), 0600);
}

void HostCanary::ExpectIntact(nlink_t links) const {
  EXPECT_EQ(ReadWholeFile(path_), "host secret");
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_gid, getegid());
  EXPECT_EQ(st.st_nlink, links);
}

Sandbox& SandboxHarness::Start() {
  auto sandbox = launcher_->Start(spec_);
  EXPECT_OK(sandbox);
  CODESPHERE_CHECK(sandbox.ok());
  sandbox_ = std::move(*sandbox);
  return *sandbox_;
}

RunOutput SandboxHarness::RunInSandbox(ProcessOptions options, uint64_t output_limit) {
  if (!sandbox_) Start();
  auto out = RunAndCollect(*sandbox_, std::move(options), output_limit);
  EXPECT_OK(out);
  return out.ok() ? *out : RunOutput{};
}

void SandboxHarness::StopAndCheck() {
  if (!sandbox_) return;
  std::string id = sandbox_->id();
  EXPECT_OK(sandbox_->Stop());
  EXPECT_FALSE(SandboxCgroupExists(id)) << "cgroup of " << id << " left behind";
  sandbox_.reset();
}

}  // namespace codesphere::sandbox::testing
