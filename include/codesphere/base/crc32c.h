// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// CRC-32C (Castagnoli), the checksum of our durable logs and snapshots.
#pragma once

#include <cstdint>

#include "codesphere/base/bytes.h"

namespace codesphere {

// CRC-32C of `data`, continuing from `crc` (0 to start). Crc32c("123456789") == 0xe3069283.
std::uint32_t Crc32c(ByteSpan data, std::uint32_t crc = 0);

}  // namespace codesphere
