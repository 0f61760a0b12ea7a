// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// JSON text <-> Any, with JS `JSON.stringify` / `Number.prototype.toString` output rules.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "codesphere/base/any.h"
#include "codesphere/base/status_macros.h"

namespace codesphere {
namespace {

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void AppendJson(std::string& out, const Any& v, bool in_array) {
  switch (v.kind()) {
    case Any::Kind::kUndefined:
      if (in_array) out += "null";
      break;
    case Any::Kind::kNull: out += "null"; break;
    case Any::Kind::kBool: out += v.as_bool() ? "true" : "false"; break;
    case Any::Kind::kNumber:
      out += std::isfinite(v.as_number()) ? FormatJsNumber(v.as_number()) : "null";
      break;
    case Any::Kind::kBigInt: out += std::to_string(v.as_bigint()); break;
    case Any::Kind::kString: AppendJsonString(out, v.as_string()); break;
    case Any::Kind::kBinary: {
      out += '{';
      const Bytes& b = v.as_binary();
      for (std::size_t i = 0; i < b.size(); ++i) {
        if (i) out += ',';
        out += '"' + std::to_string(i) + "\":" + std::to_string(b[i]);
      }
      out += '}';
      break;
    }
    case Any::Kind::kArray: {
      out += '[';
      bool first = true;
      for (const Any& e : v.as_array()) {
        if (!first) out += ',';
        first = false;
        AppendJson(out, e, true);
      }
      out += ']';
      break;
    }
    case Any::Kind::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (e.is_undefined()) continue;
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, k);
        out += ':';
        AppendJson(out, e, false);
      }
      out += '}';
      break;
    }
  }
}

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  Result<Any> ParseDocument() {
    CODESPHERE_ASSIGN_OR_RETURN(Any v, ParseValue(0));
    SkipSpace();
    if (pos_ != s_.size()) return Error("trailing characters");
    return v;
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgumentError("json: " + std::string(what) + " at byte " +
                                std::to_string(pos_));
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool Consume(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) == lit) {
      pos_ += lit.size();
      return true;
    }
    return false;
  }

  Result<Any> ParseValue(int depth) {
    if (depth > kMaxAnyDepth) return Error("nesting too deep");
    SkipSpace();
    if (pos_ >= s_.size()) return Error("unexpected end");
    char c = s_[pos_];
    if (c == '{') return ParseObject(depth);
    if (c == '[') return ParseArray(depth);
    if (c == '"') {
      CODESPHERE_ASSIGN_OR_RETURN(std::string str, ParseString());
      return Any(std::move(str));
    }
    if (Consume("true")) return Any(true);
    if (Consume("false")) return Any(false);
    if (Consume("null")) return Any(nullptr);
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    return Error("unexpected character");
  }

  Result<Any> ParseObject(int depth) {
    ++pos_;
    Any::Object obj;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Any(std::move(obj));
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected object key");
      CODESPHERE_ASSIGN_OR_RETURN(std::string key, ParseString());
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':'");
      ++pos_;
      CODESPHERE_ASSIGN_OR_RETURN(Any value, ParseValue(depth + 1));
      obj.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Any(std::move(obj));
      }
      return Error("expected ',' or '}'");
    }
  }

  Result<Any> ParseArray(int depth) {
    ++pos_;
    Any::Array arr;
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Any(std::move(arr));
    }
    while (true) {
      CODESPHERE_ASSIGN_OR_RETURN(Any value, ParseValue(depth + 1));
      arr.push_back(std::move(value));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Any(std::move(arr));
      }
      return Error("expected ',' or ']'");
    }
  }

  Result<unsigned> ParseHex4() {
    if (pos_ + 4 > s_.size()) return Error("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return Error("invalid \\u escape");
    }
    return v;
  }

  static void AppendUtf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  Result<std::string> ParseString() {
    ++pos_;  // opening quote
    std::string out;
    const std::size_t start = pos_;
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated string");
      char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in string");
      if (c != '\\') {
        out += c;
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) return Error("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          CODESPHERE_ASSIGN_OR_RETURN(unsigned cp, ParseHex4());
          if (cp >= 0xd800 && cp <= 0xdbff && s_.substr(pos_, 2) == "\\u") {
            std::size_t save = pos_;
            pos_ += 2;
            CODESPHERE_ASSIGN_OR_RETURN(unsigned lo, ParseHex4());
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else {
              pos_ = save;
              cp = 0xfffd;
            }
          } else if (cp >= 0xd800 && cp <= 0xdfff) {
            cp = 0xfffd;  // lone surrogate: as TextEncoder would write it
          }
          AppendUtf8(out, cp);
          break;
        }
        default: return Error("invalid escape");
      }
    }
    if (!lib0::IsValidUtf8(out)) {
      pos_ = start;
      return Error("invalid UTF-8 in string");
    }
    return out;
  }

  Result<Any> ParseNumber() {
    const std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size()) return Error("invalid number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else if (s_[pos_] >= '1' && s_[pos_] <= '9') {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    } else {
      return Error("invalid number");
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return Error("invalid number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return Error("invalid number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    double v = 0;
    auto [ptr, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec == std::errc::result_out_of_range) {
      // Overflow becomes ±Infinity and underflow 0, as JSON.parse does.
      v = std::strtod(std::string(s_.substr(start, pos_ - start)).c_str(), nullptr);
    } else if (ec != std::errc() || ptr != s_.data() + pos_) {
      return Error("invalid number");
    }
    return Any(v);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string FormatJsNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return "0";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  std::string out;
  if (v < 0) {
    out += '-';
    v = -v;
  }
  // Shortest round-trip digits in scientific form: "d.ddde±XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view sci(buf, res.ptr - buf);
  std::size_t epos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, epos)) {
    if (c != '.') digits += c;
  }
  int exp10 = std::atoi(std::string(sci.substr(epos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits × 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n);
    out += '.';
    out += digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(-n, '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1) >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string ToJson(const Any& value) {
  std::string out;
  if (value.is_undefined()) return "null";
  AppendJson(out, value, false);
  return out;
}

Result<Any> ParseJson(std::string_view json) { return JsonParser(json).ParseDocument(); }

}  // namespace codesphere
