// Fetch on __cluster_metadata-0 <-> quorum::fetch_request / fetch_response.

#include "base/assert.h"
#include "quorum/net/mapping.h"
#include "quorum/net/rpc.h"

namespace vltava::quorum::rpc {
namespace {

// Up to v12 topics are named, from v13 they are identified.
template <typename Topic>
bool is_metadata_topic(const Topic& t, int16_t version) {
  return version >= 13 ? t.topic_id == metadata_topic_id : t.topic == metadata_topic;
}

template <typename Topic>
void name_metadata_topic(Topic& t) {
  t.topic = std::string(metadata_topic);
  t.topic_id = metadata_topic_id;  // the encoder writes the one the version has
}

// Top level from v7 (where the field exists), else the partition's.
protocol::fetch_response fetch_error(protocol::error_code e, int16_t version) {
  protocol::fetch_response out;
  if (version >= 7) {
    out.error_code = e;
    return out;
  }
  auto& t = out.responses.emplace_back();
  name_metadata_topic(t);
  auto& p = t.partitions.emplace_back();
  p.partition_index = model::partition_id(metadata_partition);
  p.error_code = e;
  return out;
}

bool names_only_the_metadata_partition(const protocol::fetch_request& r, int16_t version) {
  return r.topics.size() == 1 && is_metadata_topic(r.topics[0], version) &&
         r.topics[0].partitions.size() == 1 &&
         detail::is_metadata_partition(r.topics[0].partitions[0].partition);
}

}  // namespace

protocol::fetch_request to_kafka(const fetch_request& r, int16_t version,
                                 const fetch_limits& limits) {
  VLTAVA_ASSERT(version >= fetch_min_version, "the quorum's Fetch needs v12+");
  protocol::fetch_request k;
  k.cluster_id = r.cluster_id;
  k.replica_id = r.replica_id;                // up to v14
  k.replica_state.replica_id = r.replica_id;  // from v15; ReplicaEpoch stays -1 (no broker epoch)
  k.max_wait_ms = limits.max_wait_ms;
  k.max_bytes = limits.max_bytes;
  auto& t = k.topics.emplace_back();
  name_metadata_topic(t);
  auto& p = t.partitions.emplace_back();
  p.partition = metadata_partition;
  p.current_leader_epoch = r.epoch;
  p.fetch_offset = r.fetch_offset;
  p.last_fetched_epoch = r.last_fetched_epoch;
  p.partition_max_bytes = limits.max_bytes;
  return k;
}

result<message, std::string> from_kafka(const protocol::fetch_response& r, correlation_id c) {
  if (r.error_code != protocol::error_code::none) {
    fetch_response q;
    q.error = detail::to_quorum(r.error_code);
    return message{c, std::move(q)};
  }
  if (r.responses.size() != 1 || r.responses[0].partitions.size() != 1 ||
      !(r.responses[0].topic == metadata_topic || r.responses[0].topic_id == metadata_topic_id) ||
      r.responses[0].partitions[0].partition_index != model::partition_id(metadata_partition)) {
    return fail(std::string("Fetch: the response does not answer for __cluster_metadata-0 alone"));
  }
  const auto& p = r.responses[0].partitions[0];
  fetch_response q;
  q.error = detail::to_quorum(p.error_code);
  q.epoch = p.current_leader.leader_epoch;
  q.leader_id = detail::leader_if_any(p.current_leader.leader_id);
  q.high_watermark = p.high_watermark;
  if (p.diverging_epoch.epoch >= 0) {
    q.diverging =
        diverging_epoch{model::leader_epoch(p.diverging_epoch.epoch), p.diverging_epoch.end_offset};
  }
  if (p.snapshot_id.end_offset >= model::offset(0) && p.snapshot_id.epoch >= 0) {
    q.snapshot = snapshot_id{p.snapshot_id.end_offset, model::leader_epoch(p.snapshot_id.epoch)};
  }
  if (!p.records.null) {
    auto entries = entries_of(p.records.data);
    if (!entries) return fail("Fetch: " + entries.error());
    q.entries = std::move(*entries);
  }
  return message{c, std::move(q)};
}

inbound<protocol::fetch_response> from_kafka(const protocol::fetch_request& r, int16_t version,
                                             correlation_id c, const local_quorum& local) {
  auto cluster_id = detail::checked_cluster_id(r.cluster_id, local);
  if (!cluster_id) return fail(fetch_error(protocol::error_code::inconsistent_cluster_id, version));
  if (version < fetch_min_version || !names_only_the_metadata_partition(r, version)) {
    return fail(fetch_error(protocol::error_code::invalid_request, version));
  }
  const auto& p = r.topics[0].partitions[0];
  // Kafka's checks before the leader looks at the fetch.
  if (r.max_wait_ms < 0 || p.fetch_offset < model::offset(0) ||
      p.last_fetched_epoch < model::leader_epoch(0) ||
      p.last_fetched_epoch > p.current_leader_epoch) {
    fetch_answer answer =
        to_kafka(fetch_response{errc::invalid_request, {}, {}, {}, {}, {}}, version);
    return fail(std::move(answer.body));  // no records: nothing points into `answer.records`
  }
  const model::node_id replica = version >= 15 ? r.replica_state.replica_id : r.replica_id;
  return peer_request{replica,
                      message{c, fetch_request{*cluster_id, p.current_leader_epoch, replica,
                                               p.fetch_offset, p.last_fetched_epoch}}};
}

fetch_answer to_kafka(const fetch_response& r, int16_t version) {
  fetch_answer a;
  if (detail::is_top_level(r.error)) {
    a.body = fetch_error(detail::to_kafka(r.error), version);
    return a;
  }
  a.records = records_of(r.entries);
  auto& t = a.body.responses.emplace_back();
  name_metadata_topic(t);
  auto& p = t.partitions.emplace_back();
  p.partition_index = model::partition_id(metadata_partition);
  p.error_code = detail::to_kafka(r.error);
  p.high_watermark = r.high_watermark;
  if (r.diverging) {
    p.diverging_epoch.epoch = r.diverging->epoch.value();
    p.diverging_epoch.end_offset = r.diverging->end_offset;
  }
  if (r.snapshot) {
    p.snapshot_id.end_offset = r.snapshot->offset;
    p.snapshot_id.epoch = r.snapshot->epoch();
  }
  p.current_leader.leader_id = detail::leader_or_none(r.leader_id);
  p.current_leader.leader_epoch = r.epoch;
  p.records.data = a.records;
  return a;
}

}  // namespace vltava::quorum::rpc
