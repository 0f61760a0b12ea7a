# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
"""In-tree PEP 517 build backend for the codesphere Python package.

Needs nothing but the standard library, CMake, Ninja and a C++ compiler, so pip's isolated
build environment installs nothing (PyPI is not needed). It configures the repository with
CMake for the interpreter running the build, builds the `_codesphere` extension and writes a
PEP 427 wheel (.dist-info with METADATA, WHEEL and a RECORD of sha256 hashes). There is no
sdist: the package is built from a checkout of the whole repository.

Environment:
  CODESPHERE_PY_BUILD_DIR   CMake build directory, reused between builds
                            (default: bindings/python/build/<python tag>).
  CODESPHERE_SOURCE_DIR     the repository root (default: two levels above this package).
  CMAKE_BUILD_PARALLEL_LEVEL  compile jobs (default: 2).
  CODESPHERE_PY_CMAKE_ARGS  extra CMake arguments, space-separated.
  CODESPHERE_PY_PREBUILT    path of an already built _codesphere extension (e.g. the target
                            of a -DCODESPHERE_BUILD_PYTHON=ON project build): packaged
                            as is, without running CMake. It must match this interpreter's
                            EXT_SUFFIX.
"""

import base64
import hashlib
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

__all__ = [
    "build_wheel",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_wheel",
]

NAME = "codesphere"
LICENSE = "Apache-2.0"
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # bindings/python


def _source_dir():
    root = Path(os.environ.get("CODESPHERE_SOURCE_DIR", PACKAGE_DIR.parent.parent))
    cmakelists = root / "CMakeLists.txt"
    if not cmakelists.is_file() or "project(codesphere" not in cmakelists.read_text():
        raise RuntimeError(
            "codesphere build backend: the repository root was not found at %s; build from a "
            "checkout (pip install ./bindings/python) or set CODESPHERE_SOURCE_DIR" % root)
    return root


def _project():
    """(version, summary) from the top-level project() call."""
    text = (_source_dir() / "CMakeLists.txt").read_text()
    match = re.search(r"project\(\s*codesphere\s+VERSION\s+([0-9][0-9.]*)(.*?)\)", text, re.S)
    if not match:
        raise RuntimeError("codesphere build backend: no project(codesphere VERSION ...) found")
    summary = re.search(r'DESCRIPTION\s+"([^"]*)"', match.group(2))
    return match.group(1), summary.group(1) if summary else ""


def _tag():
    """The wheel tag of this interpreter (PEP 425, as `packaging.tags` computes it)."""
    impl = sys.implementation.name
    version = "%d%d" % sys.version_info[:2]
    if impl == "cpython":
        interpreter = "cp" + version
        abi = interpreter + ("d" if hasattr(sys, "gettotalrefcount") else "")
        if sysconfig.get_config_var("Py_GIL_DISABLED"):
            abi += "t"
    else:
        interpreter = "%s%s" % ({"pypy": "pp"}.get(impl, impl), version)
        soabi = sysconfig.get_config_var("SOABI") or "none"
        abi = re.sub(r"[-.]", "_", soabi)
    platform = re.sub(r"[-.]", "_", sysconfig.get_platform())
    return interpreter, abi, platform


def _metadata(version, summary):
    readme = (PACKAGE_DIR / "README.md").read_text(encoding="utf-8")
    return (
        "Metadata-Version: 2.1\n"
        "Name: %s\n"
        "Version: %s\n"
        "Summary: %s\n"
        "License: %s\n"
        "Requires-Python: >=3.8\n"
        "Classifier: License :: OSI Approved :: Apache Software License\n"
        "Classifier: Programming Language :: C++\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Operating System :: POSIX :: Linux\n"
        "Description-Content-Type: text/markdown\n"
        "\n%s" % (NAME, version, summary, LICENSE, readme))


def _wheel_file(tag):
    return ("Wheel-Version: 1.0\n"
            "Generator: codesphere-build-backend\n"
            "Root-Is-Purelib: false\n"
            "Tag: %s\n" % "-".join(tag))


