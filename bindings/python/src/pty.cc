// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `codesphere.pty`: pseudo-terminals running a local process, read and written from Python.
// The C++ Pty is async (Asio); each Python `Pty` owns a Runtime (an io_context and one
// thread, STYLE.md §13) on which every call runs, while the calling Python thread waits
// with the GIL released. The io thread never touches Python objects.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/use_future.hpp>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codesphere/pty/pty.h"
#include "convert.h"
#include "status.h"

namespace codesphere::python {
namespace {

using namespace pybind11::literals;  // NOLINT(build/namespaces)

// An io_context with one thread, running until destroyed.
class Runtime {
 public:
  Runtime() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~Runtime() {
    guard_.reset();
    thread_.join();
  }
  asio::io_context& io() { return io_; }

  // Runs `f()` (returning awaitable<T>) on the io thread and waits, GIL released.
  // co_spawn's completion needs a default-constructible value, hence the optional.
  template <typename T, typename F>
  T Run(F&& f) {
    std::future<std::optional<T>> done = asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<std::optional<T>> { co_return std::optional<T>(co_await f()); },
        asio::use_future);
    py::gil_scoped_release release;
    return std::move(*done.get());
  }
  // Runs `f()` (a plain call) on the io thread and waits, GIL released.
  template <typename F>
  auto Call(F&& f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::forward<F>(f));
    auto done = task.get_future();
    asio::post(io_, [&task] { task(); });
    py::gil_scoped_release release;
    return done.get();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// A Pty with its runtime. The Pty is created, used and destroyed on the runtime's thread.
class PyPty {
 public:
  PyPty(std::vector<std::string> argv, std::vector<std::string> env, std::string cwd,
        pty::WindowSize size) {
    pty::LocalProcessOptions options{std::move(argv), std::move(env), std::move(cwd)};
    pty::PtyOptions pty_options;
    pty_options.size = size;
    pty_ = Unwrap(runtime_.Call([&] {
      return pty::NewLinuxPty(runtime_.io().get_executor(), pty_options,
                              pty::NewLocalProcessStarter(std::move(options)));
    }));
  }
  ~PyPty() {
    runtime_.Call([this] { pty_.reset(); });
  }

  py::bytes Read(std::size_t max_bytes) {
    if (max_bytes == 0) ThrowStatus(InvalidArgumentError("max_bytes must be > 0"));
    std::vector<std::uint8_t> buffer(max_bytes);
    pty::Pty& p = *pty_;
    const std::size_t n = Unwrap(runtime_.Run<Result<std::size_t>>(
        [&] { return p.Read(std::span<std::uint8_t>(buffer.data(), buffer.size())); }));
    return ToPyBytes(ByteSpan(buffer.data(), n));
  }
  void Write(const py::object& data) {
    BytesArg bytes(data);
    const ByteSpan span = bytes.span();
    pty::Pty& p = *pty_;
    ThrowIfError(runtime_.Run<Status>([&] { return p.Write(span); }));
  }
  pty::ExitStatus Wait() {
    pty::Pty& p = *pty_;
    return Unwrap(runtime_.Run<Result<pty::ExitStatus>>([&] { return p.Wait(); }));
  }
  void Resize(std::uint16_t cols, std::uint16_t rows) {
    ThrowIfError(runtime_.Call([&] { return pty_->Resize({cols, rows}); }));
  }
  pty::WindowSize size() {
    return runtime_.Call([&] { return pty_->size(); });
  }
  void Signal(int signo) {
    ThrowIfError(runtime_.Call([&] { return pty_->Signal(signo); }));
  }
  void Kill(int signo) {
    ThrowIfError(runtime_.Call([&] { return pty_->process().Kill(signo); }));
  }
  int pid() {
    return runtime_.Call([&] { return pty_->process().pid(); });
  }
  void Close() {
    runtime_.Call([&] { pty_->Close(); });
  }

 private:
  Runtime runtime_;
  std::unique_ptr<pty::Pty> pty_;
};

}  // namespace

void RegisterPty(py::module_& parent) {
  py::module_ m = parent.def_submodule("pty", "Pseudo-terminals (codesphere::pty).");
  py::class_<pty::ExitStatus>(m, "ExitStatus", "How the terminal's process ended.")
      .def_readonly("code", &pty::ExitStatus::code)
      .def_readonly("signal", &pty::ExitStatus::signal)
      .def("__repr__", [](const pty::ExitStatus& s) {
        return "ExitStatus(code=" + std::to_string(s.code) +
               ", signal=" + std::to_string(s.signal) + ")";
      });
  py::class_<PyPty>(m, "Pty",
                    "A pseudo-terminal running a local, unisolated process (for sandboxed "
                    "terminals the server wires a sandbox in). Blocking calls release the GIL; "
                    "use one reader and one writer thread at most.")
      .def(py::init([](std::vector<std::string> argv, std::vector<std::string> env,
                       std::string cwd, std::uint16_t cols, std::uint16_t rows) {
             if (argv.empty()) ThrowStatus(InvalidArgumentError("argv must not be empty"));
             return std::make_unique<PyPty>(std::move(argv), std::move(env), std::move(cwd),
                                            pty::WindowSize{cols, rows});
           }),
           "argv"_a, "env"_a = std::vector<std::string>{}, "cwd"_a = "", "cols"_a = 80,
           "rows"_a = 24,
           "Starts `argv` on a new terminal. `env` is the full environment as NAME=value "
           "(empty: this process's, with TERM=xterm-256color).")
      .def("read", &PyPty::Read, "max_bytes"_a = 65536,
           "Waits for output and returns what is there (up to `max_bytes`); b'' at the end.")
      .def("write", &PyPty::Write, "data"_a, "Writes terminal input (all of it).")
      .def("wait", &PyPty::Wait, "Waits until the process exits. Call at most once.")
      .def("resize", &PyPty::Resize, "cols"_a, "rows"_a)
      .def_property_readonly("size",
                             [](PyPty& p) {
                               pty::WindowSize s = p.size();
                               return py::make_tuple(s.cols, s.rows);
                             })
      .def("signal", &PyPty::Signal, "signal"_a,
           "Sends `signal` to the terminal's foreground process group (as Ctrl-C would).")
      .def("kill", &PyPty::Kill, "signal"_a, "Sends `signal` to the process itself.")
      .def_property_readonly("pid", &PyPty::pid)
      .def("close", &PyPty::Close, "Hangs up (the process gets SIGHUP). Idempotent.")
      .def("__enter__", [](PyPty& p) -> PyPty& { return p; }, py::return_value_policy::reference)
      .def("__exit__", [](PyPty& p, py::args) {
        p.Close();
        return false;
      });
  m.def(
      "parse_signal", [](std::string_view name) { return Unwrap(pty::ParseTerminalSignal(name)); },
      "name"_a, "'INT', 'SIGINT' or '2' -> 2, for the signals terminal clients may send.");
}

}  // namespace codesphere::python
