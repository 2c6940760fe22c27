#pragma once

// Idempotent producers, per partition: for each producer id, its epoch and the last five
// batches it wrote (sequence range, offsets, timestamp), as Kafka's ProducerStateManager keeps
// them. A retried batch that matches one of those five is a duplicate and is answered with its
// original offsets; any other batch must continue the sequence or start a new epoch at 0.
//
// The state is derived from the log: rebuilt on open from the newest `.snapshot` plus the
// batches after it (docs/formats/producer-snapshot.md). It lives in cluster/, not storage/,
// because it is the partition's state machine over its (later: Raft-committed) log; storage
// stays unaware of producers, and follower replicas rebuild it from the same batches.
//
// Threading: owned by one partition on its shard, like the log.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "model/record.h"
#include "model/record_batch_header.h"
#include "protocol/error_code.h"
#include "storage/file_io.h"

namespace vltava::cluster {

// Kafka keeps five batches per producer: a client has at most five requests in flight per
// partition (max.in.flight.requests.per.connection <= 5 with idempotence).
inline constexpr size_t producer_batches_kept = 5;
// Producers remembered per partition. Each costs ~300 bytes; beyond this the least recently
// active producer is forgotten (its next batch is taken as from an unknown producer), so a
// client minting producer ids cannot exhaust the node. Kafka has no such bound (KIP-936 adds
// quotas); one partition rarely sees more than a few thousand live producers in a day.
inline constexpr size_t producers_per_partition_max = 100'000;

struct producer_batch {
  model::sequence first_seq;
  model::sequence last_seq;
  model::offset first_offset;
  model::offset last_offset;
  int64_t timestamp_ms = -1;  // the batch's max timestamp (or its log append time)
  bool operator==(const producer_batch&) const = default;
};

struct producer_entry {
  model::producer_epoch epoch{-1};
  std::deque<producer_batch> batches;  // oldest first, at most producer_batches_kept
  int64_t last_timestamp_ms = -1;      // of the newest batch: producer.id.expiration.ms
  // Transactions: the coordinator epoch of the last marker, and the first offset of the
  // producer's ongoing transaction on this partition (-1: none), which bounds the last stable
  // offset. Set by the first transactional batch, cleared by a marker.
  int32_t coordinator_epoch = -1;
  model::offset current_txn_first_offset{-1};

