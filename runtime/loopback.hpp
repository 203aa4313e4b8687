// The loopback interface of a network namespace the runtime creates. runc
// brings it up, and engines rely on that: podman's and Docker's
// `--network none` mean "loopback only", and a pod's containers talk over it.
#pragma once

namespace dkr {

// Brings "lo" of the caller's network namespace up (needs CAP_NET_ADMIN there).
void bring_up_loopback();

}  // namespace dkr
