#pragma once

// The group coordinator of this node: the groups of every __consumer_offsets partition this
// node leads, each kept on the shard that owns its partition (shared nothing). Public calls may
// come from any shard: they hop to the owning shard, run there, and resume on the caller's.
// What must survive a restart (committed offsets, group metadata) is appended to the group's
// partition, acks=all, before the answer goes out (offsets) or right after (group metadata,
// which clients never wait for). A partition's groups are rebuilt from its records when the
// node starts and when the partition is first used (coordinator_partitions.h).

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
#include "coord/group.h"
#include "coord/group_key.h"
#include "coord/replay.h"
#include "model/fundamental.h"
#include "model/topic_partition.h"
#include "net/asio.h"
#include "net/shard_pool.h"

namespace vltava::coord {

struct coordinator_config {
  group_config groups;
  consumer_group_config consumer_groups;  // KIP-848 (group.consumer.*)
  int32_t offsets_partitions = config::broker_keys::offsets_topic_num_partitions.default_value();
  int32_t offsets_segment_bytes = config::broker_keys::offsets_topic_segment_bytes.default_value();
  int32_t offsets_replication_factor =
      config::broker_keys::offsets_topic_replication_factor.default_value();
  int32_t offset_metadata_max_bytes =
      config::broker_keys::offset_metadata_max_bytes.default_value();
  int64_t offsets_retention_ms =
      config::broker_keys::offsets_retention_minutes.default_value() * config::minute_ms;
  int64_t retention_check_interval_ms =
      config::broker_keys::offsets_retention_check_interval_ms.default_value();
  int64_t tick_ms = 50;  // how often deadlines (sessions, rebalance delays) are checked

  static coordinator_config from(const config::config_set& broker_config);
  bool operator==(const coordinator_config&) const = default;
};

struct commit_partition {
  std::string topic;
  model::partition_id partition{0};
  model::offset offset{0};
  model::leader_epoch leader_epoch{-1};
  std::optional<std::string> metadata;
};

struct commit_request {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<commit_partition> partitions;
  // TxnOffsetCommit: the transactional producer committing (-1: a plain OffsetCommit). Its
  // offsets stay pending until the transaction's marker (txn_marker_written).
  model::producer_id producer_id{-1};
  model::producer_epoch producer_epoch{-1};
};

struct fetched_offset {
  std::string topic;
  model::partition_id partition{0};
  model::offset offset{-1};
  model::leader_epoch leader_epoch{-1};
  std::string metadata;
  error_code error = error_code::none;
};

struct fetch_offsets_result {
  error_code error = error_code::none;
  std::vector<fetched_offset> offsets;
};

struct leave_result {
  error_code error = error_code::none;  // the group's (v0-2 report only this)
  std::vector<error_code> members;      // per member given, in order
};

struct listed_group {
  std::string group_id;
  std::string protocol_type;
  group_state state = group_state::empty;
  std::string state_text;  // the state's name in the group's own protocol
  std::string group_type;  // "classic" or "consumer"
};

struct described_group {
  error_code error = error_code::none;
  std::string group_id;
  group_state state = group_state::dead;
  std::string protocol_type;
  std::string protocol;  // the selected protocol (Stable groups), else ""
  std::vector<member_summary> members;
  std::string state_text;  // the state's name in the group's own protocol
};

// ConsumerGroupDescribe: one KIP-848 group as it is now.
struct described_consumer_group {
  error_code error = error_code::none;
  std::string message;
  std::string group_id;
  std::string state;
  int32_t group_epoch = 0;
  int32_t assignment_epoch = 0;
  std::string assignor;
  std::vector<consumer_member> members;
  target_assignment targets;
  std::map<protocol::uuid, std::string, uuid_less> topic_names;  // of every id above
};

// OffsetFetch v7+ (KIP-447): `yes` answers UNSTABLE_OFFSET_COMMIT for a partition with an
// offset pending in an open transaction (the client retries) instead of the last committed one.
enum class require_stable : bool { no, yes };

// Committed-offsets deletion (OffsetDelete): a group error, or one error per partition.
struct delete_offsets_result {
  error_code error = error_code::none;
  std::vector<error_code> partitions;
};

class group_coordinator {
 public:
  using clock_fn = std::function<int64_t()>;  // wall-clock milliseconds
  // Everything referenced must outlive the coordinator. `clock` defaults to the system clock.
  group_coordinator(net::shard_pool& shards, cluster::partition_manager& partitions,
                    cluster::metadata_store& metadata, coordinator_config config,
                    clock_fn clock = {});
  ~group_coordinator();
  group_coordinator(const group_coordinator&) = delete;
  group_coordinator& operator=(const group_coordinator&) = delete;

  const coordinator_config& config() const { return _config; }

  // Creates __consumer_offsets (offsets.topic.num.partitions, compacted) when it does not exist
  // and waits until this node hosts its partitions. none, or COORDINATOR_NOT_AVAILABLE.
  net::awaitable<error_code> ensure_offsets_topic();
  // The partition coordinating `group_id`, or nullopt while the topic does not exist.
  std::optional<model::partition_id> partition_of(std::string_view group_id) const;

