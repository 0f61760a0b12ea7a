// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Sandbox benchmarks, compared in one run (docs/benchmarks/sandbox.md):
//  - spawn-to-exit of /bin/true in a fresh full sandbox (all namespaces, cgroups, seccomp,
//    fresh /proc and /dev) against `bwrap --unshare-all --die-with-parent --new-session`
//    with an equivalent root; p50/p99 as counters;
//  - spawning into an already running sandbox;
//  - 200 idle sandboxes: memory per sandbox and the time to stop them all;
//  - a capped workspace (workspace volume) per Start, and creating a volume.
// Needs root; the benchmarks skip with an error otherwise.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "codesphere/sandbox/launcher.h"
#include "codesphere/sandbox/linux_namespace_launcher.h"
#include "codesphere/sandbox/spec.h"
#include "codesphere/sandbox/workspace_volume.h"

extern char** environ;

namespace codesphere::sandbox {
namespace {

using Clock = std::chrono::steady_clock;

// A scratch workspace for the whole run, removed at exit (the sandboxes write nothing).
const std::string& Workspace() {
  struct Dir {
    Dir() {
      char tmpl[] = "/tmp/codesphere-sandbox-bench-XXXXXX";
      path = mkdtemp(tmpl);
      chmod(path.c_str(), 0755);  // bwrap's (mapped) root must be able to enter it too
    }
    ~Dir() { rmdir(path.c_str()); }
    std::string path;
  };
  static const Dir dir;
  return dir.path;
}

Launcher* SharedLauncher() {
  static std::unique_ptr<Launcher> launcher = [] {
    auto made = NewLinuxNamespaceLauncher();
    return made.ok() ? std::move(*made) : nullptr;
  }();
  return launcher.get();
}

Spec BenchSpec() {
  Spec spec = DefaultSpec(Workspace());
  spec.limits.memory_bytes = 256ull << 20;
  return spec;
}

void ReportPercentiles(benchmark::State& state, std::vector<double> ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  state.counters["p50_ms"] = at(0.50);
  state.counters["p99_ms"] = at(0.99);
  state.counters["max_ms"] = ms.back();
}

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Status RunTrue(Sandbox& sandbox) {
  ProcessOptions options;
  options.argv = {"/bin/true"};
  auto process = sandbox.Spawn(options);
  if (!process.ok()) return process.error();
  auto status = (*process)->Wait();
  if (!status.ok()) return status.error();
  if (!status->success()) return InternalError("/bin/true failed: " + status->ToString());
  return OkStatus();
}

// Per iteration: Start(spec) + spawn /bin/true + exit status (timed), then Stop (timed apart).
void TimeStartSpawnStop(benchmark::State& state, Launcher& launcher, const Spec& spec) {
  std::vector<double> ms, stop_ms;
  for (auto _ : state) {
    auto start = Clock::now();
    auto sandbox = launcher.Start(spec);
    if (!sandbox.ok()) return state.SkipWithError(sandbox.error().ToString().c_str());
    if (Status s = RunTrue(**sandbox); !s.ok()) return state.SkipWithError(s.ToString().c_str());
    double elapsed = MillisSince(start);
    auto stop_start = Clock::now();
    if (Status s = (*sandbox)->Stop(); !s.ok()) return state.SkipWithError(s.ToString().c_str());
    stop_ms.push_back(MillisSince(stop_start));
    state.SetIterationTime(elapsed / 1000.0);
    ms.push_back(elapsed);
  }
  ReportPercentiles(state, ms);
  std::sort(stop_ms.begin(), stop_ms.end());
  state.counters["stop_p50_ms"] = stop_ms[stop_ms.size() / 2];
}

// Fresh sandbox per iteration: Start + spawn /bin/true + exit status. Stop is timed apart.
void BM_Sandbox_SpawnToExit(benchmark::State& state) {
  Launcher* launcher = SharedLauncher();
  if (launcher == nullptr) return state.SkipWithError("LinuxNamespaceLauncher unavailable");
  TimeStartSpawnStop(state, *launcher, BenchSpec());
}
BENCHMARK(BM_Sandbox_SpawnToExit)->UseManualTime()->Iterations(200)->Unit(benchmark::kMillisecond);

// Into one running sandbox: spawn /bin/true + exit status.
void BM_Sandbox_SpawnIntoRunning(benchmark::State& state) {
  Launcher* launcher = SharedLauncher();
  if (launcher == nullptr) return state.SkipWithError("LinuxNamespaceLauncher unavailable");
  auto sandbox = launcher->Start(BenchSpec());
  if (!sandbox.ok()) return state.SkipWithError(sandbox.error().ToString().c_str());
  std::vector<double> ms;
  for (auto _ : state) {
    auto start = Clock::now();
    if (Status s = RunTrue(**sandbox); !s.ok()) return state.SkipWithError(s.ToString().c_str());
    double elapsed = MillisSince(start);
    state.SetIterationTime(elapsed / 1000.0);
    ms.push_back(elapsed);
  }
  ReportPercentiles(state, ms);
  (*sandbox)->Stop().ok();
}
BENCHMARK(BM_Sandbox_SpawnIntoRunning)->UseManualTime()->Iterations(200)->Unit(benchmark::kMillisecond);

// A capped workspace (RootFs::workspace_size_bytes, 1 GiB). Unheld (range 0): each Start
// mounts the volume (e2fsck -p, loop device, mount) because no one else holds it, and Stop
// unmounts it. Held (range 1): the platform holds the volume, as it should while a project
// is open, and Start only takes a reference. Compare with BM_Sandbox_SpawnToExit.
void BM_Sandbox_SpawnToExitCappedWorkspace(benchmark::State& state) {
  const bool held = state.range(0) == 1;
  Launcher* launcher = SharedLauncher();
  if (launcher == nullptr) return state.SkipWithError("LinuxNamespaceLauncher unavailable");
  if (Status s = ProbeWorkspaceVolumeSupport(); !s.ok()) {
    return state.SkipWithError(s.ToString().c_str());
  }
  const std::string base = Workspace() + "-capped";
  Spec spec = BenchSpec();
  spec.rootfs.workspace = base + "/ws";
  spec.rootfs.workspace_image = base + "/ws.img";
  spec.rootfs.workspace_size_bytes = 1ull << 30;
  std::shared_ptr<WorkspaceVolume> holder;
  if (held) {
    auto volume = MountWorkspaceVolumeForSpec(spec);
    if (!volume.ok()) return state.SkipWithError(volume.error().ToString().c_str());
    holder = std::move(*volume);
  }
  TimeStartSpawnStop(state, *launcher, spec);
  holder.reset();
  unlink(spec.rootfs.workspace_image.c_str());
  rmdir(spec.rootfs.workspace.c_str());
  rmdir(base.c_str());
}
BENCHMARK(BM_Sandbox_SpawnToExitCappedWorkspace)
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Iterations(50)
    ->Unit(benchmark::kMillisecond);

// Creating a workspace volume: a sparse 1 GiB image, mke2fs, loop device, mount (then
// unmount and delete, untimed).
void BM_WorkspaceVolume_Create(benchmark::State& state) {
  if (Status s = ProbeWorkspaceVolumeSupport(); !s.ok()) {
    return state.SkipWithError(s.ToString().c_str());
  }
  const std::string base = Workspace() + "-volume";
  WorkspaceVolumeOptions options;
  options.image = base + "/ws.img";
  options.mount_point = base + "/ws";
  options.size_bytes = 1ull << 30;
  std::vector<double> ms;
  for (auto _ : state) {
    auto start = Clock::now();
    auto volume = MountWorkspaceVolume(options);
    if (!volume.ok()) return state.SkipWithError(volume.error().ToString().c_str());
    double elapsed = MillisSince(start);
    volume->reset();
    unlink(options.image.c_str());
    state.SetIterationTime(elapsed / 1000.0);
    ms.push_back(elapsed);
  }
  ReportPercentiles(state, ms);
  rmdir(options.mount_point.c_str());
  rmdir(base.c_str());
}
BENCHMARK(BM_WorkspaceVolume_Create)->UseManualTime()->Iterations(30)->Unit(benchmark::kMillisecond);

// The anchor: bubblewrap with all namespaces and an equivalent root (read-only /usr and the
// merged-/usr symlinks, certs, alternatives, ld.so.cache, fresh /proc, minimal /dev, tmpfs
// /tmp, the workspace read-write). bwrap sets up no cgroup and no seccomp filter here.
std::vector<std::string> BwrapArgv() {
  std::vector<std::string> argv = {"bwrap", "--unshare-all", "--die-with-parent", "--new-session",
                                   "--ro-bind", "/usr", "/usr"};
  for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    struct stat st;
    if (lstat(dir, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[256] = {};
      if (readlink(dir, target, sizeof(target) - 1) > 0) {
        argv.insert(argv.end(), {"--symlink", target, dir});
      }
    } else {
      argv.insert(argv.end(), {"--ro-bind", dir, dir});
    }
  }
  for (const char* path : {"/etc/ssl/certs", "/etc/alternatives", "/etc/ld.so.cache"}) {
    argv.insert(argv.end(), {"--ro-bind-try", path, path});
  }
  argv.insert(argv.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind",
                           Workspace(), "/workspace", "--chdir", "/workspace", "--hostname",
                           "sandbox", "/bin/true"});
  return argv;
}

void BM_Bwrap_SpawnToExit(benchmark::State& state) {
  if (access("/usr/bin/bwrap", X_OK) != 0) return state.SkipWithError("bwrap not installed");
  std::vector<std::string> args = BwrapArgv();
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<double> ms;
  for (auto _ : state) {
    auto start = Clock::now();
    pid_t pid;
    if (posix_spawn(&pid, "/usr/bin/bwrap", nullptr, nullptr, argv.data(), environ) != 0) {
      return state.SkipWithError("posix_spawn bwrap failed");
    }
    int status = 0;
    waitpid(pid, &status, 0);
    double elapsed = MillisSince(start);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      return state.SkipWithError("bwrap /bin/true failed");
    }
    state.SetIterationTime(elapsed / 1000.0);
    ms.push_back(elapsed);
  }
  ReportPercentiles(state, ms);
}
BENCHMARK(BM_Bwrap_SpawnToExit)->UseManualTime()->Iterations(200)->Unit(benchmark::kMillisecond);

