# SPDX-License-Identifier: MIT
# The two README commands, and the rest of the developer loop.
#   make run       build, then benchmark every transport between two processes
#   make test      build, then run the whole test suite
#   make install   headers, libraries, the ipcx command, ipcx.pc, ipcx::ipcx
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local

.PHONY: all build run test test-asan test-tsan test-clang fuzz stress install clean

all: build

build:
	@test -f $(BUILD_DIR)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DIPCX_WERROR=ON \
	    -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/bench/ipcx-bench --quick --svg $(BUILD_DIR)/bench.svg

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

# AddressSanitizer and UndefinedBehaviorSanitizer together.
test-asan:
	$(MAKE) test BUILD_DIR=build-asan BUILD_TYPE=Debug \
	  CMAKE_FLAGS="-DIPCX_SANITIZER=address,undefined -DIPCX_BUILD_BENCH=OFF"

# The tests whose programs run threads against one channel (ipcx_wake from
# another thread, signals into blocked calls); the single-threaded command
# line gains nothing from ThreadSanitizer.
TSAN_TESTS ?= contract_test|fault_test|two_process_test|handoff_test|fork_test|mq_test|sysvmq_test|signal_test|file_test|core_review_test|ring_test|shm_stress_test

test-tsan:
	$(MAKE) build BUILD_DIR=build-tsan BUILD_TYPE=Debug \
	  CMAKE_FLAGS="-DIPCX_SANITIZER=thread -DIPCX_BUILD_BENCH=OFF -DIPCX_BUILD_TOOLS=OFF -DIPCX_BUILD_EXAMPLES=OFF"
	ctest --test-dir build-tsan --output-on-failure -j$(JOBS) -R '$(TSAN_TESTS)'


# Warning-clean under clang as well as gcc.
test-clang:
	$(MAKE) build BUILD_DIR=build-clang CMAKE_FLAGS="-DCMAKE_C_COMPILER=clang"

# The long runs the suite keeps short: a million messages through one
# file: log, and a thousand rounds of random kills.
stress: build
	IPCX_STRESS=1 IPCX_TEST_TIMEOUT=7200 $(BUILD_DIR)/tests/stress/file_test "many writers"
	IPCX_STRESS=1 IPCX_TEST_TIMEOUT=7200 $(BUILD_DIR)/tests/crash/file_crash_test "random"
# Longer runs of the shared-memory rings' stress and crash tests than the
# suite's (4 million messages, 5000 rounds of random kills).
	IPCX_STRESS_MSGS=4000000 IPCX_TEST_TIMEOUT=3600 $(BUILD_DIR)/tests/stress/shm_stress_test
	IPCX_CRASH_ROUNDS=5000 IPCX_TEST_TIMEOUT=3600 $(BUILD_DIR)/tests/crash/shm_crash_test
# A million checked messages through each relay of the relay test (the
# suite's run moves 10^5).
	IPCX_RELAY_MSGS=1000000 IPCX_TEST_RELAY_MSGS=$(BUILD_DIR)/tests/cli/ipcx_test_relay_msgs \
	  bash tests/cli/ipcx_relay_test.sh $(BUILD_DIR)/tools/ipcx/ipcx

# libFuzzer targets, each run for a bounded time.
fuzz:
	$(MAKE) build BUILD_DIR=build-fuzz BUILD_TYPE=Debug \
	  CMAKE_FLAGS="-DCMAKE_C_COMPILER=clang -DIPCX_BUILD_FUZZ=ON -DIPCX_BUILD_TESTS=ON -DIPCX_BUILD_BENCH=OFF -DIPCX_BUILD_EXAMPLES=OFF"
	tests/fuzz/run-fuzzers.sh build-fuzz $${FUZZ_SECONDS:-30}

# The prefix is given at install time: a build/ configured earlier (by
# `make run`) installs where PREFIX says, not where it was configured for.
install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf build build-asan build-tsan build-clang build-fuzz
