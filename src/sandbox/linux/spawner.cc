// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "sandbox/linux/spawner.h"

#include <future>

namespace codesphere::sandbox::internal {

Spawner::Spawner() : thread_([this] { Loop(); }) {}

Spawner::~Spawner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Spawner::Run(unique_function<void()> job) {
  std::promise<void> finished;
  std::future<void> wait = finished.get_future();
  unique_function<void()> wrapped = [&job, &finished] {
    job();
    finished.set_value();
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(&wrapped);
  }
  cv_.notify_all();
  wait.wait();
}

void Spawner::Loop() {
  for (;;) {
    unique_function<void()>* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return done_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = jobs_.front();
      jobs_.pop_front();
    }
    (*job)();
  }
}

}  // namespace codesphere::sandbox::internal
