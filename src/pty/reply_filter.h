// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Recognises a terminal's automatic replies to queries (DA, DSR/CPR, DECRPM, window reports,
// OSC and DCS reports) in viewer input, so that only one writer's replies reach the program.
#pragma once

#include "codesphere/base/bytes.h"

namespace codesphere::pty::internal {

// Returns `input` without the complete reply sequences it contains:
//   CSI ? / > / = ... c          (DA1, DA2, DA3 replies)
//   CSI [?] Pr ; Pc R            (cursor position report; note: xterm's modified F3 key,
//                                 CSI 1 ; Pm R, has the same shape and is dropped too)
//   CSI Ps n                     (device status report)
//   CSI ... $ y                  (DECRPM mode report)
//   CSI Ps ; ... t               (window reports)
//   CSI ? ... u                  (keyboard protocol flags report)
//   OSC ... BEL|ST, DCS ... ST   (colour, title and DECRQSS/XTGETTCAP reports)
// Everything else, including incomplete sequences, is kept byte for byte.
Bytes StripTerminalReplies(ByteSpan input);

}  // namespace codesphere::pty::internal
