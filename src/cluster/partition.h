#pragma once

// One hosted partition on its owning shard: the log plus the single-replica replication
// interface ("append, then tell me when offset N is committed/durable"). Raft replaces the
// implementation later; callers (produce, fetch, list offsets) stay as they are.
// Threading: every member is used on the owning shard only, except the weak fetch waiters,
// whose wake-up is posted to the waiter's own shard.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/epoch_cache.h"
#include "cluster/metadata_image.h"
#include "cluster/producer_state.h"
#include "cluster/replica_state.h"
#include "config/broker_configs.h"
#include "config/config_def.h"
#include "config/topic_configs.h"
#include "model/fundamental.h"
#include "net/asio.h"
#include "protocol/error_code.h"
#include "protocol/wire.h"
#include "storage/log.h"

namespace vltava::cluster {

// What a partition needs from its topic's effective configs.
// Defaults are the config tables', taken at compile time.
struct partition_settings {
  storage::log_config log;
  bool log_append_time =  // message.timestamp.type=LogAppendTime
      config::topic_keys::message_timestamp_type.default_text() == "LogAppendTime";
  int64_t timestamp_before_max_ms =
      config::topic_keys::message_timestamp_before_max_ms.default_value();
  int64_t timestamp_after_max_ms =
      config::topic_keys::message_timestamp_after_max_ms.default_value();
  int64_t producer_id_expiration_ms =
      config::broker_keys::producer_id_expiration_ms.default_value();
  int32_t min_insync_replicas = config::topic_keys::min_insync_replicas.default_value();
  int64_t replica_lag_time_max_ms = config::broker_keys::replica_lag_time_max_ms.default_value();
  bool operator==(const partition_settings&) const = default;
};

// The settings of a topic from its effective config set (config::topic_config).
partition_settings settings_from(const config::config_set& topic_config);

enum class acks_mode : int8_t { none = 0, leader = 1, all = -1 };

// A partition's part in replication, from the image's assignment (apply_assignment):
// standalone: the only replica and the leader; it commits what it writes (a single node).
// leader: of a replicated partition; the high watermark follows the ISR's durable log ends
//   (replica_state.h), the leader's own counted once its group commit made it durable.
// follower: refuses writes and client reads; the replica fetcher appends the leader's batches.
enum class replica_role : uint8_t { standalone, leader, follower };

// Who writes: a client's batches get every check; a coordinator of this node (the group
// coordinator writing a transaction's offsets for a producer) is trusted with its sequence
// numbers, as Kafka's AppendOrigin.Coordinator, and only fenced by the producer epoch.
enum class append_origin : int8_t { client, coordinator };

// Whether the produce request that carries the batches named a transactional id. Without one,
// transactional batches are refused (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka): checked
// in the same walk over the batch headers as everything else.
enum class transactional_id : bool { absent, present };

// How a transaction ends: the values of model::control_record_type's abort and commit.
enum class txn_result : int8_t { abort = 0, commit = 1 };

struct append_outcome {
  protocol::error_code error = protocol::error_code::none;
  std::string message;                 // for the response's error_message (v8+) and logs
  std::optional<int32_t> batch_index;  // the batch refused, when one is to blame
  model::offset base_offset{-1};
  model::offset last_offset{-1};
  int64_t log_append_time_ms = -1;  // -1 unless the topic stamps LogAppendTime
  model::offset log_start_offset{-1};
  // A retried idempotent batch: nothing was written; the offsets are the original append's.
  bool duplicate = false;
};

// A parked Fetch: woken (on its own shard) by an append to any partition it waits on.
class fetch_waiter {
 public:
  explicit fetch_waiter(asio::any_io_executor home) : _home(std::move(home)), _timer(_home) {}
  // From any shard: schedules the wake-up on the waiter's shard.
  static void wake(std::shared_ptr<fetch_waiter> w);
  // On the waiter's shard: waits until woken or until `deadline`, whichever is first.
  net::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline);
  bool woken() const { return _woken; }

