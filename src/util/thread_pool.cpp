// Workers sleep on `task_or_stop_` while the queue is empty. enqueue() wakes one and starts a
// new worker when more tasks wait than workers sleep (and the limit allows), so a pool costs
// threads only for the tasks it is given. A worker leaves when the pool is stopping and the
// queue is empty: shut_down() therefore runs everything queued before it returns. `running_`
// and the queue together tell wait() when the pool has nothing left to do.
#include "util/thread_pool.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace xb {

ThreadPool::ThreadPool(std::size_t max_workers) : max_workers_(std::max<std::size_t>(max_workers, 1)) {}

ThreadPool::~ThreadPool() { shut_down(); }

std::size_t ThreadPool::workers_per_core() { return std::max(1u, std::thread::hardware_concurrency()); }

void ThreadPool::enqueue(std::function<void()> task) {
  std::lock_guard lock(mutex_);
  if (stopping_) throw std::logic_error("ThreadPool::enqueue after shut_down");
  queue_.push_back(std::move(task));
  if (queue_.size() > idle_ && workers_.size() < max_workers_) {
    try {
      workers_.emplace_back([this] { work(); });
    } catch (...) {  // no thread to be had: the task is not queued either
      queue_.pop_back();
      throw;
    }
  }
  task_or_stop_.notify_one();
}

void ThreadPool::wait() {
  std::unique_lock lock(mutex_);
  all_done_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
  if (first_error_) std::rethrow_exception(std::exchange(first_error_, nullptr));
}

void ThreadPool::drop_queued() {
  std::lock_guard lock(mutex_);
  queue_.clear();
  if (running_ == 0) all_done_.notify_all();
}

void ThreadPool::shut_down() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    workers.swap(workers_);
  }
  task_or_stop_.notify_all();
  for (std::thread& worker : workers) worker.join();
}

void ThreadPool::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    ++idle_;
    task_or_stop_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    --idle_;
    if (queue_.empty()) return;  // stopping, and nothing left to run
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    try {
      task();
    } catch (...) {
      std::lock_guard error_lock(mutex_);
      if (!first_error_) first_error_ = std::current_exception();
    }
    task = nullptr;  // what the task captured goes before the pool counts it done
    lock.lock();
    --running_;
    if (queue_.empty() && running_ == 0) all_done_.notify_all();
  }
}

void parallel_for(std::size_t count, std::size_t max_parallel, const std::function<void(std::size_t)>& body) {
  if (count == 0) return;
  ThreadPool pool(std::min(count, max_parallel));
  for (std::size_t index = 0; index < count; ++index) pool.enqueue([&body, index] { body(index); });
  pool.wait();
}

}  // namespace xb
