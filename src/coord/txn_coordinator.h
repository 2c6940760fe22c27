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
// CompleteCommit/CompleteAbort. A partition led by another broker gets its marker from that
// broker: WriteTxnMarkers over the inter-broker channels (one request per broker and round),
// answered once the marker is durable there; a partition that answered is not asked again in
// later rounds, one whose leader is -1 waits for the next. EndTxn answers once the Prepare record
// is durable and the markers are written (not yet durable): a client that commits and then reads
// sees its transaction. The rest (markers on disk, then Complete*) finishes in the background; the
// producer's next request on its transactional id waits for it rather than bouncing off
// CONCURRENT_TRANSACTIONS as Kafka's would, which saves the client's retry backoff.
//
// Recovery: a partition's transactions are rebuilt from its records at start (and whenever
// this node gains the partition, coordinator_partitions.h); one left in
// Prepare* (the node died mid-commit) has its markers written again by the shard's tick, so
// every partition of it ends the same way. Ongoing transactions past transaction.timeout.ms are
// aborted with the producer epoch bumped (the zombie producer is fenced), as Kafka does.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_store.h"
#include "cluster/partition.h"
#include "cluster/partition_manager.h"
#include "config/broker_configs.h"
#include "config/config_def.h"
#include "coord/coordinator_partitions.h"
#include "coord/txn_records.h"
#include "model/fundamental.h"
#include "model/topic_partition.h"
#include "net/asio.h"
#include "net/shard_pool.h"
#include "protocol/error_code.h"

namespace vltava::cluster {
class broker_channels;
}

namespace vltava::coord {

class group_coordinator;

struct txn_config {
  int32_t partitions = config::broker_keys::transaction_state_log_num_partitions.default_value();
  int32_t segment_bytes = config::broker_keys::transaction_state_log_segment_bytes.default_value();
  int32_t replication_factor =
      config::broker_keys::transaction_state_log_replication_factor.default_value();
  int32_t min_isr = config::broker_keys::transaction_state_log_min_isr.default_value();
  int32_t max_timeout_ms = config::broker_keys::transaction_max_timeout_ms.default_value();
  int64_t abort_check_interval_ms =
      config::broker_keys::transaction_abort_timed_out_transaction_cleanup_interval_ms
          .default_value();
  int64_t id_expiration_ms = config::broker_keys::transactional_id_expiration_ms.default_value();
  int64_t expiration_check_interval_ms =
      config::broker_keys::transaction_remove_expired_transaction_cleanup_interval_ms
          .default_value();
  int64_t marker_retry_ms = 500;  // a failed marker write is tried again after this

  static txn_config from(const config::config_set& broker_config);
  bool operator==(const txn_config&) const = default;
};

struct init_pid_result {
  error_code error = error_code::none;
  model::producer_id producer_id{-1};
  model::producer_epoch producer_epoch{-1};
};

struct described_txn {
  error_code error = error_code::none;
  std::string transactional_id;
  txn_status status = txn_status::empty;
  int32_t timeout_ms = 0;
  int64_t start_ms = -1;
  model::producer_id producer_id{-1};
  model::producer_epoch producer_epoch{-1};
  std::set<model::topic_partition> partitions;
};

struct list_txn_filter {
  std::vector<txn_status> states;                // empty: any
  std::vector<model::producer_id> producer_ids;  // empty: any
  int64_t min_duration_ms = -1;                  // -1: any; else running at least this long
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

  // The other brokers, for the markers of partitions they lead; null (a single node, a test):
  // such markers wait. Before start().
  void set_broker_channels(cluster::broker_channels* channels) { _channels = channels; }

  // WriteTxnMarkers from another broker's coordinator: `producer`'s marker on each of
  // `partitions` this node leads, written exactly as this node's own markers are, and committed
  // (durable on the ISR) before the answer. One error per partition, in order: none,
  // NOT_LEADER_OR_FOLLOWER (not led here), or the partition's refusal (INVALID_PRODUCER_EPOCH
  // for a stale producer, TRANSACTION_COORDINATOR_FENCED for an older `coordinator_epoch`: the
  // leader epoch of the sender's __transaction_state partition, ...).
  net::awaitable<std::vector<error_code>> write_markers_for(
      model::producer_id producer, model::producer_epoch epoch, cluster::txn_result result,
      int32_t coordinator_epoch, std::vector<model::topic_partition> partitions);

