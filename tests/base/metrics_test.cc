// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace codesphere {
namespace {

TEST(MetricsTest, RendersPrometheusTextFormat) {
  MetricsRegistry reg;
  reg.AddCounter("codesphere_messages_total", "Messages received.", {{"kind", "sync"}})
      .Increment(3);
  reg.AddCounter("codesphere_messages_total", "Messages received.", {{"kind", "awareness"}})
      .Increment();
  reg.AddGauge("codesphere_rooms", "Open rooms.").Set(2);
  reg.AddCallbackGauge("codesphere_peers", "Connected peers.", [] { return 7.0; });
  Histogram& h =
      reg.AddHistogram("codesphere_fsync_seconds", "Log fsync latency.", {0.001, 0.01, 0.1});
  h.Observe(0.0005);
  h.Observe(0.005);
  h.Observe(5);
  EXPECT_EQ(reg.RenderPrometheus(),
            "# HELP codesphere_messages_total Messages received.\n"
            "# TYPE codesphere_messages_total counter\n"
            "codesphere_messages_total{kind=\"sync\"} 3\n"
            "codesphere_messages_total{kind=\"awareness\"} 1\n"
            "# HELP codesphere_rooms Open rooms.\n"
            "# TYPE codesphere_rooms gauge\n"
            "codesphere_rooms 2\n"
            "# HELP codesphere_peers Connected peers.\n"
            "# TYPE codesphere_peers gauge\n"
            "codesphere_peers 7\n"
            "# HELP codesphere_fsync_seconds Log fsync latency.\n"
            "# TYPE codesphere_fsync_seconds histogram\n"
            "codesphere_fsync_seconds_bucket{le=\"0.001\"} 1\n"
            "codesphere_fsync_seconds_bucket{le=\"0.01\"} 2\n"
            "codesphere_fsync_seconds_bucket{le=\"0.1\"} 2\n"
            "codesphere_fsync_seconds_bucket{le=\"+Inf\"} 3\n"
            "codesphere_fsync_seconds_sum 5.0055\n"
            "codesphere_fsync_seconds_count 3\n");
}

TEST(MetricsTest, SameSeriesReturnsSameObject) {
  MetricsRegistry reg;
  Counter& a = reg.AddCounter("c", "h", {{"x", "1"}});
  Counter& b = reg.AddCounter("c", "h", {{"x", "1"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &reg.AddCounter("c", "h", {{"x", "2"}}));
}

TEST(MetricsTest, EscapesLabelValues) {
  MetricsRegistry reg;
  reg.AddGauge("g", "line1\nline2", {{"path", "a\"b\\c\n"}}).Set(-1.5);
  EXPECT_EQ(reg.RenderPrometheus(),
            "# HELP g line1\\nline2\n# TYPE g gauge\ng{path=\"a\\\"b\\\\c\\n\"} -1.5\n");
}

TEST(MetricsTest, ConcurrentIncrementsAreCounted) {
  MetricsRegistry reg;
  Counter& c = reg.AddCounter("n", "h");
  Gauge& g = reg.AddGauge("g", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        g.Add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(g.value(), 40000);
}

TEST(MetricsTest, NameValidation) {
  EXPECT_TRUE(IsValidMetricName("codesphere_rooms:total"));
  EXPECT_FALSE(IsValidMetricName("9rooms"));
  EXPECT_FALSE(IsValidMetricName("rooms-total"));
  EXPECT_FALSE(IsValidLabelName("le"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_EQ(ExponentialBuckets(1, 2, 3), (std::vector<double>{1, 2, 4}));
}

}  // namespace
}  // namespace codesphere