  // The last sequence written in the current epoch, -1 when none.
  model::sequence last_seq() const {
    return batches.empty() ? model::sequence(-1) : batches.back().last_seq;
  }
  const producer_batch* find_duplicate(model::producer_epoch e, model::sequence first,
                                       model::sequence last) const;
  bool operator==(const producer_entry&) const = default;
};

// The last sequence of a batch: sequences wrap from INT32_MAX to 0, as Kafka's do.
model::sequence last_sequence_of(model::sequence base, int32_t last_offset_delta);

// What to do with one idempotent batch.
struct sequence_verdict {
  enum class kind : uint8_t { append, duplicate, refuse };
  kind what = kind::append;
  protocol::error_code error = protocol::error_code::none;  // refuse
  std::string message;                                      // refuse
  producer_batch original;                                  // duplicate
};

// Checks a client's batch (producer id >= 0, not a control batch) against the producer's
// entry (nullptr: unknown producer), in Kafka's order: duplicate of one of the last five
// batches of the same epoch; older epoch → INVALID_PRODUCER_EPOCH; newer epoch must start at
// sequence 0; same epoch must continue the sequence → OUT_OF_ORDER_SEQUENCE_NUMBER. An
// unknown producer may start at any sequence (Kafka 2.5+: its state may have expired or been
// removed with old segments, so UNKNOWN_PRODUCER_ID is no longer returned).
sequence_verdict check_batch(const producer_entry* entry, const model::record_batch_header& h);

// Records a batch (with its assigned offsets) in `entry`: a new epoch forgets the old batches.
// A transactional batch starts the producer's transaction when none is ongoing.
void record_batch(producer_entry& entry, const model::record_batch_header& h);

// A transaction marker's contents (commit or abort, and the coordinator's epoch).
struct txn_marker {
  model::control_record_type type = model::control_record_type::commit;
  int32_t coordinator_epoch = -1;
};
// The marker in `batch` (one whole control batch, header `h`), or nullopt when the control
// batch holds no commit/abort record (other control types, unreadable records).
std::optional<txn_marker> read_txn_marker(std::span<const std::byte> batch,
                                          const model::record_batch_header& h);

// An aborted transaction, as an entry of Kafka's transaction index (AbortedTxn): a
// read_committed consumer drops the producer's records from first_offset up to its marker.
struct aborted_txn {
  model::producer_id producer{-1};
  model::offset first_offset{-1};
  model::offset last_offset{-1};         // the abort marker's offset
  model::offset last_stable_offset{-1};  // the LSO once this transaction ended
  bool operator==(const aborted_txn&) const = default;
};
// Aborted transactions remembered per partition (and so per snapshot); beyond this the
// oldest are forgotten (a read_committed consumer of such old data would see their records).
inline constexpr size_t aborted_txns_max = 1'000'000;

// A producer's transaction that a marker ended.
struct ended_txn {
  model::producer_id producer{-1};
  model::offset first_offset{-1};  // -1: no transaction was ongoing (a resent marker)
  model::offset marker_offset{-1};
};

class producer_state {
 public:
  const producer_entry* find(model::producer_id id) const;
  // Applies a batch as written in the log (client append or rebuild): no checks. A control
  // batch of a producer ends its ongoing transaction; `marker` is its contents when known.
  // Returns the transaction ended, for a control batch.
  std::optional<ended_txn> apply(const model::record_batch_header& h,
                                 const std::optional<txn_marker>& marker = std::nullopt);
  // The first offset of the oldest ongoing transaction, if any: the last stable offset is
  // never above it.
  std::optional<model::offset> first_unstable_offset() const {
    if (_ongoing.empty()) return std::nullopt;
    return model::offset(_ongoing.begin()->first);
  }
  size_t ongoing_count() const { return _ongoing.size(); }
  // The aborted transactions that overlap [from, upper), oldest marker first.
  std::vector<aborted_txn> aborted_between(model::offset from, model::offset upper) const;
  // Forgets aborted transactions whose marker lies below `log_start` (their segments are gone).
  void forget_aborted_below(model::offset log_start);
  const std::vector<aborted_txn>& aborted() const { return _aborted; }
  // Every entry (DescribeProducers), unordered.
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [id, e] : _producers) f(model::producer_id(id), e);
  }
  void put(model::producer_id id, producer_entry e);
  // Forgets producers whose newest batch is older than `expiration_ms` before `now_ms` and who
  // have no ongoing transaction. Returns how many.
  size_t expire(int64_t now_ms, int64_t expiration_ms);
  size_t size() const { return _producers.size(); }
  bool operator==(const producer_state&) const = default;

  // The snapshot file contents (docs/formats/producer-snapshot.md).
  std::vector<std::byte> encode() const;
  // Refuses a wrong version, a bad CRC, truncation and trailing bytes.
  static result<producer_state, std::string> decode(std::span<const std::byte> bytes);

 private:
  void evict_oldest();
  // Keeps _ongoing in step with an entry whose transaction start changes from `before`.
  void track(int64_t id, model::offset before, const producer_entry& e);
  std::unordered_map<int64_t, producer_entry> _producers;
  // (first offset, producer id) of every ongoing transaction, so the LSO is O(1).
  std::set<std::pair<int64_t, int64_t>> _ongoing;
  // Ascending by marker offset (markers are appended in order).
  std::vector<aborted_txn> _aborted;
};

// ---- snapshot files: <dir>/<20-digit offset>.snapshot, holding the state of every batch
// below that offset.
// Version 2 appends the aborted transactions; version 1 (written before transactions were
// accepted, so with none) is still read.
inline constexpr uint16_t snapshot_version = 2;
// A snapshot file is never larger (producers_per_partition_max full entries, with room).
inline constexpr size_t snapshot_bytes_max = 128 << 20;

std::string snapshot_path(const std::string& dir, model::offset o);
// Offsets of the snapshot files in `dir`, ascending.
storage::sresult<std::vector<model::offset>> list_snapshots(storage::file_io& io,
                                                            const std::string& dir);
// Whether a snapshot is synced before write_snapshot returns.
enum class snapshot_sync : uint8_t {
  none,     // a crash may leave a torn or empty file, which the loader skips
  durable,  // fdatasync and directory fsync too (clean shutdown)
};
// Writes a snapshot: tmp file then rename.
storage::sresult<void> write_snapshot(storage::file_io& io, const std::string& dir, model::offset o,
                                      const producer_state& s, snapshot_sync sync);

struct loaded_snapshot {
  model::offset offset;
  producer_state state;
};
// The newest readable snapshot at or below `log_end`. Snapshots above it (their batches were
// lost in a crash) and unreadable ones are deleted; `skipped` counts the unreadable ones.
storage::sresult<std::optional<loaded_snapshot>> load_snapshot(storage::file_io& io,
                                                               const std::string& dir,
                                                               model::offset log_end,
                                                               size_t* skipped = nullptr);
// Deletes snapshots below `log_start` (their segments are gone) except the newest, and all but
// the newest `keep`. Returns how many were deleted.
storage::sresult<size_t> prune_snapshots(storage::file_io& io, const std::string& dir,
                                         model::offset log_start, size_t keep);

}  // namespace vltava::cluster
