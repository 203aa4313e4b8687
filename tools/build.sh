#!/usr/bin/env bash
# Usage: tools/build.sh [ARGS for `cmake --build`, e.g. --target dkr]
#
# Installs what is missing (tools/setup.sh), configures with CMake and builds
# with all cores. The runtime ends up in build/runtime/dkr.
#
# Environment:
#   DKR_BUILD_DIR   build directory (default: build, relative to the repo root)
#   DKR_CMAKE_ARGS  extra configure arguments, split on whitespace, applied
#                   last so they win, e.g. "-DDKR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

tools/setup.sh

build_dir=${DKR_BUILD_DIR:-build}
read -r -a extra <<<"${DKR_CMAKE_ARGS:-}"

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${extra[@]}"
cmake --build "$build_dir" -j "$(nproc)" "$@"

echo "dkr: $build_dir/runtime/dkr"