 private:
  asio::any_io_executor _home;
  asio::steady_timer _timer;
  bool _woken = false;  // touched on the home shard only
};

class partition : public std::enable_shared_from_this<partition> {
 public:
  // `shard` is the owning shard's context (durability callbacks post back to it).
  partition(asio::io_context& shard, protocol::uuid topic_id, std::unique_ptr<storage::log> log,
            partition_settings settings);
  partition(const partition&) = delete;
  partition& operator=(const partition&) = delete;

  // Validates the producer's batches (sizes, timestamps, magic, transactions, and idempotent
  // producers' epochs and sequences, producer_state.h), appends them and
  // completes per `acks`: none/leader once written, all once committed and durable (fdatasync
  // through the flusher's group commit). `batches` is rewritten in place (offsets, epoch).
  // Callers hold a shared_ptr to the partition across the await.
  net::awaitable<append_outcome> append(std::span<std::byte> batches, acks_mode acks,
                                        append_origin origin = append_origin::client);
  // The same in two steps, so that a request appending to several partitions of one shard
  // waits for one group commit: write (committed at once on a single replica), then, for
  // acks=all, request_flush() on each and await durable() on each.
  append_outcome write(std::span<std::byte> batches, append_origin origin = append_origin::client,
                       transactional_id txn_id = transactional_id::present);

  // Transaction verification (KIP-890, transaction.partition.verification.enable): a client's
  // transactional batch that would start its producer's transaction here is written only
  // after the transaction coordinator confirmed this partition is in that transaction, and
  // only if no marker for the producer was written here meanwhile (the transaction ended while
  // it was being verified). Without it a producer could open a transaction on a partition its
  // coordinator knows nothing of, which no marker would ever end: the LSO would hang.
  // One verification in flight for a producer here. Later batches of that producer wait for
  // it (wait_for_txn_verification) so that they are still written in order.
  struct txn_verification {
    explicit txn_verification(const asio::any_io_executor& ex) : ended(ex) {}
    model::producer_id producer{-1};
    model::producer_epoch epoch{-1};
    asio::steady_timer ended;  // cancelled when the verification ends
    bool voided = false;       // a marker for the producer was written meanwhile
  };
  struct txn_verification_step {
    enum class kind : uint8_t { write, verify, wait } what = kind::write;
    std::shared_ptr<txn_verification> verification;  // verify: ask for it; wait: wait for it
  };
  // What `batches` need before write(): nothing, a verification (the caller asks the
  // coordinator, then calls end_txn_verification), or to wait for the one in flight and ask
  // again.
  txn_verification_step txn_verification_for(std::span<const std::byte> batches);
  static net::awaitable<void> wait_for_txn_verification(std::shared_ptr<txn_verification> v);
  // The coordinator's answer is in: true when the caller may write now (confirmed, and no
  // marker came meanwhile). Lets the waiting batches go.
  enum class coordinator_answer : uint8_t { refused, confirmed };
  bool end_txn_verification(const std::shared_ptr<txn_verification>& v, coordinator_answer answer);
  // The coordinator added this partition to the producer's transaction (AddPartitionsToTxn)
  // and says so ahead of the first batch, which then needs no question (no hop to the
  // coordinator's shard). The next marker for the producer here revokes it.
  void grant_txn(model::producer_id producer, model::producer_epoch epoch);
  void request_flush() {
    if (!_closed) _log->flush();
  }
  net::awaitable<append_outcome> durable(append_outcome written);

  // On the owning shard: appends a transaction marker (a control batch with one commit/abort
  // record carrying `coordinator_epoch`) for `pid` at `epoch`, ends that producer's ongoing
  // transaction here (the LSO moves; an abort is recorded in the aborted-transaction index) and
  // completes once durable (like acks=all). A marker for a producer with no ongoing transaction
  // is still written (the coordinator resends markers after a crash). An epoch older than the
  // producer's → INVALID_PRODUCER_EPOCH; a coordinator epoch older than the last marker's →
  // TRANSACTION_COORDINATOR_FENCED; nothing is written then.
  net::awaitable<append_outcome> write_marker(model::producer_id pid, model::producer_epoch epoch,
                                              txn_result result, int32_t coordinator_epoch);
  // The synchronous part of write_marker (written, not yet durable).
  append_outcome write_marker_now(model::producer_id pid, model::producer_epoch epoch,
                                  txn_result result, int32_t coordinator_epoch);
  // The first offset of the oldest ongoing transaction, else the high watermark: what a
  // read_committed consumer may read up to.
  model::offset last_stable_offset() const;

