#include "cluster/metadata_snapshot.h"

namespace vltava::cluster {

namespace {

void add_broker(const broker_info& b, std::vector<metadata_record>& out) {
  protocol::metadata_register_broker_record r;
  r.broker_id = b.id;
  r.incarnation_id = b.incarnation_id;
  r.broker_epoch = b.epoch;
  for (const auto& e : b.endpoints) {
    r.endpoints.push_back({.name = e.listener,
                           .host = e.host,
                           .port = e.port,
                           .security_protocol = e.security_protocol});
  }
  r.rack = b.rack;
  r.fenced = b.fenced;
  out.emplace_back(std::move(r));
  if (b.in_controlled_shutdown) {
    protocol::metadata_broker_registration_change_record c;
    c.broker_id = b.id;
    c.broker_epoch = b.epoch;
    c.fenced = 0;
    c.in_controlled_shutdown = 1;
    out.emplace_back(std::move(c));
  }
}

void add_configs(int8_t type, const std::string& name, const metadata_image::override_map& m,
                 std::vector<metadata_record>& out) {
  for (const auto& [k, v] : m) {
    protocol::metadata_config_record r;
    r.resource_type = type;
    r.resource_name = name;
    r.name = k;
    r.value = v;
    out.emplace_back(std::move(r));
  }
}

void add_topic(const topic_info& t, std::vector<metadata_record>& out) {
  protocol::metadata_topic_record r;
  r.name = t.name;
  r.topic_id = t.id;
  out.emplace_back(std::move(r));
  add_configs(resource_type_topic, t.name, t.config_overrides, out);
  for (std::size_t i = 0; i < t.partitions.size(); ++i) {
    const auto& a = t.partitions[i];
    protocol::metadata_partition_record p;
    p.topic_id = t.id;
    p.partition_index = model::partition_id(static_cast<int32_t>(i));
    p.replica_nodes = a.replicas;
    p.isr_nodes = a.isr;
    p.leader_id = a.leader;
    p.leader_epoch = a.leader_epoch;
    p.partition_epoch = a.partition_epoch;
    out.emplace_back(std::move(p));
  }
}

}  // namespace

std::vector<metadata_record> image_records(const metadata_image& image) {
  std::vector<metadata_record> out;
  for (const auto& b : image.brokers) add_broker(b, out);
  add_configs(resource_type_broker, "", image.cluster_config_overrides, out);
  for (const auto& [node, overrides] : image.node_config_overrides) {
    add_configs(resource_type_broker, std::to_string(node()), overrides, out);
  }
  for (const auto& [_, t] : image.topics) add_topic(t, out);
  if (image.next_producer_id > 0) {
    // As Kafka's snapshots carry it: the next block's start, no broker.
    protocol::metadata_producer_ids_record p;
    p.broker_id = model::node_id(-1);
    p.broker_epoch = -1;
    p.next_producer_id = image.next_producer_id;
    out.emplace_back(std::move(p));
  }
  // The security state replays like the rest: ACLs under their ids, credentials as written.
  for (const auto& [id, b] : image.acls.by_id()) {
    protocol::uuid u;
    u.bytes = id;
    out.emplace_back(acl_record(u, b));
  }
  for (const auto& [key, c] : image.scram_credentials) {
    out.emplace_back(scram_record(key.first, key.second, c));
  }
  for (const auto& [entity, values] : image.client_quotas) {
    for (const auto& [key, value] : values) {
      out.emplace_back(client_quota_record(entity, key, value, false));
    }
  }
  return out;
}

std::vector<std::vector<std::byte>> image_batches(const metadata_image& image, int64_t now_ms) {
  auto records = image_records(image);
  std::vector<std::vector<std::byte>> out;
  std::span<const metadata_record> rest(records);
  while (!rest.empty()) {
    auto n = std::min(rest.size(), snapshot_records_per_batch);
    out.push_back(build_metadata_batch(rest.first(n), now_ms));
    rest = rest.subspan(n);
  }
  return out;
}

result<loaded_image, std::string> image_from_batches(
    std::span<const std::vector<std::byte>> batches, const std::string& cluster_id,
    int64_t end_offset) {
  loaded_image out;
  out.image.cluster_id = cluster_id;
  for (const auto& b : batches) {
    auto records = read_metadata_batch(b);
    if (!records) return fail("snapshot batch: " + records.error());
    for (const auto& r : *records) {
      if (auto a = apply_record(out.image, out.ids, r); !a) return fail("snapshot: " + a.error());
    }
  }
  out.image.offset = end_offset - 1;
  return out;
}

}  // namespace vltava::cluster
