// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// `Generation`: the opaque version token of a stored object (an ETag), used to make writes
// conditional (compare-and-swap on object storage).
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace codesphere::storage {

// An opaque token that changes whenever an object's value changes. Two generations of the same
// key compare equal only if the object was not rewritten in between. The text is backend
// specific (an S3 ETag, a counter, an inode/mtime digest); never parse it.
//
// Thread-safety: thread-compatible (external synchronization).
class Generation {
 public:
  Generation() = default;
  explicit Generation(std::string value) : value_(std::move(value)) {}

  // The token text; empty only for a default-constructed Generation.
  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const Generation& a, const Generation& b) { return a.value_ == b.value_; }
  friend bool operator!=(const Generation& a, const Generation& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Generation& g) {
    return os << "Generation(" << g.value_ << ")";
  }

 private:
  std::string value_;
};

}  // namespace codesphere::storage
