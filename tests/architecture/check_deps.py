#!/usr/bin/env python3
# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""Enforces the module dependency table of STYLE.md §2 (stdlib only).

Checks, for every file under include/codesphere/<m>/ and src/<m>/:
  * `#include "codesphere/<n>/..."` only where <n> is <m> or an allowed dependency of <m>;
  * no include of another module's private headers (`"<n>/..."` from src/);
  * public headers never include websocketpp, libsodium, zstd or cereal, nor private headers;
  * Asio appears in public headers only of the async modules.
Exits 1 and prints one line per violation.
"""
import os
import re
import sys

# module -> modules it may include (besides itself). STYLE.md §2.
ALLOWED = {
    "base": set(),
    "crdt": {"base"},
    "sync": {"base", "crdt"},
    "storage": {"base"},
    "filesync": {"base", "storage", "crdt"},
    "pty": {"base"},
    "sandbox": {"base"},
    "auth": {"base"},
    "net": {"base"},
    "server": {"base", "crdt", "sync", "storage", "filesync", "pty", "sandbox", "auth", "net"},
}
# Modules whose public headers may include Asio (STYLE.md §2: async modules only).
ASIO_OK = {"sync", "pty", "storage", "sandbox", "filesync", "net", "server"}
FORBIDDEN_PUBLIC = [
    (re.compile(r"^websocketpp/"), "websocketpp"),
    (re.compile(r"^sodium(\.h|/)"), "libsodium"),
    (re.compile(r"^zstd(\.h|_errors\.h)?$"), "zstd"),
    (re.compile(r"^cereal/"), "cereal"),
]
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_EXT = (".h", ".hh", ".hpp", ".cc", ".cpp", ".inc")


def includes(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE_RE.match(line)
            if m:
                yield lineno, m.group(1), m.group(2)


def check_file(path, module, public, rel):
    problems = []
    for lineno, delim, inc in includes(path):
        where = f"{rel}:{lineno}"
        parts = inc.split("/")
        if delim == '"' and len(parts) >= 3 and parts[0] == "codesphere":
            dep = parts[1]
            if dep in ALLOWED and dep != module and dep not in ALLOWED.get(module, set()):
                problems.append(f"{where}: module '{module}' must not include '{inc}' "
                                f"('{module}' may depend on: "
                                f"{', '.join(sorted(ALLOWED[module])) or 'nothing'})")
        elif delim == '"' and len(parts) >= 2 and parts[0] in ALLOWED:
            if public:
                problems.append(f"{where}: public header includes private header '{inc}'")
            elif parts[0] != module:
                problems.append(f"{where}: module '{module}' includes private header '{inc}' "
                                f"of module '{parts[0]}'")
        if public:
            for pattern, name in FORBIDDEN_PUBLIC:
                if pattern.match(inc):
                    problems.append(f"{where}: public header includes {name} ('{inc}')")
            if (inc == "asio.hpp" or inc.startswith("asio/")) and module not in ASIO_OK:
                problems.append(f"{where}: public header of '{module}' includes Asio ('{inc}')")
    return problems


def check_tree(root):
    problems = []
    for kind, base in (("public", os.path.join(root, "include", "codesphere")),
                       ("private", os.path.join(root, "src"))):
        if not os.path.isdir(base):
            continue
        for module in sorted(os.listdir(base)):
            mdir = os.path.join(base, module)
            if not os.path.isdir(mdir):
                continue
            if module not in ALLOWED:
                problems.append(f"{os.path.relpath(mdir, root)}: unknown module '{module}' "
                                f"(add it to STYLE.md §2 and this table)")
                continue
            for dirpath, _, files in os.walk(mdir):
                for name in sorted(files):
                    if name.endswith(SOURCE_EXT):
                        path = os.path.join(dirpath, name)
                        problems += check_file(path, module, kind == "public",
                                               os.path.relpath(path, root))
    return problems


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    problems = check_tree(os.path.abspath(root))
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} dependency violation(s)")
        return 1
    print("architecture: dependency table respected")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
