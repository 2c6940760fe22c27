#pragma once

// The partition log: an ordered set of segments in `<data>/<topic>-<partition>/`, holding Kafka
// v2 record batches. Threading and durability rules: README.md.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/fundamental.h"
#include "model/record_batch_header.h"
#include "model/topic_partition.h"
#include "storage/compaction.h"
#include "storage/errors.h"
#include "storage/file_io.h"
#include "storage/flusher.h"
#include "storage/log_config.h"
#include "storage/segment.h"

namespace vltava::storage {

struct append_options {
  // Written into every batch's partitionLeaderEpoch (the Raft term) when set.
  std::optional<model::leader_epoch> leader_epoch;
  // Leader: offsets are assigned from the log end. Follower: batches keep their offsets, which
  // must be increasing and at or above the log end (gaps allowed, as compaction leaves them).
  bool assign_offsets = true;
  // message.timestamp.type=LogAppendTime: stamps every batch with this time.
  std::optional<model::timestamp_ms> log_append_time;
  // The caller has checked every batch's CRC already (the broker's produce validation must, to
  // answer CORRUPT_MESSAGE before looking at records): skip the second pass over the bytes.
  // Framing, sizes and offsets are still checked here.
  bool crc_checked = false;
};

struct append_result {
  model::offset base_offset;  // first offset of the first batch
  model::offset last_offset;  // last offset of the last batch
  int64_t max_timestamp = -1;
  size_t batches = 0;
  uint64_t bytes = 0;
};

// A slice of a segment file holding whole batches, for sendfile. `source` keeps the
// descriptor open even if the segment is deleted meanwhile.
struct file_range {
  std::shared_ptr<file> source;
  uint64_t position = 0;
  uint64_t length = 0;
  int fd() const { return source->fd(); }
};

struct read_result {
  std::vector<file_range> ranges;
  uint64_t bytes = 0;
  model::offset next_offset;  // the offset to read next (after the last batch returned)
  bool empty() const { return ranges.empty(); }
};

struct timestamp_match {
  model::offset base_offset;  // of the first batch whose max timestamp >= the target
  model::offset last_offset;
  int64_t max_timestamp = -1;
};

// What open() found and did; a broker logs it.
struct recovery_report {
  bool clean_shutdown = false;
  size_t segments = 0;
  size_t segments_scanned = 0;
  uint64_t bytes_truncated = 0;           // torn tail removed
  std::optional<std::string> truncation;  // where and why, naming topic, partition, segment
  size_t indexes_rebuilt = 0;
};

class log {
 public:
  // Opens (creating if needed) the log in `dir`, recovering after a crash; see README.md.
  // Blocking: call it at start-up or off the shard thread. `io` and `flush` must outlive it.
  static sresult<std::unique_ptr<log>> open(file_io& io, flusher& flush, std::string dir,
                                            model::topic_partition id, log_config cfg);
  // Without close(), the next open recovers as after a crash. Waits for flush jobs in flight
  // (they may write this log's checkpoint), so a reopen never races them.
  ~log() { _flusher.drain(); }
  log(const log&) = delete;
  log& operator=(const log&) = delete;

  // Clean shutdown: writes the indexes, syncs everything, writes the checkpoint and the
  // clean-shutdown marker. Blocks until done. The log accepts nothing afterwards.
  sresult<void> close();

  // Appends one or more batches (the records of a produce request or a replication fetch).
  // Every batch is validated first; if any is invalid nothing is written and the error names
  // the batch and what is wrong. Offsets (and epoch, append time) are rewritten in `batches`.
  sresult<append_result> append(std::span<std::byte> batches, const append_options& opts = {});

