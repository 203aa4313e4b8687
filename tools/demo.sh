#!/usr/bin/env bash
# Usage: tools/demo.sh   (as root)
#
# Installs what is missing, builds dkr, makes a busybox rootfs for
# bundles/hello and runs that container once. Exits with the container's exit
# code.
#
# Environment:
#   DKR_DEMO_ROOT  dkr state directory (--root), default /run/dkr
#   DKR_BUILD_DIR  build directory, as for tools/build.sh (default: build)
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

if [[ $EUID -ne 0 ]]; then
  echo "demo.sh: running a container needs root: sudo $0" >&2
  exit 1
fi

tools/build.sh --target dkr
tools/mkrootfs.sh bundles/hello/rootfs

dkr=${DKR_BUILD_DIR:-build}/runtime/dkr
state_root=${DKR_DEMO_ROOT:-/run/dkr}
id=dkr-demo-$$

echo "==> $dkr run --bundle bundles/hello $id  (busybox rootfs from Debian's busybox-static, read-only root, new pid/net/ipc/uts/mount namespaces)"
rc=0
"$dkr" --root "$state_root" run --bundle bundles/hello "$id" || rc=$?
if [[ $rc -ne 0 ]]; then
  # Leave no half-made container behind.
  "$dkr" --root "$state_root" delete --force "$id" >/dev/null 2>&1 || true
fi

cat <<HINT
==> container exited with status $rc
    For an interactive shell in a container:
      tools/mkrootfs.sh bundles/shell/rootfs
      sudo $dkr run --bundle bundles/shell sh1
HINT
exit "$rc"
