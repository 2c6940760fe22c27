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

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/fundamental.h"
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
  // Removes .cleaned files (job abandoned).
  void discard();

 private:
  sresult<void> build_map();
  sresult<void> clean(source& s);

  file_io& _io;
  std::string _dir;
  log_config _cfg;
  int64_t _now_ms;
  model::offset _first_dirty;
  model::offset _clean_end;
  std::vector<source> _sources;
  std::unordered_map<std::string, int64_t> _latest;  // key -> newest offset in the dirty range
  compaction_stats _stats;
};

}  // namespace vltava::storage
