// `dkr network attach`: adds the hooks that connect a bundle's container to
// a network to its config.json, so that any OCI runtime (dkr, runc, crun)
// sets up and tears down the network around the container's lifecycle.
#pragma once

#include <string>

namespace dkr::network {

// Adds to BUNDLE/config.json a createRuntime hook
//   [dkr, network, hook, up, NAME, --state-dir, STATE_DIR]
// and the matching poststop hook ("down"), with `dkr` the absolute path of
// the dkr binary. Refuses a config whose container would share the host's
// network namespace (the error names the file and /linux/namespaces) or that
// is attached to the network already. The file is rewritten tab-indented.
void attach_bundle(const std::string& bundle, const std::string& network, const std::string& dkr_path,
                   const std::string& state_dir);

}  // namespace dkr::network
