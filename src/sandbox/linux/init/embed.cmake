# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
# cmake -DINPUT=<binary> -DOUTPUT=<file.cc> -P embed.cmake: writes the bytes of INPUT as
# codesphere::sandbox::internal::kSandboxInit{,Size}.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by embed.cmake. Do not edit.\n"
  "#include <cstddef>\n\n"
  "namespace codesphere::sandbox::internal {\n"
  "extern const unsigned char kSandboxInit[] = {\n${bytes}\n};\n"
  "extern const size_t kSandboxInitSize = ${size};\n"
  "}  // namespace codesphere::sandbox::internal\n")
