#pragma once

// The quorum's messages (quorum/messages.h) on Kafka's wire: each one mapped to and from the
// generated structs of Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and FetchSnapshot on
// `__cluster_metadata` partition 0, with Kafka's semantics (KafkaRaftClient): a wrong cluster
// id or a request for another topic or partition is answered at the top level
// (INCONSISTENT_CLUSTER_ID, INVALID_REQUEST) without reaching the state machine; the other
// errors are the partition's. Also DescribeQuorum's response from raft_node::describe().
//
// Requesting side: to_kafka(quorum request, version) and from_kafka(Kafka response,
// correlation id). Answering side: from_kafka(Kafka request, version, local) gives the sender
// and the quorum request, or the Kafka answer to send at once; to_kafka(quorum response,
// version) gives the answer to a request the node handled.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "protocol/generated/begin_quorum_epoch.h"
#include "protocol/generated/describe_quorum.h"
#include "protocol/generated/end_quorum_epoch.h"
#include "protocol/generated/fetch.h"
#include "protocol/generated/fetch_snapshot.h"
#include "protocol/generated/vote.h"
#include "protocol/wire.h"
#include "quorum/messages.h"
#include "quorum/raft_node.h"

namespace vltava::quorum::rpc {

inline constexpr std::string_view metadata_topic = "__cluster_metadata";
inline constexpr int32_t metadata_partition = 0;
// The topic id Kafka reserves for `__cluster_metadata` (Fetch v13+ names topics by id).
inline constexpr protocol::uuid metadata_topic_id{
    {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
     std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0},
     std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}}};

// The versions this node sends. Vote v2 is the newest (KIP-996: PreVote, Replica* names);
// Fetch needs v12+ for CurrentLeader and DivergingEpoch, v15+ carries ReplicaState.
struct versions {
  int16_t vote = 2;
  int16_t begin_quorum_epoch = 1;
  int16_t end_quorum_epoch = 1;
  int16_t fetch = 18;
  int16_t fetch_snapshot = 1;
};
inline constexpr int16_t fetch_min_version = 12;

// What a follower's Fetch asks for (Kafka's KafkaRaftClient constants).
struct fetch_limits {
  int32_t max_wait_ms = 500;
  int32_t max_bytes = 8 * 1024 * 1024;
};

// This node, as the answering side checks requests against it.
struct local_quorum {
  std::string cluster_id;
  model::node_id self;
};

// A request from a peer, ready for quorum_service::handle_request.
struct peer_request {
  model::node_id from;
  message request;
};

// The answering side's result: the peer's request, or the Kafka response to send at once.
template <typename KafkaResponse>
using inbound = result<peer_request, KafkaResponse>;

// --- Records: entries <-> the bytes of a Fetch response's Records ---------------------------

// Each entry's payload is one whole record batch v2; concatenated in order. The header's base
// offset and partitionLeaderEpoch are set from the entry (they lie outside the CRC).
std::vector<std::byte> records_of(const std::vector<entry>& entries);
// Splits Records into batches, each checked whole (length, magic, CRC), contiguous in offsets,
// each the entry the disk side reads back for it (quorum/io entry_of_batch: offset = base
// offset, epoch = partitionLeaderEpoch, record_count = lastOffsetDelta + 1, kind =
// leader_change for a LeaderChangeMessage control batch, payload = the batch). Malformed input
// is an error naming the batch, never a crash.
result<std::vector<entry>, std::string> entries_of(std::span<const std::byte> records);

// --- Requesting side ----------------------------------------------------------------------

protocol::vote_request to_kafka(const vote_request& r, model::node_id to, int16_t version);
protocol::begin_quorum_epoch_request to_kafka(const begin_quorum_epoch_request& r,
                                              model::node_id to, int16_t version);
protocol::end_quorum_epoch_request to_kafka(const end_quorum_epoch_request& r, int16_t version);
protocol::fetch_request to_kafka(const fetch_request& r, int16_t version,
                                 const fetch_limits& limits = {});
