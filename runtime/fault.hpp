// Fault injection for tests. In a build with -DDKR_FAULT_INJECTION=ON,
// DKR_FAULT=STEP:fail makes dkr throw "fault injected at STEP" at the named
// step, and DKR_FAULT=STEP:kill makes it die there at once, as from SIGKILL.
// Other builds compile every DKR_FAULT_POINT to nothing.
//
// Steps (docs/reliability.md says what each one leaves behind):
//   create:  create-after-state, create-after-cgroup, create-after-fifo,
//            create-after-clone, create-after-ready, create-after-pid
//   init:    init-after-clone, init-after-mounts, init-before-ready, init-before-fifo
//   start:   start-before-open, start-after-release
//   delete:  delete-after-kill, delete-after-cgroup, delete-after-state
#pragma once

#ifdef DKR_FAULT_INJECTION

namespace dkr {
void fault_point(const char* step);
}
#define DKR_FAULT_POINT(step) ::dkr::fault_point(step)

#else

#define DKR_FAULT_POINT(step) ((void)0)

#endif
