// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `codesphere.sandbox`: Spec (with its limits), launchers, sandboxes and processes.
// Starting, running, waiting and stopping block, so they release the GIL.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codesphere/sandbox/launcher.h"
#include "codesphere/sandbox/linux_namespace_launcher.h"
#include "codesphere/sandbox/process.h"
#include "codesphere/sandbox/process_launcher.h"
#include "codesphere/sandbox/spec.h"
#include "codesphere/sandbox/workspace_volume.h"
#include "convert.h"
#include "status.h"

namespace codesphere::python {
namespace {

using namespace pybind11::literals;  // NOLINT(build/namespaces)

template <typename F>
auto Blocking(F&& f) {
  auto result = [&] {
    py::gil_scoped_release release;
    return f();
  }();
  if constexpr (std::is_same_v<decltype(result), Status>) {
    ThrowIfError(result);
  } else {
    return Unwrap(std::move(result));
  }
}

sandbox::Stdio StdioArg(const std::string& mode) {
  if (mode == "null") return sandbox::Stdio::Null();
  if (mode == "pipe") return sandbox::Stdio::Pipe();
  ThrowStatus(InvalidArgumentError("stdio must be 'null' or 'pipe', not '" + mode + "'"));
}

sandbox::ProcessOptions ProcessOptionsArg(std::vector<std::string> argv,
                                          const std::map<std::string, std::string>& env,
                                          std::string cwd) {
  sandbox::ProcessOptions options;
  options.argv = std::move(argv);
  for (const auto& [k, v] : env) options.env.emplace_back(k, v);
  options.cwd = std::move(cwd);
  return options;
}

// A Launcher and the sandboxes it started share ownership, so a Sandbox never outlives the
// launcher that implements it.
struct PyLauncher {
  std::shared_ptr<sandbox::Launcher> launcher;
};
struct PySandbox {
  std::shared_ptr<sandbox::Launcher> launcher;
  std::unique_ptr<sandbox::Sandbox> sandbox;
  sandbox::Sandbox& get() {
    if (!sandbox) ThrowStatus(FailedPreconditionError("sandbox was closed"));
    return *sandbox;
  }
};
struct PyProcess {
  std::shared_ptr<sandbox::Launcher> launcher;
  std::unique_ptr<sandbox::Process> process;
};

void RegisterSpec(py::module_& m) {
  py::class_<sandbox::Limits>(m, "Limits", "Resource limits; 0 means no limit.")
      .def(py::init<>())
      .def_readwrite("memory_bytes", &sandbox::Limits::memory_bytes)
      .def_readwrite("pids", &sandbox::Limits::pids)
      .def_readwrite("cpu_millis", &sandbox::Limits::cpu_millis)
      .def_readwrite("cpu_time_seconds", &sandbox::Limits::cpu_time_seconds)
      .def_readwrite("wall_time_ms", &sandbox::Limits::wall_time_ms)
      .def_readwrite("open_files", &sandbox::Limits::open_files)
      .def_readwrite("file_size_bytes", &sandbox::Limits::file_size_bytes)
      .def_readwrite("output_bytes", &sandbox::Limits::output_bytes);
  py::class_<sandbox::User>(m, "User", "The identity processes run as inside.")
      .def(py::init<>())
      .def_readwrite("uid", &sandbox::User::uid)
      .def_readwrite("gid", &sandbox::User::gid)
      .def_readwrite("name", &sandbox::User::name);
  py::class_<sandbox::RootFs>(m, "RootFs", "How the sandbox root is composed.")
      .def(py::init<>())
      .def_readwrite("workspace", &sandbox::RootFs::workspace)
      .def_readwrite("workspace_target", &sandbox::RootFs::workspace_target)
      .def_readwrite("tmp_size_bytes", &sandbox::RootFs::tmp_size_bytes)
      .def_readwrite("shm_size_bytes", &sandbox::RootFs::shm_size_bytes)
      .def_readwrite("workspace_size_bytes", &sandbox::RootFs::workspace_size_bytes,
                     "Caps the whole workspace (an ext4 image on a loop device mounted on it); "
                     "0 = uncapped.")
      .def_readwrite("workspace_image", &sandbox::RootFs::workspace_image,
                     "The capped workspace's image file; empty = '<workspace>.img'.")
      .def(
          "add_bind",
          [](sandbox::RootFs& r, std::string source, std::string target, bool read_only,
             bool optional) {
            r.binds.push_back({std::move(source), std::move(target), read_only, optional});
          },
          "source"_a, "target"_a, "read_only"_a = true, "optional"_a = false)
      .def(
          "add_file",
          [](sandbox::RootFs& r, std::string path, std::string contents, std::uint32_t mode) {
            r.files.push_back({std::move(path), std::move(contents), mode});
          },
          "path"_a, "contents"_a, "mode"_a = 0644)
      .def_property_readonly("binds", [](const sandbox::RootFs& r) {
        py::list out;
        for (const auto& b : r.binds) {
          out.append(py::make_tuple(b.source, b.target, b.read_only, b.optional));
        }
        return out;
      });
  py::class_<sandbox::Spec>(m, "Spec", "The declarative description of a sandbox.")
      .def(py::init<>())
      .def_static("default", &sandbox::DefaultSpec, "workspace"_a,
                  "A ready-to-use spec: host /usr read-only, generated /etc, `workspace` "
                  "bound read-write at /workspace.")
      .def_static(
          "from_json", [](std::string_view json) { return Unwrap(sandbox::SpecFromJson(json)); },
          "json"_a)
      .def("to_json", [](const sandbox::Spec& s) { return Unwrap(sandbox::SpecToJson(s)); })
      .def("validate", [](const sandbox::Spec& s) { ThrowIfError(sandbox::ValidateSpec(s)); })
      .def_readwrite("rootfs", &sandbox::Spec::rootfs)
      .def_readwrite("user", &sandbox::Spec::user)
      .def_readwrite("hostname", &sandbox::Spec::hostname)
      .def_readwrite("env", &sandbox::Spec::env)
      .def_readwrite("env_passthrough", &sandbox::Spec::env_passthrough)
      .def_readwrite("cwd", &sandbox::Spec::cwd)
      .def_readwrite("limits", &sandbox::Spec::limits);
  m.def(
      "parse_byte_size", [](std::string_view text) { return Unwrap(sandbox::ParseByteSize(text)); },
      "text"_a, "'256M' -> 268435456 (powers of 1024).");
}

void RegisterExitStatus(py::module_& m) {
  py::class_<sandbox::ExitStatus>(m, "ExitStatus", "How a process ended.")
      .def_readonly("exit_code", &sandbox::ExitStatus::exit_code)
      .def_readonly("signal", &sandbox::ExitStatus::signal)
      .def_readonly("oom_killed", &sandbox::ExitStatus::oom_killed)
      .def_readonly("wall_time_exceeded", &sandbox::ExitStatus::wall_time_exceeded)
      .def_readonly("cpu_time_exceeded", &sandbox::ExitStatus::cpu_time_exceeded)
      .def_readonly("output_limit_exceeded", &sandbox::ExitStatus::output_limit_exceeded)
      .def_property_readonly("success", &sandbox::ExitStatus::success)
      .def("__str__", &sandbox::ExitStatus::ToString)
      .def("__repr__", [](const sandbox::ExitStatus& s) { return "ExitStatus(" + s.ToString() + ")"; });
}

void RegisterProcess(py::module_& m) {
  py::class_<PyProcess>(m, "Process",
                        "A process in a sandbox; killed and reaped if dropped before it ended.")
      .def_property_readonly("pid", [](const PyProcess& p) { return p.process->pid(); })
      .def(
          "wait",
          [](PyProcess& p, std::optional<double> timeout) {
            if (!timeout) return Blocking([&] { return p.process->Wait(); });
            const auto ms = std::chrono::milliseconds(static_cast<std::int64_t>(*timeout * 1000));
            return Blocking([&] { return p.process->WaitFor(ms); });
          },
          "timeout"_a = py::none(),
          "Waits for the end (seconds; raises DeadlineExceededError after `timeout`). "
          "Releases the GIL.")
      .def(
          "signal", [](PyProcess& p, int signal) { ThrowIfError(p.process->Signal(signal)); },
          "signal"_a)
      .def("take_stdin", [](PyProcess& p) { return p.process->TakeStdinPipe().release(); },
           "The supervisor end of a 'pipe' stdin as an fd you own (-1 if not a pipe).")
      .def("take_stdout", [](PyProcess& p) { return p.process->TakeStdoutPipe().release(); })
      .def("take_stderr", [](PyProcess& p) { return p.process->TakeStderrPipe().release(); });
}

py::dict RunOutputToPy(sandbox::RunOutput out) {
  py::dict d;
  d["status"] = out.status;
  d["stdout"] = py::bytes(out.stdout_data);
  d["stderr"] = py::bytes(out.stderr_data);
  return d;
}

void RegisterSandboxAndLauncher(py::module_& m) {
  py::class_<PySandbox>(m, "Sandbox", "A running sandbox; `with` stops it at the end.")
      .def_property_readonly("id", [](PySandbox& s) { return s.get().id(); })
      .def(
          "spawn",
          [](PySandbox& s, std::vector<std::string> argv, std::map<std::string, std::string> env,
             std::string cwd, const std::string& stdin_mode, const std::string& stdout_mode,
             const std::string& stderr_mode) {
            sandbox::ProcessOptions options =
                ProcessOptionsArg(std::move(argv), env, std::move(cwd));
            options.stdin_stdio = StdioArg(stdin_mode);
            options.stdout_stdio = StdioArg(stdout_mode);
            options.stderr_stdio = StdioArg(stderr_mode);
            sandbox::Sandbox& sb = s.get();
            return PyProcess{s.launcher, Blocking([&] { return sb.Spawn(options); })};
          },
          "argv"_a, "env"_a = std::map<std::string, std::string>{}, "cwd"_a = "",
          "stdin"_a = "null", "stdout"_a = "null", "stderr"_a = "null",
          "Starts `argv` inside; stdio is 'null' or 'pipe' (take the ends from the Process).")
      .def(
          "run",
          [](PySandbox& s, std::vector<std::string> argv, std::map<std::string, std::string> env,
             std::string cwd, std::uint64_t output_limit) {
            sandbox::ProcessOptions options =
                ProcessOptionsArg(std::move(argv), env, std::move(cwd));
            sandbox::Sandbox& sb = s.get();
            return RunOutputToPy(
                Blocking([&] { return sandbox::RunAndCollect(sb, options, output_limit); }));
          },
          "argv"_a, "env"_a = std::map<std::string, std::string>{}, "cwd"_a = "",
          "output_limit"_a = 0,
          "Runs `argv` to the end and returns {'status': ExitStatus, 'stdout': bytes, "
          "'stderr': bytes}; output beyond `output_limit` bytes (0: none) kills it. Releases "
          "the GIL.")
      .def(
          "connect",
          [](PySandbox& s, std::uint16_t port, double timeout) {
            sandbox::Sandbox& sb = s.get();
            const auto ms = std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1000));
            return Blocking([&] { return sb.Connect(port, ms); }).release();
          },
          "port"_a, "timeout"_a = 5.0,
          "Connects to `port` on the sandbox's own loopback from the host; returns the socket "
          "fd (yours: `socket.socket(fileno=fd)`). Raises UnavailableError when nothing "
          "listens. Releases the GIL.")
      .def("stats",
           [](PySandbox& s) {
             sandbox::Sandbox& sb = s.get();
             sandbox::SandboxStats st = Blocking([&] { return sb.Stats(); });
             py::dict d;
             d["memory_bytes"] = st.memory_bytes;
             d["memory_peak_bytes"] = st.memory_peak_bytes;
             d["pids"] = st.pids;
             d["cpu_usage_ns"] = st.cpu_usage_ns;
             d["oom_kills"] = st.oom_kills;
             d["workspace_size_bytes"] = st.workspace_size_bytes;
             d["workspace_used_bytes"] = st.workspace_used_bytes;
             return d;
           })
      .def("stop",
           [](PySandbox& s) {
             if (!s.sandbox) return;
             Blocking([&] { return s.sandbox->Stop(); });
           })
      .def("__enter__", [](PySandbox& s) -> PySandbox& { return s; },
           py::return_value_policy::reference)
      .def("__exit__", [](PySandbox& s, py::args) {
        if (s.sandbox) Blocking([&] { return s.sandbox->Stop(); });
        return false;
      });

