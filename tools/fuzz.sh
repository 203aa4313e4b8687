#!/usr/bin/env bash
# Usage: tools/fuzz.sh --short
#        tools/fuzz.sh TARGET [libFuzzer flags...]
#        tools/fuzz.sh --list
#
# Builds the libFuzzer targets of tests/fuzz with clang (-DDKR_FUZZ=ON: ASan,
# UBSan and coverage instrumentation) in a build directory of their own, then:
#
#   --short        runs every target for DKR_FUZZ_SECONDS (default 60) seconds
#                  from its seed corpus, tests/fuzz/corpus/TARGET; fails on the
#                  first crash, leak, timeout or broken property. The test
#                  suite runs this (ctest: fuzz_short).
#   TARGET FLAGS   a long run of one target, e.g.
#                    tools/fuzz.sh config_fuzzer -max_total_time=3600 -jobs=2 -workers=2
#                  New inputs go to DKR_FUZZ_BUILD_DIR/corpus/TARGET, crashes to
#                  DKR_FUZZ_BUILD_DIR/artifacts/.
#   --list         prints the targets.
#
# A crash is reproduced with `DKR_FUZZ_BUILD_DIR/tests/fuzz/TARGET CRASH_FILE`;
# turn it into a unit test before fixing it (docs/reliability.md).
#
# Environment: DKR_FUZZ_BUILD_DIR (default: build-fuzz, relative to the repo root).
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

[[ $# -ge 1 ]] || { sed -n '2,4p' "$0" >&2; exit 2; }

build_dir=${DKR_FUZZ_BUILD_DIR:-build-fuzz}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$root/tools/ubsan.supp}
seconds=${DKR_FUZZ_SECONDS:-60}
targets=()
for source in tests/fuzz/*_fuzzer.cpp; do
  name=${source##*/}
  targets+=("${name%.cpp}")
done

if [[ $1 == --list ]]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi

# Runs a command quietly; shows its output only if it fails.
quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    return 1
  fi
}

tools/setup.sh
quiet cmake -S . -B "$build_dir" -DDKR_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
quiet cmake --build "$build_dir" --target fuzzers -j "$(nproc)"
mkdir -p "$build_dir/artifacts"

# fuzz TARGET FLAGS...: the work corpus first (libFuzzer writes new inputs
# there), the committed seeds second (read only).
fuzz() {
  local target=$1
  shift
  mkdir -p "$build_dir/corpus/$target"
  "$build_dir/tests/fuzz/$target" -artifact_prefix="$build_dir/artifacts/$target-" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$@" "$build_dir/corpus/$target" "tests/fuzz/corpus/$target"
}

if [[ $1 == --short ]]; then
  failed=()
  for t in "${targets[@]}"; do
    echo "== $t: ${seconds}s"
    # libFuzzer's progress lines are noise here; the tail shows the verdict.
    log="$build_dir/artifacts/$t.log"
    if fuzz "$t" -max_total_time="$seconds" >"$log" 2>&1; then
      grep -E '^(Done|stat::number_of_executed_units)' "$log" || true
    else
      tail -n 60 "$log"
      failed+=("$t")
    fi
  done
  if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs in $build_dir/artifacts/)" >&2
    exit 1
  fi
  exit 0
fi

target=$1
shift
[[ " ${targets[*]} " == *" $target "* ]] || { echo "fuzz: no target $target (tools/fuzz.sh --list)" >&2; exit 2; }
fuzz "$target" "$@"
