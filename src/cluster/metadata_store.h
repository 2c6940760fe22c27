#pragma once

// The node's metadata store: topics (names, ids, partitions, config overrides) and dynamic
// broker configs, kept in the KRaft metadata log `__cluster_metadata` of records
// (docs/formats/metadata-log.md), replicated by the controller quorum (src/quorum), and
// applied to the immutable metadata_image every shard reads as the quorum commits them. A
// single node is a quorum of one: the same path.
//
// Mutations are the active controller's decisions: on the quorum's leader they validate
// against the working image, append one batch through the quorum and resume once it is
// committed; elsewhere they answer NOT_CONTROLLER.
//
// Threading: image() and the mutations may be called from any shard. Mutations run on shard 0
// one after another (validation and the append are never interleaved), the quorum runs there
// too, and the caller resumes on its own shard.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cluster/leader_election.h"
#include "cluster/metadata_image.h"
#include "cluster/metadata_records.h"
#include "cluster/quota_alteration.h"
#include "cluster/scram_alteration.h"
#include "config/config_def.h"
#include "model/fundamental.h"
#include "net/asio.h"
#include "net/shard_pool.h"
#include "protocol/error_code.h"
#include "storage/file_io.h"
#include "storage/flusher.h"

namespace vltava::quorum {
class quorum_service;
class quorum_transport;
struct quorum_config;
struct entry;
struct offset_and_epoch;
using snapshot_id = offset_and_epoch;
enum class errc : int16_t;
}  // namespace vltava::quorum

namespace vltava::cluster {

class controller_channel;

// The outcome of one mutation on one resource: Kafka's error code and, on failure, a message
// for the client (Kafka's wording where clients or operators match on it).
struct op_result {
  protocol::error_code error = protocol::error_code::none;
  std::optional<std::string> message;

  bool ok() const { return error == protocol::error_code::none; }
  static op_result failure(protocol::error_code e, std::string why) {
    return op_result{e, std::move(why)};
  }
};

// AlterPartition (API 56): a partition leader's ISR change for one partition.
struct isr_member {
  model::node_id id;
  int64_t broker_epoch = -1;  // -1: not given (versions before 3)
};
struct alter_partition_item {
  protocol::uuid topic_id;  // versions 2+
  std::string topic_name;   // versions 0-1
  int32_t partition = 0;
  model::leader_epoch leader_epoch{-1};
  int32_t partition_epoch = -1;
  std::vector<isr_member> new_isr;
};
struct alter_partition_request {
  model::node_id broker{-1};
  int64_t broker_epoch = -1;
  int16_t version = 0;
  std::vector<alter_partition_item> items;
};
struct alter_partition_item_result {
  protocol::error_code error = protocol::error_code::none;
  partition_assignment state;  // what the controller committed (when error is none)
};
struct alter_partition_result : op_result {
  std::vector<alter_partition_item_result> items;  // one per item, in order
};

// One topic to create (CreateTopics, or Metadata's auto-creation).
struct create_topic_request {
  std::string name;
  int32_t num_partitions = -1;      // -1: the broker's num.partitions
  int16_t replication_factor = -1;  // -1: the broker's default.replication.factor
  // Manual assignment (partition index, replicas); then both counts above must be -1.
  std::vector<std::pair<int32_t, std::vector<model::node_id>>> assignments;
  // Topic config overrides; a null value is refused (INVALID_CONFIG), as Kafka does.
  std::vector<std::pair<std::string, std::optional<std::string>>> configs;
};

struct topic_result : op_result {
  topic_info topic;  // on success: the topic as created (or as it would be, when validating)
};

// One config change of IncrementalAlterConfigs; the op codes are the protocol's.
enum class config_op : int8_t { set = 0, del = 1, append = 2, subtract = 3 };
struct config_change {
  std::string name;
  config_op op = config_op::set;
  std::optional<std::string> value;
};
// Incremental: only the named keys change. Replace (legacy AlterConfigs): the given keys
// become the resource's whole override set; every other override is removed.
enum class alter_mode : uint8_t { incremental, replace };
enum class validate_only : bool { no = false, yes = true };

struct producer_id_result : op_result {
  model::producer_id id{-1};
};
// A block of producer ids [first, first + length) recorded for one broker.
struct producer_id_block : op_result {
  int64_t first = -1;
  int32_t length = 0;
};

// BrokerRegistration as the controller sees it.
struct broker_registration_request {
  model::node_id id{-1};
  std::string cluster_id;
  protocol::uuid incarnation_id;
  std::vector<broker_endpoint> endpoints;
  std::optional<std::string> rack;
};
struct broker_registration_result : op_result {
  int64_t broker_epoch = -1;
};

// BrokerHeartbeat as the controller sees it.
struct broker_heartbeat_request {
  model::node_id id{-1};
  int64_t broker_epoch = -1;
  int64_t metadata_offset = -1;  // the last metadata record the broker applied
  bool want_fence = false;
  bool want_shut_down = false;
};
struct broker_heartbeat_result : op_result {
  bool caught_up = false;
  bool fenced = true;
  bool shut_down = false;
};

// DeleteAcls, one filter: the bindings it removed, or why it removed nothing.
struct acl_deletion_result : op_result {
  std::vector<security::acl_binding> deleted;
};

class metadata_store {
 public:
  // Records per mutation (one log batch), as Kafka's controller bounds one operation.
  static constexpr size_t records_per_op_max = 10'000;

