#pragma once

// Helpers shared by the per-API mappings of rpc.h (not part of its interface).

#include <optional>
#include <string>

#include "protocol/error_code.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc::detail {

// quorum::errc holds Kafka's values (quorum/errors.h); a code the quorum does not name keeps
// its value, so a log line still shows which one a peer sent.
inline protocol::error_code to_kafka(errc e) {
  return static_cast<protocol::error_code>(e);
}
inline errc to_quorum(protocol::error_code e) {
  return static_cast<errc>(e);
}

inline model::node_id leader_or_none(std::optional<model::node_id> leader) {
  return leader.value_or(model::node_id(-1));
}
inline std::optional<model::node_id> leader_if_any(model::node_id leader) {
  if (leader < model::node_id(0)) return std::nullopt;
  return leader;
}

// Kafka answers these at the top level of a response, with no topics.
inline bool is_top_level(errc e) {
  return e == errc::inconsistent_cluster_id;
}

// Kafka does not check a cluster id the request leaves out (null): the node sees its own.
inline std::optional<std::string> checked_cluster_id(const std::optional<std::string>& id,
                                                     const local_quorum& local) {
  if (!id) return local.cluster_id;
  if (*id != local.cluster_id) return std::nullopt;
  return id;
}

inline bool is_metadata_partition(int32_t partition) {
  return partition == metadata_partition;
}

// Vote, BeginQuorumEpoch and EndQuorumEpoch requests name exactly one topic and partition.
template <typename Request>
bool names_only_the_metadata_partition(const Request& r) {
  return r.topics.size() == 1 && r.topics[0].topic_name == metadata_topic &&
         r.topics[0].partitions.size() == 1 &&
         is_metadata_partition(r.topics[0].partitions[0].partition_index.value());
}

// The one partition of a response to such a request, or why there is none.
template <typename Response>
auto the_metadata_partition(const Response& r)
    -> result<decltype(&r.topics[0].partitions[0]), std::string> {
  if (r.topics.size() != 1 || r.topics[0].topic_name != metadata_topic ||
      r.topics[0].partitions.size() != 1 ||
      !is_metadata_partition(r.topics[0].partitions[0].partition_index.value())) {
    return fail(std::string("the response does not answer for __cluster_metadata-0 alone"));
  }
  return &r.topics[0].partitions[0];
}

// A request or response naming __cluster_metadata-0 alone (Vote, BeginQuorumEpoch,
// EndQuorumEpoch and DescribeQuorum share the shape), the partition's fields filled by `fill`.
template <typename Message, typename Fill>
Message for_metadata_partition(Fill fill) {
  Message out;
  out.topics.emplace_back();
  out.topics[0].topic_name = std::string(metadata_topic);
  out.topics[0].partitions.emplace_back();
  out.topics[0].partitions[0].partition_index = model::partition_id(metadata_partition);
  fill(out.topics[0].partitions[0]);
  return out;
}

// The node's answer as Kafka's response: at the top level for the errors Kafka puts there,
// else the partition's error, leader and epoch; `more` fills the API's other fields.
template <typename Kafka, typename Quorum, typename More>
Kafka node_response(const Quorum& r, More more) {
  if (is_top_level(r.error)) {
    Kafka out;
    out.error_code = to_kafka(r.error);
    return out;
  }
  return for_metadata_partition<Kafka>([&r, &more](auto& p) {
    p.error_code = to_kafka(r.error);
    p.leader_id = leader_or_none(r.leader_id);
    p.leader_epoch = r.epoch;
    more(p);
  });
}

// The immediate answer to a request the node never sees: top level, or the partition's with
// no leader or epoch known here.
template <typename Response>
Response top_level_error(protocol::error_code e) {
  Response out;
  out.error_code = e;
  return out;
}
template <typename Response>
Response partition_error(protocol::error_code e) {
  return for_metadata_partition<Response>([e](auto& p) {
    p.error_code = e;
    p.leader_id = model::node_id(-1);
    p.leader_epoch = model::leader_epoch(-1);
  });
}

}  // namespace vltava::quorum::rpc::detail
