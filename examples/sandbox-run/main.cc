// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// codesphere-sandbox-run: runs one command in a sandbox, streams its output and exits with
// its status (a small nsjail-like tool).
//
//   codesphere-sandbox-run --workspace DIR [--memory 256M] [--pids N] [--cpus 0.5]
//       [--cpu-time SECONDS] [--time-limit SECONDS] [--output-limit SIZE] [--tmp-size SIZE]
//       [--workspace-size SIZE [--workspace-image FILE]] [--bind HOST[:INSIDE]] [--bind-rw HOST[:INSIDE]] [--env KEY=VALUE]
//       [--no-isolation] [--print-spec] -- CMD [ARGS...]
//
// `--workspace-size 1G` caps the workspace's total size: DIR becomes the mount point of an
// ext4 image (FILE, default DIR.img, created on first use and kept) for the run.
// Exit status: the command's, 128+N when killed by signal N, 125 for usage or setup errors.
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "codesphere/sandbox/launcher.h"
#include "codesphere/sandbox/linux_namespace_launcher.h"
#include "codesphere/sandbox/process_launcher.h"
#include "codesphere/sandbox/spec.h"

namespace sb = codesphere::sandbox;

namespace {

constexpr int kSetupError = 125;

int Usage(const char* message) {
  std::cerr << "codesphere-sandbox-run: " << message << "\n"
            << "usage: codesphere-sandbox-run --workspace DIR [--memory SIZE] [--pids N]\n"
            << "         [--cpus N] [--cpu-time SECONDS] [--time-limit SECONDS]\n"
            << "         [--output-limit SIZE] [--tmp-size SIZE] [--workspace-size SIZE]\n"
            << "         [--workspace-image FILE] [--bind HOST[:INSIDE]]\n"
            << "         [--bind-rw HOST[:INSIDE]] [--env KEY=VALUE] [--no-isolation]\n"
            << "         [--print-spec] -- CMD [ARGS...]\n";
  return kSetupError;
}

bool ParseSize(const std::string& text, uint64_t* out) {
  auto size = sb::ParseByteSize(text);
  if (!size.ok()) return false;
  *out = *size;
  return true;
}

bool ParseNumber(const std::string& text, double* out) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < 0) return false;
  *out = v;
  return true;
}

