#pragma once

// Committed offsets, answered by the group coordinator (coord/group_coordinator.h):
//   OffsetCommit (8) v0-9: generation/member checks, simple commits (generation -1) to groups
//     without members, metadata bounded by offset.metadata.max.bytes; answered once durable;
//   OffsetFetch (9) v0-9: one group (v0-7) or several (v8+), null topics = all, -1 for none;
//   OffsetDelete (47) v0: refused for topics the group's members subscribe to.
// With ListOffsets' log end offsets these give consumer lag (log end - committed).

#include <optional>
#include <vector>

#include "coord/group_coordinator.h"
#include "kafka/server/handler.h"
#include "protocol/generated/offset_commit.h"
#include "protocol/generated/offset_delete.h"
#include "protocol/generated/offset_fetch.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::offset_commit_response>> serve_offset_commit(
    request_context& ctx, const protocol::offset_commit_request& request);
net::awaitable<std::optional<protocol::offset_fetch_response>> serve_offset_fetch(
    request_context& ctx, const protocol::offset_fetch_request& request);
net::awaitable<std::optional<protocol::offset_delete_response>> serve_offset_delete(
    request_context& ctx, const protocol::offset_delete_request& request);

// Kafka's authorization of committing offsets (OffsetCommit, TxnOffsetCommit): WRITE on the
// transactional id when there is one (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the
// group (GROUP_AUTHORIZATION_FAILED), READ on each partition's topic
// (TOPIC_AUTHORIZATION_FAILED). Takes the refused partitions out of `parts` and returns each
// request partition's refusal, in request order (none: kept).
std::vector<protocol::error_code> take_unauthorized_commits(
    const request_context& ctx, std::string_view group, std::vector<coord::commit_partition>& parts,
    const std::optional<std::string>& transactional_id = std::nullopt);
// The answer per request partition: its refusal, or the coordinator's answer for the kept ones
// (`answers`, in order).
std::vector<protocol::error_code> merge_commit_errors(
    const std::vector<protocol::error_code>& refusals,
    const std::vector<protocol::error_code>& answers);

// The partitions of an OffsetCommit or a TxnOffsetCommit request, in request order.
template <typename Topics>
std::vector<coord::commit_partition> commit_partitions(const Topics& topics) {
  std::vector<coord::commit_partition> out;
  for (const auto& t : topics) {
    for (const auto& p : t.partitions) {
      coord::commit_partition cp;
      cp.topic = t.name;
      cp.partition = p.partition_index;
      cp.offset = p.committed_offset;
      cp.leader_epoch = p.committed_leader_epoch;
      cp.metadata = p.committed_metadata;
      out.push_back(std::move(cp));
    }
  }
  return out;
}

}  // namespace vltava::kafka
