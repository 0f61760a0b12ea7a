// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/base/log.h"

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "codesphere/base/any.h"

namespace codesphere {
namespace {

std::atomic<LogSink*> g_sink{nullptr};
std::atomic<int> g_min_level{-1};

int InitialLevel() {
  LogLevel level = LogLevel::kInfo;
  if (const char* env = std::getenv("CODESPHERE_LOG_LEVEL")) ParseLogLevel(env, &level);
  return static_cast<int>(level);
}

bool NeedsQuoting(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void AppendValue(std::string& out, std::string_view v) {
  if (!NeedsQuoting(v)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

class StderrSink final : public LogSink {
 public:
  // LogSink
  void Write(const LogRecord& record) override {
    std::string line = FormatLogfmt(record);
    line += '\n';
    std::lock_guard<std::mutex> lock(mu_);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }

 private:
  std::mutex mu_;
};

StderrSink& DefaultSink() {
  static StderrSink* sink = new StderrSink();  // never destroyed: usable at exit
  return *sink;
}

}  // namespace

LogField::LogField(std::string_view k, double v) : key(k), value(FormatJsNumber(v)) {}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "debug") *level = LogLevel::kDebug;
  else if (lower == "info") *level = LogLevel::kInfo;
  else if (lower == "warning" || lower == "warn") *level = LogLevel::kWarning;
  else if (lower == "error") *level = LogLevel::kError;
  else return false;
  return true;
}

std::string FormatLogfmt(const LogRecord& record) {
  using namespace std::chrono;
  std::string out;
  out.reserve(128);
  auto ms = duration_cast<milliseconds>(record.time.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[96];
  std::snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  out += "ts=";
  out += ts;
  out += " level=";
  out += LogLevelName(record.level);
  out += " msg=";
  AppendValue(out, record.message);
  if (record.fields) {
    for (const LogField& f : *record.fields) {
      out += ' ';
      out += f.key;
      out += '=';
      AppendValue(out, f.value);
    }
  }
  return out;
}

void SetLogSink(LogSink* sink) { g_sink.store(sink); }

void SetMinLogLevel(LogLevel level) { g_min_level.store(static_cast<int>(level)); }

LogLevel MinLogLevel() {
  int v = g_min_level.load(std::memory_order_relaxed);
  if (v < 0) {
    int expected = -1;
    g_min_level.compare_exchange_strong(expected, InitialLevel());
    v = g_min_level.load();
  }
  return static_cast<LogLevel>(v);
}

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  std::vector<LogField> f(fields);
  LogRecord record{std::chrono::system_clock::now(), level, message, &f};
  LogSink* sink = g_sink.load();
  (sink ? *sink : static_cast<LogSink&>(DefaultSink())).Write(record);
}

}  // namespace codesphere
