#pragma once

// raft_node: one member of the KRaft quorum (KIP-595 with KIP-996 pre-vote and check-quorum)
// as a deterministic state machine. Inputs are calls: a message from a peer, a tick, an append
// on the leader, "the log is durable up to X". Outputs are an ordered list the caller drains
// and executes in order: persist the election state, send a message. No clock, no I/O, no
// randomness of its own: time is a parameter and the random election timeouts come from a
// seeded generator, so the simulation and the real adapters drive the very same code.
//
// Roles (Kafka's names): unattached (no leader known), prospective (asking for pre-votes),
// candidate (asking for votes in a new epoch), leader, follower, resigned (a leader that gave
// up its epoch and waits for a successor).
//
// A node not in the voter set is an observer (a broker-only node): it never stands or votes,
// and is only ever unattached or a follower. It finds the leader by fetching from a random
// voter (the answer's epoch and leader id name it, as Kafka's observers learn from a bootstrap
// voter), follows it, and asks a random voter again whenever the leader has not answered for
// the fetch timeout.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "model/fundamental.h"
#include "quorum/config.h"
#include "quorum/election_state.h"
#include "quorum/log.h"
#include "quorum/messages.h"
#include "quorum/sabotage.h"

namespace vltava::quorum {

enum class role : int8_t { unattached, prospective, candidate, leader, follower, resigned };
const char* to_string(role r);

// Make `state` durable (Kafka's quorum-state file) before executing the outputs after it.
struct persist_election {
  election_state state;
};
struct send_message {
  model::node_id to;
  message msg;
};
using output = std::variant<persist_election, send_message>;

// One replica's state as the leader sees it (DescribeQuorum's ReplicaState).
struct replica_state {
  model::node_id replica_id;
  model::offset log_end_offset;  // acknowledged: durable on that replica
  std::optional<milliseconds> last_fetch;
  // The last time its fetch offset reached the leader's log end (Kafka's definition: as of
  // that fetch, or as of the previous fetch when it reached the end the leader had then).
  std::optional<milliseconds> last_caught_up;
};

struct quorum_description {
  model::leader_epoch epoch;
  std::optional<model::node_id> leader_id;
  model::offset high_watermark;
  std::vector<replica_state> voters;     // filled on the leader only
  std::vector<replica_state> observers;  // leader: non-voters that fetched recently
};

class raft_node {
 public:
  // `durable` is the election state last persisted (default-constructed on a fresh node); `log`
  // holds what survived on disk, all of it durable, and must outlive the node.
  raft_node(quorum_config config, model::node_id self, log& log, election_state durable,
            uint64_t random_seed, milliseconds now);
  raft_node(const raft_node&) = delete;
  raft_node& operator=(const raft_node&) = delete;

  void handle(model::node_id from, const message& msg, milliseconds now);
  void tick(milliseconds now);
  // On the leader: appends one entry per batch in the current epoch, each spanning its record
  // count, and returns the offset of the last record; NOT_LEADER_OR_FOLLOWER elsewhere.
  result<model::offset, errc> append(const std::vector<batch>& batches, milliseconds now);
  // The log is durable up to (not including) `end`; `end` describes the log as it is now.
  void on_flushed(model::offset end, milliseconds now);
  // A graceful shutdown of the leader: EndQuorumEpoch to the voters, most caught up first.
  void resign(milliseconds now);

  std::vector<output> take_outputs();
  // Entries below the high watermark not taken before, in log order; a prefix of them when the
  // log bounds one read (storage_log does), so call it until it returns nothing.
  std::vector<entry> take_committed();
  // A snapshot fetched from the leader replaced the log (raft_node_snapshot.cc): the state
  // machine loads it, in place of everything it applied, before the entries take_committed()
  // returns next. Check after every handle().
  std::optional<snapshot_id> take_snapshot_to_load() {
    return std::exchange(_snapshot_to_load, {});
  }
  // Where take_committed() continues: the state machine holds everything before it. A snapshot
  // may be taken of that state, up to this offset.
  model::offset applied() const { return _applied; }
  // Follower: the snapshot being fetched from the leader and how many bytes of it are here.
  struct snapshot_fetch {
    snapshot_id id;
    int64_t position = 0;
  };
  const std::optional<snapshot_fetch>& fetching_snapshot() const { return _snapshot_fetch; }

  role current_role() const { return _role; }
  model::node_id id() const { return _self; }
  model::leader_epoch epoch() const { return _state.epoch; }
  std::optional<model::node_id> leader_id() const { return _state.leader_id; }
  const election_state& election() const { return _state; }
  model::offset high_watermark() const { return _high_watermark; }
  model::offset durable_end() const { return _durable_end; }
  const quorum_config& config() const { return _config; }
  quorum_description describe() const;

 private:
  friend class simulation;  // the only way to select a sabotage

  enum class request_kind : int8_t {
    pre_vote,
    vote,
    begin_epoch,
    end_epoch,
    fetch,
    fetch_snapshot
  };
  struct pending_request {
    model::node_id to;
    request_kind kind;
    milliseconds sent_at;
  };
  struct follower_progress {
    model::offset fetch_offset{0};
    std::optional<milliseconds> last_fetch;
    bool begin_epoch_acked = false;
    std::optional<milliseconds> begin_epoch_sent;
    std::optional<milliseconds> last_caught_up;
    model::offset end_at_last_fetch{0};  // the leader's log end when it last fetched
  };
  struct parked_fetch {
    correlation_id correlation;
    model::offset fetch_offset;
    milliseconds answer_by;
  };