  // Creates __transaction_state (compacted) when missing. none or COORDINATOR_NOT_AVAILABLE.
  net::awaitable<error_code> ensure_topic();
  // The partition coordinating `transactional_id`, or nullopt while the topic does not exist.
  std::optional<model::partition_id> partition_of(std::string_view transactional_id) const;

  // Leadership of __transaction_state partition `p` (coordinator_partitions.h), from any
  // shard: gained rebuilds its transactional ids from its records (one left in Prepare* gets
  // its markers from the tick); lost drops them (requests answer NOT_COORDINATOR).
  net::awaitable<error_code> partition_gained(model::partition_id p);
  net::awaitable<void> partition_lost(model::partition_id p);

  // InitProducerId with a transactional id. `producer`/`epoch` -1, or the producer's current
  // ones (KIP-360: an existing producer asking for a bump). Errors as Kafka's coordinator:
  // INVALID_TRANSACTION_TIMEOUT, CONCURRENT_TRANSACTIONS, PRODUCER_FENCED (callers map it for
  // old versions), COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR.
  net::awaitable<init_pid_result> init_producer_id(std::string transactional_id, int32_t timeout_ms,
                                                   model::producer_id producer,
                                                   model::producer_epoch epoch);
  // AddPartitionsToTxn / AddOffsetsToTxn: one error for all the partitions (validated by the
  // caller: they exist).
  net::awaitable<error_code> add_partitions(std::string transactional_id,
                                            model::producer_id producer,
                                            model::producer_epoch epoch,
                                            std::vector<model::topic_partition> partitions);
  // KIP-890 verification, asked by a partition about to start `producer`'s transaction: none
  // when `partition` is in the producer's ongoing transaction; INVALID_TXN_STATE when it is not
  // (or nothing is ongoing), INVALID_PRODUCER_ID_MAPPING / PRODUCER_FENCED for another producer
  // or epoch, CONCURRENT_TRANSACTIONS or a coordinator error when it cannot tell yet.
  net::awaitable<error_code> verify_partition(std::string transactional_id,
                                              model::producer_id producer,
                                              model::producer_epoch epoch,
                                              model::topic_partition partition);
  // EndTxn: answers once the decision is durable and the markers are written (see above).
  net::awaitable<error_code> end_txn(std::string transactional_id, model::producer_id producer,
                                     model::producer_epoch epoch, cluster::txn_result result);

  net::awaitable<described_txn> describe(std::string transactional_id);
  // Every transactional id this node coordinates that passes `filter`.
  net::awaitable<std::vector<described_txn>> list(list_txn_filter filter);

  // Loads the hosted partitions and starts each shard's tick. Blocking; not from a shard.
  void start();
  // Stops the ticks; operations in flight finish or fail. Blocking; before partitions stop.
  void stop();

  struct entry;
  struct partition_state;
  struct shard_state;
  struct marker_written;
  struct marker_round;
  struct shard_markers;
  using entry_ref = std::pair<partition_state*, std::shared_ptr<entry>>;

 private:
  using owner = at_owner<partition_state>;

  // coordinator_partitions' callbacks.
  error_code replay(unsigned shard, partition_state& ps, cluster::partition& log);
  void drop(partition_state& ps);
  net::awaitable<void> tick(unsigned shard);

  // The parts of the calls above that run on the transactional id's shard.
  net::awaitable<init_pid_result> init_producer_id_on_owner(owner at, const std::string& id,
                                                            int32_t timeout_ms,
                                                            model::producer_id producer,
                                                            model::producer_epoch epoch);
  // A fresh producer id, or the next epoch of the current one, written for `e`.
  net::awaitable<init_pid_result> bump_epoch(partition_state& ps, std::shared_ptr<entry> e,
                                             int32_t timeout_ms, bool fresh);
  net::awaitable<error_code> add_partitions_on_owner(
      owner at, const std::string& id, model::producer_id producer, model::producer_epoch epoch,
      const std::vector<model::topic_partition>& partitions);
  static net::awaitable<error_code> verify_partition_on_owner(
      owner at, const std::string& id, model::producer_id producer, model::producer_epoch epoch,
      const model::topic_partition& partition);
  net::awaitable<error_code> end_txn_on_owner(owner at, const std::string& id,
                                              model::producer_id producer,
                                              model::producer_epoch epoch,
                                              cluster::txn_result result);
  static net::awaitable<void> finish_in_background(txn_coordinator* self, unsigned shard,
                                                   partition_state* ps, std::shared_ptr<entry> e,
                                                   marker_round round);
  static net::awaitable<std::vector<described_txn>> list_on(txn_coordinator* self, unsigned shard,
                                                            const list_txn_filter& filter,
                                                            int64_t now_ms);

