#pragma once

// The quorum's RPCs as plain structs: the fields of Kafka's Vote, BeginQuorumEpoch,
// EndQuorumEpoch, Fetch (on __cluster_metadata) and FetchSnapshot that the state machine reads or
// writes, with Kafka's names, so an adapter maps them 1:1 onto the wire. A missing leader (Kafka's
// -1) is an empty optional. `correlation_id` stands for the request header's: a response carries
// its request's, and a node ignores responses it is not waiting for (duplicates, stale ones).

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/strong_type.h"
#include "model/fundamental.h"
#include "quorum/errors.h"
#include "quorum/log.h"

namespace vltava::quorum {

using correlation_id = named_type<int64_t, struct correlation_id_tag>;

struct vote_request {
  std::string cluster_id;
  model::leader_epoch epoch;  // CandidateEpoch; for a pre-vote, the epoch it would stand in
  model::node_id candidate_id;
  model::leader_epoch last_offset_epoch;
  model::offset last_offset;  // the candidate's log end offset
  bool pre_vote = false;      // KIP-996: asks "would you vote for me", changes nothing
};

struct vote_response {
  errc error = errc::none;
  model::leader_epoch epoch;  // the responder's epoch
  std::optional<model::node_id> leader_id;
  bool vote_granted = false;
};

struct begin_quorum_epoch_request {
  std::string cluster_id;
  model::leader_epoch epoch;
  model::node_id leader_id;
};

struct begin_quorum_epoch_response {
  errc error = errc::none;
  model::leader_epoch epoch;
  std::optional<model::node_id> leader_id;
};

struct end_quorum_epoch_request {
  std::string cluster_id;
  model::leader_epoch epoch;
  model::node_id leader_id;
  // Voters in the order the resigning leader prefers them (most caught up first).
  std::vector<model::node_id> preferred_successors;
};

struct end_quorum_epoch_response {
  errc error = errc::none;
  model::leader_epoch epoch;
  std::optional<model::node_id> leader_id;
};

struct fetch_request {
  std::string cluster_id;
  model::leader_epoch epoch;  // CurrentLeaderEpoch
  model::node_id replica_id;
  // The follower's log end offset, all of it durable: the leader counts it as acknowledged.
  model::offset fetch_offset;
  model::leader_epoch last_fetched_epoch;
};

struct diverging_epoch {
  model::leader_epoch epoch;
  model::offset end_offset;
};

struct fetch_response {
  errc error = errc::none;
  model::leader_epoch epoch;
  std::optional<model::node_id> leader_id;
  model::offset high_watermark;
  std::optional<diverging_epoch> diverging;
  std::vector<entry> entries;
  // The fetch offset is before the leader's log start (or its epoch before the snapshot's):
  // fetch this snapshot instead (Kafka's SnapshotId).
  std::optional<snapshot_id> snapshot;
};

// FetchSnapshot: `max_bytes` of the snapshot's bytes from `position`.
struct fetch_snapshot_request {
  std::string cluster_id;
  model::leader_epoch epoch;  // CurrentLeaderEpoch
  model::node_id replica_id;
  snapshot_id snapshot;
  int64_t position = 0;
  uint32_t max_bytes = 0;
};

struct fetch_snapshot_response {
  errc error = errc::none;
  model::leader_epoch epoch;
  std::optional<model::node_id> leader_id;
  snapshot_id snapshot;
  int64_t size = 0;  // the whole snapshot's bytes
  int64_t position = 0;
  std::string bytes;
};

using message_body =
    std::variant<vote_request, vote_response, begin_quorum_epoch_request,
                 begin_quorum_epoch_response, end_quorum_epoch_request, end_quorum_epoch_response,
                 fetch_request, fetch_response, fetch_snapshot_request, fetch_snapshot_response>;

struct message {
  correlation_id correlation;
  message_body body;
};

}  // namespace vltava::quorum
