#include "storage/sync_pool.h"

namespace vltava::storage {

sync_pool::sync_pool(size_t threads) {
  _threads.reserve(threads);
  for (size_t i = 0; i < threads; ++i) _threads.emplace_back([this] { work(); });
}

sync_pool::~sync_pool() {
  {
    std::lock_guard g(_mu);
    _stop = true;
  }
  _work_cv.notify_all();
  for (auto& t : _threads) t.join();
}

void sync_pool::drain(std::unique_lock<std::mutex>& lock) {
  while (!_queue.empty()) {
    std::function<void()>* task = _queue.front();
    _queue.pop_front();
    ++_running;
    lock.unlock();
    (*task)();
    lock.lock();
    --_running;
  }
  _done_cv.notify_all();
}

void sync_pool::run_all(std::vector<std::function<void()>>& tasks) {
  if (tasks.empty()) return;
  if (tasks.size() == 1 || _threads.empty()) {
    for (auto& t : tasks) t();
    return;
  }
  std::unique_lock lock(_mu);
  for (auto& t : tasks) _queue.push_back(&t);
  lock.unlock();
  _work_cv.notify_all();
  lock.lock();
  drain(lock);
  _done_cv.wait(lock, [&] { return _queue.empty() && _running == 0; });
}

void sync_pool::work() {
  std::unique_lock lock(_mu);
  for (;;) {
    _work_cv.wait(lock, [&] { return _stop || !_queue.empty(); });
    if (_stop) return;
    drain(lock);
  }
}

}  // namespace vltava::storage