  // Whole batches from `from` below the high watermark, at least one batch when any is there.
  storage::sresult<storage::read_result> read(model::offset from, uint64_t max_bytes);
  // The same below `upper` (at most the high watermark): read_committed reads below the LSO.
  storage::sresult<storage::read_result> read(model::offset from, uint64_t max_bytes,
                                              model::offset upper);
  // The aborted transactions overlapping [from, upper) (Fetch's aborted_transactions).
  std::vector<aborted_txn> aborted_transactions(model::offset from, model::offset upper) const {
    return _producers.aborted_between(from, upper);
  }
  storage::sresult<std::vector<std::byte>> read_bytes(model::offset from, uint64_t max_bytes);
  // The same below `upper` (at most the log end): a coordinator loading its partition reads to
  // the log end, as Kafka's do, since a new leader's high watermark lags what it holds.
  storage::sresult<std::vector<std::byte>> read_bytes(model::offset from, uint64_t max_bytes,
                                                      model::offset upper);

  model::offset high_watermark() const { return _log->high_watermark(); }  // committed end
  model::offset log_start_offset() const { return _log->log_start_offset(); }
  model::offset log_end_offset() const { return _log->log_end_offset(); }
  model::leader_epoch leader_epoch() const { return _leader_epoch; }
  const epoch_cache& epochs() const { return _epochs; }

  // Replication (replica_state.h). The assignment of the newest image for this partition, as
  // `self` sees it: a new leader epoch where this node leads starts here at the log end; the
  // same leadership takes the controller's newer ISR. Replicated leaders must be owned by a
  // shared_ptr (their durability callbacks hold a weak one).
  void apply_assignment(const partition_assignment& a, model::node_id self);
  replica_role role() const { return _role; }
  model::node_id leader_id() const { return _leader_id; }
  const leader_state* replication() const { return _leader ? &*_leader : nullptr; }

  // Leader: a follower's Fetch for this partition (ReplicaState replica id, CurrentLeaderEpoch,
  // FetchOffset = its durable end, LastFetchedEpoch). Records its progress (the high watermark
  // may move); the error or DivergingEpoch to answer, if any.
  struct replica_fetch_answer {
    protocol::error_code error = protocol::error_code::none;
    std::optional<epoch_end> diverging;
  };
  // `broker_epoch`: the one the fetch's ReplicaState carried (-1 before Fetch v15).
  replica_fetch_answer on_replica_fetch(model::node_id replica, int64_t broker_epoch,
                                        model::offset fetch_offset,
                                        model::leader_epoch last_fetched_epoch,
                                        model::leader_epoch current_leader_epoch);
  // Leader: whole batches from `from` up to the log end (followers are not held to the HW).
  storage::sresult<storage::read_result> read_for_replica(model::offset from, uint64_t max_bytes);
  // acks=all may append: the ISR holds at least min.insync.replicas (capped at the replicas).
  bool enough_replicas() const { return !_leader || _leader->enough_replicas(); }
  // acks=all after durable(): completes once the high watermark covers `written` (every ISR
  // member has it durably). NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR falls below
  // min.insync.replicas meanwhile, NOT_LEADER_OR_FOLLOWER when leadership moves,
  // REQUEST_TIMED_OUT at `deadline`.
  net::awaitable<append_outcome> committed(append_outcome written,
                                           std::chrono::steady_clock::time_point deadline);
  // Leader, from housekeeping: the ISR change to ask the controller for now, if any.
  std::optional<isr_proposal> isr_change_due();
  void isr_change_failed() {
    if (_leader) _leader->proposal_failed();
  }

