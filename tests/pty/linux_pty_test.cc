// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0

#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "codesphere/pty/pty.h"
#include "tests/pty/pty_test_util.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::pty {
namespace {

using ::codesphere::pty::testing::RunCoroutine;
using ::codesphere::pty::testing::RunUntil;
using ::codesphere::testing::StatusIs;

ProcessStarter Sh(std::string script) {
  return NewLocalProcessStarter(LocalProcessOptions{{"/bin/sh", "-c", std::move(script)}, {}, {}});
}

// Reads until `marker` appears in the output (or the output ends).
asio::awaitable<std::string> ReadUntil(Pty& pty, std::string marker) {
  std::string out;
  std::uint8_t buf[4096];
  while (out.find(marker) == std::string::npos) {
    auto n = co_await pty.Read(buf);
    if (!n.ok() || *n == 0) break;
    out.append(reinterpret_cast<char*>(buf), *n);
  }
  co_return out;
}

asio::awaitable<std::string> ReadAll(Pty& pty) { return ReadUntil(pty, std::string(1, '\0')); }

class LinuxPtyTest : public ::testing::Test {
 protected:
  std::unique_ptr<Pty> Open(ProcessStarter starter, WindowSize size = {}) {
    auto pty = NewLinuxPty(io_.get_executor(), PtyOptions{size, true}, std::move(starter));
    EXPECT_OK(pty);
    return pty.ok() ? std::move(*pty) : nullptr;
  }
  asio::io_context io_;
};

TEST_F(LinuxPtyTest, RunsTheProcessOnTheTerminalAndReportsItsExit) {
  auto pty = Open(Sh("test -t 0 && test -t 1 && echo on-a-tty; exit 7"));
  ASSERT_NE(pty, nullptr);
  EXPECT_GT(pty->process().pid(), 0);
  auto out = RunCoroutine(io_, ReadAll(*pty));
  ASSERT_TRUE(out.has_value());
  EXPECT_NE(out->find("on-a-tty"), std::string::npos) << *out;
  auto status = RunCoroutine(io_, pty->Wait());
  ASSERT_TRUE(status.has_value());
  ASSERT_OK(*status);
  EXPECT_EQ(**status, (ExitStatus{7, 0}));
}

TEST_F(LinuxPtyTest, ProcessIsSessionLeaderWithTheSlaveAsControllingTerminal) {
  // The session id (field 6 of /proc/PID/stat) is the pid, and /dev/tty opens: the slave is the controlling tty.
  auto pty = Open(Sh("echo sid=$(cut -d' ' -f6 /proc/$$/stat) pid=$$; echo x > /dev/tty && echo ctty-ok"));
  ASSERT_NE(pty, nullptr);
  auto out = RunCoroutine(io_, ReadAll(*pty));
  ASSERT_TRUE(out.has_value());
  const std::string pid = std::to_string(pty->process().pid());
  EXPECT_NE(out->find("sid=" + pid + " pid=" + pid), std::string::npos) << *out;
  EXPECT_NE(out->find("ctty-ok"), std::string::npos) << *out;
}

TEST_F(LinuxPtyTest, InputReachesTheProgramAndResizeIsSeen) {
  auto pty = Open(Sh("stty size; read line; echo got:$line; stty size"), WindowSize{100, 30});
  ASSERT_NE(pty, nullptr);
  auto first = RunCoroutine(io_, ReadUntil(*pty, "30 100"));
  ASSERT_TRUE(first.has_value());
  EXPECT_NE(first->find("30 100"), std::string::npos) << *first;
  ASSERT_OK(pty->Resize(WindowSize{132, 43}));
  EXPECT_EQ(pty->size(), (WindowSize{132, 43}));
  auto wrote = RunCoroutine(io_, pty->Write(AsBytes("hello\r")));
  ASSERT_TRUE(wrote.has_value());
  ASSERT_OK(*wrote);
  auto rest = RunCoroutine(io_, ReadAll(*pty));
  ASSERT_TRUE(rest.has_value());
  EXPECT_NE(rest->find("got:hello"), std::string::npos) << *rest;
  EXPECT_NE(rest->find("43 132"), std::string::npos) << *rest;
}

// Reads with a big buffer (several kernel chunks per Read, as the multiplexer does) until
// `marker` appears in the output or the output ends.
asio::awaitable<std::string> ReadBigUntil(Pty& pty, std::string marker) {
  std::string out;
  std::vector<std::uint8_t> buf(64 << 10);
  while (out.find(marker) == std::string::npos) {
    auto n = co_await pty.Read(buf);
    if (!n.ok() || *n == 0) break;
    out.append(reinterpret_cast<char*>(buf.data()), *n);
  }
  co_return out;
}

// Compares megabytes of output (EXPECT_EQ would print them all on a mismatch).
void ExpectSameOutput(const std::string& got, const std::string& expected) {
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

std::string Seq(int from, int to) {
  std::string s;
  for (int i = from; i <= to; ++i) s += std::to_string(i) + "\n";
  return s;
}

// Streamed output (megabytes, read while the program writes) arrives whole and in order, and
// when the program pauses mid-stream a read returns what came so far instead of waiting for
// more (the streaming read gives up its wait for the next chunk).
TEST_F(LinuxPtyTest, StreamedOutputArrivesWholeAndAPauseEndsTheBatch) {
  auto pty = Open(Sh("stty raw -echo; seq 1 150000; echo PAUSED; read x; "
                     "seq 150001 300000; echo END"));
  ASSERT_NE(pty, nullptr);
  auto first = RunCoroutine(io_, ReadBigUntil(*pty, "PAUSED\n"));
  ASSERT_TRUE(first.has_value());
  ExpectSameOutput(*first, Seq(1, 150000) + "PAUSED\n");
  auto wrote = RunCoroutine(io_, pty->Write(AsBytes("go\n")));
  ASSERT_TRUE(wrote.has_value());
  ASSERT_OK(*wrote);
  auto rest = RunCoroutine(io_, ReadBigUntil(*pty, std::string(1, '\0')));
  ASSERT_TRUE(rest.has_value());
  ExpectSameOutput(*rest, Seq(150001, 300000) + "END\n");
}

// Input that has to wait for the program (it reads only once its output is done) while that
// output streams: the write completes once the program reads, and neither stream loses or
// reorders a byte (a streaming read must not cancel the write's wait for room).
TEST_F(LinuxPtyTest, InputWaitingForRoomSurvivesStreamedOutput) {
  auto pty = Open(Sh("stty raw -echo; echo READY; seq 1 400000; "
                     "head -c 300000 | wc -c; echo DONE"));
  ASSERT_NE(pty, nullptr);
  auto ready = RunCoroutine(io_, ReadBigUntil(*pty, "READY\n"));
  ASSERT_TRUE(ready.has_value());
  ASSERT_NE(ready->find("READY\n"), std::string::npos) << *ready;
  std::string out = ready->substr(ready->find("READY\n") + 6);
  const std::string input(300000, 'x');
  std::optional<Status> wrote;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    wrote = co_await pty->Write(AsBytes(input));
  }, asio::detached);
  auto rest = RunCoroutine(io_, ReadBigUntil(*pty, std::string(1, '\0')));
  ASSERT_TRUE(rest.has_value());
  out += *rest;
  ASSERT_TRUE(wrote.has_value());
  EXPECT_OK(*wrote);
  ExpectSameOutput(out, Seq(1, 400000) + "300000\nDONE\n");
}

