// FetchSnapshot (API 59, v0-1) on __cluster_metadata-0 <-> quorum::fetch_snapshot_request /
// fetch_snapshot_response, with Kafka's error placement (KafkaRaftClient
// handleFetchSnapshotRequest): a wrong cluster id or a request naming more than one partition
// at the top level; another partition UNKNOWN_TOPIC_OR_PARTITION for it; the node's errors
// (epochs, SNAPSHOT_NOT_FOUND, POSITION_OUT_OF_RANGE) for the partition, with its leader.

#include <algorithm>
#include <cstdint>

#include "quorum/net/mapping.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {
namespace {

using kafka_response = protocol::fetch_snapshot_response;
using kafka_partition = kafka_response::topic_snapshot_result::partition_snapshot_result;

kafka_response top_level(protocol::error_code e) {
  kafka_response out;
  out.error_code = e;
  return out;
}

kafka_partition& the_partition(kafka_response& out) {
  auto& t = out.topics.emplace_back();
  t.name = std::string(metadata_topic);
  auto& p = t.partitions.emplace_back();
  p.index = metadata_partition;
  p.current_leader.leader_id = model::node_id(-1);
  p.current_leader.leader_epoch = model::leader_epoch(-1);
  p.snapshot_id.end_offset = model::offset(-1);
  p.snapshot_id.epoch = -1;
  p.unaligned_records.null = false;
  return p;
}

}  // namespace

protocol::fetch_snapshot_request to_kafka(const fetch_snapshot_request& r, int16_t version) {
  (void)version;  // v1 adds only ReplicaDirectoryId (tagged), left at its default
  protocol::fetch_snapshot_request k;
  k.cluster_id = r.cluster_id;
  k.replica_id = r.replica_id;
  k.max_bytes = static_cast<int32_t>(std::min<uint32_t>(r.max_bytes, INT32_MAX));
  auto& t = k.topics.emplace_back();
  t.name = std::string(metadata_topic);
  auto& p = t.partitions.emplace_back();
  p.partition = metadata_partition;
  p.current_leader_epoch = r.epoch;
  p.snapshot_id.end_offset = r.snapshot.offset;
  p.snapshot_id.epoch = r.snapshot.epoch();
  p.position = r.position;
  return k;
}

result<message, std::string> from_kafka(const protocol::fetch_snapshot_response& r,
                                        correlation_id c) {
  if (r.error_code != protocol::error_code::none) {
    fetch_snapshot_response q;
    q.error = detail::to_quorum(r.error_code);
    return message{c, std::move(q)};
  }
  if (r.topics.size() != 1 || r.topics[0].name != metadata_topic ||
      r.topics[0].partitions.size() != 1 ||
      !detail::is_metadata_partition(r.topics[0].partitions[0].index)) {
    return fail(std::string("FetchSnapshot: the response does not answer for ") +
                "__cluster_metadata-0 alone");
  }
  const auto& p = r.topics[0].partitions[0];
  fetch_snapshot_response q;
  q.error = detail::to_quorum(p.error_code);
  q.epoch = p.current_leader.leader_epoch;
  q.leader_id = detail::leader_if_any(p.current_leader.leader_id);
  q.snapshot = {p.snapshot_id.end_offset, model::leader_epoch(p.snapshot_id.epoch)};
  q.size = p.size;
  q.position = p.position;
  if (q.error == errc::none &&
      (p.size < 0 || p.position < 0 ||
       p.position + static_cast<int64_t>(p.unaligned_records.data.size()) > p.size)) {
    return fail(std::string("FetchSnapshot: a chunk outside the snapshot's size"));
  }
  q.bytes.assign(reinterpret_cast<const char*>(p.unaligned_records.data.data()),
                 p.unaligned_records.data.size());
  return message{c, std::move(q)};
}

inbound<protocol::fetch_snapshot_response> from_kafka(const protocol::fetch_snapshot_request& r,
                                                      int16_t version, correlation_id c,
                                                      const local_quorum& local) {
  (void)version;
  auto cluster_id = detail::checked_cluster_id(r.cluster_id, local);
  if (!cluster_id) return fail(top_level(protocol::error_code::inconsistent_cluster_id));
  if (r.topics.size() != 1 || r.topics[0].partitions.size() != 1) {
    return fail(top_level(protocol::error_code::invalid_request));
  }
  const auto& p = r.topics[0].partitions[0];
  if (r.topics[0].name != metadata_topic || !detail::is_metadata_partition(p.partition)) {
    kafka_response out;
    auto& q = the_partition(out);
    q.index = p.partition;
    out.topics[0].name = r.topics[0].name;
    q.error_code = protocol::error_code::unknown_topic_or_partition;
    return fail(std::move(out));
  }
  if (r.max_bytes < 0) return fail(top_level(protocol::error_code::invalid_request));
  fetch_snapshot_request q{
      *cluster_id,  p.current_leader_epoch,
      r.replica_id, {p.snapshot_id.end_offset, model::leader_epoch(p.snapshot_id.epoch)},
      p.position,   static_cast<uint32_t>(r.max_bytes)};
  return peer_request{r.replica_id, message{c, std::move(q)}};
}

fetch_snapshot_answer to_kafka(const fetch_snapshot_response& r) {
  fetch_snapshot_answer a;
  if (detail::is_top_level(r.error)) {
    a.body = top_level(detail::to_kafka(r.error));
    return a;
  }
  a.bytes.assign(reinterpret_cast<const std::byte*>(r.bytes.data()),
                 reinterpret_cast<const std::byte*>(r.bytes.data()) + r.bytes.size());
  auto& p = the_partition(a.body);
  p.error_code = detail::to_kafka(r.error);
  p.current_leader.leader_id = detail::leader_or_none(r.leader_id);
  p.current_leader.leader_epoch = r.epoch;
  p.snapshot_id.end_offset = r.snapshot.offset;
  p.snapshot_id.epoch = r.snapshot.epoch();
  p.size = r.size;
  p.position = r.position;
  p.unaligned_records.data = a.bytes;
  return a;
}

}  // namespace vltava::quorum::rpc
