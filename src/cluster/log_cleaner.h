#pragma once

// The broker's log cleaner: compaction of the partitions whose cleanup.policy contains
// "compact" (user topics, __consumer_offsets, __transaction_state), off the shard threads.
// Each shard's housekeeping offers its partitions every log.cleaner.backoff.ms. A log with
// enough dirty data (min.cleanable.dirty.ratio) gets a compaction job in three steps
// (storage/compaction.h): picked on the partition's shard, run on a cleaner thread, swapped in
// back on the shard, which abandons it if the log changed meanwhile or the partition closed.
// log.cleaner.enable=false or log.cleaner.threads=0 turns it off, as in Kafka.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/asio.h"
#include "storage/compaction.h"

namespace vltava::cluster {

class partition;

class log_cleaner {
 public:
  log_cleaner(bool enabled, int threads);
  ~log_cleaner();  // stop()
  log_cleaner(const log_cleaner&) = delete;
  log_cleaner& operator=(const log_cleaner&) = delete;

  bool enabled() const { return !_threads.empty(); }

  // On the partition's shard (`shard`): starts a pass for a compacted partition unless one is
  // queued or running for it already or its log has too little dirty data.
  void offer(const std::shared_ptr<partition>& p, asio::io_context& shard, std::string name);

  // Finishes the pass each thread is running (its swap is still posted to the shard), drops
  // the queued ones and joins the threads. Not from a cleaner thread.
  void stop();

  // Passes completed (swapped in or abandoned) since start: for tests and metrics.
  uint64_t passes_done() const;

 private:
  struct work {
    std::shared_ptr<partition> part;
    asio::io_context* shard;
    std::string name;
    storage::compaction_job job;
  };
  // Shared with the completions posted to shards, which may run after the cleaner is gone.
  struct state {
    std::mutex mu;
    std::condition_variable wake;
    std::deque<work> queue;
    std::set<const partition*> busy;  // queued or running
    bool stopped = false;
    uint64_t passes_done = 0;
  };

  static void run(std::shared_ptr<state> st);

  std::shared_ptr<state> _state = std::make_shared<state>();
  std::vector<std::thread> _threads;
};

}  // namespace vltava::cluster
