#pragma once

// One segment of a partition log: the .log file of whole record batches starting at a base
// offset, with its sparse offset and time indexes. Used only by log (one shard thread).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "model/record_batch_header.h"
#include "storage/file_io.h"
#include "storage/index.h"
#include "storage/log_config.h"

namespace vltava::storage {

struct batch_ref {
  model::record_batch_header header;
  uint64_t position = 0;  // byte position of the batch in its .log
};

enum class scan_action : uint8_t { next, stop, invalid };

struct scan_outcome {
  uint64_t end = 0;  // position after the last batch accepted
  // Set when the scan stopped at bytes that are not a valid batch (or that `fn` refused).
  std::optional<std::string> problem;
  // Size the bad batch's header claims, when its header parsed (to look past it).
  std::optional<uint64_t> bad_batch_size;
};

using scan_fn = std::function<scan_action(const batch_ref&, std::span<const std::byte> batch)>;

// How much of each batch scan_batches reads.
enum class scan_depth : uint8_t {
  headers,   // only headers; fn gets an empty span
  verified,  // each batch whole, checked (length, magic, CRC32C); fn gets its bytes
};

// Walks the batches of `f` in [from, to), reading them as deep as `depth` says. Stops at the
// first invalid batch, at a batch crossing `to`, or when fn says.
sresult<scan_outcome> scan_batches(const file& f, uint64_t from, uint64_t to, scan_depth depth,
                                   const scan_fn& fn);

struct index_limits {
  size_t offset_entries = 0;
  size_t time_entries = 0;
  int64_t interval_bytes = 4096;
  static index_limits from(const log_config& c);
};

class segment {
 public:
  // Creates empty .log for `base` in `dir` (truncating a stale file of the same name).
  static sresult<std::unique_ptr<segment>> create(file_io& io, const std::string& dir,
                                                  model::offset base, index_limits limits,
                                                  int64_t now_ms);
  // Opens an existing .log; its indexes load on first use. next_offset() is unknown (set by
  // the caller from the next segment's base, or by recover()/load_tail()).
  static sresult<std::unique_ptr<segment>> open(file_io& io, const std::string& dir,
                                                model::offset base, index_limits limits,
                                                int64_t now_ms);

  segment(const segment&) = delete;
  segment& operator=(const segment&) = delete;

  model::offset base_offset() const { return _base; }
  model::offset next_offset() const { return _next; }
  void set_next_offset(model::offset o) { _next = o; }
  uint64_t size() const { return _size; }
  bool empty() const { return _size == 0; }
  const std::shared_ptr<file>& log_file() const { return _log; }
  std::string path(std::string_view suffix) const;
  // Largest batch max timestamp (-1 when unknown or empty); loads the time index if needed.
  sresult<int64_t> max_timestamp();
  int64_t rolling_base_ms() const { return _rolling_base_ms; }

  // Whether a batch of `bytes` must go to a new segment, given `pending` bytes and `pending_n`
  // batches already destined for this one.
  bool needs_roll(const model::record_batch_header& h, uint64_t bytes, uint64_t pending,
                  size_t pending_n, const log_config& cfg, int64_t now_ms) const;
  // Appends whole batches (already validated and rewritten) at the end. On error the file is
  // cut back to its previous size when possible and nothing in memory changes.
  sresult<void> append(std::span<const std::byte> bytes, std::span<const batch_ref> batches);

  // Re-validates every batch (CRC, offsets increasing from the base) and rebuilds the indexes;
  // stops at the first invalid one. The caller decides what to do with a problem.
  sresult<scan_outcome> recover();
  // For a cleanly closed last segment: loads the indexes and validates only the batches after
  // the last index entry, to learn next_offset and the max timestamp.
  sresult<scan_outcome> load_tail();
  // Loads the indexes from their files, rebuilding them from the .log if missing or corrupt.
  sresult<void> load_indexes();

  // The first batch whose last offset >= o, or nullopt when there is none in this segment.
  sresult<std::optional<batch_ref>> find(model::offset o);
  // The first batch ending at or after `min_offset` whose max timestamp >= ts, or nullopt.
  sresult<std::optional<batch_ref>> find_timestamp(int64_t ts, model::offset min_offset);
  // Where a read starting at `start` may jump without reading headers: the last index entry
  // after `start` within `budget` bytes whose batch ends below `rel_limit` (relative). Every
  // batch in [start, result) belongs in the read. Returns `start` when there is none.
  uint64_t skip_hint(uint64_t start, uint64_t budget, int64_t rel_limit) const;
  // Cuts the .log at `position` (a batch boundary), rebuilding the indexes from what is left.
  sresult<void> truncate_to(uint64_t position);

  // Adds the final time index entry and writes both index files whole. Returns the index files
  // so the caller can have them synced.
  sresult<std::vector<std::shared_ptr<file>>> write_indexes();
  // Renames every file of the segment to <name>.deleted; returns the new paths.
  sresult<std::vector<std::string>> rename_to_deleted();

 private:
  segment(file_io& io, std::string dir, model::offset base, index_limits limits,
          std::shared_ptr<file> log, uint64_t size, int64_t now_ms);
  void index_batch(const batch_ref& b);
  void reset_indexes();
  int32_t relative(model::offset o) const;

  file_io& _io;
  std::string _dir;
  model::offset _base;
  index_limits _limits;
  std::shared_ptr<file> _log;
  uint64_t _size = 0;
  model::offset _next;
  int64_t _max_timestamp = -1;
  model::offset _offset_of_max_timestamp;
  int64_t _rolling_base_ms;
  bool _indexes_loaded = false;
  offset_index _offsets;
  time_index _times;
  uint64_t _bytes_since_entry = 0;
};

}  // namespace vltava::storage