  // Opens (creating) the node's metadata under data_dir: <data_dir>/meta.properties (cluster.id
  // and node.id, generated on first start; a different node.id is refused) and the metadata
  // log <data_dir>/__cluster_metadata-0/ with its quorum-state file, starts the quorum on
  // shard 0 (its voters and timeouts from broker_config's KRaft configs) and returns once
  // everything the log held is committed and applied. Blocking: call at start-up, with the
  // shards running, before they serve requests. io, flusher, shards and `peers` (the network
  // to the other voters; none for a quorum of one) must outlive the store.
  static result<std::unique_ptr<metadata_store>, std::string> open(
      storage::file_io& io, storage::flusher& flusher, net::shard_pool& shards,
      std::string data_dir, model::node_id node, const config::config_set& broker_config,
      quorum::quorum_transport* peers = nullptr);
  // open() in two steps, for a node whose peers must reach its quorum before it has caught up
  // (its controller listener serves while it waits): start() opens and starts the quorum,
  // wait_caught_up() blocks until the image holds what the log had.
  static result<std::unique_ptr<metadata_store>, std::string> start(
      storage::file_io& io, storage::flusher& flusher, net::shard_pool& shards,
      std::string data_dir, model::node_id node, const config::config_set& broker_config,
      quorum::quorum_transport* peers = nullptr);
  result<void, std::string> wait_caught_up();
  ~metadata_store();
  metadata_store(const metadata_store&) = delete;
  metadata_store& operator=(const metadata_store&) = delete;

  // The current image. Thread-safe.
  image_ptr image() const { return _image.load(); }
  // Called with the new image after every change, and once at subscribe with the current one.
  // Called on shard 0 (at subscribe: on the caller's thread).
  void subscribe(std::function<void(image_ptr)> fn);

  net::awaitable<std::vector<topic_result>> create_topics(std::vector<create_topic_request> reqs,
                                                          validate_only v);
  net::awaitable<topic_result> create_topic(create_topic_request req,
                                            validate_only v = validate_only::no);
  net::awaitable<std::vector<op_result>> delete_topics(std::vector<std::string> names);
  net::awaitable<op_result> delete_topic(std::string name);
  // Raises the partition count to `total` (only an increase: INVALID_PARTITIONS otherwise).
  // `assignments`, when given, holds the replicas of each new partition.
  net::awaitable<op_result> create_partitions(
      std::string topic, int32_t total,
      std::optional<std::vector<std::vector<model::node_id>>> assignments, validate_only v);
  net::awaitable<op_result> alter_topic_configs(std::string topic,
                                                std::vector<config_change> changes, alter_mode mode,
                                                validate_only v);
  // `resource_name`: this node's id, or "" for the cluster-wide default.
  net::awaitable<op_result> alter_broker_configs(std::string resource_name,
                                                 std::vector<config_change> changes,
                                                 alter_mode mode, validate_only v);

  // The active controller's side of the brokers' lifecycle (Kafka's ClusterControlManager):
  // a registration is a record (the broker starts fenced; its epoch is the record's offset);
  // a heartbeat keeps its session, unfences it once it has applied the metadata up to its
  // registration, and moves its leaderships away when it wants to shut down. A broker whose
  // heartbeats stop for broker.session.timeout.ms is fenced by the controller's own timer.
  net::awaitable<broker_registration_result> register_broker(broker_registration_request req);
  net::awaitable<broker_heartbeat_result> broker_heartbeat(broker_heartbeat_request req);
  net::awaitable<op_result> unregister_broker(model::node_id id);
  // AlterPartition from a partition leader: validated against the working image (Kafka's
  // ReplicationControlManager rules) and committed as partition change records.
  net::awaitable<alter_partition_result> alter_partition(alter_partition_request req);

