// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Small threading helpers for snapshot work: a parallel-for over an index range and a bounded
// queue of blocking jobs (uploads) that remembers the first error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "codesphere/base/status.h"
#include "codesphere/base/thread_annotations.h"

namespace codesphere::filesync::internal {

// Runs fn(i) for i in [0, n) on `threads` threads (dynamic scheduling); stops handing out new
// indexes after the first error and returns it.
Status ParallelFor(std::size_t n, int threads, const std::function<Status(std::size_t)>& fn);

// A fixed pool running submitted jobs; Submit blocks while `max_pending` jobs wait.
//
// Thread-safety: thread-safe.
class JobQueue {
 public:
  JobQueue(int threads, std::size_t max_pending);
  ~JobQueue();  // Waits for all jobs.
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // Queues `job` (dropped if an earlier job failed).
  void Submit(std::function<Status()> job);
  // Waits until every submitted job ran; returns the first error.
  Status Wait();
  // The first error so far (OK if none).
  Status error();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<Status()>> jobs_ CODESPHERE_GUARDED_BY(mu_);
  std::size_t running_ CODESPHERE_GUARDED_BY(mu_) = 0;
  bool stop_ CODESPHERE_GUARDED_BY(mu_) = false;
  Status first_error_ CODESPHERE_GUARDED_BY(mu_);
  const std::size_t max_pending_;
  std::vector<std::thread> threads_;
};

}  // namespace codesphere::filesync::internal
