// Linux capabilities for the container init process.
//
// Implemented with the raw capset(2)/prctl(2) system calls rather than libcap:
// the needs are small (one capset, a handful of prctls), the kernel ABI is
// stable, and it keeps the (static) dkr binary free of another library.
//
// Required call order in the container init (single-threaded, still root):
//   1. prctl(PR_SET_KEEPCAPS, 1)          keep the permitted set across setuid
//   2. drop_bounding_set(caps)            needs CAP_SETPCAP, so before setuid
//   3. setgroups / setgid / setuid        needs CAP_SETGID/CAP_SETUID
//   4. apply_capabilities(caps)           capset E/P/I, then ambient
//   5. prctl(PR_SET_NO_NEW_PRIVS, 1)      if process.noNewPrivileges (and
//                                         always before a seccomp load without
//                                         CAP_SYS_ADMIN)
//   6. load the seccomp filter            last, so that the filter need not
//                                         allow the syscalls of steps 1-5
//   7. execve
//
// Names follow the OCI spec: "CAP_CHOWN" .. "CAP_CHECKPOINT_RESTORE", exact
// upper case. A name this table does not know is an error; a known cap that
// the running kernel does not support (number > /proc/sys/kernel/cap_last_cap)
// is skipped silently, as runc does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spec/config.hpp"

namespace dkr::security {

// Capability number for "CAP_xxx", or -1 if unknown.
int cap_from_name(std::string_view name);
// "CAP_xxx" for a number, or nullptr if the table has no name for it.
const char* cap_name(int cap);
// Highest capability number the name table knows (CAP_CHECKPOINT_RESTORE).
int max_known_cap();
// Highest capability supported by the running kernel
// (/proc/sys/kernel/cap_last_cap; read once and cached; falls back to probing
// PR_CAPBSET_READ when /proc is unavailable).
int last_cap();

// Bit mask of the named caps; unknown names are dkr::Error naming `field`
// and the cap; caps above `last` are skipped.
uint64_t caps_mask(const std::vector<std::string>& names, int last, const std::string& field);

// PR_CAPBSET_DROP every capability (0..last_cap) not listed in caps.bounding.
// Caps already absent from the bounding set are left alone. Needs CAP_SETPCAP.
void drop_bounding_set(const spec::Capabilities& caps);

// capset(2) effective/permitted/inheritable exactly as listed (inheritable is
// empty unless listed: CVE-2022-29162), then PR_CAP_AMBIENT_CLEAR_ALL and
// PR_CAP_AMBIENT_RAISE for each ambient cap that is also permitted and
// inheritable (the others are left out, as runc does). Call after setuid with
// PR_SET_KEEPCAPS set; a requested cap that is not in the current permitted
// set (e.g. dropped from the bounding set before setuid, or absent on this
// host) makes capset fail with an error naming it.
void apply_capabilities(const spec::Capabilities& caps);

}  // namespace dkr::security
