#pragma once

// storage_log: the quorum's log (quorum/log.h) over the storage::log of `__cluster_metadata-0`,
// the node's metadata log on disk (docs/formats/metadata-log.md). One entry is one record
// batch as stored: payload = the batch's bytes, offset = its base offset, epoch = its
// partitionLeaderEpoch, record_count = lastOffsetDelta + 1, kind = leader_change for a control
// batch whose record is KRaft's LeaderChangeMessage (control type 2), data otherwise.
//
// Appending stamps each entry's offset and epoch into its batch (both lie before the CRC's
// range). A leader_change entry with an empty payload (raft_node writes those when it becomes
// leader) is built here as Kafka's control batch: LeaderId = this node, Voters = the
// configured voters, GrantingVoters = this node (the log does not know who else voted).
//
// The epoch index (KRaft's leader-epoch cache: where each epoch starts) lives in memory and is
// rebuilt at open by reading every batch header; Kafka keeps a leader-epoch-checkpoint file,
// but at metadata-log sizes a scan at start-up costs little, and there is no second file to
// keep consistent with the log.
//
// Durability, the one rule: raft_node::on_flushed(end) must describe the log as it is when it
// is called. The driver therefore passes durable_end() read at that moment on the log's
// thread, never an offset a flush completion carried: a completion can race a truncation
// (the completion was made for bytes since cut off and rewritten), and storage::log's
// durable_end() already forgets durability above a truncation point and ignores completions
// of flushes requested before it. request_flush()'s callback is only a wake-up.
//
// Errors: a failed write (ENOSPC, EIO, a failed fsync, a batch storage refuses) cannot be
// undone under raft_node, which believes the write happened. The log records the first
// failure and refuses every later write; the driver checks failure() after every call into
// raft_node and, when set, drops that call's outputs and stops the quorum on this node (fail-
// stop, as Kafka halts on a metadata log failure). Nothing wrong is ever sent.
//
// Threading: the storage::log's (one thread). open() blocks; so do the other calls' reads.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "quorum/io/checkpoint.h"
#include "quorum/log.h"
#include "storage/log.h"

namespace vltava::quorum {

class storage_log final : public log {
 public:
  // The metadata log's directory under a node's data directory.
  static constexpr std::string_view dir_name = "__cluster_metadata-0";
  // One read returns at most this much (and at least one batch).
  static constexpr uint64_t read_bytes_max = 1 << 20;

  // Takes the opened storage::log of __cluster_metadata-0, rebuilds the epoch index from its
  // batch headers (a negative epoch, or one lower than the batch before it, is an error naming
  // the offset), and syncs what recovery found, so that all of the log is durable, as raft_node
  // assumes when it is constructed. `self` and `voters` go into the LeaderChangeMessage this
  // node writes. Blocking: call at start-up.
  static result<std::unique_ptr<storage_log>, std::string> open(std::unique_ptr<storage::log> log,
                                                                model::node_id self,
                                                                std::vector<model::node_id> voters);
  ~storage_log() override;

  // quorum::log
  model::offset start_offset() const override { return _log->log_start_offset(); }
  model::offset end_offset() const override { return _log->log_end_offset(); }
  model::leader_epoch last_epoch() const override;
  model::leader_epoch epoch_at(model::offset o) const override;
  offset_and_epoch end_offset_for_epoch(model::leader_epoch e) const override;
  // Whole batches from the one holding `from`, at most read_bytes_max of them but at least one
  // (take_committed and a fetch may get a prefix of what they asked for; they come back).
  std::vector<entry> read(model::offset from, model::offset until,
                          std::size_t max_entries) const override;
  void append(const std::vector<entry>& entries) override;
  // A point inside a batch cuts that whole batch (the log end may land below `o`).
  void truncate(model::offset o) override;
  // Snapshots: checkpoint files beside the segments (storage_log_snapshots.cc).
  std::optional<snapshot_id> latest_snapshot() const override;
  result<snapshot_chunk, errc> read_snapshot(snapshot_id id, int64_t position,
                                             uint32_t max_bytes) const override;
  bool write_snapshot_chunk(snapshot_id id, int64_t position, std::string_view bytes) override;
  bool install_snapshot(snapshot_id id) override;

  // The state machine's snapshot of its committed state up to id.offset, which must be in
  // (start_offset, durable_end()]: written as a checkpoint file (blocking: write and fsync).
  result<void, std::string> create_snapshot(snapshot_id id,
                                            std::span<const std::vector<std::byte>> data_batches,
                                            int64_t last_contained_ms);
  // A snapshot's data batches, every batch checked.
  result<checkpoint_contents, std::string> read_snapshot_contents(snapshot_id id) const;
  std::vector<snapshot_id> snapshots() const;
  // Kafka's KafkaMetadataLog.maybeClean: while the log and the snapshots together exceed
  // metadata.max.retention.bytes, or the oldest snapshot's last record is older than
  // metadata.max.retention.ms, the oldest snapshot goes and the log starts at the next one
  // (whole segments before it are deleted). The newest snapshot always stays. -1: no limit.
  // Returns whether the log start moved.
  struct retention {
    int64_t max_bytes = -1;
    int64_t max_ms = -1;
  };
  bool clean(retention r);

  // Asks storage to sync everything appended so far. `wake` runs once the sync is done (on the
  // flusher thread), or at once on this thread when nothing needed syncing; either way it must
  // only post back to the log's thread, which then calls on_flushed(durable_end()).
  void request_flush(std::function<void()> wake);
  // Everything below is durable, for the log as it is now (see "Durability" above).
  model::offset durable_end() const { return _log->durable_end(); }
  // The first write that failed (or the storage log's failed fsync); the log is dead then.
  std::optional<std::string> failure() const;

  storage::log& storage() { return *_log; }

 private:
  storage_log(std::unique_ptr<storage::log> log, model::node_id self,
              std::vector<model::node_id> voters);
  result<void, std::string> load_epochs();
  result<std::string, std::string> batch_bytes(const entry& e) const;
  void note_epoch(model::leader_epoch epoch, model::offset start);
  void fail_with(std::string why) const;
  // At open: drops unfinished downloads (.part), checks every checkpoint (a corrupt one is
  // renamed .corrupt and not used), restarts a log that ends before the newest snapshot at
  // it (Kafka's truncateToLatestSnapshot), and forgets snapshots before the log start.
  result<void, std::string> load_snapshots();
  model::leader_epoch start_epoch() const;
  // Moves the log start to snapshot `id` and forgets the snapshots before it.
  bool delete_before(snapshot_id id);
  void forget_snapshot(snapshot_id id);
  void drop_partial();

  std::unique_ptr<storage::log> _log;
  model::node_id _self;
  std::vector<model::node_id> _voters;
  // Where each epoch starts, ascending in both; the last one runs to the log end.
  std::vector<std::pair<model::leader_epoch, model::offset>> _epochs;
  struct snapshot_meta {
    int64_t size = 0;
    int64_t last_contained_ms = -1;
  };
  std::map<snapshot_id, snapshot_meta> _snapshots;
  struct partial_snapshot {
    snapshot_id id;
    int fd = -1;
    int64_t size = 0;
  };
  std::optional<partial_snapshot> _partial;     // a follower's download in progress
  mutable std::optional<std::string> _failure;  // a failed read too
};

}  // namespace vltava::quorum
