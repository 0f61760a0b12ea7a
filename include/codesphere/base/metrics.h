// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// A metrics registry (counters, gauges, histograms with labels) rendered in the Prometheus
// text exposition format 0.0.4, for `/metrics` endpoints.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codesphere/base/result.h"
#include "codesphere/base/thread_annotations.h"

namespace codesphere {

// Label pairs of one series, e.g. {{"room", "notes"}}. Order is kept as given.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
// Thread-safety: thread-safe.
class Counter {
 public:
  void Increment(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
// Thread-safety: thread-safe.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into cumulative buckets with upper bounds `le`, plus sum and count.
// Thread-safety: thread-safe.
class Histogram {
 public:
  // REQUIRES: `bounds` strictly increasing and finite.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count per bucket; the last entry is the +Inf bucket.
  std::vector<std::uint64_t> BucketCounts() const;
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Bucket bounds `start, start*factor, …` (`count` of them). REQUIRES: start > 0, factor > 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// Owns metrics and renders them. Families are identified by name; each (name, labels) pair
// is one series. Adding an existing series returns the existing object.
//
// Thread-safety: thread-safe. Returned references live as long as the registry.
class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Returns the counter series, creating it. A name already used by another metric type or
  // an invalid name/label is a programming error (CHECK); validate untrusted names with
  // `IsValidMetricName` first.
  Counter& AddCounter(std::string_view name, std::string_view help, MetricLabels labels = {});
  Gauge& AddGauge(std::string_view name, std::string_view help, MetricLabels labels = {});
  // A gauge whose value is read from `fn` at render time (e.g. the number of open rooms).
  // `fn` runs on the rendering thread and must be thread-safe.
  void AddCallbackGauge(std::string_view name, std::string_view help, std::function<double()> fn,
                        MetricLabels labels = {});
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          std::vector<double> bounds, MetricLabels labels = {});

  // The whole registry in Prometheus text format, families in registration order.
  std::string RenderPrometheus() const;

 private:
  struct Family;
  Family& FamilyFor(std::string_view name, std::string_view help, int type)
      CODESPHERE_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_ CODESPHERE_GUARDED_BY(mu_);
};

// True for names matching `[a-zA-Z_:][a-zA-Z0-9_:]*` (labels: no colon).
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace codesphere
