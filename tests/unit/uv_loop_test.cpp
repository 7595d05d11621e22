// Tests for uv_loop: a loop is closed cleanly whatever was left open on it.
#include "util/uv_loop.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

TEST(UvLoop, RunsWhatIsOnIt) {
  UvLoop loop;
  uv_timer_t timer;
  int fired = 0;
  timer.data = &fired;
  ASSERT_EQ(uv_timer_init(loop.get(), &timer), 0);
  uv_timer_start(
      &timer, [](uv_timer_t* handle) { ++*static_cast<int*>(handle->data); }, 1, 0);
  loop.run();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(loop.all_closed()) << "the timer is stopped but still open";
  uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
  loop.run();
  EXPECT_TRUE(loop.all_closed());
  EXPECT_EQ(loop.close(), 0);
}

TEST(UvLoop, CloseClosesTheHandlesLeftOpen) {
  UvLoop loop;
  uv_timer_t repeating;
  uv_timer_t idle;
  uv_timer_init(loop.get(), &repeating);
  uv_timer_init(loop.get(), &idle);
  uv_timer_start(
      &repeating, [](uv_timer_t*) {}, 1000, 1000);
  EXPECT_FALSE(loop.all_closed());
  EXPECT_EQ(loop.close(), 0);
  EXPECT_TRUE(loop.all_closed());
  EXPECT_EQ(loop.close(), 0) << "closing twice is harmless";
}

TEST(UvLoop, CloseLetsAPendingCloseCallbackRun) {
  UvLoop loop;
  uv_timer_t timer;
  bool closed = false;
  timer.data = &closed;
  uv_timer_init(loop.get(), &timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer),
           [](uv_handle_t* handle) { *static_cast<bool*>(handle->data) = true; });
  EXPECT_FALSE(loop.all_closed());
  EXPECT_EQ(loop.close(), 0);
  EXPECT_TRUE(closed);
}

TEST(UvLoop, TheDestructorClosesWhatAnEarlyExitLeftOpen) {
  uv_timer_t timer;
  try {
    UvLoop loop;
    uv_timer_init(loop.get(), &timer);
    uv_timer_start(
        &timer, [](uv_timer_t*) {}, 1000, 0);
    throw std::runtime_error("early exit");
  } catch (const std::runtime_error&) {
  }
  SUCCEED() << "the loop was closed without aborting";
}

// A close callback that opens a new handle: the loop cannot close, and close() says so.
void open_another(uv_handle_t* handle) { uv_timer_init(handle->loop, static_cast<uv_timer_t*>(handle->data)); }

TEST(UvLoop, CloseReportsAHandleOpenedWhileClosing) {
  UvLoop loop;
  uv_timer_t first;
  uv_timer_t second;
  first.data = &second;
  uv_timer_init(loop.get(), &first);
  uv_close(reinterpret_cast<uv_handle_t*>(&first), &open_another);
  EXPECT_EQ(loop.close(), UV_EBUSY);
  uv_close(reinterpret_cast<uv_handle_t*>(&second), nullptr);
  uv_run(loop.get(), UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(loop.get()), 0);
}

#ifndef NDEBUG
TEST(UvLoopDeathTest, ALoopThatCannotBeClosedIsAProgrammingError) {
  EXPECT_DEATH(
      {
        UvLoop loop;
        static uv_timer_t first;
        static uv_timer_t second;
        first.data = &second;
        uv_timer_init(loop.get(), &first);
        uv_close(reinterpret_cast<uv_handle_t*>(&first), &open_another);
      },
      "the event loop cannot be closed: resource busy or locked");
}
#endif

}  // namespace
}  // namespace xb
