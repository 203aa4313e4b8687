#!/usr/bin/env bash
# Usage: tools/test.sh [ARGS for ctest, e.g. -L unit, -L integration, -R Spec]
#
# Installs what is missing, builds (tools/build.sh) and runs the test suite
# with ctest, one test at a time: integration tests start real containers as
# root and share the machine. The suite includes a short run of every fuzz
# target (label fuzz) and the podman/containerd end-to-end suite (label e2e,
# docs/engines.md). Then tools/test-sanitized.sh runs the unit, integration
# and fault-injection tests again under ASan and UBSan (docs/reliability.md).
# Exits non-zero if any test fails, or if a selection matches no test at all.
#
# Environment: DKR_BUILD_DIR and DKR_CMAKE_ARGS as for tools/build.sh.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

tools/build.sh

build_dir=${DKR_BUILD_DIR:-build}
# Both runs, whatever the first one says.
status=0
ctest --test-dir "$build_dir" --output-on-failure --no-tests=ignore -j1 --timeout 900 "$@" || status=1
DKR_CTEST_NO_TESTS=ignore tools/test-sanitized.sh "$@" || status=1

# Some labels are in one build only (fuzz: plain; fault: sanitized), but a
# selection must match something.
sanitize_dir=${DKR_SANITIZE_BUILD_DIR:-build-sanitize}
total() { ctest --test-dir "$1" -N "${@:2}" | sed -n 's/^Total Tests: //p'; }
if (($(total "$build_dir" "$@") + $(total "$sanitize_dir" "$@") == 0)); then
  echo "test.sh: no test matches: $*" >&2
  exit 1
fi
exit "$status"
