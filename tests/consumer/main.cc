// Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
//
// Uses the installed SDK through its public headers only.
#include <cstdio>

#include "codesphere/base/any.h"
#include "codesphere/base/encoding.h"
#include "codesphere/base/status_macros.h"
#include "codesphere/base/version.h"

namespace {

codesphere::Result<std::string> RoundTrip() {
  codesphere::lib0::Encoder e;
  codesphere::WriteAny(e, codesphere::Any(codesphere::Any::Object{{"ok", codesphere::Any(true)}}));
  codesphere::lib0::Decoder d(e.bytes());
  CODESPHERE_ASSIGN_OR_RETURN(auto value, codesphere::ReadAny(d));
  return codesphere::ToJson(value);
}

}  // namespace

int main() {
  auto json = RoundTrip();
  if (!json || *json != "{\"ok\":true}") {
    std::fprintf(stderr, "round trip failed\n");
    return 1;
  }
  std::printf("codesphere %s: %s\n", CODESPHERE_VERSION_STRING, json->c_str());
  return 0;
}
