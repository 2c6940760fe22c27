// BeginQuorumEpoch and EndQuorumEpoch <-> their quorum messages.

#include "quorum/net/mapping.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {
namespace {

// The responses of both APIs have the same shape.
template <typename Quorum, typename Kafka>
result<message, std::string> epoch_response(const Kafka& r, correlation_id c, const char* api) {
  if (r.error_code != protocol::error_code::none) {
    return message{c, Quorum{detail::to_quorum(r.error_code), {}, std::nullopt}};
  }
  auto p = detail::the_metadata_partition(r);
  if (!p) return fail(api + (": " + p.error()));
  const auto& q = **p;
  return message{c, Quorum{detail::to_quorum(q.error_code), q.leader_epoch,
                           detail::leader_if_any(q.leader_id)}};
}

// The checks both requests get before the node sees them; the cluster id the node sees.
template <typename Response, typename Request>
result<std::string, Response> check_epoch_request(const Request& r, const local_quorum& local) {
  auto cluster_id = detail::checked_cluster_id(r.cluster_id, local);
  if (!cluster_id) {
    return fail(detail::top_level_error<Response>(protocol::error_code::inconsistent_cluster_id));
  }
  if (!detail::names_only_the_metadata_partition(r)) {
    return fail(detail::top_level_error<Response>(protocol::error_code::invalid_request));
  }
  const auto& p = r.topics[0].partitions[0];
  if (p.leader_epoch < model::leader_epoch(0) || p.leader_id < model::node_id(0)) {
    return fail(detail::partition_error<Response>(protocol::error_code::invalid_request));
  }
  return *cluster_id;
}

}  // namespace

protocol::begin_quorum_epoch_request to_kafka(const begin_quorum_epoch_request& r,
                                              model::node_id to, int16_t) {
  auto k = detail::for_metadata_partition<protocol::begin_quorum_epoch_request>([](auto&) {});
  k.cluster_id = r.cluster_id;
  k.voter_id = to.value();
  auto& p = k.topics[0].partitions[0];
  p.leader_id = r.leader_id;
  p.leader_epoch = r.epoch;
  return k;
}

protocol::end_quorum_epoch_request to_kafka(const end_quorum_epoch_request& r, int16_t) {
  auto k = detail::for_metadata_partition<protocol::end_quorum_epoch_request>([](auto&) {});
  k.cluster_id = r.cluster_id;
  auto& p = k.topics[0].partitions[0];
  p.leader_id = r.leader_id;
  p.leader_epoch = r.epoch;
  // v0 names them PreferredSuccessors, v1 PreferredCandidates (with directory ids, unknown
  // here); the encoder writes the one the version has.
  for (model::node_id id : r.preferred_successors) {
    p.preferred_successors.push_back(id.value());
    p.preferred_candidates.push_back({id.value(), {}, {}});
  }
  return k;
}

result<message, std::string> from_kafka(const protocol::begin_quorum_epoch_response& r,
                                        correlation_id c) {
  return epoch_response<begin_quorum_epoch_response>(r, c, "BeginQuorumEpoch");
}

result<message, std::string> from_kafka(const protocol::end_quorum_epoch_response& r,
                                        correlation_id c) {
  return epoch_response<end_quorum_epoch_response>(r, c, "EndQuorumEpoch");
}

inbound<protocol::begin_quorum_epoch_response> from_kafka(
    const protocol::begin_quorum_epoch_request& r, int16_t version, correlation_id c,
    const local_quorum& local) {
  using response = protocol::begin_quorum_epoch_response;
  auto cluster_id = check_epoch_request<response>(r, local);
  if (!cluster_id) return fail(cluster_id.error());
  if (version >= 1 && r.voter_id >= 0 && r.voter_id != local.self.value()) {
    return fail(detail::partition_error<response>(protocol::error_code::invalid_voter_key));
  }
  const auto& p = r.topics[0].partitions[0];
  return peer_request{p.leader_id, message{c, begin_quorum_epoch_request{
                                                  *cluster_id, p.leader_epoch, p.leader_id}}};
}

inbound<protocol::end_quorum_epoch_response> from_kafka(const protocol::end_quorum_epoch_request& r,
                                                        int16_t version, correlation_id c,
                                                        const local_quorum& local) {
  using response = protocol::end_quorum_epoch_response;
  auto cluster_id = check_epoch_request<response>(r, local);
  if (!cluster_id) return fail(cluster_id.error());
  const auto& p = r.topics[0].partitions[0];
  end_quorum_epoch_request q{*cluster_id, p.leader_epoch, p.leader_id, {}};
  if (version == 0) {
    for (int32_t id : p.preferred_successors) q.preferred_successors.emplace_back(id);
  } else {
    for (const auto& candidate : p.preferred_candidates) {
      q.preferred_successors.emplace_back(candidate.candidate_id);
    }
  }
  return peer_request{p.leader_id, message{c, std::move(q)}};
}

protocol::begin_quorum_epoch_response to_kafka(const begin_quorum_epoch_response& r) {
  return detail::node_response<protocol::begin_quorum_epoch_response>(r, [](auto&) {});
}

protocol::end_quorum_epoch_response to_kafka(const end_quorum_epoch_response& r) {
  return detail::node_response<protocol::end_quorum_epoch_response>(r, [](auto&) {});
}

}  // namespace vltava::quorum::rpc
