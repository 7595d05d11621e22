// A pool of worker threads taking tasks from one queue, after ccache's util::ThreadPool: at
// most `max_workers` threads, started as tasks arrive (a pool that is given two tasks starts
// two), enqueue() from any thread, wait() for what was queued, shut_down() to stop.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace xb {

class ThreadPool {
 public:
  explicit ThreadPool(std::size_t max_workers);  // 0 counts as 1
  ~ThreadPool();                                 // shut_down(); an uncollected exception is dropped
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // One worker per core: the size of a pool for work that keeps a core busy (compression).
  static std::size_t workers_per_core();

  // Queues `task`; a worker runs it. Not after shut_down().
  void enqueue(std::function<void()> task);

  // Returns once every task queued so far has run (or was dropped). If a task threw, the first
  // exception is rethrown here (once); the other tasks still ran.
  void wait();

  // Drops the tasks that no worker has started; the ones running go on.
  void drop_queued();

  // Lets the workers run what is queued, then stops and joins them. Idempotent.
  void shut_down();

 private:
  void work();

  const std::size_t max_workers_;
  std::mutex mutex_;
  std::condition_variable task_or_stop_;  // workers wait on it
  std::condition_variable all_done_;      // wait() waits on it
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  std::size_t idle_ = 0;     // workers waiting for a task
  std::size_t running_ = 0;  // tasks being run
  bool stopping_ = false;
  std::exception_ptr first_error_;
};

// Calls body(0), ..., body(count - 1) on a pool of at most `max_parallel` workers (started in
// index order) and returns when all have returned; the first exception one threw is rethrown.
void parallel_for(std::size_t count, std::size_t max_parallel, const std::function<void(std::size_t)>& body);

}  // namespace xb