  net::awaitable<error_code> write_state(partition_state& ps, const std::string& id,
                                         const txn_value& v, cluster::acks_mode acks);
  // Prepare* → markers → Complete*: false while a marker could not be written (retried).
  net::awaitable<bool> complete(partition_state& ps, std::shared_ptr<entry> e);
  // The part of complete() after the markers are written: they become durable, then Complete*.
  net::awaitable<bool> finish(partition_state& ps, std::shared_ptr<entry> e, marker_round round);
  // Ongoing → PrepareAbort with the epoch bumped → complete (a timeout or a new instance).
  net::awaitable<error_code> fence_and_abort(partition_state& ps, std::shared_ptr<entry> e);
  // Appends the markers of `e`'s transaction on each local partition's shard and asks for their
  // flush; sends those of partitions led elsewhere (send_markers).
  net::awaitable<marker_round> write_markers(partition_state& ps, entry& e,
                                             cluster::txn_result result);
  // WriteTxnMarkers to each broker of `remote` (its partitions); true once all answered.
  net::awaitable<bool> send_markers(
      partition_state& ps, entry& e, cluster::txn_result result,
      const std::map<model::node_id, std::vector<model::topic_partition>>& remote);
  // On one shard: the markers of `producer` for `partitions`, hosted there.
  static net::awaitable<shard_markers> write_markers_on(
      txn_coordinator* self, model::producer_id producer, model::producer_epoch epoch,
      cluster::txn_result result, int32_t coordinator_epoch,
      const std::vector<model::topic_partition>& partitions);
  // write_markers_for's part on one shard: written, then committed, one error per partition.
  static net::awaitable<std::vector<error_code>> write_durable_markers_on(
      txn_coordinator* self, model::producer_id producer, model::producer_epoch epoch,
      cluster::txn_result result, int32_t coordinator_epoch,
      const std::vector<model::topic_partition>& partitions);
  // Waits until the markers are committed: durable on every in-sync replica (a marker only the
  // leader held could be lost with it while the Complete record survives: the transaction
  // would stay open on that partition). False if any marker failed.
  net::awaitable<bool> markers_durable(marker_round& round);
  static net::awaitable<int> markers_durable_on(std::vector<marker_written>& written);
  // The same, one error per marker of `written`.
  static net::awaitable<std::vector<error_code>> marker_errors_on(
      std::vector<marker_written>& written);
  // Tells the partitions just added to a transaction (partition::grant_txn), so their first
  // batch needs no verification round trip.
  void grant_partitions(const std::vector<model::topic_partition>& partitions,
                        model::producer_id producer, model::producer_epoch epoch);
  // The tick's three kinds of work, each on the entries it collected.
  net::awaitable<void> complete_prepared(unsigned shard, const std::vector<entry_ref>& todo);
  net::awaitable<void> abort_timed_out(unsigned shard, const std::vector<entry_ref>& todo);
  net::awaitable<void> expire_ids(unsigned shard, const std::vector<entry_ref>& todo,
                                  int64_t now_ms);
  int64_t now_ms() const { return _clock(); }

  net::shard_pool& _shards;
  cluster::partition_manager& _partitions;
  cluster::metadata_store& _metadata;
  group_coordinator* _groups;
  cluster::broker_channels* _channels = nullptr;
  txn_config _config;
  clock_fn _clock;
  std::vector<std::unique_ptr<shard_state>> _state;  // [shard]
  std::unique_ptr<coordinator_partitions<partition_state>> _coordinated;
};

}  // namespace vltava::coord
