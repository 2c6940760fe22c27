#include "kafka/handlers/list_offsets.h"

#include <algorithm>

#include "cluster/partition_leadership.h"
#include "cluster/partition_manager.h"
#include "kafka/server/authorize.h"
#include "kafka/server/shard_fanout.h"
#include "model/record.h"

namespace vltava::kafka {

using protocol::error_code;

namespace {

constexpr int64_t latest = -1;
constexpr int64_t earliest = -2;
constexpr int64_t max_timestamp = -3;
constexpr int64_t earliest_local = -4;
constexpr int64_t earliest_pending_upload = -5;
// Bytes read per step while scanning batch headers, and the bound on a decompressed batch.
constexpr uint64_t scan_chunk_bytes = 1024 * 1024;
constexpr size_t uncompressed_max = 64 * 1024 * 1024;

struct item {
  std::string topic;
  protocol::uuid topic_id;
  int32_t partition = 0;
  int64_t timestamp = 0;
  bool read_committed = false;
};

offset_answer storage_failure(const storage::storage_error& e) {
  return {cluster::to_kafka_error(e.code), -1, -1};
}

// The first record of the batch at `base` whose timestamp is >= target (== target when
// `exact`), or -1/-1.
offset_answer find_in_batch(cluster::partition& p, model::offset base, int64_t target, bool exact) {
  auto bytes = p.read_bytes(base, 1);
  if (!bytes) return storage_failure(bytes.error());
  auto h = model::parse_header(*bytes);
  if (!h || h->size_bytes() > bytes->size()) return {error_code::corrupt_message, -1, -1};
  std::span<const std::byte> batch(bytes->data(), h->size_bytes());
  auto section = model::batch_records(batch, *h, uncompressed_max);
  if (!section) return {error_code::corrupt_message, -1, -1};
  model::record_view records(section->bytes(), h->record_count);
  for (;;) {
    auto r = records.next();
    if (!r) return {error_code::corrupt_message, -1, -1};
    if (!r->has_value()) return {};
    int64_t ts = model::record_timestamp(*h, **r)();
    if (exact ? ts == target : ts >= target) {
      return {error_code::none, (h->base_offset + (*r)->offset_delta)(), ts};
    }
  }
}

// Scans every batch header for the largest max timestamp (the first batch holding it).
offset_answer find_max_timestamp(cluster::partition& p) {
  model::offset pos = p.log_start_offset();
  const model::offset end = p.high_watermark();
  int64_t best_ts = -1;
  std::optional<model::offset> best_base;
  while (pos < end) {
    auto bytes = p.read_bytes(pos, scan_chunk_bytes);
    if (!bytes) return storage_failure(bytes.error());
    if (bytes->empty()) break;
    size_t at = 0;
    while (at < bytes->size()) {
      auto h = model::parse_header(std::span(*bytes).subspan(at));
      if (!h) return {error_code::corrupt_message, -1, -1};
      if (!best_base || h->max_timestamp() > best_ts) {
        best_ts = h->max_timestamp();
        best_base = h->base_offset;
      }
      pos = h->last_offset() + 1;
      at += h->size_bytes();
    }
  }
  if (!best_base) return {};
  return find_in_batch(p, std::max(*best_base, p.log_start_offset()), best_ts, /*exact=*/true);
}

}  // namespace

offset_answer list_offset(cluster::partition& p, int64_t timestamp) {
  switch (timestamp) {
    case earliest:
    case earliest_local:
      return {error_code::none, p.log_start_offset()(), -1};
    case latest:
    case earliest_pending_upload:
      return {error_code::none, p.high_watermark()(), -1};
    case max_timestamp:
      return find_max_timestamp(p);
    default:
      break;
  }
  if (timestamp < 0) return {error_code::invalid_request, -1, -1};
  auto match = p.log().find_offset_by_timestamp(timestamp);
  if (!match) return storage_failure(match.error());
  if (!*match || (*match)->base_offset >= p.high_watermark()) return {};
  auto found = find_in_batch(p, std::max((*match)->base_offset, p.log_start_offset()), timestamp,
                             /*exact=*/false);
  // DeleteRecords may leave the log start inside the batch found: nothing below it is visible.
  if (found.offset >= 0 && found.offset < p.log_start_offset()()) {
    found.offset = p.log_start_offset()();
  }
  return found;
}

net::awaitable<std::optional<protocol::list_offsets_response>> serve_list_offsets(
    request_context& ctx, const protocol::list_offsets_request& request) {
  auto& pm = ctx.services.partitions;
  auto image = pm.image();
  protocol::list_offsets_response response;
  std::vector<item> items;
  std::vector<std::pair<size_t, size_t>> slots;  // (topic, partition) in the response
  std::vector<model::leader_epoch> epochs;       // this node's leader epoch, per item
  request_authz authz(ctx);
  for (size_t ti = 0; ti < request.topics.size(); ++ti) {
    const auto& t = request.topics[ti];
    auto& rt = response.topics.emplace_back();
    rt.name = t.name;
    const auto* info = image ? image->find_topic(t.name) : nullptr;
    // Kafka: DESCRIBE on the topic, checked before its existence.
    const bool describable = authz.allowed(acl_operation::describe, resource_type::topic, t.name);
    for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
      const auto& p = t.partitions[pi];
      auto& rp = rt.partitions.emplace_back();
      rp.partition_index = p.partition_index;
      if (!describable) {
        rp.error_code = error_code::topic_authorization_failed;
        continue;
      }
      // Unknown: UNKNOWN_TOPIC_OR_PARTITION; led elsewhere or by nobody: NOT_LEADER_OR_FOLLOWER.
      const auto route = cluster::route_partition(info, p.partition_index(), pm.node_id());
      if (route.error != error_code::none) {
        rp.error_code = route.error;
        continue;
      }
      // v2+ (KIP-98): READ_COMMITTED sees the latest offset as the last stable offset.
      items.push_back({info->name, info->id, p.partition_index(), p.timestamp,
                       ctx.version() >= 2 && request.isolation_level == 1});
      slots.emplace_back(ti, pi);
      epochs.push_back(route.leader_epoch);
    }
  }
  auto answers = co_await for_each_partition<item, offset_answer>(
      pm, items, [](const item& it, cluster::partition* p) -> offset_answer {
        if (!p) return {error_code::not_leader_or_follower, -1, -1};
        if (!it.read_committed) return list_offset(*p, it.timestamp);
        const int64_t lso = p->last_stable_offset()();
        if (it.timestamp == latest) return {error_code::none, lso, -1};
        offset_answer a = list_offset(*p, it.timestamp);
        // As Kafka: a record found by timestamp (or the max timestamp) at or past the LSO is
        // not there yet for a read_committed consumer.
        if (it.timestamp != earliest && it.timestamp != earliest_local && a.offset >= lso) {
          return {error_code::none, -1, -1};
        }
        return a;
      });
  for (size_t i = 0; i < answers.size(); ++i) {
    auto& rp = response.topics[slots[i].first].partitions[slots[i].second];
    rp.error_code = answers[i].error;
    rp.offset = answers[i].offset;
    rp.timestamp = answers[i].timestamp;
    if (answers[i].error == error_code::none) {
      rp.leader_epoch = epochs[i];
      if (answers[i].offset >= 0) rp.old_style_offsets.push_back(answers[i].offset);
    }
  }
  co_return response;
}

}  // namespace vltava::kafka
