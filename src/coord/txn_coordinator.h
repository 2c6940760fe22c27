#pragma once

// The transaction coordinator of this node (DESIGN.md, "Coordinators"; Kafka's
// TransactionCoordinator for transaction version 1): each transactional id lives on the shard
// owning its __transaction_state partition (abs(hashCode(id)) % partitions, as groups), and its
// state is a record there (txn_records.h) written acks=all before anything depends on it.
//
// A transaction: InitProducerId (a producer id and epoch for the transactional id, fencing the
// previous instance) → AddPartitionsToTxn / AddOffsetsToTxn (state Ongoing) → EndTxn: the
// decision is written first (PrepareCommit/PrepareAbort), then a marker goes to every partition
// of the transaction (partition::write_marker on its shard, group commit per shard), then
// CompleteCommit/CompleteAbort. EndTxn answers once the Prepare record is durable and the
// markers are written (not yet durable): a client that commits and then reads sees its
// transaction. The rest (markers on disk, then Complete*) finishes in the background; the
// producer's next request on its transactional id waits for it rather than bouncing off
// CONCURRENT_TRANSACTIONS as Kafka's would, which saves the client's retry backoff.
//
// Recovery: a partition's transactions are rebuilt from its records at start; one left in
// Prepare* (the node died mid-commit) has its markers written again by the shard's tick, so
// every partition of it ends the same way. Ongoing transactions past transaction.timeout.ms are
// aborted with the producer epoch bumped (the zombie producer is fenced), as Kafka does.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_store.h"
#include "cluster/partition_manager.h"
#include "config/config_def.h"
#include "coord/txn_records.h"
#include "net/asio.h"
#include "net/shard_pool.h"
#include "protocol/error_code.h"

namespace vltava::coord {

class group_coordinator;

struct txn_config {
  int32_t partitions = 50;                  // transaction.state.log.num.partitions
  int32_t segment_bytes = 104857600;        // transaction.state.log.segment.bytes
  int32_t max_timeout_ms = 900'000;         // transaction.max.timeout.ms
  int64_t abort_check_interval_ms = 10'000;  // ...abort.timed.out.transaction.cleanup.interval.ms
  int64_t id_expiration_ms = 604'800'000;   // transactional.id.expiration.ms
  int64_t expiration_check_interval_ms = 3'600'000;  // ...remove.expired...cleanup.interval.ms
  int64_t marker_retry_ms = 500;  // a failed marker write is tried again after this

  static txn_config from(const config::config_set& broker_config);
};

struct init_pid_result {
  error_code error = error_code::none;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

struct described_txn {
  error_code error = error_code::none;
  std::string transactional_id;
  txn_status status = txn_status::empty;
  int32_t timeout_ms = 0;
  int64_t start_ms = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::set<partition_key> partitions;
};

struct list_txn_filter {
  std::vector<txn_status> states;  // empty: any
  std::vector<int64_t> producer_ids;  // empty: any
  int64_t min_duration_ms = -1;  // -1: any; else running at least this long
};

class txn_coordinator {
 public:
  using clock_fn = std::function<int64_t()>;
  // `groups` may be null (no transactional offsets then). Everything must outlive this object.
  txn_coordinator(net::shard_pool& shards, cluster::partition_manager& partitions,
                  cluster::metadata_store& metadata, group_coordinator* groups, txn_config config,
                  clock_fn clock = {});
  ~txn_coordinator();
  txn_coordinator(const txn_coordinator&) = delete;
  txn_coordinator& operator=(const txn_coordinator&) = delete;

  const txn_config& config() const { return _config; }

  // Creates __transaction_state (compacted) when missing. none or COORDINATOR_NOT_AVAILABLE.
  net::awaitable<error_code> ensure_topic();

