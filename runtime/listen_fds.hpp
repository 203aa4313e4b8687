// Socket activation (systemd's LISTEN_FDS) passed through to the container,
// as runc does: when $LISTEN_PID is dkr's pid, the $LISTEN_FDS fds from 3 up
// go to the container process with LISTEN_FDS=N and LISTEN_PID=1, and
// --preserve-fds counts from the fd after them.
#pragma once

#include <string>
#include <vector>

namespace dkr {

// N when $LISTEN_FDS is meant for this process, else 0.
int listen_fds();

// The env entries the container process gets for `n` listen fds.
std::vector<std::string> listen_fds_env(int n);

}  // namespace dkr
