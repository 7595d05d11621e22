// A libuv loop owned by one object. The constructor initialises it; close() (or the destructor)
// closes every handle still open on it, runs it until they are closed and closes the loop, so
// an early return or an exception does not leave the loop open. A loop that still will not
// close then is a programming error: the destructor aborts with a message in builds with
// assertions. A handle whose memory goes away before the loop (a uv_timer_t on the stack of a
// function that returns) must still be closed by its owner first.
#pragma once

#include <uv.h>

namespace xb {

class UvLoop {
 public:
  UvLoop();  // throws Error when libuv cannot make a loop (out of file descriptors)
  ~UvLoop();
  UvLoop(const UvLoop&) = delete;
  UvLoop& operator=(const UvLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // uv_run on this loop: until nothing is left on it (UV_RUN_DEFAULT), or one pass.
  int run(uv_run_mode mode = UV_RUN_DEFAULT) { return uv_run(&loop_, mode); }

  // Whether uv_loop_close() would succeed as things are: every handle on the loop closed by its
  // owner and no request pending. Tests check it before close() to catch a leaked handle.
  bool all_closed();

  // Closes the handles still open (their owners' close callbacks are not called: owners are
  // expected to have closed theirs already), runs the loop until they are closed and returns
  // uv_loop_close()'s result: 0, or UV_EBUSY if a callback opened a new handle meanwhile. The
  // loop is closed once, by the first call; later calls (and the destructor) return 0.
  int close();

 private:
  uv_loop_t loop_;
  bool closed_ = false;
};

}  // namespace xb