  // InitProducerId with a transactional id. `producer_id`/`epoch` -1, or the producer's current
  // ones (KIP-360: an existing producer asking for a bump). Errors as Kafka's coordinator:
  // INVALID_TRANSACTION_TIMEOUT, CONCURRENT_TRANSACTIONS, PRODUCER_FENCED (callers map it for
  // old versions), COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR.
  net::awaitable<init_pid_result> init_producer_id(std::string transactional_id,
                                                   int32_t timeout_ms, int64_t producer_id,
                                                   int16_t producer_epoch);
  // AddPartitionsToTxn / AddOffsetsToTxn: one error for all the partitions (validated by the
  // caller: they exist).
  net::awaitable<error_code> add_partitions(std::string transactional_id, int64_t producer_id,
                                            int16_t producer_epoch,
                                            std::vector<partition_key> partitions);
  // KIP-890 verification, asked by a partition about to start `producer_id`'s transaction: none
  // when `partition` is in the producer's ongoing transaction; INVALID_TXN_STATE when it is not
  // (or nothing is ongoing), INVALID_PRODUCER_ID_MAPPING / PRODUCER_FENCED for another producer
  // or epoch, CONCURRENT_TRANSACTIONS or a coordinator error when it cannot tell yet.
  net::awaitable<error_code> verify_partition(std::string transactional_id, int64_t producer_id,
                                              int16_t producer_epoch, partition_key partition);
  // EndTxn: answers once the decision is durable and the markers are written (see above).
  net::awaitable<error_code> end_txn(std::string transactional_id, int64_t producer_id,
                                     int16_t producer_epoch, bool commit);

  net::awaitable<described_txn> describe(std::string transactional_id);
  // Every transactional id this node coordinates that passes `filter`.
  net::awaitable<std::vector<described_txn>> list(list_txn_filter filter);

  // Loads the hosted partitions and starts each shard's tick. Any thread, blocking.
  void start();
  // Stops the ticks; operations in flight finish or fail. Blocking; before partitions stop.
  void stop();

  struct entry;
  struct partition_state;
  struct shard_state;
  struct marker_round;

 private:
  template <typename T, typename Fn>
  net::awaitable<T> on_owner(const std::string& transactional_id, T unavailable, Fn fn);
  partition_state* load(shard_state& st, int32_t partition, error_code& error);
  net::awaitable<error_code> write_state(partition_state& ps, const std::string& id,
                                         const txn_value& v, cluster::acks_mode acks);
  // Prepare* → markers → Complete*: false while a marker could not be written (retried).
  net::awaitable<bool> complete(partition_state& ps, std::shared_ptr<entry> e);
  // The part of complete() after the markers are written: they become durable, then Complete*.
  net::awaitable<bool> finish(partition_state& ps, std::shared_ptr<entry> e, marker_round round);
  // Ongoing → PrepareAbort with the epoch bumped → complete (a timeout or a new instance).
  net::awaitable<error_code> fence_and_abort(partition_state& ps, std::shared_ptr<entry> e);
  // Appends the markers on each partition's shard and asks for their flush.
  net::awaitable<marker_round> write_markers(const txn_value& v, bool commit);
  // Waits for the markers' group commits; false if any marker failed.
  net::awaitable<bool> markers_durable(marker_round& round);
  // Tells the partitions just added to a transaction (partition::grant_txn), so their first
  // batch needs no verification round trip.
  void grant_partitions(const std::vector<partition_key>& partitions, int64_t producer_id,
                        int16_t producer_epoch);
  net::awaitable<void> tick(std::shared_ptr<shard_state> st);
  static net::awaitable<void> tick_loop(txn_coordinator* self, std::shared_ptr<shard_state> st);
  int64_t now_ms() const { return _clock(); }

  net::shard_pool& _shards;
  cluster::partition_manager& _partitions;
  cluster::metadata_store& _metadata;
  group_coordinator* _groups;
  txn_config _config;
  clock_fn _clock;
  std::vector<std::shared_ptr<shard_state>> _state;  // [shard]
};

}  // namespace vltava::coord