  // Leadership of __consumer_offsets partition `p` (coordinator_partitions.h), from any shard:
  // gained rebuilds its groups from its records; lost drops them (waiters and later requests
  // answer NOT_COORDINATOR). A single node gains what it hosts at start and at first use.
  net::awaitable<error_code> partition_gained(model::partition_id p);
  net::awaitable<void> partition_lost(model::partition_id p);

  net::awaitable<join_result> join(std::string group_id, join_request req);
  net::awaitable<sync_result> sync(std::string group_id, sync_request req);
  net::awaitable<error_code> heartbeat(std::string group_id, std::string member_id,
                                       std::optional<std::string> group_instance_id,
                                       int32_t generation);
  // KIP-848's ConsumerGroupHeartbeat (validated: coord::validate). A group id of a classic
  // group with members answers GROUP_ID_NOT_FOUND; an empty classic group becomes a consumer
  // group (its offsets stay).
  net::awaitable<consumer_heartbeat_result> consumer_group_heartbeat(std::string group_id,
                                                                     consumer_heartbeat hb);
  net::awaitable<described_consumer_group> describe_consumer_group(std::string group_id);
  // Members: (member id, group instance id).
  net::awaitable<leave_result> leave(
      std::string group_id,
      std::vector<std::pair<std::string, std::optional<std::string>>> members);
  // One error per partition, in order. Answers after the offsets are durable.
  net::awaitable<std::vector<error_code>> commit(commit_request req);
  // `partitions` nullopt: every committed offset of the group.
  net::awaitable<fetch_offsets_result> fetch_offsets(
      std::string group_id, std::optional<std::vector<model::topic_partition>> partitions,
      require_stable stable = require_stable::no);
  // The transaction coordinator wrote producer `producer`'s marker to __consumer_offsets
  // partition `partition`: its pending offsets there are committed or dropped. On the shard
  // owning that partition only.
  void txn_marker_written(model::partition_id partition, model::producer_id producer,
                          cluster::txn_result result);
  // Every group of every partition this node coordinates (each shard's, gathered).
  net::awaitable<std::vector<listed_group>> list_groups();
  net::awaitable<described_group> describe(std::string group_id);
  net::awaitable<error_code> delete_group(std::string group_id);
  net::awaitable<delete_offsets_result> delete_offsets(
      std::string group_id, std::vector<model::topic_partition> partitions);

  // Loads the partitions hosted already and starts each shard's deadline loop. Blocking; not
  // from a shard thread.
  void start();
  // Shutting down, first step: waiting JoinGroup/SyncGroup requests are answered
  // NOT_COORDINATOR (clients look for the coordinator again) and new ones refused, while
  // commits and fetches are still served. Blocking; not from a shard thread.
  void stop_waiters();
  // Stops the deadline loops. Blocking; not from a shard thread; before the partitions stop.
  void stop();

  struct shard_state;      // one shard's member ids and deadlines (defined in the .cc)
  struct partition_state;  // one partition's groups

 private:
  using owner = at_owner<partition_state>;

  // coordinator_partitions' callbacks.
  error_code replay(unsigned shard, partition_state& ps, cluster::partition& log);
  void drop(partition_state& ps);
  net::awaitable<void> tick(unsigned shard);

  // The parts of the calls above that run on the group's shard.
  net::awaitable<join_result> join_on_owner(owner at, const std::string& group_id,
                                            join_request& req);
  net::awaitable<sync_result> sync_on_owner(owner at, const std::string& group_id,
                                            sync_request& req);
  net::awaitable<std::vector<error_code>> commit_on_owner(owner at, const commit_request& req,
                                                          std::vector<error_code> checked);
  net::awaitable<error_code> delete_group_on_owner(owner at, const std::string& group_id);
  net::awaitable<delete_offsets_result> delete_offsets_on_owner(
      owner at, const std::string& group_id, const std::vector<model::topic_partition>& parts);
  static net::awaitable<std::vector<listed_group>> groups_on(group_coordinator* self,
                                                             unsigned shard);
  void drain(unsigned shard);

  void persist_group(partition_state& ps, group& g);
  std::unique_ptr<consumer_group> restore_consumer_group(const std::string& id,
                                                         const replayed_consumer_group& rc,
                                                         const topic_catalog& topics);
  // A consumer group's changed records (consumer_records.h), in the background as
  // persist_group: members' heartbeats never wait for them.
  void persist_consumer_group(partition_state& ps, group& g);
  consumer_heartbeat_result consumer_heartbeat_on_owner(owner at, const std::string& group_id,
                                                        const consumer_heartbeat& hb);
  net::awaitable<error_code> append(partition_state& ps, std::vector<std::byte> batch,
                                    cluster::append_origin origin = cluster::append_origin::client);
  void remove_group(
      partition_state& ps, const std::string& group_id,
      std::vector<std::pair<std::vector<std::byte>, std::optional<std::vector<std::byte>>>>&
          records);
  void expire_offsets(unsigned shard, int64_t now_ms);
  int64_t now_ms() const { return _clock(); }

  net::shard_pool& _shards;
  cluster::partition_manager& _partitions;
  coordinator_config _config;
  clock_fn _clock;
  std::vector<std::unique_ptr<shard_state>> _state;  // [shard], each touched on its shard only
  std::unique_ptr<coordinator_partitions<partition_state>> _coordinated;
};

}  // namespace vltava::coord
