#!/usr/bin/env bash
# Usage: tools/symbol-order.sh [OUT]   (as root; needs perf and valgrind)
#
# Writes the functions dkr runs for its container commands, one mangled name a
# line, to OUT (default: runtime/dkr.symbol-order). The dkr binary is linked
# with these first (lld --symbol-ordering-file, runtime/CMakeLists.txt): the
# kernel maps a binary's text in 64 KiB fault-around windows, so code that runs
# spread over the whole text maps nearly all of it; packed together it maps a
# fraction (docs/performance.md: peak RSS of `create` 2284 -> 1592 KiB).
#
# The list is the union of
#   - perf samples (60 kHz) of every dkr process, the container init included,
#     over a loop of create/start/state/list/exec/kill/delete/run/--version;
#   - the functions callgrind saw in the same commands, one run each (exact,
#     but valgrind lacks the mount API, so a container's init fails under it:
#     create and run add their error path, which is also worth having near).
# A name that no longer exists is ignored at link time; a function added since
# the list was made is linked after the listed ones, which costs RSS, not
# correctness: run this again after large changes.
set -euo pipefail
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m -- "${1:-$root/runtime/dkr.symbol-order}")
dkr=$root/build/runtime/dkr
for tool in perf valgrind; do
  command -v "$tool" >/dev/null || { echo "symbol-order.sh: $tool is needed (apt-get install linux-perf valgrind)" >&2; exit 1; }
done
[[ -x $dkr ]] || { echo "symbol-order.sh: build dkr first (tools/build.sh)" >&2; exit 1; }

if [[ -z ${DKR_SYMBOL_ORDER_WORK:-} ]]; then
  # A mount namespace of our own for the read-only bind mount below.
  work=$(mktemp -d /run/dkr-symbol-order.XXXXXX)
  trap 'rm -rf -- "$work"' EXIT
  DKR_SYMBOL_ORDER_WORK=$work unshare --mount --propagation private -- "$0" "$out"
  exit
fi
work=$DKR_SYMBOL_ORDER_WORK
trap 'for id in $("$dkr" --root "$work/root" list -q 2>/dev/null); do "$dkr" --root "$work/root" delete --force "$id"; done' EXIT

# dkr re-executes itself from a sealed copy (CVE-2019-5736) unless its binary
# is on a read-only mount already; perf could not find the copy's symbols.
mkdir -p "$work/bin" "$work/root"
cp -- "$dkr" "$work/bin/dkr"
mount --bind "$work/bin" "$work/bin"
mount -o remount,bind,ro "$work/bin"
dkr=$work/bin/dkr

bash "$root/tools/mkrootfs.sh" "$work/rootfs" >/dev/null
bundle() {  # bundle DIR ARGS...: runc's default config running ARGS
  local dir=$1
  shift
  mkdir -p "$dir"
  (cd "$dir" && "$dkr" spec)
  local args
  args=$(printf '"%s",' "$@")
  sed -i -e "s#\"path\": \"rootfs\"#\"path\": \"$work/rootfs\"#" -e 's#"terminal": true#"terminal": false#' \
         -e "/\"args\": \[/,/\]/c\\\\t\t\"args\": [${args%,}]," "$dir/config.json"
}
bundle "$work/true" /bin/true
bundle "$work/sleep" /bin/sleep 100000

k() { "$dkr" --root "$work/root" "$@"; }
lifecycle() {
  k create -b "$work/sleep" svc && k start svc
  for i in $(seq 40); do
    k create -b "$work/true" --pid-file "$work/pid" "c$i" && k start "c$i"
    k state "c$i" >/dev/null && k list >/dev/null
    while [[ $(k state "c$i") != *'"stopped"'* ]]; do :; done
    k delete "c$i"
    k run -b "$work/true" "r$i"
    k exec svc /bin/true && k kill svc CONT && k --version >/dev/null
    k ps svc >/dev/null && k events --stats svc >/dev/null
  done
  k delete --force svc
}
export -f k lifecycle
export work dkr
perf record -q -F 60000 -o "$work/perf.data" -- bash -c lifecycle >/dev/null
perf script -i "$work/perf.data" --comm dkr -F ip,dso 2>/dev/null | awk -v bin="($dkr)" '$2 == bin {print $1}' |
  sort -u >"$work/ips"
nm -n --defined-only "$dkr" | awk '$2 ~ /^[tTwW]$/ {print $1, $3}' >"$work/syms"
# Each sampled address to the function that holds it (both lists sorted by address).
perl -e 'open S, $ARGV[0]; while (<S>) { ($a, $n) = split; push @a, hex $a; push @n, $n }
         open I, $ARGV[1]; while (<I>) { $ip = hex $_; ($lo, $hi) = (0, $#a);
           while ($lo < $hi) { $m = int(($lo + $hi + 1) / 2); if ($a[$m] <= $ip) { $lo = $m } else { $hi = $m - 1 } }
           print "$n[$lo]\n" if $a[$lo] <= $ip }' "$work/syms" "$work/ips" >"$work/sampled"

k create -b "$work/sleep" svc
vg=(valgrind -q --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.%p")
for args in --version "spec --bundle $work/specdir" list "state svc" "create -b $work/true c" "start svc" "kill svc CONT" \
            "exec svc /bin/true" "ps svc" "events --stats svc" "delete --force c" "run -b $work/true r" "delete --force svc"; do
  mkdir -p "$work/specdir"
  # shellcheck disable=SC2086 # the arguments are split on purpose
  timeout 120 "${vg[@]}" "$dkr" --root "$work/root" $args </dev/null >/dev/null 2>&1 || true
done
cat "$work"/cg.* | sed -n -E 's/^c?fn=\([0-9]+\) ?//p' | grep -v -e '^$' -e '^0x' -e '^(below main)' |
  sed -E "s/'[0-9]+$//" >"$work/called"

sort -u "$work/sampled" "$work/called" >"$out"
echo "symbol-order.sh: $(wc -l <"$out") functions in $out"
