#pragma once

// One KIP-848 consumer group (ConsumerGroupHeartbeat): the server decides who owns what. The
// group epoch moves when membership or subscriptions change; the target assignment is then
// recomputed by the server-side assignor (consumer_assignor.h) and stamped with that epoch;
// each member reconciles toward its target on its own heartbeats, incrementally:
//   - partitions it must give up are revoked first (member state UNREVOKED_PARTITIONS, its
//     epoch unchanged) and counted as its own until a heartbeat's owned partitions
//     (TopicPartitions) no longer list them;
//   - then it moves to the target epoch with the target partitions nobody else still holds
//     (UNRELEASED_PARTITIONS while some are held), the others follow on later heartbeats.
// So no partition is ever held by two members. Pure logic as classic `group`: time comes in as
// `now_ms`, the topics as a catalog, deadlines fire from tick().

#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/broker_configs.h"
#include "coord/consumer_assignor.h"
#include "protocol/error_code.h"

namespace vltava::coord {

using protocol::error_code;

// Kafka's group.consumer.* broker configs.
struct consumer_group_config {
  int32_t session_timeout_ms =
      config::broker_keys::group_consumer_session_timeout_ms.default_value();
  int32_t heartbeat_interval_ms =
      config::broker_keys::group_consumer_heartbeat_interval_ms.default_value();
  int32_t max_size = config::broker_keys::group_consumer_max_size.default_value();
  // group.consumer.assignors: the ones members may name; the first is the default.
  std::vector<std::string> assignors{std::string(uniform_assignor), std::string(range_assignor)};
  bool operator==(const consumer_group_config&) const = default;
};

// The topics that exist now (name -> id, partition count), from the metadata image.
struct catalog_topic {
  protocol::uuid id;
  int32_t partitions = 0;
  bool internal = false;  // never matched by a subscription regex
  bool operator==(const catalog_topic&) const = default;
};
using topic_catalog = std::map<std::string, catalog_topic, std::less<>>;

enum class consumer_group_state : uint8_t { empty, assigning, reconciling, stable, dead };
// Kafka's names: "Empty", "Assigning", "Reconciling", "Stable", "Dead".
std::string_view state_name(consumer_group_state s);

enum class member_state : uint8_t { stable, unrevoked_partitions, unreleased_partitions };

inline constexpr int32_t leave_epoch = -1;
inline constexpr int32_t static_leave_epoch = -2;

// A ConsumerGroupHeartbeat, as the handler decoded it. Nullable fields: unchanged.
struct consumer_heartbeat {
  int16_t version = 1;
  std::string member_id;
  int32_t member_epoch = 0;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  int32_t rebalance_timeout_ms = -1;
  std::optional<std::vector<std::string>> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  std::optional<std::string> server_assignor;
  std::optional<topic_partitions> owned;  // TopicPartitions
  std::string client_id;
  std::string client_host;
};

struct consumer_heartbeat_result {
  error_code error = error_code::none;
  std::string message;
  std::string member_id;
  int32_t member_epoch = 0;
  int32_t heartbeat_interval_ms = 0;
  std::optional<topic_partitions> assignment;  // when it changed, or asked for in full
};

struct consumer_member {
  std::string id;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  std::vector<std::string> subscribed_topic_names;  // sorted
  std::optional<std::string> subscribed_topic_regex;
  std::optional<std::string> server_assignor;
  int32_t epoch = 0;
  int32_t previous_epoch = -1;
  member_state state = member_state::stable;
  topic_partitions assigned;            // the member owns these at `epoch`
  topic_partitions pending_revocation;  // still its own until it reports them released
  int64_t session_deadline_ms = 0;
  int64_t revocation_deadline_ms = 0;  // while UNREVOKED_PARTITIONS
  bool left_static = false;            // a static member that left with epoch -2
  bool assignment_changed = true;      // the next answer carries the assignment
};

// Checks of a request alone (Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid):
// INVALID_REQUEST with a message, or none.
std::pair<error_code, std::string> validate(const consumer_heartbeat& hb);

class consumer_group {
 public:
  // `config` must outlive the group.
  consumer_group(std::string id, const consumer_group_config& config);

  const std::string& id() const { return _id; }
  consumer_group_state state() const;
  int32_t group_epoch() const { return _group_epoch; }
  int32_t assignment_epoch() const { return _assignment_epoch; }
  const std::map<std::string, consumer_member>& members() const { return _members; }
  const target_assignment& target() const { return _target; }
  // The assignor the next target is computed with (the members' most asked for, else the
  // configured default).
  std::string assignor() const;
  std::set<std::string> subscribed_topic_names(const topic_catalog& topics) const;

  // `new_member_id` names a member joining with an empty member id (v0). Validated already.
  consumer_heartbeat_result heartbeat(const consumer_heartbeat& hb, const topic_catalog& topics,
                                      int64_t now_ms, const std::string& new_member_id);
  // Removes the members whose session or revocation deadline passed (their partitions become
  // free, the group epoch moves). How many were removed.
  size_t tick(int64_t now_ms);
  // May this member commit offsets at this epoch (OffsetCommit's generation id)? An empty
  // member id with a negative epoch (an admin, or a consumer outside the group) only while the
  // group has no members.
  error_code validate_commit(const std::string& member_id, int32_t member_epoch) const;

  // Restoring from records (replay): sets what a record said.
  void restore_epochs(int32_t group_epoch, int32_t assignment_epoch);
  void restore_member(consumer_member m, int64_t now_ms);
  void restore_target(const std::string& member_id, topic_partitions t);
  // The subscribed topics as they are now (after the members): no epoch bump for them.
  void restore_subscription_metadata(const topic_catalog& topics);
  const std::map<std::string, catalog_topic>& subscription_metadata() const { return _metadata; }

  // True once after each change the records must carry.
  bool take_dirty() {
    bool d = _dirty;
    _dirty = false;
    return d;
  }
  // Members removed since the last call (their records get tombstones).
  std::vector<std::string> take_removed() { return std::exchange(_removed, {}); }

 private:
  consumer_heartbeat_result leave(const consumer_heartbeat& hb);
  consumer_heartbeat_result fenced(const consumer_heartbeat& hb, error_code e, std::string msg);
  consumer_member* join(const consumer_heartbeat& hb, const std::string& new_member_id,
                        consumer_heartbeat_result& r);
  bool update_subscription(consumer_member& m, const consumer_heartbeat& hb);
  bool refresh_metadata(const topic_catalog& topics);
  void compute_target();
  void reconcile(consumer_member& m, const std::optional<topic_partitions>& owned, int64_t now_ms);
  bool held_by_other(const std::string& member, const protocol::uuid& t, int32_t p) const;
  void remove_member(const std::string& id);
  bool matches_regex(const consumer_member& m, const std::string& topic) const;

  std::string _id;
  const consumer_group_config& _config;
  int32_t _group_epoch = 0;
  int32_t _assignment_epoch = 0;
  std::map<std::string, consumer_member> _members;
  std::map<std::string, std::string> _static_members;  // instance id -> member id
  target_assignment _target;
  // The subscribed topics as the target was computed from them (name -> id, partitions).
  std::map<std::string, catalog_topic> _metadata;
  std::map<std::string, std::regex> _regexes;  // compiled subscription regexes, by pattern
  std::vector<std::string> _removed;
  bool _membership_changed = false;  // a member joined: the epoch moves once this heartbeat
  bool _dirty = false;
};

}  // namespace vltava::coord