  // Follower: where to fetch from (its log end, which it made durable before asking) and the
  // epoch of its last batch.
  struct fetch_position {
    model::offset fetch_offset;
    model::leader_epoch last_fetched_epoch;
    model::leader_epoch current_leader_epoch;
  };
  fetch_position replica_position() const;
  // Follower: the leader's batches, offsets, epochs and timestamps kept byte for byte.
  storage::sresult<storage::append_result> append_replicated(std::span<std::byte> batches);
  // Follower: the leader answered DivergingEpoch: cuts the log where it diverged. The new end.
  storage::sresult<model::offset> truncate_diverged(epoch_end diverging);
  // Follower: the leader's high watermark from a fetch response (capped at this log's end).
  void set_leader_high_watermark(model::offset hw);
  // Completes once everything written so far is durable (a follower before its next fetch).
  net::awaitable<std::optional<storage::storage_error>> flushed();
  const protocol::uuid& topic_id() const { return _topic_id; }
  const partition_settings& settings() const { return _settings; }
  void set_settings(partition_settings s) {
    _settings = std::move(s);
    if (_leader) _leader->set_min_insync(_settings.min_insync_replicas);
  }
  bool closed() const { return _closed; }
  storage::log& log() { return *_log; }
  const producer_state& producers() const { return _producers; }

  // Registers a waiter woken by the next append (one-shot). Expired waiters are pruned.
  void add_waiter(const std::shared_ptr<fetch_waiter>& w);
  size_t waiter_count() const { return _waiters.size(); }

  // Clean shutdown of the log (after a durable producer-state snapshot at the log end); the
  // partition refuses appends and reads afterwards.
  storage::sresult<void> close();

 private:
  append_outcome validate(std::span<const std::byte> batches, transactional_id txn_id) const;
  // Idempotent producers' batches against the producer state: an error, a duplicate (with the
  // original offsets), or none (then every batch is new and in sequence).
  append_outcome check_producers(std::span<const std::byte> batches, append_origin origin) const;
  // After an append: records the written batches (offsets assigned) in the producer state.
  void record_producers(std::span<const std::byte> written);
  // On open: the newest snapshot, then every batch after it (the whole log without one).
  void rebuild_producers();
  void snapshot_producers(snapshot_sync sync);
  void on_append();
  // After a truncation: the epochs and producers rebuilt for the shorter log.
  void after_truncation();
  void rebuild_epochs();
  // Leader of a replicated partition: ask the flusher for the group commit and count the
  // leader's durable end when it lands (on this shard).
  void flush_for_replication();
  void on_leader_durable(model::offset durable_end);
  void high_watermark_moved();
  net::awaitable<std::optional<storage::storage_error>> wait_durable_for(model::offset last);
  // After any append: producer expiry, a due snapshot, waking fetch waiters.
  void after_append(int64_t now);

  asio::io_context& _shard;
  protocol::uuid _topic_id;
  std::unique_ptr<storage::log> _log;
  partition_settings _settings;
  std::vector<std::weak_ptr<fetch_waiter>> _waiters;
  producer_state _producers;
  // Producer id -> its verification in flight (txn_verification_for).
  std::unordered_map<int64_t, std::shared_ptr<txn_verification>> _txn_verifications;
  std::unordered_map<int64_t, int16_t> _txn_grants;  // producer id -> epoch (grant_txn)
  bool _snapshot_due = false;         // a segment rolled: snapshot after the append completes
  int64_t _producers_expired_ms = 0;  // when expiry last ran
  bool _closed = false;
  replica_role _role = replica_role::standalone;
  model::leader_epoch _leader_epoch{0};
  model::node_id _leader_id{-1};
  std::optional<leader_state> _leader;  // the leader of a replicated partition only
  epoch_cache _epochs;
  std::vector<std::weak_ptr<asio::steady_timer>> _commit_waiters;  // acks=all, cancelled on news
};

// storage error → the Kafka error a client expects.
protocol::error_code to_kafka_error(storage::errc e);

}  // namespace vltava::cluster