  // A producer id never handed out before, on this node or any other, before or after a
  // restart: taken from a block of producer_id_block_size ids recorded durably in the metadata
  // log before any id of it is used.
  net::awaitable<producer_id_result> allocate_producer_id();
  static constexpr int32_t producer_id_block_size = 1000;
  // The active controller's side (AllocateProducerIds): a new block for a registered broker.
  net::awaitable<producer_id_block> allocate_producer_id_block(model::node_id broker,
                                                               int64_t broker_epoch);
  // The other controllers, reached for producer id blocks when this node is not the active
  // controller; none for a quorum of one. Set at start-up, before requests are served.
  void set_controller_channel(controller_channel* channel) { _channel = channel; }

  // CreateAcls and DeleteAcls, decided here as Kafka's AclControlManager does (the requests
  // reach the active controller by forwarding): each new binding is validated
  // (INVALID_REQUEST) and recorded under a random id, one equal to an existing binding
  // succeeds without a record; each filter removes every binding it matches. One batch each.
  net::awaitable<std::vector<op_result>> create_acls(std::vector<security::acl_binding> acls);
  net::awaitable<std::vector<acl_deletion_result>> delete_acls(
      std::vector<security::acl_filter> filters);

  // AlterUserScramCredentials, decided here as Kafka's ScramControlManager does
  // (cluster/scram_alteration.h; the request reaches the active controller by forwarding): one
  // result per user named, and every accepted change in one batch.
  net::awaitable<std::vector<scram_user_result>> alter_scram_credentials(
      std::vector<scram_deletion> deletions, std::vector<scram_upsertion> upsertions);

  // ElectLeaders, decided here (cluster/leader_election.h; the request reaches the active
  // controller by forwarding): one result per partition, the elected ones committed as one
  // batch. A failed commit or a node that is not the active controller fails every election
  // the plan would have made with its error.
  net::awaitable<std::vector<election_result>> elect_leaders(
      election_type type, std::optional<std::vector<model::topic_partition>> partitions);

  // AlterClientQuotas, decided here as Kafka's ClientQuotaControlManager does
  // (cluster/quota_alteration.h; forwarded to the active controller): one result per entry,
  // every accepted change in one batch, nothing written when validating only.
  net::awaitable<std::vector<quota_entry_result>> alter_client_quotas(
      std::vector<quota_alteration> entries, validate_only v);

  // Clean shutdown: syncs and closes the log. Blocking; call when no mutation runs (after the
  // shards stopped). Mutations afterwards fail with KAFKA_STORAGE_ERROR.
  void close();

  const std::string& data_dir() const { return _data_dir; }
  // The controller quorum this node takes part in (on shard 0 only): the Kafka handlers of
  // Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch (of __cluster_metadata) and DescribeQuorum.
  quorum::quorum_service& quorum();
  model::node_id node_id() const { return _node; }
  const config::config_set& static_config() const { return _static_config; }

  struct state;  // shard 0's working copy and the log; defined in metadata_store.cc

