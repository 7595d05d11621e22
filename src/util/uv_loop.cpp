// Closing a loop as libuv's own tests do (test/task.h): uv_walk visits every handle that is not
// libuv's own, uv_close each one not already closing, then uv_run lets their close callbacks
// run, after which uv_loop_close must find nothing left.
#include "util/uv_loop.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "util/error.h"

namespace xb {

UvLoop::UvLoop() {
  int error = uv_loop_init(&loop_);
  if (error != 0) throw Error(std::string("cannot start an event loop: ") + uv_strerror(error));
}

UvLoop::~UvLoop() {
  int error = close();
#ifndef NDEBUG
  if (error != 0) {
    std::fprintf(stderr, "xbuild: internal error: the event loop cannot be closed: %s\n", uv_strerror(error));
    std::abort();
  }
#endif
  (void)error;
}

bool UvLoop::all_closed() {
  if (closed_) return true;
  if (uv_loop_alive(&loop_) != 0) return false;
  bool any = false;
  uv_walk(
      &loop_, [](uv_handle_t*, void* found) { *static_cast<bool*>(found) = true; }, &any);
  return !any;
}

int UvLoop::close() {
  if (closed_) return 0;
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) uv_close(handle, nullptr);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  closed_ = true;
  return uv_loop_close(&loop_);
}

}  // namespace xb