  py::class_<PyLauncher>(m, "Launcher", "Starts sandboxes from Specs.")
      .def(
          "start",
          [](PyLauncher& l, const sandbox::Spec& spec) {
            return PySandbox{l.launcher, Blocking([&] { return l.launcher->Start(spec); })};
          },
          "spec"_a, "Starts (launches) a sandbox. Releases the GIL.");

  m.def("probe_workspace_volume_support",
        [] { Blocking([] { return sandbox::ProbeWorkspaceVolumeSupport(); }); },
        "Raises an Error saying why this host cannot cap workspaces (root, loop devices, "
        "ext4, e2fsprogs are needed).");
  m.def("probe_linux_namespace_support",
        [] { Blocking([] { return sandbox::ProbeLinuxNamespaceSupport(); }); },
        "Raises FailedPreconditionError/PermissionDeniedError saying what this host lacks.");
  m.def(
      "linux_namespace_launcher",
      [] {
        return PyLauncher{std::shared_ptr<sandbox::Launcher>(
            Blocking([] { return sandbox::NewLinuxNamespaceLauncher(); }))};
      },
      "The isolating launcher (namespaces, cgroups, seccomp); needs root.");
  m.def(
      "process_launcher_without_isolation",
      [] {
        return PyLauncher{
            std::shared_ptr<sandbox::Launcher>(sandbox::NewProcessLauncherWithoutIsolation())};
      },
      "Runs programs as plain host processes: NO ISOLATION. Development only.");
}

}  // namespace

void RegisterSandbox(py::module_& parent) {
  py::module_ m = parent.def_submodule("sandbox", "Sandboxes (codesphere::sandbox).");
  RegisterSpec(m);
  RegisterExitStatus(m);
  RegisterProcess(m);
  RegisterSandboxAndLauncher(m);
}

}  // namespace codesphere::python
