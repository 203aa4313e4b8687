#!/usr/bin/env bash
# Usage: tools/test-sanitized.sh [ARGS for ctest, e.g. -L unit, -L fault]
#
# The test suite under AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer, in the fault-injection build: builds into
# build-sanitize with -DDKR_SANITIZE=ON -DDKR_FAULT_INJECTION=ON, then runs the
# unit, integration and fault tests there with ctest (not the e2e tests, in
# which podman and containerd drive dkr: docs/engines.md). A sanitizer report fails
# the test that caused it: undefined behaviour aborts, a leak makes dkr exit
# non-zero, and either puts more than the one error line on dkr's stderr that
# the integration tests allow. tools/test.sh runs this after the plain suite.
#
# Environment: DKR_SANITIZE_BUILD_DIR (default: build-sanitize); ASAN_OPTIONS and
# UBSAN_OPTIONS, if set, replace the defaults below; DKR_CTEST_NO_TESTS (default
# error) is ctest's --no-tests for a selection that matches nothing.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

build_dir=${DKR_SANITIZE_BUILD_DIR:-build-sanitize}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$root/tools/ubsan.supp}

DKR_BUILD_DIR=$build_dir DKR_CMAKE_ARGS="-DDKR_SANITIZE=ON -DDKR_FAULT_INJECTION=ON" tools/build.sh
exec ctest --test-dir "$build_dir" --output-on-failure --no-tests="${DKR_CTEST_NO_TESTS:-error}" -j1 --timeout 900 \
  -LE e2e "$@"
