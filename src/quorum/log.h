#pragma once

// What the quorum state machine needs from the metadata log (`__cluster_metadata`): entries
// addressed by offset, each stamped with the epoch of the leader that wrote it. An entry is one
// record batch (its partitionLeaderEpoch is the quorum epoch) and spans the offsets of its
// records: [offset, offset + record_count). Offsets everywhere (log end, high watermark, fetch
// offsets, DivergingEpoch end offsets, truncation points) are record offsets, and every one the
// quorum uses falls on a batch boundary. The payload is opaque. Durability is not the log's
// business here: the node learns "durable up to X" through raft_node::on_flushed.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "quorum/errors.h"

namespace vltava::quorum {

// An entry the quorum writes itself (KRaft's LeaderChangeMessage control batch) or a caller's.
enum class entry_kind : int8_t { data, leader_change };

struct entry {
  model::offset offset;  // the batch's base offset
  model::leader_epoch epoch;
  entry_kind kind = entry_kind::data;
  std::string payload;
  uint32_t record_count = 1;  // >= 1: a batch is never empty

  model::offset next_offset() const { return offset + static_cast<int64_t>(record_count); }
  bool operator==(const entry&) const = default;
};

// What the leader appends: one batch's bytes and how many records it holds.
struct batch {
  std::string payload;
  uint32_t record_count = 1;
};

// KRaft's OffsetAndEpoch: ordered by epoch first (the "more up to date log" rule of Vote).
struct offset_and_epoch {
  model::offset offset;
  model::leader_epoch epoch;

  bool operator==(const offset_and_epoch&) const = default;
  std::strong_ordering operator<=>(const offset_and_epoch& o) const {
    if (auto c = epoch <=> o.epoch; c != 0) return c;
    return offset <=> o.offset;
  }
};

// Kafka's snapshot id: the state up to (not including) `offset`, the end offset, whose last
// entry has `epoch`.
using snapshot_id = offset_and_epoch;

class log {
 public:
  virtual ~log() = default;

  // The first offset still in the log; above 0 once a snapshot has replaced a prefix (the log
  // then starts right after a snapshot it holds).
  virtual model::offset start_offset() const = 0;
  // The offset the next appended entry gets (the previous entry's next_offset).
  virtual model::offset end_offset() const = 0;
  // The epoch of the last entry; for an empty log, the epoch of the snapshot it starts after
  // (0 at offset 0).
  virtual model::leader_epoch last_epoch() const = 0;
  // The epoch of the entry spanning offset `o`; `o` must be in [start_offset, end_offset).
  virtual model::leader_epoch epoch_at(model::offset o) const = 0;
  // KRaft's endOffsetForEpoch: the largest epoch in the log that is <= `e`, and the offset
  // after its last entry (where the next epoch starts). {start_offset, epoch before the start}
  // when no entry has such an epoch (the snapshot the log starts after stands for the entries
  // before it; {0, 0} without one).
  virtual offset_and_epoch end_offset_for_epoch(model::leader_epoch e) const = 0;
  // Up to `max_entries` entries from `from` (a batch boundary in [start_offset, end_offset]),
  // only those ending at or before `until`.
  virtual std::vector<entry> read(model::offset from, model::offset until,
                                  std::size_t max_entries) const = 0;
  // Appends entries whose offsets continue end_offset() and whose epochs do not go down.
  virtual void append(const std::vector<entry>& entries) = 0;
  // Removes every entry at or after `o`: a batch boundary (or at least end_offset) and at least
  // start_offset.
  virtual void truncate(model::offset o) = 0;

  // Snapshots (KIP-630). The state machine writes its own snapshots of committed state and may
  // then drop the log before them; raft_node reads them to serve FetchSnapshot and installs
  // one fetched from the leader.
  // The newest whole snapshot held, if any.
  virtual std::optional<snapshot_id> latest_snapshot() const = 0;
  // Up to `max_bytes` of snapshot `id`'s bytes from `position` (at least one byte when
  // position < size): snapshot_not_found, or position_out_of_range when position >= size.
  struct snapshot_chunk {
    int64_t size = 0;  // the whole snapshot
    std::string bytes;
  };
  virtual result<snapshot_chunk, errc> read_snapshot(snapshot_id id, int64_t position,
                                                     uint32_t max_bytes) const = 0;
  // A chunk of snapshot `id` fetched from the leader: position 0 starts it (again), later ones
  // continue it. False when it cannot be kept (position not where the last chunk ended, a
  // write failure).
  virtual bool write_snapshot_chunk(snapshot_id id, int64_t position, std::string_view bytes) = 0;
  // The fetched snapshot `id` is whole: checks it (a corrupt one is dropped: false), makes it
  // durable, and replaces the whole log with it (Kafka's truncateToLatestSnapshot): start and
  // end offset = id.offset, last epoch = id.epoch, all of it durable.
  virtual bool install_snapshot(snapshot_id id) = 0;
};

}  // namespace vltava::quorum
