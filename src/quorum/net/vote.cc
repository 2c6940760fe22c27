// Vote (KIP-595; PreVote from v2, KIP-996) <-> quorum::vote_request / vote_response.

#include "base/assert.h"
#include "quorum/net/mapping.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {

protocol::vote_request to_kafka(const vote_request& r, model::node_id to, int16_t version) {
  // Below v2 a pre-vote would be read as a real vote: never send one there.
  VLTAVA_ASSERT(!r.pre_vote || version >= 2, "a pre-vote needs Vote v2");
  auto k = detail::for_metadata_partition<protocol::vote_request>([](auto&) {});
  k.cluster_id = r.cluster_id;
  k.voter_id = to.value();
  auto& p = k.topics[0].partitions[0];
  p.replica_epoch = r.epoch.value();
  p.replica_id = r.candidate_id;
  p.last_offset_epoch = r.last_offset_epoch.value();
  p.last_offset = r.last_offset;
  p.pre_vote = r.pre_vote;
  return k;
}

result<message, std::string> from_kafka(const protocol::vote_response& r, correlation_id c) {
  if (r.error_code != protocol::error_code::none) {
    return message{c, vote_response{detail::to_quorum(r.error_code), {}, std::nullopt, false}};
  }
  auto p = detail::the_metadata_partition(r);
  if (!p) return fail("Vote: " + p.error());
  const auto& q = **p;
  return message{c, vote_response{detail::to_quorum(q.error_code), q.leader_epoch,
                                  detail::leader_if_any(q.leader_id), q.vote_granted}};
}

inbound<protocol::vote_response> from_kafka(const protocol::vote_request& r, int16_t version,
                                            correlation_id c, const local_quorum& local) {
  using response = protocol::vote_response;
  auto cluster_id = detail::checked_cluster_id(r.cluster_id, local);
  if (!cluster_id) {
    return fail(detail::top_level_error<response>(protocol::error_code::inconsistent_cluster_id));
  }
  if (!detail::names_only_the_metadata_partition(r)) {
    return fail(detail::top_level_error<response>(protocol::error_code::invalid_request));
  }
  if (version >= 1 && r.voter_id >= 0 && r.voter_id != local.self.value()) {
    return fail(detail::partition_error<response>(protocol::error_code::invalid_voter_key));
  }
  const auto& p = r.topics[0].partitions[0];
  if (p.replica_epoch < 0 || p.last_offset_epoch < 0 || p.last_offset < model::offset(0)) {
    return fail(detail::partition_error<response>(protocol::error_code::invalid_request));
  }
  vote_request q{*cluster_id,   model::leader_epoch(p.replica_epoch),
                 p.replica_id,  model::leader_epoch(p.last_offset_epoch),
                 p.last_offset, version >= 2 && p.pre_vote};
  return peer_request{p.replica_id, message{c, std::move(q)}};
}

protocol::vote_response to_kafka(const vote_response& r) {
  return detail::node_response<protocol::vote_response>(
      r, [&r](auto& p) { p.vote_granted = r.vote_granted; });
}

}  // namespace vltava::quorum::rpc
