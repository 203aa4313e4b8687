// Copying a directory's contents between two directory fds (the tmpcopyup
// mount option: a tmpfs starts with what the rootfs had at its place).
#pragma once

namespace dkr {

// Copies every entry of from_dir into to_dir, recursively: directories,
// regular files, symlinks and device nodes/fifos, with their modes, owners
// and times. Everything is reached through fds opened with O_NOFOLLOW, so a
// symlink in the source is copied as a link, never followed.
void copy_tree(int from_dir, int to_dir);

}  // namespace dkr
