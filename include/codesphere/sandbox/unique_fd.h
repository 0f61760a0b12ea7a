// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// The sandbox APIs hand descriptors to the caller as `UniqueFd` (pipes, pidfds,
// `Sandbox::Connect`, `SafeDir`); the type itself lives in base.
#pragma once

#include "codesphere/base/unique_fd.h"

namespace codesphere::sandbox {

using ::codesphere::UniqueFd;

}  // namespace codesphere::sandbox
