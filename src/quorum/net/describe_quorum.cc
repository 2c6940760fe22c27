// DescribeQuorum's response from raft_node::describe().

#include "quorum/net/mapping.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {
namespace {

using response = protocol::describe_quorum_response;

// Kafka's answer for a request naming anything but __cluster_metadata-0: every partition it
// named gets the error.
response unknown_partitions(const protocol::describe_quorum_request& r) {
  response out;
  out.error_message = std::nullopt;
  for (const auto& topic : r.topics) {
    auto& t = out.topics.emplace_back();
    t.topic_name = topic.topic_name;
    for (const auto& partition : topic.partitions) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = partition.partition_index;
      p.error_code = protocol::error_code::unknown_topic_or_partition;
      p.error_message = std::string(protocol::error_name(p.error_code));
    }
  }
  return out;
}

protocol::describe_quorum::replica_state voter_state(const replica_state& v,
                                                     std::chrono::milliseconds unix_ms_at_zero) {
  protocol::describe_quorum::replica_state out;
  out.replica_id = v.replica_id;
  out.log_end_offset = v.log_end_offset.value();
  if (v.last_fetch) out.last_fetch_timestamp = (*v.last_fetch + unix_ms_at_zero).count();
  if (v.last_caught_up) {
    out.last_caught_up_timestamp = (*v.last_caught_up + unix_ms_at_zero).count();
  }
  return out;
}

}  // namespace

response describe_quorum(const protocol::describe_quorum_request& r, const quorum_description& d,
                         model::node_id self, std::chrono::milliseconds unix_ms_at_zero) {
  if (!detail::names_only_the_metadata_partition(r)) return unknown_partitions(r);
  response out = detail::for_metadata_partition<response>([](auto&) {});
  out.error_message = std::nullopt;
  auto& p = out.topics[0].partitions[0];
  if (d.leader_id != self) {
    p.error_code = protocol::error_code::not_leader_or_follower;
    p.error_message = std::string(protocol::error_name(p.error_code));
    return out;
  }
  p.error_message = std::nullopt;
  p.leader_id = self;
  p.leader_epoch = d.epoch;
  p.high_watermark = d.high_watermark;
  for (const replica_state& v : d.voters) {
    p.current_voters.push_back(voter_state(v, unix_ms_at_zero));
  }
  for (const replica_state& o : d.observers) {
    p.observers.push_back(voter_state(o, unix_ms_at_zero));
  }
  return out;
}

}  // namespace vltava::quorum::rpc
