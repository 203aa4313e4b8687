// CVE-2019-5736: a container process must not be able to overwrite the dkr
// binary through /proc/<pid>/exe of a dkr process it can see (the init
// before its exec, or a process that exec'd "/proc/self/exe" from the init,
// e.g. through a "#!/proc/self/exe" script in the rootfs).
//
// dkr does not re-exec itself for the init: the init is a clone of the
// command's process. So the commands that put a process into a container
// (create, run) first re-exec themselves from a copy that cannot be written:
// the binary's directory as the lower layer of a detached overlayfs mount
// with no upper layer (a read-only superblock, which mount_setattr from a
// user namespace cannot make writable, unlike a read-only bind mount), or,
// where overlayfs is missing, a sealed memfd copy. A binary already running
// from a read-only mount or a sealed memfd is not re-executed.
#pragma once

#include <string>

#include "runtime/sys/fd.hpp"

namespace dkr::security {

// True if writes to the running binary through /proc/self/exe are refused:
// it is on a read-only mount or superblock, or is a memfd sealed for writes.
bool exe_is_sealed();

// An O_PATH fd of the running binary as seen through a detached overlayfs
// mount without an upper layer.
sys::Fd sealed_overlay_exe();
// A memfd copy of the running binary, sealed against every change.
sys::Fd sealed_memfd_exe();

// Unless exe_is_sealed(), execveat(2) of sealed_overlay_exe() (or
// sealed_memfd_exe() where overlayfs is unavailable) with the same argv and
// environment. Returns only when no re-exec was needed; throws on failure.
void reexec_sealed(char** argv);

}  // namespace dkr::security
