// Idmapped bind mounts (mounts[].uidMappings/gidMappings, or the idmap and
// ridmap options): the source is shown with its owners shifted by the
// mount's mappings, e.g. so that root-owned files are root's in a user
// namespace. Only the host's root may idmap a host filesystem, so the parent
// makes these mounts (detached) before the clone and the init, which
// inherits the fds, attaches them.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "runtime/sys/fd.hpp"
#include "spec/config.hpp"

namespace dkr {

// Index in config.mounts -> a detached, idmapped clone of that mount's source.
using IdmappedMounts = std::map<size_t, sys::Fd>;

// Makes the idmapped clones the config asks for (none: nothing is done).
// Errors name mounts[i].
IdmappedMounts prepare_idmapped_mounts(const spec::Config& config, const std::string& bundle);

}  // namespace dkr