  // Whole batches from the one containing `from`, up to `max_bytes` (at least one batch, so a
  // reader always progresses), never including a batch that ends at or past `max_offset`
  // (exclusive; the high watermark for consumers). Empty at the end of the log.
  sresult<read_result> read(model::offset from, uint64_t max_bytes,
                            std::optional<model::offset> max_offset = std::nullopt);
  // The same batches copied into memory.
  sresult<std::vector<std::byte>> read_bytes(model::offset from, uint64_t max_bytes,
                                             std::optional<model::offset> max_offset = {});
  // The first batch (by offset) whose max timestamp >= ts, or nullopt if there is none.
  // Batch granularity: the caller finds the exact record inside the batch.
  sresult<std::optional<timestamp_match>> find_offset_by_timestamp(int64_t ts);

  model::offset log_start_offset() const { return _log_start; }
  model::offset log_end_offset() const;  // the next offset to be assigned
  model::offset high_watermark() const { return _high_watermark; }
  // Set by replication (or by a single node when an append is committed). Clamped to
  // [log start, log end]. Retention and set_log_start_offset never pass it.
  void set_high_watermark(model::offset hw);
  // Called on the shard thread after each successful append (to wake fetch waiters).
  void set_append_listener(std::function<void(const append_result&)> fn) {
    _append_listener = std::move(fn);
  }
  // Called on the shard thread when an append rolls to a new segment, with its base offset
  // (the partition snapshots its producer state then).
  void set_roll_listener(std::function<void(model::offset)> fn) { _roll_listener = std::move(fn); }
  // Transactions, for compaction (compaction.h): set by the owner (the partition) on the shard
  // thread; begin_compaction calls them there.
  void set_compaction_bounds(compaction_bounds b) { _compaction_bounds = std::move(b); }

  // Removes every batch that ends at or after `o` (a replica that diverged). A batch holding
  // `o` goes entirely, so the new log end may be below `o`. Returns the new log end.
  sresult<model::offset> truncate_suffix(model::offset o);
  // Moves the log start (DeleteRecords): deletes whole segments below it. o <= high watermark.
  sresult<void> set_log_start_offset(model::offset o);
  // Kafka's truncateFullyAndStartAt: every segment goes and the log restarts empty at `o`
  // (start = end = high watermark = o), as a replica does that installs a snapshot ending at
  // `o`. Durable once a flush after it completes.
  sresult<void> truncate_fully_and_start_at(model::offset o);

  // Durability: everything below durable_end() is on disk.
  model::offset durable_end() const;
  // Asks the flusher to sync everything appended so far; `cb` runs on the flusher thread.
  void flush(durable_callback cb = {});
  // Calls `cb` once offset `o` is durable: at once (on this thread) if it already is.
  void wait_durable(model::offset o, durable_callback cb);
  // Blocking flush, for tests and tools.
  sresult<model::offset> flush_and_wait();

  // Periodic work on the shard thread: flush.ms, retention, removal of .deleted files.
  sresult<void> housekeeping();
  // Deletes old segments by retention.ms and retention.bytes; returns how many.
  sresult<size_t> apply_retention();

  // Compaction (cleanup.policy contains compact); see compaction.h for the three steps.
  // begin: nullopt when there is nothing cleanable or (by_dirty_ratio) the dirty ratio is
  // below min.cleanable.dirty.ratio. Cleanable: segments other than the active one,
  // below the high watermark, whose newest batch is older than min.compaction.lag.ms.
  enum class compaction_trigger : uint8_t { by_dirty_ratio, forced };
  std::optional<compaction_job> begin_compaction(
      compaction_trigger trigger = compaction_trigger::by_dirty_ratio);
  // Swaps the cleaned segments in; abandons the job if the log changed meanwhile. Does one
  // directory fsync (the commit point) on the calling thread.
  sresult<compaction_stats> finish_compaction(compaction_job& job);
  // All three steps on this thread (tests, tools).
  sresult<compaction_stats> compact(
      compaction_trigger trigger = compaction_trigger::by_dirty_ratio);
  model::offset first_dirty_offset() const { return _first_dirty; }