TEST_F(LinuxPtyTest, SignalReachesTheForegroundProcessGroup) {
  auto pty = Open(Sh("trap 'echo caught-int; exit 3' INT; echo ready; while :; do sleep 0.05; done"));
  ASSERT_NE(pty, nullptr);
  ASSERT_TRUE(RunCoroutine(io_, ReadUntil(*pty, "ready")).has_value());
  ASSERT_OK(pty->Signal(SIGINT));
  auto out = RunCoroutine(io_, ReadAll(*pty));
  ASSERT_TRUE(out.has_value());
  EXPECT_NE(out->find("caught-int"), std::string::npos) << *out;
  auto status = RunCoroutine(io_, pty->Wait());
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(**status, (ExitStatus{3, 0}));
}

TEST_F(LinuxPtyTest, ReportsDeathBySignal) {
  auto pty = Open(Sh("echo ready; exec sleep 60"));
  ASSERT_NE(pty, nullptr);
  ASSERT_TRUE(RunCoroutine(io_, ReadUntil(*pty, "ready")).has_value());
  ASSERT_OK(pty->Signal(SIGTERM));
  auto status = RunCoroutine(io_, pty->Wait());
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(**status, (ExitStatus{0, SIGTERM}));
}

TEST_F(LinuxPtyTest, BadRequestsGetErrors) {
  auto pty = Open(Sh("exec cat"));
  ASSERT_NE(pty, nullptr);
  EXPECT_THAT(pty->Resize(WindowSize{0, 24}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(pty->Signal(0), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(pty->Signal(100000), StatusIs(StatusCode::kInvalidArgument));
  pty->Close();
  std::uint8_t buf[16];
  auto n = RunCoroutine(io_, pty->Read(buf));
  ASSERT_TRUE(n.has_value());
  EXPECT_THAT(*n, StatusIs(StatusCode::kCancelled));
  auto w = RunCoroutine(io_, pty->Write(AsBytes("x")));
  ASSERT_TRUE(w.has_value());
  EXPECT_THAT(*w, StatusIs(StatusCode::kCancelled));
}

// The kernel reads happen on the Pty's reader thread: closing while a flood is being read
// must cancel the pending Read, stop that thread, and leave nothing writing into freed
// buffers (run under ASan by `make test-asan`).
TEST_F(LinuxPtyTest, ClosingDuringAFloodCancelsThePendingRead) {
  auto pty = Open(Sh("exec yes"));
  ASSERT_NE(pty, nullptr);
  std::size_t total = 0;
  std::optional<Status> last;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        std::vector<std::uint8_t> buf(65536);
        for (;;) {
          auto n = co_await pty->Read(buf);
          if (!n.ok()) {
            last = n.error();
            co_return;
          }
          if (*n == 0) {
            last = OkStatus();
            co_return;
          }
          total += *n;
        }
      },
      asio::detached);
  ASSERT_TRUE(RunUntil(io_, [&] { return total >= (1u << 20); }));
  pty->Close();
  ASSERT_TRUE(RunUntil(io_, [&] { return last.has_value(); }));
  EXPECT_THAT(*last, StatusIs(StatusCode::kCancelled));
  pty.reset();
}

TEST_F(LinuxPtyTest, StarterErrorsAreReturned) {
  auto missing = NewLinuxPty(io_.get_executor(), PtyOptions{},
                             NewLocalProcessStarter({{"/nonexistent/program"}, {}, {}}));
  EXPECT_THAT(missing, StatusIs(StatusCode::kNotFound));
  auto empty = NewLinuxPty(io_.get_executor(), PtyOptions{}, NewLocalProcessStarter({}));
  EXPECT_THAT(empty, StatusIs(StatusCode::kInvalidArgument));
  auto zero = NewLinuxPty(io_.get_executor(), PtyOptions{WindowSize{0, 0}, true}, Sh("true"));
  EXPECT_THAT(zero, StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(LinuxPtyTest, DestroyingThePtyKillsAndReapsTheProcess) {
  int pid = -1;
  {
    auto pty = Open(Sh("trap '' HUP; echo ready; exec sleep 60"));
    ASSERT_NE(pty, nullptr);
    pid = pty->process().pid();
    ASSERT_TRUE(RunCoroutine(io_, ReadUntil(*pty, "ready")).has_value());
  }
  // Reaped: the pid no longer names a process (not even a zombie) of ours.
  EXPECT_NE(::kill(pid, 0), 0);
}

}  // namespace
}  // namespace codesphere::pty
