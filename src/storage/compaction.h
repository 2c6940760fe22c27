#pragma once

// Log compaction (cleanup.policy=compact): keeps the newest record per key. It runs in three
// steps so the heavy part stays off the shard thread and off the append path:
//   1. log::begin_compaction (shard thread) picks the cleanable segments and snapshots them;
//   2. compaction_job::run (any thread, e.g. a cleaner thread) reads them, builds the key map,
//      writes one `<base>.log.cleaned` per changed segment and syncs it; it never touches the
//      log object;
//   3. log::finish_compaction (shard thread) checks nothing changed meanwhile, renames every
//      `.cleaned` to `.swap`, fsyncs the directory (the commit point), then renames each `.swap`
//      over its `.log`. A crash before the commit point leaves `.cleaned` files (removed on
//      open); after it, `.swap` files that open renames into place.
// Offsets are kept (gaps appear), batches keep their last offset (producer state), control
// batches are kept as they are. Tombstones go once they survived one cleaning pass and their
// batch is older than delete.retention.ms.
// Transactions (as Kafka's cleaner): the owner bounds the cleanable range by the first
// unstable offset (data of ongoing transactions is never cleaned), and names the aborted
// transactions in it, whose records are removed and never win a key. Markers are kept (Kafka
// removes a marker once its transaction's data is gone and delete.retention.ms passed; Vltava
// keeps them: a few bytes per transaction).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/fundamental.h"
#include "model/record_batch_header.h"
#include "storage/file_io.h"
#include "storage/log_config.h"

namespace vltava::storage {

struct compaction_stats {
  size_t segments_rewritten = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  uint64_t records_removed = 0;
  uint64_t tombstones_removed = 0;
};

// Bound on distinct keys per pass (memory of the key map).
inline constexpr size_t compaction_keys_max = 4'000'000;

// An aborted transaction's offsets [first, last] (last: its abort marker) for `producer`.
struct aborted_range {
  int64_t producer = -1;
  model::offset first;
  model::offset last;
};

// What the log's owner tells compaction about transactions (log::set_compaction_bounds).
struct compaction_bounds {
  // Nothing at or above it is cleaned: the first offset of the oldest ongoing transaction.
  std::function<std::optional<model::offset>()> first_unstable;
  // The aborted transactions overlapping [from, upper).
  std::function<std::vector<aborted_range>(model::offset from, model::offset upper)> aborted;
};

class compaction_job {
 public:
  struct source {
    model::offset base;
    std::shared_ptr<file> log;
    uint64_t size = 0;
    bool changed = false;
    uint64_t cleaned_size = 0;
    std::string cleaned_path;
  };

  compaction_job(file_io& io, std::string dir, log_config cfg, int64_t now_ms,
                 model::offset first_dirty, model::offset clean_end, std::vector<source> sources)
      : _io(io),
        _dir(std::move(dir)),
        _cfg(cfg),
        _now_ms(now_ms),
        _first_dirty(first_dirty),
        _clean_end(clean_end),
        _sources(std::move(sources)) {}

  // Step 2. Writes and syncs the .cleaned files; on error removes them.
  sresult<void> run();

  const std::vector<source>& sources() const { return _sources; }
  model::offset clean_end() const { return _clean_end; }
  const compaction_stats& stats() const { return _stats; }
  // The aborted transactions in the cleaned range (set by log::begin_compaction).
  void set_aborted(std::vector<aborted_range> a);
  // Removes .cleaned files (job abandoned).
  void discard();

 private:
  sresult<void> build_map();
  sresult<void> clean(source& s);
  // A batch of an aborted transaction: its records are dropped.
  bool aborted(const model::record_batch_header& h) const;

  file_io& _io;
  std::string _dir;
  log_config _cfg;
  int64_t _now_ms;
  model::offset _first_dirty;
  model::offset _clean_end;
  std::vector<source> _sources;
  std::unordered_map<std::string, int64_t> _latest;
  // producer id -> [first, last] of its aborted transactions in the cleaned range.
  std::unordered_map<int64_t, std::vector<std::pair<int64_t, int64_t>>>
      _aborted;  // key -> newest offset in the dirty range
  compaction_stats _stats;
};

}  // namespace vltava::storage