def _dist_info_files(version, summary, tag):
    return {
        "METADATA": _metadata(version, summary).encode("utf-8"),
        "WHEEL": _wheel_file(tag).encode("utf-8"),
        "top_level.txt": b"codesphere\n",
    }


def _build_dir(tag):
    env = os.environ.get("CODESPHERE_PY_BUILD_DIR")
    return Path(env) if env else PACKAGE_DIR / "build" / "-".join(tag)


def _run(cmd):
    print("codesphere build backend: " + " ".join(shlex.quote(str(c)) for c in cmd),
          file=sys.stderr, flush=True)
    # Child output goes to our stderr: pip shows it on failure (and with -v).
    subprocess.run([str(c) for c in cmd], check=True, stdout=sys.stderr, stderr=sys.stderr)


def _build_extension(build_dir):
    build_dir.mkdir(parents=True, exist_ok=True)
    configure = [
        "cmake", "-S", _source_dir(), "-B", build_dir, "-G", "Ninja",
        "-DCMAKE_BUILD_TYPE=Release",
        # -O2 as the project's own builds (GCC 12's -O3 raises false -Wrestrict errors in
        # std::string code under -Werror).
        "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG",
        "-DCODESPHERE_BUILD_PYTHON=ON",
        "-DCODESPHERE_BUILD_TESTS=OFF",
        "-DCODESPHERE_BUILD_BENCHMARKS=OFF",
        "-DCODESPHERE_BUILD_EXAMPLES=OFF",
        # The interpreter running this build (the venv's), for FindPython and pybind11.
        "-DPython_EXECUTABLE=" + sys.executable,
        "-DPYTHON_EXECUTABLE=" + sys.executable,
    ] + shlex.split(os.environ.get("CODESPHERE_PY_CMAKE_ARGS", ""))
    _run(configure)
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    _run(["cmake", "--build", build_dir, "--target", "_codesphere", "-j", jobs])
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    built = build_dir / "bindings" / "python" / "codesphere" / ("_codesphere" + suffix)
    if not built.is_file():
        raise RuntimeError("codesphere build backend: %s was not built" % built)
    return built


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def _write_wheel(wheel_directory, files, dist_info):
    """Writes {archive path: bytes} plus the dist-info RECORD; returns the wheel's name."""
    version, tag = dist_info["version"], dist_info["tag"]
    name = "%s-%s-%s.whl" % (NAME, version, "-".join(tag))
    info_dir = "%s-%s.dist-info" % (NAME, version)
    entries = dict(files)
    for filename, data in dist_info["files"].items():
        entries[info_dir + "/" + filename] = data
    record = [_record_line(path, data) for path, data in entries.items()]
    record.append(info_dir + "/RECORD,,")
    entries[info_dir + "/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")
    path = Path(wheel_directory) / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for archive_path, data in entries.items():
            info = zipfile.ZipInfo(archive_path, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if archive_path.endswith(".so") else 0o644
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, data)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    version, summary = _project()
    info_dir = Path(metadata_directory) / ("%s-%s.dist-info" % (NAME, version))
    info_dir.mkdir(parents=True, exist_ok=True)
    for filename, data in _dist_info_files(version, summary, _tag()).items():
        (info_dir / filename).write_bytes(data)
    return info_dir.name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version, summary = _project()
    tag = _tag()
    prebuilt = os.environ.get("CODESPHERE_PY_PREBUILT")
    if prebuilt:
        extension = Path(prebuilt)
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        if not extension.is_file() or not extension.name.endswith(suffix):
            raise RuntimeError("codesphere build backend: CODESPHERE_PY_PREBUILT=%s is not a "
                               "built extension ending in %s" % (prebuilt, suffix))
    else:
        extension = _build_extension(_build_dir(tag))
    files = {}
    package = PACKAGE_DIR / "codesphere"
    for source in sorted(package.iterdir()):
        if source.suffix in (".py", ".pyi") or source.name == "py.typed":
            files["codesphere/" + source.name] = source.read_bytes()
    files["codesphere/" + extension.name] = extension.read_bytes()
    dist_info = {"version": version, "tag": tag,
                 "files": _dist_info_files(version, summary, tag)}
    return _write_wheel(wheel_directory, files, dist_info)

