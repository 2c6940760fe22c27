#pragma once

// Group commit. Logs hand flush jobs to a flusher, which runs fdatasync on its own threads so
// a shard thread never blocks on the disk. Each round takes every queued job, syncs each
// distinct file once (one fdatasync covers every append waiting on it) and each directory,
// side by side on a sync_pool, writes checkpoints, then completes the jobs in order.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "model/fundamental.h"
#include "storage/file_io.h"
#include "storage/sync_pool.h"

namespace vltava::storage {

// Called on the flusher thread with the log's durable end offset (every offset below it is
// on disk), or with the error that made the flush fail. It must not touch the log: post back
// to the log's shard to do that. It must be quick (it delays other logs' completions).
using durable_callback = std::function<void(sresult<model::offset>)>;

// What a log and the flusher share: the durable end, and whether an fsync ever failed.
class durability_state {
 public:
  model::offset durable_end() const { return model::offset(_durable_end.load()); }
  bool failed() const { return _failed.load(); }
  std::string failure() const;

  // Flusher side: raises the durable end if no truncation happened since the job was made.
  void complete(model::offset target, uint64_t generation);
  void fail(std::string why);
  // Log side: after cutting the log at `end`, forget durability above it; jobs made before
  // this call no longer raise the durable end.
  void truncated(model::offset end);
  uint64_t generation() const { return _generation.load(); }
  void reset(model::offset end);

 private:
  mutable std::mutex _mu;
  std::atomic<int64_t> _durable_end{0};
  std::atomic<uint64_t> _generation{0};
  std::atomic<bool> _failed{false};
  std::string _failure;
};

struct flush_job {
  std::shared_ptr<durability_state> state;
  uint64_t generation = 0;
  model::offset target;  // durable end once the job is done
  std::vector<std::shared_ptr<file>> files;
  std::string dir;
  bool sync_dir = false;
  // Written atomically into `dir` after the files are synced.
  std::optional<std::pair<std::string, std::vector<std::byte>>> checkpoint;
  std::vector<durable_callback> callbacks;
};

class flusher {
 public:
  // `max_jobs` bounds the queue; submit blocks while it is full (backpressure on appenders).
  // `sync_threads`: helpers syncing files side by side with the flusher's own thread.
  explicit flusher(file_io& io, size_t max_jobs = 65536, size_t sync_threads = 7);
  // Finishes queued jobs, then stops the thread.
  ~flusher();
  flusher(const flusher&) = delete;
  flusher& operator=(const flusher&) = delete;

  void submit(flush_job job);
  // Blocks until every job submitted before the call is complete.
  void drain();
  uint64_t rounds() const { return _rounds.load(); }
  uint64_t fsyncs() const { return _fsyncs.load(); }

 private:
  void run();
  void run_round(std::vector<flush_job>& jobs);

  file_io& _io;
  size_t _max_jobs;
  sync_pool _syncs;
  std::mutex _mu;
  std::condition_variable _cv;       // jobs arrived, or stopping
  std::condition_variable _done_cv;  // a round finished (drain, full queue)
  std::deque<flush_job> _queue;
  uint64_t _submitted = 0;
  uint64_t _completed = 0;
  bool _stop = false;
  std::atomic<uint64_t> _rounds{0};
  std::atomic<uint64_t> _fsyncs{0};
  std::thread _thread;
};

}  // namespace vltava::storage
