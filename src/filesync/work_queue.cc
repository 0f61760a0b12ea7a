// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "filesync/work_queue.h"

namespace codesphere::filesync::internal {

Status ParallelFor(std::size_t n, int threads, const std::function<Status(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first;
  auto body = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok()) first = std::move(s);
        failed = true;
      }
    }
  };
  int t = std::max(1, std::min<int>(threads, static_cast<int>(n)));
  std::vector<std::thread> pool;
  for (int i = 1; i < t; ++i) pool.emplace_back(body);
  body();
  for (auto& th : pool) th.join();
  return first;
}

JobQueue::JobQueue(int threads, std::size_t max_pending) : max_pending_(std::max<std::size_t>(1, max_pending)) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
}

JobQueue::~JobQueue() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void JobQueue::Submit(std::function<Status()> job) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return jobs_.size() < max_pending_ || !first_error_.ok(); });
  if (!first_error_.ok()) return;
  jobs_.push_back(std::move(job));
  cv_.notify_all();
}

Status JobQueue::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return (jobs_.empty() && running_ == 0); });
  return first_error_;
}

Status JobQueue::error() {
  std::lock_guard<std::mutex> lock(mu_);
  return first_error_;
}

void JobQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stop_ and drained.
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    ++running_;
    bool skip = !first_error_.ok();
    cv_.notify_all();
    lock.unlock();
    Status s = skip ? OkStatus() : job();
    lock.lock();
    --running_;
    if (!s.ok() && first_error_.ok()) {
      first_error_ = std::move(s);
      jobs_.clear();
    }
    cv_.notify_all();
  }
}

}  // namespace codesphere::filesync::internal
