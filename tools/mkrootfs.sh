#!/usr/bin/env bash
# Usage: tools/mkrootfs.sh DIR
#
# Makes (or refreshes) a minimal busybox root filesystem in DIR from Debian's
# statically linked /bin/busybox (package busybox-static):
#   /bin/busybox plus a relative symlink for every applet at the path that
#   `busybox --list-full` gives (bin/sh, usr/bin/env, sbin/ip, ...),
#   /etc/passwd (root 0, user 1000, nobody 65534), /etc/group (root 0, tty 5,
#   user 1000, nogroup 65534), /etc/hosts, and the empty directories /proc /sys
#   /dev /tmp (1777) /root (0700) /home/user (owned by 1000:1000 when run as
#   root) /run /var.
#
# Re-running on an existing DIR rewrites all of the above and leaves anything
# else in DIR alone. Prints nothing on success.
#
# It is called by the tests, so it must be fast, and forks are slow on these
# machines: instead of one `ln` per applet (about 270), the whole tree except
# the busybox binary is written as one newc cpio stream by bash builtins and
# unpacked by a single `busybox cpio`.
set -euo pipefail
export LC_ALL=C
umask 022

BUSYBOX=${BUSYBOX:-/bin/busybox}

die() { printf 'mkrootfs.sh: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 1 && -n $1 ]] || die "usage: mkrootfs.sh DIR"
dir=$1
[[ -x $BUSYBOX ]] || die "$BUSYBOX not found: install busybox-static (tools/setup.sh does)"

mkdir -p -- "$dir/bin"
[[ -d $dir/bin && ! -L $dir/bin ]] || die "$dir/bin is not a directory"

# The binary itself. Skip the copy when it is already there with the same
# mtime (cp -p keeps it); otherwise copy beside it and rename over it, which
# also works while a container is executing the old copy.
bb=$dir/bin/busybox
if ! [[ -f $bb && ! -L $bb && ! $BUSYBOX -nt $bb && ! $bb -nt $BUSYBOX ]]; then
  cp -p -- "$BUSYBOX" "$bb.tmp.$$"
  mv -f -- "$bb.tmp.$$" "$bb"
fi

mapfile -t applets < <("$BUSYBOX" --list-full)
[[ ${#applets[@]} -gt 100 ]] || die "$BUSYBOX --list-full listed only ${#applets[@]} applets"

# ---- newc cpio writer (bash builtins only) --------------------------------
ino=0
pad() { # pad LEN: NULs up to the next multiple of 4
  case $(( (4 - $1 % 4) % 4 )) in
    1) printf '\0' ;;
    2) printf '\0\0' ;;
    3) printf '\0\0\0' ;;
  esac
}
entry() { # entry NAME MODE UID GID [DATA]
  local name=$1 mode=$2 uid=$3 gid=$4 data=${5-} nlink=1
  (( (mode & 0170000) == 0040000 )) && nlink=2
  ino=$((ino + 1))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    "$ino" "$mode" "$uid" "$gid" "$nlink" 0 "${#data}" 0 0 0 0 $((${#name} + 1)) 0
  printf '%s\0' "$name"
  pad $((110 + ${#name} + 1))
  printf '%s' "$data"
  pad "${#data}"
}
dirent() { entry "$1" $((0040000 | $2)) "${3:-0}" "${4:-0}"; }
file() { entry "$1" $((0100644)) 0 0 "$2"; }
link() { entry "$1" $((0120777)) 0 0 "$2"; }

# /home/user belongs to user 1000 only if we can chown (cpio restores owners
# as root and silently keeps ours otherwise).
user_uid=1000
[[ $EUID -eq 0 ]] || user_uid=$EUID

archive() {
  local d path up
  for d in bin sbin usr usr/bin usr/sbin etc proc sys dev run var root home; do
    case $d in
      root) dirent "$d" 0700 ;;
      *) dirent "$d" 0755 ;;
    esac
  done
  dirent tmp 01777
  dirent home/user 0755 "$user_uid" "$user_uid"

  file etc/passwd 'root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
'
  file etc/group 'root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
'
  file etc/hosts '127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
'

  for path in "${applets[@]}"; do
    path=${path#/}
    [[ -n $path && $path != bin/busybox ]] || continue
    # One "../" per directory level below bin/'s parent: bin/sh -> busybox,
    # usr/bin/env -> ../../bin/busybox, linuxrc -> bin/busybox.
    case $path in
      bin/*) up=busybox ;;
      */*/*) up=../../bin/busybox ;;
      */*) up=../bin/busybox ;;
      *) up=bin/busybox ;;
    esac
    link "$path" "$up"
  done

  entry 'TRAILER!!!' 0 0 0
}

# -d: make parent directories, -u: replace whatever is at a path already.
# busybox cpio reports "N blocks" on stderr; keep it only if cpio fails.
if ! err=$(cd -- "$dir" && archive | "$BUSYBOX" cpio -i -d -u 2>&1); then
  die "unpacking into $dir failed: $err"
fi
