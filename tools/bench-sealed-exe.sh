#!/usr/bin/env bash
# Usage: tools/bench-sealed-exe.sh [N] [DKR]
#
# The cost of the CVE-2019-5736 protection (docs/security.md): `create`
# re-executes dkr from a sealed copy before doing anything else, `state` does
# not. Both fail at once here (no bundle, no container), so the difference of
# their times is the cost of the re-exec. Prints the mean over N calls each.
set -euo pipefail
n=${1:-200}
dkr=${2:-$(dirname -- "${BASH_SOURCE[0]}")/../build/runtime/dkr}
root=$(mktemp -d)
trap 'rm -rf -- "$root"' EXIT

mean_us() {
  local start end
  start=$(date +%s%N)
  for ((i = 0; i < n; i++)); do "$dkr" --root "$root" "$@" >/dev/null 2>&1 || true; done
  end=$(date +%s%N)
  echo $(((end - start) / n / 1000))
}

plain=$(mean_us state no-such-container)
sealed=$(mean_us create --bundle "$root/no-such-bundle" no-such-container)
echo "state (no re-exec):      ${plain} us per call"
echo "create (sealed re-exec): ${sealed} us per call"
echo "re-exec cost:            $((sealed - plain)) us per create/run"