 private:
  metadata_store(net::shard_pool& shards, std::string data_dir, model::node_id node,
                 const config::config_set& broker_config);
  result<void, std::string> open_quorum(storage::flusher& flusher, quorum::quorum_config config,
                                        quorum::quorum_transport& peers);
  static net::awaitable<result<void, quorum::errc>> start_and_catch_up(metadata_store* self,
                                                                       model::offset end);
  static net::awaitable<void> stop_quorum(metadata_store* self);
  void publish(image_ptr next);
  void apply_committed(const std::vector<quorum::entry>& entries);
  // Snapshots (metadata_store_snapshots.cc): loading one in place of the image, counting what
  // was applied since the last, writing one of the committed image when
  // metadata.log.max.record.bytes.between.snapshots or .snapshot.interval.ms says so, then
  // Kafka's retention (metadata.max.retention.*) on the log and older snapshots.
  void init_snapshots();
  result<void, std::string> load_snapshot(quorum::snapshot_id id);
  void install_snapshot(quorum::snapshot_id id);
  void note_applied(const quorum::entry& e);
  void maybe_snapshot();
  static net::awaitable<void> learn_controller_from_quorum(metadata_store* self);
  net::awaitable<op_result> controller_ready();
  net::awaitable<op_result> write_bootstrap();
  // Appends `records` as one batch through the quorum and resumes once committed; `next` and
  // `ids` are the working state meanwhile. On shard 0.
  net::awaitable<op_result> commit(std::vector<metadata_record>& records, metadata_image& next,
                                   topic_id_index& ids);
  // Both AlterConfigs paths end here: the config records turning `before` into `after` for one
  // resource, applied to `next` and committed (nothing when validating only).
  using override_map = std::map<std::string, std::string, std::less<>>;
  net::awaitable<op_result> commit_overrides(metadata_image next, topic_id_index ids, int8_t type,
                                             std::string name, const override_map& before,
                                             const override_map& after, validate_only v);
  // The mutations, on shard 0 (the public calls run them there and resume on the caller's
  // executor): each works on a copy of the working image and commits it.
  net::awaitable<std::vector<topic_result>> create_topics_on_shard0(
      std::vector<create_topic_request> reqs, validate_only v);
  net::awaitable<std::vector<op_result>> delete_topics_on_shard0(std::vector<std::string> names);
  net::awaitable<op_result> create_partitions_on_shard0(
      std::string topic, int32_t total,
      std::optional<std::vector<std::vector<model::node_id>>> assignments, validate_only v);
  net::awaitable<op_result> alter_topic_configs_on_shard0(std::string topic,
                                                          std::vector<config_change> changes,
                                                          alter_mode mode, validate_only v);
  net::awaitable<op_result> alter_broker_configs_on_shard0(std::string name,
                                                           std::vector<config_change> changes,
                                                           alter_mode mode, validate_only v);
  net::awaitable<producer_id_result> allocate_producer_id_on_shard0();
  net::awaitable<std::vector<op_result>> create_acls_on_shard0(
      std::vector<security::acl_binding> acls);
  net::awaitable<std::vector<acl_deletion_result>> delete_acls_on_shard0(
      std::vector<security::acl_filter> filters);
  net::awaitable<std::vector<election_result>> elect_leaders_on_shard0(
      election_type type, std::optional<std::vector<model::topic_partition>> partitions);
  // auto.leader.rebalance.enable: every leader.imbalance.check.interval.seconds, the active
  // controller elects the preferred replica of each partition it could lead and does not.
  net::awaitable<void> rebalance_leaders();
  net::awaitable<std::vector<scram_user_result>> alter_scram_credentials_on_shard0(
      std::vector<scram_deletion> deletions, std::vector<scram_upsertion> upsertions);
  net::awaitable<std::vector<quota_entry_result>> alter_client_quotas_on_shard0(
      std::vector<quota_alteration> entries, validate_only v);
  net::awaitable<producer_id_block> take_producer_id_block();
  // Another node is the active controller and this one has a channel to it.
  bool controller_is_elsewhere() const;
  net::awaitable<std::vector<topic_result>> create_topics_remotely(
      std::vector<create_topic_request> reqs, validate_only v);
  net::awaitable<producer_id_block> allocate_producer_id_block_on_shard0(model::node_id broker,
                                                                         int64_t broker_epoch);
  net::awaitable<broker_registration_result> register_broker_on_shard0(
      broker_registration_request req);
  net::awaitable<broker_heartbeat_result> broker_heartbeat_on_shard0(broker_heartbeat_request req);
  net::awaitable<op_result> unregister_broker_on_shard0(model::node_id id);
  net::awaitable<alter_partition_result> alter_partition_on_shard0(alter_partition_request req);
  // Fences the live brokers whose sessions expired; on shard 0, while this node is the active
  // controller, every few hundred milliseconds until close().
  static net::awaitable<void> session_loop(metadata_store* self);
  net::awaitable<void> fence_expired_sessions();
  // A broker leaves (fence, controlled shutdown, unregistration): the change record of its
  // registration (when any) and Kafka's leader elections, committed as one batch.
  net::awaitable<op_result> commit_leaving(
      model::node_id id, protocol::metadata_broker_registration_change_record change);

  net::shard_pool& _shards;
  std::string _data_dir;
  model::node_id _node;
  const config::config_set& _static_config;
  std::atomic<image_ptr> _image;
  std::unique_ptr<state> _state;
  std::vector<std::function<void(image_ptr)>> _subscribers;  // shard 0 only
  controller_channel* _channel = nullptr;
};

// The broker's effective configuration: the static configuration with the dynamic overrides
// of `image` applied (cluster-wide default first, then this node's).
config::config_set effective_broker_config(const config::config_set& static_config,
                                           const metadata_image& image);
// A topic's effective configuration (defaults from the effective broker configuration, then
// the topic's overrides). The overrides were validated when written.
config::config_set effective_topic_config(const config::config_set& static_config,
                                          const metadata_image& image, const topic_info& topic);

// Whether Kafka lets a broker key change dynamically (the log.* defaults of topic configs);
// Vltava accepts only those whose new value takes effect without a restart.
bool is_dynamic_broker_config(std::string_view name);

}  // namespace vltava::cluster
