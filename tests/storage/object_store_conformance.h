// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The ObjectStore conformance suite: every backend instantiates it with a factory
// (INSTANTIATE_TEST_SUITE_P(Backend, ObjectStoreConformanceTest, Values(param))). The TEST_Ps
// live in object_store_conformance.cc, linked once into the test binary.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "codesphere/storage/object_store.h"
#include "tests/testing/status_matchers.h"

namespace codesphere::storage::testing {

struct ConformanceParam {
  std::string name;
  // Returns a fresh, empty store, or nullptr with `*skip_reason` set when the backend is
  // unavailable here (e.g. no moto server).
  std::function<std::unique_ptr<ObjectStore>(std::string* skip_reason)> make;
  // Concurrency used by the race tests (smaller for slow backends).
  int threads = 8;
};

inline void PrintTo(const ConformanceParam& p, std::ostream* os) { *os << p.name; }

inline std::string PrintParam(const ::testing::TestParamInfo<ConformanceParam>& info) {
  return info.param.name;
}

class ObjectStoreConformanceTest : public ::testing::TestWithParam<ConformanceParam> {
 protected:
  void SetUp() override {
    std::string reason;
    store_ = GetParam().make(&reason);
    if (!store_) GTEST_SKIP() << reason;
  }
  ObjectStore& store() { return *store_; }
  static Bytes B(std::string_view s) { return ToBytes(s); }

  std::unique_ptr<ObjectStore> store_;
};

}  // namespace codesphere::storage::testing
