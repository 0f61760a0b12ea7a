// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The thread that clone()s every sandbox process of a launcher. One long-lived thread,
// because (a) PR_SET_PDEATHSIG fires when the *thread* that created a child exits, and the
// sandbox init uses it to die with the supervisor, and (b) entering a sandbox's pid
// namespace is a per-thread setns(CLONE_NEWPID) that must not leak into other threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "codesphere/base/thread_annotations.h"
#include "codesphere/base/unique_function.h"

namespace codesphere::sandbox::internal {

// Thread-safety: thread-safe.
class Spawner {
 public:
  Spawner();
  ~Spawner();  // Joins the thread.
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  // Runs `job` on the spawner thread and waits for it.
  void Run(unique_function<void()> job);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<unique_function<void()>*> jobs_ CODESPHERE_GUARDED_BY(mu_);
  bool done_ CODESPHERE_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace codesphere::sandbox::internal
