#include "util/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace xb {

namespace {

std::atomic<int> caught{0};
std::atomic<uv_async_t*> wakeup{nullptr};
int depth = 0;
struct sigaction previous_int {};
struct sigaction previous_term {};

void on_signal(int signal_number) {
  int expected = 0;
  if (!caught.compare_exchange_strong(expected, signal_number)) {
    // Asked twice: stop now. The stages die with the run; the next run removes the staging.
    static const char message[] = "\nxbuild: interrupted again: stopping at once\n";
    (void)!::write(2, message, sizeof message - 1);
    ::_exit(130);
  }
  if (uv_async_t* async = wakeup.load()) uv_async_send(async);
}

}  // namespace

InterruptCatcher::InterruptCatcher() {
  if (depth++ > 0) return;
  struct sigaction action {};
  action.sa_handler = &on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  // A signal ignored from the start (nohup, a background job of a shell) stays ignored.
  ::sigaction(SIGINT, nullptr, &previous_int);
  ::sigaction(SIGTERM, nullptr, &previous_term);
  if (previous_int.sa_handler != SIG_IGN) ::sigaction(SIGINT, &action, nullptr);
  if (previous_term.sa_handler != SIG_IGN) ::sigaction(SIGTERM, &action, nullptr);
}

InterruptCatcher::~InterruptCatcher() {
  if (--depth > 0) return;
  ::sigaction(SIGINT, &previous_int, nullptr);
  ::sigaction(SIGTERM, &previous_term, nullptr);
  caught.store(0);  // the next catcher (another command of the same process: tests) starts afresh
}

int interrupt_signal() { return caught.load(); }

const char* interrupt_signal_name(int signal_number) { return signal_number == SIGINT ? "SIGINT" : "SIGTERM"; }

void set_interrupt_wakeup(uv_async_t* async) { wakeup.store(async); }

}  // namespace xb