protocol::fetch_snapshot_request to_kafka(const fetch_snapshot_request& r, int16_t version);

// A response that names another topic or partition, or carries malformed records, is an error.
result<message, std::string> from_kafka(const protocol::vote_response& r, correlation_id c);
result<message, std::string> from_kafka(const protocol::begin_quorum_epoch_response& r,
                                        correlation_id c);
result<message, std::string> from_kafka(const protocol::end_quorum_epoch_response& r,
                                        correlation_id c);
result<message, std::string> from_kafka(const protocol::fetch_response& r, correlation_id c);
result<message, std::string> from_kafka(const protocol::fetch_snapshot_response& r,
                                        correlation_id c);

// --- Answering side -----------------------------------------------------------------------

// The correlation id of the peer's request header goes into the quorum message, so that the
// node's answer can be matched to it.
inbound<protocol::vote_response> from_kafka(const protocol::vote_request& r, int16_t version,
                                            correlation_id c, const local_quorum& local);
inbound<protocol::begin_quorum_epoch_response> from_kafka(
    const protocol::begin_quorum_epoch_request& r, int16_t version, correlation_id c,
    const local_quorum& local);
inbound<protocol::end_quorum_epoch_response> from_kafka(const protocol::end_quorum_epoch_request& r,
                                                        int16_t version, correlation_id c,
                                                        const local_quorum& local);
inbound<protocol::fetch_response> from_kafka(const protocol::fetch_request& r, int16_t version,
                                             correlation_id c, const local_quorum& local);
inbound<protocol::fetch_snapshot_response> from_kafka(const protocol::fetch_snapshot_request& r,
                                                      int16_t version, correlation_id c,
                                                      const local_quorum& local);

protocol::vote_response to_kafka(const vote_response& r);
protocol::begin_quorum_epoch_response to_kafka(const begin_quorum_epoch_response& r);
protocol::end_quorum_epoch_response to_kafka(const end_quorum_epoch_response& r);

// A Fetch response owns its Records bytes: `body.responses[0].partitions[0].records` points
// into `records`, whose buffer stays put when the struct moves. Not copyable for that reason.
struct fetch_answer {
  std::vector<std::byte> records;
  protocol::fetch_response body;

  fetch_answer() = default;
  fetch_answer(fetch_answer&&) noexcept = default;
  fetch_answer& operator=(fetch_answer&&) noexcept = default;
  fetch_answer(const fetch_answer&) = delete;
  fetch_answer& operator=(const fetch_answer&) = delete;
};
fetch_answer to_kafka(const fetch_response& r, int16_t version);

// A FetchSnapshot response owns its chunk the same way (UnalignedRecords points into `bytes`).
struct fetch_snapshot_answer {
  std::vector<std::byte> bytes;
  protocol::fetch_snapshot_response body;

  fetch_snapshot_answer() = default;
  fetch_snapshot_answer(fetch_snapshot_answer&&) noexcept = default;
  fetch_snapshot_answer& operator=(fetch_snapshot_answer&&) noexcept = default;
  fetch_snapshot_answer(const fetch_snapshot_answer&) = delete;
  fetch_snapshot_answer& operator=(const fetch_snapshot_answer&) = delete;
};
fetch_snapshot_answer to_kafka(const fetch_snapshot_response& r);

// DescribeQuorum: the leader answers from raft_node::describe(); a node that is not the leader
// answers NOT_LEADER_OR_FOLLOWER, a request for another topic or partition
// UNKNOWN_TOPIC_OR_PARTITION, as Kafka does. `unix_ms_at_zero` is the Unix time (ms) at which
// the node's clock read 0, to turn its last-fetch times into timestamps.
protocol::describe_quorum_response describe_quorum(const protocol::describe_quorum_request& r,
                                                   const quorum_description& d, model::node_id self,
                                                   std::chrono::milliseconds unix_ms_at_zero);

}  // namespace vltava::quorum::rpc
