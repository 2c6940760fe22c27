#include "net/shard_pool.h"

#include <pthread.h>
#include <sched.h>

#include "base/log.h"

namespace vltava::net {

shard_pool::shard_pool(unsigned count) {
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) {
    auto s = std::make_unique<one_shard>();
    // Concurrency hint 1: each context is run by exactly one thread, so Asio can skip locking.
    s->context = std::make_unique<asio::io_context>(1);
    s->work = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        s->context->get_executor());
    _shards.push_back(std::move(s));
  }
}

shard_pool::~shard_pool() {
  stop();
  join();
}

void shard_pool::start() {
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < _shards.size(); ++i) {
    auto& s = *_shards[i];
    s.thread = std::thread([ctx = s.context.get()] { ctx->run(); });
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(i % cpus, &set);
    // Pinning is an optimization; a container may forbid it, which is fine.
    if (pthread_setaffinity_np(s.thread.native_handle(), sizeof(set), &set) != 0) {
      log::debug("net", "could not pin shard {} to cpu {}", i, i % cpus);
    }
  }
}

void shard_pool::stop() {
  for (auto& s : _shards) {
    s->work.reset();
    s->context->stop();
  }
}

void shard_pool::join() {
  for (auto& s : _shards) {
    if (s->thread.joinable()) s->thread.join();
  }
}

}  // namespace vltava::net