  // raft_node.cc: transitions, timers, outputs.
  void become_unattached(model::leader_epoch epoch, milliseconds now);
  void become_follower(model::leader_epoch epoch, model::node_id leader, milliseconds now);
  void become_prospective(milliseconds now);
  void become_candidate(milliseconds now);
  void become_leader(milliseconds now);
  void become_resigned(std::vector<model::node_id> successors, milliseconds now);
  void enter(role r, milliseconds now);
  bool observe_epoch(model::leader_epoch epoch, std::optional<model::node_id> leader,
                     milliseconds now);
  void set_election_state(election_state next);
  void send(model::node_id to, message_body body, request_kind kind, milliseconds now);
  void reply(model::node_id to, correlation_id c, message_body body);
  std::optional<pending_request> take_pending(model::node_id from, correlation_id c);
  bool has_pending(model::node_id to, request_kind kind) const;
  void expire_requests(milliseconds now);
  milliseconds random_election_timeout();
  uint64_t random_next();
  bool is_voter(model::node_id id) const;
  std::size_t majority() const { return _config.voters.size() / 2 + 1; }
  errc validate_peer(const std::string& cluster_id, model::leader_epoch epoch,
                     model::node_id peer) const;

  // raft_node_election.cc: pre-vote, vote.
  void start_election_round(request_kind kind, milliseconds now);
  void send_vote_requests(milliseconds now);
  void handle_vote_request(model::node_id from, correlation_id c, const vote_request& req,
                           milliseconds now);
  bool can_grant(const vote_request& req, milliseconds now) const;
  void handle_vote_response(const pending_request& p, const vote_response& resp, milliseconds now);

  // raft_node_leader.cc: BeginQuorumEpoch, serving fetches, the high watermark, check-quorum.
  void handle_fetch_request(model::node_id from, correlation_id c, const fetch_request& req,
                            milliseconds now);
  std::optional<diverging_epoch> find_divergence(const fetch_request& req) const;
  void answer_fetch(model::node_id to, correlation_id c, model::offset from);
  void answer_parked_fetches(milliseconds now, bool only_expired);
  void update_high_watermark(milliseconds now);
  void track_fetch(follower_progress& p, model::offset fetch_offset, milliseconds now) const;
  void leader_tick(milliseconds now);
  void send_begin_epochs(milliseconds now);
  void handle_begin_epoch_response(const pending_request& p,
                                   const begin_quorum_epoch_response& resp, milliseconds now);

  // raft_node_follower.cc: BeginQuorumEpoch and EndQuorumEpoch received, the fetch loop.
  void handle_begin_epoch(model::node_id from, correlation_id c,
                          const begin_quorum_epoch_request& req, milliseconds now);
  void handle_end_epoch(model::node_id from, correlation_id c, const end_quorum_epoch_request& req,
                        milliseconds now);
  void handle_fetch_response(const pending_request& p, const fetch_response& resp,
                             milliseconds now);
  bool continues_log(const std::vector<entry>& entries) const;
  void truncate_to_diverging(const diverging_epoch& d);
  void maybe_fetch(milliseconds now);
  bool leader_alive(milliseconds now) const;
  void observer_tick(milliseconds now);
  void fetch_from_random_voter(milliseconds now);

  // raft_node_snapshot.cc: KIP-630 on both sides: the leader answers a fetch from before its
  // log start with its snapshot's id and serves FetchSnapshot; a follower fetches the snapshot
  // chunk by chunk, installs it, and fetches the log from its end.
  std::optional<snapshot_id> snapshot_for(const fetch_request& req) const;
  void answer_with_snapshot(model::node_id to, correlation_id c, snapshot_id id);
  void handle_fetch_snapshot_request(model::node_id from, correlation_id c,
                                     const fetch_snapshot_request& req, milliseconds now);
  void start_snapshot_fetch(snapshot_id id);
  void send_fetch_snapshot(milliseconds now);
  void handle_fetch_snapshot_response(const pending_request& p, const fetch_snapshot_response& resp,
                                      milliseconds now);
  void finish_snapshot_fetch(snapshot_id id);

  quorum_config _config;
  model::node_id _self;
  log& _log;
  election_state _state;
  role _role = role::unattached;
  uint64_t _random_state;
  sabotage _sabotage = sabotage::none;

  // Unattached, prospective, candidate, resigned: when the next election round starts.
  // Follower: when the leader counts as gone (fetch timeout, or sooner after EndQuorumEpoch).
  milliseconds _deadline{0};
  model::offset _durable_end;
  model::offset _high_watermark;
  model::offset _applied;
  correlation_id _next_correlation{1};
  std::map<correlation_id, pending_request> _pending;
  std::vector<output> _outputs;

  std::set<model::node_id> _votes_granted;   // prospective, candidate
  std::set<model::node_id> _votes_answered;  // prospective, candidate
  bool _leader_resigned = false;             // follower: EndQuorumEpoch came from the leader
  milliseconds _next_fetch_at{0};            // follower
  model::offset _epoch_start;                // leader: where its leader-change entry sits
  milliseconds _leader_since{0};
  std::map<model::node_id, follower_progress> _progress;   // leader: voters but itself
  std::map<model::node_id, follower_progress> _observers;  // leader: non-voters that fetch
  milliseconds _next_discovery_at{0};              // observer: when it may ask a random voter again
  std::map<model::node_id, parked_fetch> _parked;  // leader: fetches held for news
  // Leader: the high watermark last sent to each fetcher, voter or observer (a caught-up
  // fetch is held only when the fetcher already knows the high watermark).
  std::map<model::node_id, model::offset> _high_watermark_sent;
  std::optional<snapshot_fetch> _snapshot_fetch;  // follower
  std::optional<snapshot_id> _snapshot_to_load;
};

}  // namespace vltava::quorum
