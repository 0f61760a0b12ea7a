# Copyright 2026 The codesphere Authors. SPDX-License-Identifier: Apache-2.0
#
#   make run        install what is missing, build, start codesphere-server on 127.0.0.1:8080
#   make test       install what is missing, build, run every suite through ctest
#   make test-asan  the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 8080
DATA ?= ./data
CTEST_FLAGS ?= --output-on-failure --timeout 900 -j $(JOBS)

.PHONY: all bootstrap configure build test test-asan run clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCODESPHERE_BUILD_PYTHON=ON

configure: bootstrap $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) $(CTEST_FLAGS)

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 \
	  -DCODESPHERE_SANITIZE=ON -DCODESPHERE_UNIT_TESTS_ONLY=ON \
	  -DCODESPHERE_BUILD_BENCHMARKS=OFF -DCODESPHERE_BUILD_EXAMPLES=OFF

test-asan: bootstrap $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_DIR) -L unit $(CTEST_FLAGS)

run: build
	@scripts/run --host $(HOST) --port $(PORT) --data $(DATA)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