  const recovery_report& recovery() const { return _report; }
  const model::topic_partition& identity() const { return _id; }
  const log_config& config() const { return _cfg; }
  // A changed topic config (AlterConfigs, IncrementalAlterConfigs): applies from the next
  // append, roll, housekeeping round or compaction, as in Kafka. Segments keep the index sizes
  // they were created with. An invalid config is refused and changes nothing.
  sresult<void> set_config(const log_config& cfg);
  const std::string& dir() const { return _dir; }
  file_io& io() const { return _io; }
  size_t segment_count() const { return _segments.size(); }
  std::vector<model::offset> segment_bases() const;
  uint64_t size_bytes() const;
  bool failed() const { return _durability->failed(); }

 private:
  log(file_io& io, flusher& flush, std::string dir, model::topic_partition id, log_config cfg);
  sresult<void> load();
  sresult<void> recover_from(size_t first);
  sresult<void> roll(model::offset base);

  // The steps of append(), in order.
  struct stamped_append {
    append_result result;
    int64_t records = 0;
  };
  // Pass 1: frames, sizes, CRCs (unless checked already) and follower offsets; touches nothing.
  sresult<std::vector<batch_ref>> validate_batches(std::span<const std::byte> batches,
                                                   const append_options& opts) const;
  // Pass 2: rewrites offsets (leader), epoch and append time in place, in `batches` and `refs`.
  sresult<stamped_append> stamp_batches(std::span<std::byte> batches, std::vector<batch_ref>& refs,
                                        const append_options& opts) const;
  // Pass 3: writes runs of batches, rolling segments between them; returns the bytes written.
  // On failure, what was written is truncated away again.
  sresult<uint64_t> write_batches(std::span<const std::byte> batches,
                                  const std::vector<batch_ref>& refs);
  failure<storage_error> undo_append(model::offset end_before, storage_error e);
  sresult<void> write_run(std::span<const std::byte> bytes, std::vector<batch_ref>& run);
  sresult<void> delete_segment(std::map<model::offset, std::unique_ptr<segment>>::iterator it);
  sresult<void> remove_all_and_restart(model::offset o);
  // What a flush job does besides syncing the unsynced files (the directory is synced anyway
  // when it changed since the last job).
  enum class dir_sync { if_changed, always };
  enum class checkpoint_write { no, yes };
  void submit(dir_sync sync, checkpoint_write checkpoint, std::vector<durable_callback> cbs);
  std::vector<std::byte> checkpoint_bytes() const;
  segment& active() { return *_segments.rbegin()->second; }
  std::string where(const segment& s, uint64_t pos) const;
  sresult<void> check_writable() const;

  file_io& _io;
  flusher& _flusher;
  std::string _dir;
  model::topic_partition _id;
  log_config _cfg;
  index_limits _limits;
  std::map<model::offset, std::unique_ptr<segment>> _segments;
  model::offset _log_start;
  model::offset _high_watermark;
  model::offset _recovery_point;
  std::shared_ptr<durability_state> _durability;
  std::vector<std::shared_ptr<file>> _unsynced;
  bool _dir_dirty = false;
  int64_t _unflushed_records = 0;
  int64_t _last_flush_ms = 0;
  struct pending_delete {
    std::string path;
    int64_t due_ms;
  };
  std::vector<pending_delete> _pending_deletes;
  std::function<void(const append_result&)> _append_listener;
  std::function<void(model::offset)> _roll_listener;
  compaction_bounds _compaction_bounds;
  recovery_report _report;
  bool _closed = false;
  model::offset _first_dirty;  // compaction: everything below was cleaned once
};

// partition.checkpoint contents (docs/formats/partition-checkpoint.md).
struct partition_checkpoint {
  model::offset recovery_point;
  model::offset log_start;
};
std::vector<std::byte> encode_checkpoint(const partition_checkpoint& c);
std::optional<partition_checkpoint> decode_checkpoint(std::span<const std::byte> bytes);

}  // namespace vltava::storage
