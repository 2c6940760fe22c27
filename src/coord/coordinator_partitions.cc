#include "coord/coordinator_partitions.h"

#include <algorithm>

#include "base/log.h"
#include "cluster/partition_leadership.h"
#include "coord/group_key.h"

namespace vltava::coord {
namespace {

// How much of a partition one read hands to the replay.
constexpr uint64_t replay_chunk_bytes = 1024 * 1024;
// Bound on one decompressed batch while replaying.
constexpr size_t replay_batch_max_bytes = 64 * 1024 * 1024;

}  // namespace

std::optional<model::offset> walk_batches(std::span<const std::byte> batches,
                                          const batch_visitor& visit) {
  std::optional<model::offset> next;
  while (!batches.empty()) {
    auto h = model::parse_header(batches);
    if (!h || h->size_bytes() > batches.size()) return std::nullopt;
    auto batch = batches.subspan(0, h->size_bytes());
    batches = batches.subspan(h->size_bytes());
    if (h->is_control()) {
      visit.control(*h, batch);
      next = h->last_offset() + 1;
      continue;
    }
    auto section = model::batch_records(batch, *h, replay_batch_max_bytes);
    if (!section) return std::nullopt;
    model::record_view records(section->bytes(), h->record_count);
    for (;;) {
      auto r = records.next();
      if (!r) return std::nullopt;
      if (!r->has_value()) break;
      visit.record(*h, **r);
    }
    next = h->last_offset() + 1;
  }
  return next;
}

error_code replay_log(cluster::partition& log, const model::topic_partition& tp, batch_sink apply) {
  const std::string name = tp.describe();
  model::offset pos = log.log_start_offset();
  // To the log end, not the high watermark: a leader just elected learns the high watermark
  // only from its followers' next fetches, and a Prepare record acknowledged by the old leader
  // may sit above it. Kafka's coordinators load to the log end too; what this leader holds
  // becomes committed as its followers catch up (a leader never truncates its own log).
  const model::offset end = log.log_end_offset();
  while (pos < end) {
    auto bytes = log.read_bytes(pos, replay_chunk_bytes, end);
    if (!bytes) {
      log::error("coord", "{}: cannot read at offset {}: {}", name, pos(), bytes.error().message);
      return error_code::coordinator_not_available;
    }
    std::optional<model::offset> next = apply(*bytes);
    if (!next || *next <= pos) {
      log::error("coord", "{}: unreadable batch near offset {}; replay stops there", name, pos());
      break;
    }
    pos = *next;
  }
  return error_code::none;
}

internal_topic::internal_topic(cluster::partition_manager& partitions,
                               cluster::metadata_store& metadata, internal_topic_spec spec)
    : _partitions(partitions), _metadata(metadata), _spec(spec) {}

net::awaitable<error_code> internal_topic::ensure_created() {
  auto image = _partitions.image();
  if (image && image->find_topic(_spec.name)) co_return error_code::none;
  cluster::create_topic_request req;
  req.name = std::string(_spec.name);
  req.num_partitions = _spec.partitions;
  // The configured factor, or the live brokers when fewer (a cluster still starting, a single
  // node): as Kafka, which waits for enough brokers instead, a first group or transaction
  // would otherwise fail until the whole cluster is up.
  const size_t brokers = image ? image->live_brokers().size() : 0;
  const auto wanted = static_cast<size_t>(std::max<int16_t>(_spec.replication_factor, 1));
  req.replication_factor = static_cast<int16_t>(std::clamp<size_t>(brokers, 1, wanted));
  req.configs.emplace_back("cleanup.policy", "compact");
  req.configs.emplace_back("min.insync.replicas", std::to_string(_spec.min_insync_replicas));
  req.configs.emplace_back("segment.bytes", std::to_string(_spec.segment_bytes));
  auto created = co_await _metadata.create_topic(std::move(req));
  if (!created.ok() && created.error != error_code::topic_already_exists) {
    log::warn("coord", "cannot create {}: {}", _spec.name,
              created.message.value_or(std::string(protocol::error_name(created.error))));
    co_return error_code::coordinator_not_available;
  }
  auto latest = _metadata.image();
  co_await _partitions.apply_image_async(latest);
  co_return error_code::none;
}

std::optional<model::partition_id> internal_topic::partition_of(std::string_view key) const {
  auto image = _partitions.image();
  const cluster::topic_info* t = image ? image->find_topic(_spec.name) : nullptr;
  if (!t || t->partition_count <= 0) return std::nullopt;
  return partition_for_key(key, t->partition_count);
}

net::awaitable<std::optional<key_owner>> internal_topic::locate(std::string_view key) {
  auto image = _partitions.image();
  const cluster::topic_info* topic = image ? image->find_topic(_spec.name) : nullptr;
  if (!topic) {
    if (co_await ensure_created() != error_code::none) co_return std::nullopt;
    image = _partitions.image();
    topic = image ? image->find_topic(_spec.name) : nullptr;
  }
  if (!topic || topic->partition_count <= 0) co_return std::nullopt;
  const model::partition_id p = partition_for_key(key, topic->partition_count);
  co_return key_owner{p, _partitions.shard_of(topic->id, p)};
}

std::vector<model::partition_id> internal_topic::hosted_on(unsigned shard) const {
  std::vector<model::partition_id> out;
  auto image = _partitions.image();
  if (!image) return out;
  for (const auto& [p, lead] : leadership_on(*image, shard)) {
    if (lead.led) out.push_back(p);
  }
  return out;
}

cluster::image_ptr internal_topic::image() const {
  return _partitions.image();
}

std::vector<std::pair<model::partition_id, image_leadership>> internal_topic::leadership_on(
    const cluster::metadata_image& image, unsigned shard) const {
  std::vector<std::pair<model::partition_id, image_leadership>> out;
  const cluster::topic_info* t = image.find_topic(_spec.name);
  if (!t) return out;
  const model::node_id self = _partitions.node_id();
  for (model::partition_id p(0); p() < t->partition_count; ++p) {
    if (_partitions.shard_of(t->id, p) != shard) continue;
    const auto route = cluster::route_partition(t, p(), self);
    out.emplace_back(p, image_leadership{route.error == error_code::none, route.leader_epoch});
  }
  return out;
}

std::optional<unsigned> internal_topic::shard_of(model::partition_id p) const {
  auto image = _partitions.image();
  const cluster::topic_info* t = image ? image->find_topic(_spec.name) : nullptr;
  if (!t || p() < 0 || p() >= t->partition_count) return std::nullopt;
  return _partitions.shard_of(t->id, p);
}

std::shared_ptr<cluster::partition> internal_topic::find(model::partition_id p) const {
  return _partitions.find_shared(_spec.name, p);
}

}  // namespace vltava::coord
