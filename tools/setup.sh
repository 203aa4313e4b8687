#!/usr/bin/env bash
# Installs the Debian 12 packages that dkr needs to build, test and run its demo.
# Idempotent and quiet: when everything is installed it only asks dpkg (no
# network, well under a second); otherwise it runs `apt-get update` once and
# installs what is missing, printing apt's output only if that fails.
set -euo pipefail

# Everything the project needs from Debian, in one place: add new needs here.
PACKAGES=(
  build-essential                        # g++, make
  cmake
  lld                                    # links dkr with its hot functions first (runtime/CMakeLists.txt)
  pkg-config
  rapidjson-dev                          # config.json / state.json parsing
  libseccomp-dev
  libboost-program-options-dev           # the runc-compatible CLI
  libgtest-dev googletest                # unit and integration tests
  busybox-static                         # rootfs for bundles/ and tests (tools/mkrootfs.sh)
  golang-github-opencontainers-specs-dev # OCI runtime-spec JSON schema
  libcap-dev
  runc crun                              # reference runtimes to compare against
  podman containerd                      # engines that the end-to-end tests run on dkr (tests/e2e)
  criu                                   # podman checkpoint (tests/e2e; skipped where CRIU cannot run)
  clang-14 libclang-rt-14-dev            # libFuzzer targets (tools/fuzz.sh)
  iproute2 procps util-linux             # ip, ps/pgrep, unshare/nsenter/setpriv
  nftables                               # nft: NAT for `dkr network create --nat`
  libarchive-dev libcurl4-openssl-dev libssl-dev  # dkr-image: layers, registry HTTP, digests
  docker-registry skopeo                 # image tests: a loopback registry, docker-archive writing
)

# One dpkg-query for all packages. It exits non-zero when it knows nothing of a
# package; such a package simply does not show up as installed.
declare -A installed=()
while read -r pkg status; do
  [[ $status == installed ]] && installed[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
missing=()
for pkg in "${PACKAGES[@]}"; do
  [[ -n ${installed[$pkg]-} ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi

log=$(mktemp "${TMPDIR:-/tmp}/dkr-setup.XXXXXX")
trap 'rm -f "$log"' EXIT
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=600)
if ! { "${apt[@]}" update && "${apt[@]}" install --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
  cat "$log" >&2
  echo "setup.sh: failed to install: ${missing[*]}" >&2
  exit 1
fi
