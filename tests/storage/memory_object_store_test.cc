// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#include "codesphere/storage/memory_object_store.h"

#include "tests/storage/object_store_conformance.h"

namespace codesphere::storage::testing {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, ObjectStoreConformanceTest,
                         ::testing::Values(ConformanceParam{
                             "Memory", [](std::string*) { return NewMemoryObjectStore(); }, 8}),
                         PrintParam);

}  // namespace
}  // namespace codesphere::storage::testing