// The v1 memory cgroup of this process (relative path), e.g. "/process_api/31f0…".
std::string OwnMemoryCgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (line.substr(a + 1, b - a - 1) == "memory") return line.substr(b + 1);
  }
  return "";
}

uint64_t ReadNumber(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  in >> v;
  return v;
}

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// 200 idle sandboxes (each: its init process, namespaces, cgroups, mounts): memory per
// sandbox as charged to the sandboxes' cgroups and as the host sees it, and the time to
// start and to stop them all.
//
// Memory is measured exactly, without the noise of other processes on the host: the benchmark
// moves itself into a fresh memory cgroup (v1 hierarchy) before creating a launcher, so the
// sandboxes' cgroups nest below it and everything the kernel charges for them (the init
// processes, their page tables, and the accounted kernel objects of namespaces, mounts and
// cgroups, whether allocated by the supervisor or the sandbox) shows up in its usage.
void BM_Sandbox_200Idle(benchmark::State& state) {
  const std::string own = OwnMemoryCgroup();
  const std::string mem_root = "/sys/fs/cgroup/memory";
  const std::string bench_cg = mem_root + own + "/codesphere-bench-" + std::to_string(getpid());
  if (own.empty() || mkdir(bench_cg.c_str(), 0755) != 0 ||
      !WriteText(bench_cg + "/cgroup.procs", std::to_string(getpid()))) {
    return state.SkipWithError("needs a writable cgroup v1 memory hierarchy");
  }
  {
    auto made = NewLinuxNamespaceLauncher();  // its cgroups now nest below bench_cg
    if (!made.ok()) return state.SkipWithError(made.error().ToString().c_str());
    std::unique_ptr<Launcher> launcher = std::move(*made);
    const int n = 200;
    const Spec spec = BenchSpec();
    for (auto _ : state) {
      std::vector<std::unique_ptr<Sandbox>> sandboxes;
      uint64_t before = ReadNumber(bench_cg + "/memory.usage_in_bytes");
      uint64_t kmem_before = ReadNumber(bench_cg + "/memory.kmem.usage_in_bytes");
      auto start = Clock::now();
      for (int i = 0; i < n; ++i) {
        auto sandbox = launcher->Start(spec);
        if (!sandbox.ok()) return state.SkipWithError(sandbox.error().ToString().c_str());
        sandboxes.push_back(std::move(*sandbox));
      }
      double start_ms = MillisSince(start);
      uint64_t after = ReadNumber(bench_cg + "/memory.usage_in_bytes");
      uint64_t kmem_after = ReadNumber(bench_cg + "/memory.kmem.usage_in_bytes");
      uint64_t in_sandboxes = 0;
      for (auto& s : sandboxes) {
        auto stats = s->Stats();
        if (stats.ok()) in_sandboxes += stats->memory_bytes;
      }
      auto stop_start = Clock::now();
      for (auto& s : sandboxes) s->Stop().ok();
      double stop_ms = MillisSince(stop_start);
      state.SetIterationTime((start_ms + stop_ms) / 1000.0);
      state.counters["start_all_ms"] = start_ms;
      state.counters["stop_all_ms"] = stop_ms;
      state.counters["KiB_per_sandbox"] = static_cast<double>(after - before) / n / 1024;
      state.counters["kernel_KiB_per_sandbox"] =
          static_cast<double>(kmem_after - kmem_before) / n / 1024;
      state.counters["own_cgroup_KiB_per_sandbox"] = static_cast<double>(in_sandboxes) / n / 1024;
    }
  }
  // Back to where we were; the bench cgroup goes away.
  WriteText(mem_root + own + "/cgroup.procs", std::to_string(getpid()));
  rmdir((bench_cg + "/codesphere-sandboxes").c_str());
  rmdir(bench_cg.c_str());
}
BENCHMARK(BM_Sandbox_200Idle)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace codesphere::sandbox

BENCHMARK_MAIN();
