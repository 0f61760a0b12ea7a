// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Supervisor side of the network namespace: connecting to the sandbox's loopback.
#pragma once

#include <chrono>
#include <cstdint>

#include "codesphere/base/result.h"
#include "codesphere/sandbox/unique_fd.h"

namespace codesphere::sandbox::internal {

// Connects to 127.0.0.1:`port` inside the network namespace of the process behind
// `ns_pidfd`. Returns the connected (blocking) socket; kUnavailable when refused.
Result<UniqueFd> ConnectInNetns(int ns_pidfd, uint16_t port, std::chrono::milliseconds timeout);

// Connects the non-blocking TCP socket `sock` to 127.0.0.1:`port` within `timeout` and
// returns it in blocking mode. kUnavailable when refused, kDeadlineExceeded on timeout.
Result<UniqueFd> ConnectLoopback(UniqueFd sock, uint16_t port, std::chrono::milliseconds timeout);

}  // namespace codesphere::sandbox::internal
