// seccomp: compile an OCI linux.seccomp profile to classic BPF with
// libseccomp, cache the compiled bytes, and load them with seccomp(2).
//
// The compile step is separated from the load so that the (expensive)
// libseccomp compilation of a big profile can be done once and cached on
// disk: the init process then only needs load_filter(). Filter *flags*
// (TSYNC, LOG, SPEC_ALLOW) are not part of the BPF program: they are passed
// to seccomp(2) at load time.
//
// Semantics follow runc:
//   * syscall names unknown to libseccomp are skipped, not fatal;
//   * a rule whose action equals the default action is skipped;
//   * args on distinct indices are AND'ed in one rule; if two args share an
//     index, every arg becomes its own rule (i.e. they are all OR'ed);
//   * SCMP_CMP_MASKED_EQ matches (arg & value) == valueTwo;
//   * errnoRet defaults to EPERM for SCMP_ACT_ERRNO / SCMP_ACT_TRACE and is
//     an error with any other action;
//   * SCMP_ACT_NOTIFY is refused as the default action and for "write"
//     (init must still be able to report to its parent after the load);
//   * more than 32 syscall entries enable libseccomp's binary-tree
//     optimisation.
// Errors are dkr::Error naming the JSON location, e.g.
//   /linux/seccomp/syscalls/3: unknown action "SCMP_ACT_FOO" (a JSON pointer)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr::security {

// True if any rule uses SCMP_ACT_NOTIFY: load_filter() must then be called
// with notify=true (SECCOMP_FILTER_FLAG_NEW_LISTENER is added implicitly).
bool seccomp_uses_notify(const spec::Seccomp& profile);

// Maps OCI flag names (SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW,
// _WAIT_KILLABLE_RECV; _NEW_LISTENER is accepted too) to seccomp(2) flag bits.
// Unknown names are dkr::Error naming /linux/seccomp/flags/i.
unsigned int seccomp_filter_flags(const std::vector<std::string>& flags);

// Compiles the profile; returns the raw `struct sock_filter` array
// (8 bytes per instruction) as produced by seccomp_export_bpf().
std::string compile_filter(const spec::Seccomp& profile);

// A deterministic compact JSON serialisation of every field of the profile
// (fixed key order, no whitespace): suitable as `canonical_json` below.
std::string seccomp_canonical_json(const spec::Seccomp& profile);

// compile_filter() behind an on-disk cache. The key is the SHA-256 of
// (cache format version, libseccomp version, libseccomp API level, native
// arch, canonical_json); the entry is <cache_dir>/<hex>.bpf, written
// atomically (temp + fsync + rename) and holding a magic, the SHA-256 of the
// program and the program. An entry that is short, corrupt, not a regular
// file, not owned by the effective uid or writable by group/others is
// ignored and rewritten. cache_dir is created (0700) if missing and must be
// trusted (root-owned, not writable by others): a forged entry with a valid
// checksum would be loaded as is. Failure to write the cache is not an error
// (the freshly compiled program is returned). `canonical_json` must describe
// `profile` exactly; the caller owns that correspondence.
std::string compiled_filter_cached(const spec::Seccomp& profile, std::string_view canonical_json,
                                   const std::string& cache_dir);
// Same, keyed by seccomp_canonical_json(profile).
std::string compiled_filter_cached(const spec::Seccomp& profile, const std::string& cache_dir);

// Loads a compiled program with seccomp(SECCOMP_SET_MODE_FILTER, flags).
// With notify, SECCOMP_FILTER_FLAG_NEW_LISTENER is added (and TSYNC_ESRCH when
// TSYNC is requested, which the kernel requires) and the listener fd
// (O_CLOEXEC) is returned; otherwise the returned Fd is invalid.
// The caller must have set PR_SET_NO_NEW_PRIVS or hold CAP_SYS_ADMIN in its
// user namespace, else the kernel refuses with EACCES. The filter applies to
// the calling thread (all threads with TSYNC) and survives execve.
sys::Fd load_filter(std::string_view bpf, const std::vector<std::string>& flags, bool notify);

}  // namespace dkr::security
