// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Structured logging: a level, a message and key=value fields, written as one logfmt line
// (`ts=… level=info msg="room loaded" room=notes bytes=812`) to stderr by default.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace codesphere {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning", "error".
std::string_view LogLevelName(LogLevel level);
// Parses those names (case-insensitive); returns false on anything else.
bool ParseLogLevel(std::string_view name, LogLevel* level);

// One key=value pair. Values are rendered to text when the field is built.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <typename I, typename = std::enable_if_t<std::is_integral_v<I>>>
  LogField(std::string_view k, I v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);

  std::string_view key;
  std::string value;
};

// One log event as handed to a sink.
struct LogRecord {
  std::chrono::system_clock::time_point time;
  LogLevel level;
  std::string_view message;
  const std::vector<LogField>* fields;
};

// Where log records go. The default sink writes logfmt lines to stderr.
//
// Thread-safety: thread-safe (Write may be called from any thread concurrently).
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(const LogRecord& record) = 0;
};

// Renders `record` as one logfmt line without the trailing newline. Values with spaces,
// quotes, `=` or control characters are quoted and escaped.
std::string FormatLogfmt(const LogRecord& record);

// Installs `sink` (nullptr restores stderr). `sink` must outlive its installation.
// Thread-safety: thread-safe.
void SetLogSink(LogSink* sink);
// Records below `level` are dropped. Default: kInfo, or the `CODESPHERE_LOG_LEVEL` environment
// variable read at first use.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
inline bool LogEnabled(LogLevel level) { return level >= MinLogLevel(); }

// Logs `message` with `fields` at `level`.
// Thread-safety: thread-safe.
void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
inline void LogDebug(std::string_view m, std::initializer_list<LogField> f = {}) {
  if (LogEnabled(LogLevel::kDebug)) Log(LogLevel::kDebug, m, f);
}
inline void LogInfo(std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarning(std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kWarning, m, f);
}
inline void LogError(std::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kError, m, f);
}

}  // namespace codesphere
