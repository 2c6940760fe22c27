#pragma once

// One classic consumer group: the protocol's state machine (Empty, PreparingRebalance,
// CompletingRebalance, Stable, Dead), its members, and its committed offsets. Pure logic: time
// comes in as `now_ms`, deferred answers (JoinGroup and SyncGroup wait for the rest of the
// group) go out through callbacks, and deadlines fire from tick(). The coordinator owns the
// group on the shard of its __consumer_offsets partition and persists what changed.
//
// Callbacks are called synchronously from the group's methods; they must not call back into
// the group (the coordinator's only wake a waiting request).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/broker_configs.h"
#include "coord/consumer_group.h"
#include "coord/offsets_records.h"
#include "model/topic_partition.h"
#include "protocol/error_code.h"

namespace vltava::coord {

using protocol::error_code;

enum class group_state : uint8_t { empty, preparing_rebalance, completing_rebalance, stable, dead };
// Kafka's names ("Empty", "PreparingRebalance", ...), as ListGroups/DescribeGroups report them.
std::string_view state_name(group_state s);

struct group_config {
  int32_t min_session_timeout_ms =
      config::broker_keys::group_min_session_timeout_ms.default_value();
  int32_t max_session_timeout_ms =
      config::broker_keys::group_max_session_timeout_ms.default_value();
  int32_t max_size = config::broker_keys::group_max_size.default_value();
  int32_t initial_rebalance_delay_ms =
      config::broker_keys::group_initial_rebalance_delay_ms.default_value();

  bool operator==(const group_config&) const = default;
};

struct protocol_entry {
  std::string name;
  std::vector<std::byte> metadata;
  bool operator==(const protocol_entry&) const = default;
};

struct join_request {
  std::string member_id;  // "" on a first join
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<protocol_entry> protocols;
  bool require_known_member_id = false;   // JoinGroup v4+ (KIP-394)
  bool supports_skip_assignment = false;  // JoinGroup v9+
};

struct join_member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::byte> metadata;
};

struct join_result {
  error_code error = error_code::none;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  bool skip_assignment = false;
  std::vector<join_member> members;  // the leader's only
};

struct sync_request {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // checked when given (v5+)
  std::optional<std::string> protocol_name;
  std::vector<std::pair<std::string, std::vector<std::byte>>> assignments;  // leader's
};

struct sync_result {
  error_code error = error_code::none;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::vector<std::byte> assignment;
};

using join_callback = std::function<void(join_result)>;
using sync_callback = std::function<void(sync_result)>;
// A new member id for a client id (Kafka: client id, '-', a random UUID).
using member_id_source = std::function<std::string(std::string_view client_id)>;

struct member_summary {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::byte> metadata;    // for the selected protocol (Stable groups only)
  std::vector<std::byte> assignment;  // Stable groups only
};

class group {
 public:
  // `config` and `ids` must outlive the group.
  group(std::string id, const group_config& config, const member_id_source& ids);
  group(const group&) = delete;
  group& operator=(const group&) = delete;

  // The group as its last group metadata record left it: Empty (members are not restored as
  // live; they rejoin), with its generation, protocol type and state timestamp.
  void restore(const group_value& v);

  const std::string& id() const { return _id; }
  group_state state() const { return _state; }
  int32_t generation() const { return _generation; }
  const std::string& protocol_type() const { return _protocol_type; }
  const std::optional<std::string>& protocol_name() const { return _protocol_name; }
  const std::string& leader() const { return _leader; }
  size_t member_count() const { return _members.size(); }
  size_t pending_count() const { return _pending.size(); }
  int64_t state_timestamp_ms() const { return _state_timestamp_ms; }
  bool has_member(const std::string& id) const { return _members.contains(id); }

  void join(join_request req, int64_t now_ms, join_callback cb);
  void sync(sync_request req, int64_t now_ms, sync_callback cb);
  error_code heartbeat(const std::string& member_id,
                       const std::optional<std::string>& group_instance_id, int32_t generation,
                       int64_t now_ms);
  // One member leaving (LeaveGroup v3+ batches call it per member).
  error_code leave(const std::string& member_id,
                   const std::optional<std::string>& group_instance_id, int64_t now_ms);
  // May this client commit offsets now? A commit also counts as a heartbeat.
  error_code validate_commit(int32_t generation, const std::string& member_id,
                             const std::optional<std::string>& group_instance_id, int64_t now_ms);
  // Fires the deadlines due at `now_ms`: rebalance and initial delays, sync and session
  // timeouts, members that never came back after MEMBER_ID_REQUIRED.
  void tick(int64_t now_ms);
  // Answers every waiting JoinGroup/SyncGroup with `e` (the coordinator is going away).
  void fail_waiters(error_code e);
  // The group is being removed (DeleteGroups, expiry): Dead, nothing more is accepted.
  void mark_dead();

  // True once after each change the group metadata record must carry.
  bool take_dirty() {
    bool d = _dirty;
    _dirty = false;
    return d;
  }
  group_value to_record() const;

