#pragma once

// The controller quorum's RPCs (KIP-595, KIP-996, KIP-630): Vote, BeginQuorumEpoch,
// EndQuorumEpoch, DescribeQuorum, FetchSnapshot, and Fetch of `__cluster_metadata` (handle_fetch
// sends those here). Each is mapped onto the quorum's messages (quorum/net/rpc.h) and answered by
// this node's quorum_service on shard 0, when the node answers (a Fetch with nothing new is held
// there).

#include <optional>

#include "kafka/server/handler.h"
#include "protocol/generated/begin_quorum_epoch.h"
#include "protocol/generated/describe_quorum.h"
#include "protocol/generated/end_quorum_epoch.h"
#include "protocol/generated/fetch.h"
#include "protocol/generated/fetch_snapshot.h"
#include "protocol/generated/vote.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::vote_response>> serve_vote(
    request_context& ctx, const protocol::vote_request& request);
net::awaitable<std::optional<protocol::begin_quorum_epoch_response>> serve_begin_quorum_epoch(
    request_context& ctx, const protocol::begin_quorum_epoch_request& request);
net::awaitable<std::optional<protocol::end_quorum_epoch_response>> serve_end_quorum_epoch(
    request_context& ctx, const protocol::end_quorum_epoch_request& request);
net::awaitable<std::optional<protocol::describe_quorum_response>> serve_describe_quorum(
    request_context& ctx, const protocol::describe_quorum_request& request);

// FetchSnapshot (KIP-630): a chunk of the leader's snapshot, by position. Its own frame
// handler: the response points into the chunk it carries.
net::awaitable<net::handler_result> serve_fetch_snapshot(request_context& ctx,
                                                         std::span<const std::byte> body);

// Whether a Fetch reads the metadata log (by name up to v12, by topic id from v13).
bool is_metadata_fetch(const protocol::fetch_request& request, int16_t version);
// A follower's or observer's Fetch of `__cluster_metadata`, answered by the quorum.
net::awaitable<net::handler_result> serve_metadata_fetch(request_context& ctx,
                                                         protocol::fetch_request request);

}  // namespace vltava::kafka
