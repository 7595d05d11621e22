// SIGINT and SIGTERM for a whole `xbuild run`: caught from the start to the end, so that the run
// stops at its next safe point (between passes, between the pieces of a layer being packed,
// before the output is published), removes what it staged and exits with status 130, never
// killed by the signal in the middle of a write. A second signal exits at once (status 130):
// the stages die with the run (exec/containment.h) and the staging it leaves is removed by the
// next run (remove_stale_temps in util/fs.h).
//
// The handler only records the signal and wakes the loop that waits for it (uv_async_send is
// async-signal-safe); everything else reads interrupt_signal() where it can stop.
#pragma once

#include <uv.h>

namespace xb {

// Installs the handler for its lifetime (nested catchers share one; the outermost restores the
// dispositions it found and forgets the signal). Made and destroyed on the main thread.
class InterruptCatcher {
 public:
  InterruptCatcher();
  ~InterruptCatcher();
  InterruptCatcher(const InterruptCatcher&) = delete;
  InterruptCatcher& operator=(const InterruptCatcher&) = delete;
};

// SIGINT or SIGTERM once one has been caught, else 0. Safe from any thread.
int interrupt_signal();

// "SIGINT" or "SIGTERM".
const char* interrupt_signal_name(int signal_number);

// `async` is sent when a signal is caught (null: no wakeup). The caller keeps it alive, and
// clears it before closing the handle.
void set_interrupt_wakeup(uv_async_t* async);

}  // namespace xb