  std::vector<member_summary> describe_members() const;
  // Topics the members subscribe to (consumer protocol metadata); empty for other protocols.
  std::set<std::string> subscribed_topics() const;

  // KIP-848: a group whose members speak ConsumerGroupHeartbeat keeps them in its consumer
  // part; the group itself then only holds the offsets (and has no classic members).
  consumer_group* consumer() { return _consumer.get(); }
  const consumer_group* consumer() const { return _consumer.get(); }
  // An empty classic group becomes a consumer group (its offsets stay), and back (`nullptr`).
  void set_consumer(std::unique_ptr<consumer_group> c);
  // "classic" or "consumer" (ListGroups v5 GroupType).
  std::string_view group_type() const { return _consumer ? "consumer" : "classic"; }
  // The state ListGroups/DescribeGroups report, of whichever protocol the group speaks.
  std::string_view state_text() const;
  // Nobody is a member (classic: Empty or Dead; consumer: no members).
  bool without_members() const;

  std::map<model::topic_partition, offset_value>& offsets() { return _offsets; }
  const std::map<model::topic_partition, offset_value>& offsets() const { return _offsets; }

  // May this producer commit offsets for the group inside its transaction (TxnOffsetCommit)?
  // Kafka's checks: generation and member only when given (a transactional producer need not
  // be a member), no rebalance check.
  error_code validate_txn_commit(int32_t generation, const std::string& member_id,
                                 const std::optional<std::string>& group_instance_id) const;
  // Offsets committed inside open transactions, by producer id: invisible (OffsetFetch answers
  // the last committed offset, or UNSTABLE_OFFSET_COMMIT when asked for stable offsets) until
  // the transaction's marker commits or drops them (KIP-447).
  using txn_offsets = std::map<int64_t, std::map<model::topic_partition, offset_value>>;
  txn_offsets& pending_txn_offsets() { return _txn_offsets; }
  bool has_pending_txn_offset(const model::topic_partition& k) const;
  // The marker of producer `producer_id`'s transaction was written: its offsets become
  // committed (commit) or are forgotten (abort).
  void complete_txn(int64_t producer_id, bool commit);

 private:
  struct member {
    std::string id;
    std::optional<std::string> instance_id;
    std::string client_id;
    std::string client_host;
    int32_t session_timeout_ms = 0;
    int32_t rebalance_timeout_ms = 0;
    std::vector<protocol_entry> protocols;
    std::vector<std::byte> assignment;
    join_callback awaiting_join;
    sync_callback awaiting_sync;
    int64_t session_deadline_ms = 0;
    uint64_t join_order = 0;
  };

  bool supports_protocols(const std::string& type, const std::vector<protocol_entry>& ps) const;
  bool is_fenced(const std::string& member_id, const std::optional<std::string>& instance) const;
  bool full() const;
  void join_new_member(join_request req, int64_t now_ms, join_callback cb);
  void join_known_member(join_request req, int64_t now_ms, join_callback cb);
  void replace_static_member(const std::string& old_id, join_request req, int64_t now_ms,
                             join_callback cb);
  void add_member_and_rebalance(std::string id, join_request req, int64_t now_ms, join_callback cb);
  void update_member_and_rebalance(member& m, join_request req, int64_t now_ms, join_callback cb);
  join_result current_generation_result(const member& m, bool include_members) const;
  void maybe_prepare_rebalance(int64_t now_ms);
  void prepare_rebalance(int64_t now_ms);
  void try_complete_join(int64_t now_ms);
  void complete_join(int64_t now_ms);
  void remove_member(const std::string& id, int64_t now_ms);
  void expire_sync(int64_t now_ms);
  void set_state(group_state s, int64_t now_ms);
  std::optional<std::string> select_protocol() const;
  int32_t rebalance_timeout_ms() const;
  std::vector<const member*> ordered_members() const;
  const std::vector<std::byte>* metadata_for(const member& m, const std::string& protocol) const;

  std::string _id;
  const group_config& _config;
  const member_id_source& _ids;
  group_state _state = group_state::empty;
  int64_t _state_timestamp_ms = -1;
  int32_t _generation = 0;
  std::string _protocol_type;
  std::optional<std::string> _protocol_name;
  std::string _leader;
  std::map<std::string, member> _members;
  std::map<std::string, std::string> _static_members;  // group.instance.id -> member id
  txn_offsets _txn_offsets;
  std::map<std::string, int64_t> _pending;  // MEMBER_ID_REQUIRED ids -> deadline
  uint64_t _next_join_order = 0;
  // PreparingRebalance: when the join phase ends; the initial delay of a new group may extend
  // it while members keep arriving, up to the rebalance timeout.
  int64_t _join_deadline_ms = 0;
  bool _initial_delay = false;
  bool _new_member_added = false;
  int64_t _initial_remaining_ms = 0;
  int64_t _sync_deadline_ms = 0;  // CompletingRebalance: when the leader's sync is overdue
  bool _dirty = false;
  std::map<model::topic_partition, offset_value> _offsets;
  std::unique_ptr<consumer_group> _consumer;
};

}  // namespace vltava::coord
