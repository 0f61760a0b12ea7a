// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/metrics.h"

#include <cmath>
#include <deque>

#include "codesphere/base/any.h"
#include "codesphere/base/check.h"

namespace codesphere {
namespace {

enum FamilyType { kCounterType = 0, kGaugeType = 1, kHistogramType = 2 };

void AtomicAdd(std::atomic<double>& a, double delta) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + delta, std::memory_order_relaxed)) {
  }
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return FormatJsNumber(v);
}

void AppendEscaped(std::string& out, std::string_view v, bool help) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && !help) out += "\\\"";
    else out += c;
  }
}

std::string RenderLabels(const MetricLabels& labels, const std::string* le = nullptr) {
  if (labels.empty() && !le) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    AppendEscaped(out, v, false);
    out += '"';
  }
  if (le) {
    if (!first) out += ',';
    out += "le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

struct MetricsRegistry::Family {
  std::string name;
  std::string help;
  int type;
  struct Series {
    MetricLabels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> callback;
    std::unique_ptr<Histogram> histogram;
  };
  std::deque<Series> series;

  Series* Find(const MetricLabels& labels) {
    for (auto& s : series) {
      if (s.labels == labels) return &s;
    }
    return nullptr;
  }
};

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    CODESPHERE_CHECK_MSG(std::isfinite(bounds_[i]), "histogram bound must be finite");
    CODESPHERE_CHECK_MSG(i == 0 || bounds_[i] > bounds_[i - 1], "bounds must increase");
  }
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::BucketCounts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load();
  return out;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  CODESPHERE_CHECK(start > 0 && factor > 1 && count > 0);
  std::vector<double> out;
  out.reserve(count);
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  return IsValidMetricName(name) && name.find(':') == std::string_view::npos &&
         name != "le";
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::FamilyFor(std::string_view name, std::string_view help,
                                                    int type) {
  CODESPHERE_CHECK_MSG(IsValidMetricName(name), "invalid metric name");
  for (auto& f : families_) {
    if (f->name == name) {
      CODESPHERE_CHECK_MSG(f->type == type, "metric name reused with another type");
      return *f;
    }
  }
  families_.push_back(std::make_unique<Family>());
  Family& f = *families_.back();
  f.name = std::string(name);
  f.help = std::string(help);
  f.type = type;
  return f;
}

namespace {
void CheckLabels(const MetricLabels& labels) {
  for (const auto& [k, v] : labels) {
    CODESPHERE_CHECK_MSG(IsValidLabelName(k), "invalid label name");
  }
}
}  // namespace

Counter& MetricsRegistry::AddCounter(std::string_view name, std::string_view help,
                                     MetricLabels labels) {
  CheckLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = FamilyFor(name, help, kCounterType);
  if (auto* s = f.Find(labels)) return *s->counter;
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& MetricsRegistry::AddGauge(std::string_view name, std::string_view help,
                                 MetricLabels labels) {
  CheckLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = FamilyFor(name, help, kGaugeType);
  if (auto* s = f.Find(labels)) {
    CODESPHERE_CHECK_MSG(s->gauge != nullptr, "series is a callback gauge");
    return *s->gauge;
  }
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

void MetricsRegistry::AddCallbackGauge(std::string_view name, std::string_view help,
                                       std::function<double()> fn, MetricLabels labels) {
  CheckLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = FamilyFor(name, help, kGaugeType);
  if (auto* s = f.Find(labels)) {
    CODESPHERE_CHECK_MSG(s->gauge == nullptr, "series is a plain gauge");
    s->callback = std::move(fn);
    return;
  }
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.callback = std::move(fn);
}

Histogram& MetricsRegistry::AddHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> bounds, MetricLabels labels) {
  CheckLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = FamilyFor(name, help, kHistogramType);
  if (auto* s = f.Find(labels)) return *s->histogram;
  auto& s = f.series.emplace_back();
  s.labels = std::move(labels);
  s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

std::string MetricsRegistry::RenderPrometheus() const {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) {
    out += "# HELP ";
    out += f->name;
    out += ' ';
    AppendEscaped(out, f->help, true);
    out += "\n# TYPE ";
    out += f->name;
    out += ' ';
    out += kTypeNames[f->type];
    out += '\n';
    for (const auto& s : f->series) {
      if (s.counter) {
        out += f->name + RenderLabels(s.labels) + ' ' + std::to_string(s.counter->value()) + '\n';
      } else if (s.gauge || s.callback) {
        double v = s.gauge ? s.gauge->value() : s.callback();
        out += f->name + RenderLabels(s.labels) + ' ' + FormatValue(v) + '\n';
      } else if (s.histogram) {
        auto counts = s.histogram->BucketCounts();
        std::uint64_t cumulative = 0;
        const auto& bounds = s.histogram->bounds();
        for (std::size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          std::string le = i < bounds.size() ? FormatValue(bounds[i]) : std::string("+Inf");
          out += f->name + "_bucket" + RenderLabels(s.labels, &le) + ' ' +
                 std::to_string(cumulative) + '\n';
        }
        out += f->name + "_sum" + RenderLabels(s.labels) + ' ' +
               FormatValue(s.histogram->sum()) + '\n';
        out += f->name + "_count" + RenderLabels(s.labels) + ' ' + std::to_string(cumulative) +
               '\n';
      }
    }
  }
  return out;
}

}  // namespace codesphere
