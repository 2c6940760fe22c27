#pragma once

// The shards: one Asio io_context per core, each run by its own thread pinned to that core.
// Everything a shard owns (connections, partitions) is touched only from its thread; other
// threads reach it with asio::post.

#include <memory>
#include <thread>
#include <vector>

#include "net/asio.h"

namespace vltava::net {

class shard_pool {
 public:
  // `count` 0 means one shard per online CPU.
  explicit shard_pool(unsigned count = 0);
  ~shard_pool();
  shard_pool(const shard_pool&) = delete;
  shard_pool& operator=(const shard_pool&) = delete;

  unsigned size() const { return static_cast<unsigned>(_shards.size()); }
  asio::io_context& shard(unsigned i) { return *_shards.at(i)->context; }

  // Starts the threads. Safe to call once.
  void start();
  // Lets the loops return once their work is done (or at once after `stop`), then joins.
  void stop();
  void join();

 private:
  struct one_shard {
    std::unique_ptr<asio::io_context> context;
    std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::thread thread;
  };
  std::vector<std::unique_ptr<one_shard>> _shards;
};

}  // namespace vltava::net