sb::BindMount ParseBind(const std::string& arg, bool read_only) {
  size_t colon = arg.find(':');
  if (colon == std::string::npos) return {arg, arg, read_only, false};
  return {arg.substr(0, colon), arg.substr(colon + 1), read_only, false};
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string workspace, workspace_image;
  bool no_isolation = false;
  bool print_spec = false;
  uint64_t memory = 0, pids = 0, output_limit = 0, tmp_size = 0, workspace_size = 0;
  double cpus = -1, cpu_time = 0, time_limit = 0;
  std::vector<sb::BindMount> binds;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--") {
      for (++i; i < argc; ++i) command.push_back(argv[i]);
      break;
    } else if (arg == "--workspace") {
      if (!value(&workspace)) return Usage("--workspace needs a directory");
    } else if (arg == "--memory") {
      if (!value(&v) || !ParseSize(v, &memory)) return Usage("bad --memory");
    } else if (arg == "--pids") {
      double n;
      if (!value(&v) || !ParseNumber(v, &n)) return Usage("bad --pids");
      pids = static_cast<uint64_t>(n);
    } else if (arg == "--cpus") {
      if (!value(&v) || !ParseNumber(v, &cpus)) return Usage("bad --cpus");
    } else if (arg == "--cpu-time") {
      if (!value(&v) || !ParseNumber(v, &cpu_time)) return Usage("bad --cpu-time");
    } else if (arg == "--time-limit") {
      if (!value(&v) || !ParseNumber(v, &time_limit)) return Usage("bad --time-limit");
    } else if (arg == "--output-limit") {
      if (!value(&v) || !ParseSize(v, &output_limit)) return Usage("bad --output-limit");
    } else if (arg == "--tmp-size") {
      if (!value(&v) || !ParseSize(v, &tmp_size)) return Usage("bad --tmp-size");
    } else if (arg == "--workspace-size") {
      if (!value(&v) || !ParseSize(v, &workspace_size)) return Usage("bad --workspace-size");
    } else if (arg == "--workspace-image") {
      if (!value(&workspace_image)) return Usage("--workspace-image needs a file");
    } else if (arg == "--bind" || arg == "--bind-rw") {
      if (!value(&v)) return Usage("--bind needs a path");
      binds.push_back(ParseBind(v, arg == "--bind"));
    } else if (arg == "--env") {
      if (!value(&v) || v.find('=') == std::string::npos) return Usage("--env needs KEY=VALUE");
      env.emplace_back(v.substr(0, v.find('=')), v.substr(v.find('=') + 1));
    } else if (arg == "--no-isolation") {
      no_isolation = true;
    } else if (arg == "--print-spec") {
      print_spec = true;
    } else {
      return Usage(("unknown option " + arg).c_str());
    }
  }
  if (workspace.empty()) return Usage("--workspace is required");
  if (command.empty() && !print_spec) return Usage("no command after --");
  if (workspace_size) mkdir(workspace.c_str(), 0755);  // a volume's mount point may be new
  if (!workspace_image.empty() && workspace_image[0] != '/') {
    return Usage("--workspace-image must be an absolute path");
  }
  char resolved[PATH_MAX];
  if (realpath(workspace.c_str(), resolved) == nullptr) {
    std::cerr << "codesphere-sandbox-run: workspace " << workspace << ": " << strerror(errno) << "\n";
    return kSetupError;
  }

  sb::Spec spec = sb::DefaultSpec(resolved);
  if (memory) spec.limits.memory_bytes = memory;
  if (pids) spec.limits.pids = pids;
  if (cpus >= 0) spec.limits.cpu_millis = static_cast<uint64_t>(cpus * 1000);
  if (cpu_time > 0) spec.limits.cpu_time_seconds = static_cast<uint64_t>(cpu_time + 0.999);
  if (time_limit > 0) spec.limits.wall_time_ms = static_cast<uint64_t>(time_limit * 1000);
  if (output_limit) spec.limits.output_bytes = output_limit;
  if (tmp_size) spec.rootfs.tmp_size_bytes = tmp_size;
  spec.rootfs.workspace_size_bytes = workspace_size;
  spec.rootfs.workspace_image = workspace_image;
  for (const sb::BindMount& b : binds) spec.rootfs.binds.push_back(b);
  if (print_spec) {
    auto json = sb::SpecToJson(spec);
    if (!json.ok()) return kSetupError;
    std::cout << *json << "\n";
    if (command.empty()) return 0;
  }

  std::unique_ptr<sb::Launcher> launcher;
  if (no_isolation) {
    launcher = sb::NewProcessLauncherWithoutIsolation();
  } else {
    auto made = sb::NewLinuxNamespaceLauncher();
    if (!made.ok()) {
      std::cerr << "codesphere-sandbox-run: " << made.error() << "\n";
      return kSetupError;
    }
    launcher = std::move(*made);
  }
  auto sandbox = launcher->Start(spec);
  if (!sandbox.ok()) {
    std::cerr << "codesphere-sandbox-run: " << sandbox.error() << "\n";
    return kSetupError;
  }
  sb::ProcessOptions options;
  options.argv = command;
  options.env = env;
  options.stdin_stdio = sb::Stdio::Fd(STDIN_FILENO);
  signal(SIGPIPE, SIG_IGN);
  auto status = sb::RunAndStream(**sandbox, options, spec.limits.output_bytes,
                                 [](int stream, std::string_view data) {
                                   WriteAll(stream == 1 ? STDOUT_FILENO : STDERR_FILENO,
                                            data.data(), data.size());
                                 });
  (*sandbox)->Stop().ok();
  if (!status.ok()) {
    std::cerr << "codesphere-sandbox-run: " << status.error() << "\n";
    return kSetupError;
  }
  if (!status->success() || status->output_limit_exceeded) {
    std::cerr << "codesphere-sandbox-run: " << status->ToString() << "\n";
  }
  if (status->signal != 0) return 128 + status->signal;
  return status->exit_code;
}
