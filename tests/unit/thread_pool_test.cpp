// Tests for thread_pool: real threads, tasks from several of them, waiting, stopping, errors.
#include "util/thread_pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace xb {
namespace {

const std::chrono::milliseconds kMoment{2};

// A gate tasks wait at until the test opens it (or ten seconds pass, so a bug fails, not hangs).
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

TEST(ThreadPool, RunsEveryTaskEnqueuedFromSeveralThreads) {
  ThreadPool pool(4);
  std::atomic<int> ran{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p)
    producers.emplace_back([&] {
      for (int i = 0; i < 250; ++i) pool.enqueue([&] { ++ran; });
    });
  for (std::thread& producer : producers) producer.join();
  pool.wait();
  EXPECT_EQ(ran, 1000);
}

TEST(ThreadPool, NeverRunsMoreTasksAtOnceThanItHasWorkers) {
  ThreadPool pool(3);
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  for (int i = 0; i < 30; ++i)
    pool.enqueue([&] {
      int now = ++running;
      for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {
      }
      std::this_thread::sleep_for(kMoment);
      --running;
    });
  pool.wait();
  EXPECT_LE(most, 3);
  EXPECT_GE(most, 1);
}

TEST(ThreadPool, RunsTasksSideBySide) {
  ThreadPool pool(2);
  Gate first_started;
  std::atomic<bool> second_saw_first{false};
  pool.enqueue([&] {
    first_started.open();
    std::this_thread::sleep_for(kMoment);
  });
  pool.enqueue([&] { second_saw_first = first_started.wait(); });
  pool.wait();
  EXPECT_TRUE(second_saw_first);
}

TEST(ThreadPool, StartsWorkersOnlyAsTasksNeedThem) {
  ThreadPool pool(8);
  std::set<std::thread::id> threads;
  std::mutex mutex;
  for (int i = 0; i < 20; ++i) {
    pool.enqueue([&] {
      std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    });
    pool.wait();  // the worker is idle again: the next task is its
  }
  EXPECT_EQ(threads.size(), 1u);
}

TEST(ThreadPool, ShutDownRunsWhatIsQueuedThenStops) {
  ThreadPool pool(1);
  Gate gate;
  std::atomic<int> ran{0};
  pool.enqueue([&] { gate.wait(); });
  for (int i = 0; i < 10; ++i) pool.enqueue([&] { ++ran; });
  gate.open();
  pool.shut_down();
  EXPECT_EQ(ran, 10);
  EXPECT_THROW(pool.enqueue([] {}), std::logic_error);
  pool.shut_down();  // again: nothing to do
}

TEST(ThreadPool, TheDestructorWaitsForTheQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 10; ++i)
      pool.enqueue([&] {
        std::this_thread::sleep_for(kMoment);
        ++ran;
      });
  }
  EXPECT_EQ(ran, 10);
}

TEST(ThreadPool, DropQueuedDropsWhatHasNotStartedAndLetsTheRunningTaskFinish) {
  ThreadPool pool(1);
  Gate started;
  Gate release;
  std::atomic<bool> first_finished{false};
  std::atomic<int> others{0};
  pool.enqueue([&] {
    started.open();
    release.wait();
    first_finished = true;
  });
  for (int i = 0; i < 5; ++i) pool.enqueue([&] { ++others; });
  ASSERT_TRUE(started.wait());
  pool.drop_queued();
  release.open();
  pool.wait();
  EXPECT_TRUE(first_finished);
  EXPECT_EQ(others, 0);
}

TEST(ThreadPool, WaitRethrowsTheFirstExceptionOnceAfterTheOtherTasksRan) {
  ThreadPool pool(2);
  std::atomic<int> ran{0};
  pool.enqueue([] { throw std::runtime_error("boom"); });
  for (int i = 0; i < 10; ++i) pool.enqueue([&] { ++ran; });
  try {
    pool.wait();
    ADD_FAILURE() << "wait() did not rethrow";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "boom");
  }
  EXPECT_EQ(ran, 10);
  EXPECT_NO_THROW(pool.wait());
  pool.enqueue([&] { ++ran; });
  pool.wait();
  EXPECT_EQ(ran, 11) << "the pool goes on after a task threw";
}

TEST(ParallelFor, CallsTheBodyOnceForEachIndex) {
  std::vector<std::atomic<int>> calls(100);
  parallel_for(calls.size(), 4, [&](std::size_t index) { ++calls[index]; });
  for (std::size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i], 1) << "index " << i;
  parallel_for(0, 4, [](std::size_t) { ADD_FAILURE() << "no index to visit"; });
}

TEST(ParallelFor, RunsAtMostMaxParallelAtOnce) {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  parallel_for(20, 2, [&](std::size_t) {
    int now = ++running;
    for (int seen = most; now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(kMoment);
    --running;
  });
  EXPECT_LE(most, 2);
}

TEST(ParallelFor, RethrowsAfterEveryIndexWasVisited) {
  std::atomic<int> visited{0};
  EXPECT_THROW(parallel_for(10, 3,
                            [&](std::size_t index) {
                              ++visited;
                              if (index == 2) throw std::runtime_error("index 2");
                            }),
               std::runtime_error);
  EXPECT_EQ(visited, 10);
}

}  // namespace
}  // namespace xb
