#include "cluster/metadata_records.h"

#include <algorithm>
#include <charconv>
#include <random>

#include "base/assert.h"
#include "cluster/topic_name.h"
#include "model/record.h"
#include "model/record_batch_builder.h"
#include "protocol/generated/metadata_record_header.h"

namespace vltava::cluster {
namespace {

// Bodies are written at version 0; a reader refuses versions above what it knows.
constexpr int16_t record_version = 0;

template <typename T>
constexpr metadata_record_type type_of() {
  if constexpr (std::is_same_v<T, protocol::metadata_topic_record>) {
    return metadata_record_type::topic;
  } else if constexpr (std::is_same_v<T, protocol::metadata_partition_record>) {
    return metadata_record_type::partition;
  } else if constexpr (std::is_same_v<T, protocol::metadata_config_record>) {
    return metadata_record_type::config;
  } else if constexpr (std::is_same_v<T, protocol::metadata_remove_topic_record>) {
    return metadata_record_type::remove_topic;
  } else if constexpr (std::is_same_v<T, protocol::metadata_producer_ids_record>) {
    return metadata_record_type::producer_ids;
  } else if constexpr (std::is_same_v<T, protocol::metadata_register_broker_record>) {
    return metadata_record_type::register_broker;
  } else if constexpr (std::is_same_v<T, protocol::metadata_broker_registration_change_record>) {
    return metadata_record_type::broker_registration_change;
  } else if constexpr (std::is_same_v<T, protocol::metadata_unregister_broker_record>) {
    return metadata_record_type::unregister_broker;
  } else if constexpr (std::is_same_v<T, protocol::metadata_partition_change_record>) {
    return metadata_record_type::partition_change;
  } else if constexpr (std::is_same_v<T, protocol::metadata_access_control_entry_record>) {
    return metadata_record_type::access_control_entry;
  } else if constexpr (std::is_same_v<T, protocol::metadata_remove_access_control_entry_record>) {
    return metadata_record_type::remove_access_control_entry;
  } else if constexpr (std::is_same_v<T, protocol::metadata_user_scram_credential_record>) {
    return metadata_record_type::user_scram_credential;
  } else if constexpr (std::is_same_v<T, protocol::metadata_remove_user_scram_credential_record>) {
    return metadata_record_type::remove_user_scram_credential;
  } else {
    static_assert(std::is_same_v<T, protocol::metadata_client_quota_record>);
    return metadata_record_type::client_quota;
  }
}

template <typename T>
result<metadata_record, std::string> decode_body(protocol::reader& r, int16_t version) {
  if (version != record_version) {
    return fail("record type " + std::to_string(static_cast<int>(type_of<T>())) +
                " has unknown version " + std::to_string(version));
  }
  T body;
  if (auto d = body.decode(r, version); !d) return fail(d.error().to_string());
  if (!r.empty()) return fail(std::to_string(r.remaining()) + " trailing bytes after the record");
  return metadata_record(std::move(body));
}

std::string describe_topic(const protocol::uuid& id) {
  return "topic id " + uuid_to_string(id);
}

result<void, std::string> apply_topic(metadata_image& image, topic_id_index& ids,
                                      const protocol::metadata_topic_record& r) {
  if (r.topic_id == protocol::uuid{}) return fail("topic " + r.name + " has the zero id");
  if (image.topics.contains(r.name)) return fail("topic " + r.name + " created twice");
  if (ids.contains(r.topic_id)) return fail(describe_topic(r.topic_id) + " used twice");
  topic_info t;
  t.name = r.name;
  t.id = r.topic_id;
  t.partition_count = 0;
  t.replication_factor = 0;
  t.internal = is_internal_topic_name(r.name);
  ids.emplace(r.topic_id, r.name);
  image.topics.emplace(r.name, std::move(t));
  return {};
}

result<void, std::string> apply_partition(metadata_image& image, const topic_id_index& ids,
                                          const protocol::metadata_partition_record& r) {
  auto id = ids.find(r.topic_id);
  if (id == ids.end()) return fail("partition of unknown " + describe_topic(r.topic_id));
  topic_info& t = image.topics.at(id->second);
  if (r.partition_index() != t.partition_count) {
    return fail("topic " + t.name + ": partition " + std::to_string(r.partition_index()) +
                " follows " + std::to_string(t.partition_count) + " partitions");
  }
  if (r.replica_nodes.empty()) return fail("topic " + t.name + ": a partition without replicas");
  partition_assignment p;
  p.replicas = r.replica_nodes;
  p.isr = r.isr_nodes;
  p.leader = r.leader_id;
  p.leader_epoch = r.leader_epoch;
  p.partition_epoch = r.partition_epoch;
  if (t.partitions.empty()) t.replication_factor = static_cast<int16_t>(p.replicas.size());
  t.partitions.push_back(std::move(p));
  ++t.partition_count;
  return {};
}

void set_or_erase(std::map<std::string, std::string, std::less<>>& m,
                  const protocol::metadata_config_record& r) {
  if (r.value) {
    m.insert_or_assign(r.name, *r.value);
  } else {
    m.erase(r.name);
  }
}

result<void, std::string> apply_config(metadata_image& image,
                                       const protocol::metadata_config_record& r) {
  if (r.resource_type == resource_type_topic) {
    auto it = image.topics.find(r.resource_name);
    if (it == image.topics.end()) return fail("config of unknown topic " + r.resource_name);
    set_or_erase(it->second.config_overrides, r);
    return {};
  }
  if (r.resource_type == resource_type_broker) {
    if (r.resource_name.empty()) {
      set_or_erase(image.cluster_config_overrides, r);
      return {};
    }
    int32_t node = 0;
    auto [end, ec] = std::from_chars(r.resource_name.data(),
                                     r.resource_name.data() + r.resource_name.size(), node);
    if (ec != std::errc{} || end != r.resource_name.data() + r.resource_name.size() || node < 0) {
      return fail("config of broker '" + r.resource_name + "', which is no node id");
    }
    auto& overrides = image.node_config_overrides[model::node_id(node)];
    set_or_erase(overrides, r);
    if (overrides.empty()) image.node_config_overrides.erase(model::node_id(node));
    return {};
  }
  return fail("config record of unknown resource type " + std::to_string(r.resource_type));
}

std::vector<broker_endpoint> endpoints_of(const protocol::metadata_register_broker_record& r) {
  std::vector<broker_endpoint> out;
  for (const auto& e : r.endpoints) {
    out.push_back(broker_endpoint{e.name, e.host, e.port, e.security_protocol});
  }
  return out;
}

result<void, std::string> apply_register_broker(
    metadata_image& image, const protocol::metadata_register_broker_record& r) {
  if (r.broker_id < model::node_id(0)) return fail("registration of negative broker id");
  broker_info b;
  b.id = r.broker_id;
  b.endpoints = endpoints_of(r);
  b.rack = r.rack;
  b.epoch = r.broker_epoch;
  b.incarnation_id = r.incarnation_id;
  b.fenced = r.fenced;
  // A new registration of a broker id replaces the old one (a restarted process).
  auto it = std::find_if(image.brokers.begin(), image.brokers.end(),
                         [&](const broker_info& x) { return x.id == b.id; });
  if (it != image.brokers.end()) {
    if (b.epoch <= it->epoch) {
      return fail("registration of broker " + std::to_string(b.id()) + " with epoch " +
                  std::to_string(b.epoch) + " after epoch " + std::to_string(it->epoch));
    }
    *it = std::move(b);
    return {};
  }
  image.brokers.push_back(std::move(b));
  std::sort(image.brokers.begin(), image.brokers.end(),
            [](const broker_info& x, const broker_info& y) { return x.id < y.id; });
  return {};
}

broker_info* registered(metadata_image& image, model::node_id id, int64_t epoch) {
  for (auto& b : image.brokers) {
    if (b.id == id && b.epoch == epoch) return &b;
  }
  return nullptr;
}

void apply_flag(bool& flag, int8_t change) {
  if (change > 0) flag = true;
  if (change < 0) flag = false;
}

result<void, std::string> apply_partition_change(
    metadata_image& image, const topic_id_index& ids,
    const protocol::metadata_partition_change_record& r) {
  auto id = ids.find(r.topic_id);
  if (id == ids.end())
    return fail("change of a partition of unknown " + describe_topic(r.topic_id));
  topic_info& t = image.topics.at(id->second);
  if (r.partition_index() < 0 || r.partition_index() >= t.partition_count ||
      static_cast<size_t>(r.partition_index()) >= t.partitions.size()) {
    return fail("topic " + t.name + ": change of unknown partition " +
                std::to_string(r.partition_index()));
  }
  partition_assignment& p = t.partitions[static_cast<size_t>(r.partition_index())];
  if (r.partition_epoch <= p.partition_epoch || r.leader_epoch() < p.leader_epoch()) {
    return fail("topic " + t.name + " partition " + std::to_string(r.partition_index()) +
                ": a change to epochs older than the partition's");
  }
  p.isr = r.isr_nodes;
  p.leader = r.leader_id;
  p.leader_epoch = r.leader_epoch;
  p.partition_epoch = r.partition_epoch;
  return {};
}

// An ACL the controller validated when it wrote it; a record that would not pass that
// validation is corruption.
result<void, std::string> apply_acl(metadata_image& image,
                                    const protocol::metadata_access_control_entry_record& r) {
  if (r.id == protocol::uuid{}) return fail(std::string("an ACL with the zero id"));
  security::acl_binding b = acl_of(r);
  if (auto bad = security::invalid_binding(b)) return fail("invalid ACL: " + *bad);
  return image.acls.add(r.id.bytes, std::move(b));
}

std::vector<uint8_t> to_octets(const std::vector<std::byte>& b) {
  std::vector<uint8_t> out(b.size());
  for (size_t i = 0; i < b.size(); ++i) out[i] = static_cast<uint8_t>(b[i]);
  return out;
}

std::vector<std::byte> to_bytes(const std::vector<uint8_t>& b) {
  std::vector<std::byte> out(b.size());
  for (size_t i = 0; i < b.size(); ++i) out[i] = static_cast<std::byte>(b[i]);
  return out;
}

// As Kafka's ScramControlManager.replay: a credential replaces the user's previous one for
// that mechanism; removing one that is not there means the log is corrupt. The controller
// validated name, mechanism and iterations when it wrote the record.
result<void, std::string> apply_scram(metadata_image& image,
                                      const protocol::metadata_user_scram_credential_record& r) {
  auto m = security::scram_mechanism_from_type(r.mechanism);
  if (!m) return fail("a SCRAM credential with unknown mechanism " + std::to_string(r.mechanism));
  if (r.name.empty()) return fail(std::string("a SCRAM credential without a user name"));
  image.scram_credentials[{r.name, *m}] = security::scram_credential{
      to_octets(r.salt), to_octets(r.stored_key), to_octets(r.server_key), r.iterations};
  return {};
}

result<void, std::string> remove_scram(
    metadata_image& image, const protocol::metadata_remove_user_scram_credential_record& r) {
  auto m = security::scram_mechanism_from_type(r.mechanism);
  if (!m || image.scram_credentials.erase({r.name, *m}) == 0) {
    return fail("removal of an unknown SCRAM credential: user '" + r.name + "' mechanism " +
                std::to_string(r.mechanism));
  }
  return {};
}

// As Kafka's ClientQuotaControlManager.replay: a value replaces the entity's previous one for
// its key; removing the last value drops the entity. The controller validated the entity and
// the value when it wrote the record; one that would not pass is corruption.
result<void, std::string> apply_client_quota(metadata_image& image,
                                             const protocol::metadata_client_quota_record& r) {
  security::quota_entity_components components;
  for (const auto& e : r.entity) components.emplace_back(e.entity_type, e.entity_name);
  auto checked = security::check_quota_entity(components);
  if (!checked.entity) return fail("a client quota of an invalid entity: " + checked.error);
  auto& quotas = image.client_quotas;
  if (r.remove) {
    auto it = quotas.find(*checked.entity);
    if (it == quotas.end() || it->second.erase(r.key) == 0) {
      return fail("removal of an unknown client quota " + r.key);
    }
    if (it->second.empty()) quotas.erase(it);
    return {};
  }
  if (auto bad = security::invalid_quota_value(*checked.entity, r.key, r.value)) {
    return fail("an invalid client quota: " + *bad);
  }
  quotas[*checked.entity].insert_or_assign(r.key, r.value);
  return {};
}

}  // namespace

protocol::metadata_client_quota_record client_quota_record(const security::quota_entity& entity,
                                                           const std::string& key, double value,
                                                           bool remove) {
  protocol::metadata_client_quota_record r;
  for (const auto& [type, name] : entity) {
    auto& e = r.entity.emplace_back();
    e.entity_type = type;
    e.entity_name = name;
  }
  r.key = key;
  r.value = remove ? 0.0 : value;
  r.remove = remove;
  return r;
}

protocol::metadata_user_scram_credential_record scram_record(const std::string& user,
                                                             security::scram_mechanism m,
                                                             const security::scram_credential& c) {
  protocol::metadata_user_scram_credential_record r;
  r.name = user;
  r.mechanism = security::scram_mechanism_type(m);
  r.salt = to_bytes(c.salt);
  r.stored_key = to_bytes(c.stored_key);
  r.server_key = to_bytes(c.server_key);
  r.iterations = c.iterations;
  return r;
}

security::acl_binding acl_of(const protocol::metadata_access_control_entry_record& r) {
  return security::acl_binding{security::to_resource_type(r.resource_type),
                               r.resource_name,
                               security::to_pattern_type(r.pattern_type),
                               r.principal,
                               r.host,
                               security::to_acl_operation(r.operation),
                               security::to_acl_permission(r.permission_type)};
}

protocol::metadata_access_control_entry_record acl_record(const protocol::uuid& id,
                                                          const security::acl_binding& b) {
  protocol::metadata_access_control_entry_record r;
  r.id = id;
  r.resource_type = static_cast<int8_t>(b.resource);
  r.resource_name = b.name;
  r.pattern_type = static_cast<int8_t>(b.pattern);
  r.principal = b.principal;
  r.host = b.host;
  r.operation = static_cast<int8_t>(b.operation);
  r.permission_type = static_cast<int8_t>(b.permission);
  return r;
}

std::vector<std::byte> encode_record_value(const metadata_record& r) {
  protocol::writer w;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        protocol::metadata_record_header h;
        h.record_type = static_cast<int16_t>(type_of<T>());
        h.record_version = record_version;
        h.encode(w, 0);
        body.encode(w, record_version);
      },
      r);
  return std::move(w).take();
}

result<metadata_record, std::string> decode_record_value(std::span<const std::byte> value) {
  protocol::reader r(value);
  protocol::metadata_record_header h;
  if (auto d = h.decode(r, 0); !d) return fail("record header: " + d.error().to_string());
  switch (static_cast<metadata_record_type>(h.record_type)) {
    case metadata_record_type::topic:
      return decode_body<protocol::metadata_topic_record>(r, h.record_version);
    case metadata_record_type::partition:
      return decode_body<protocol::metadata_partition_record>(r, h.record_version);
    case metadata_record_type::config:
      return decode_body<protocol::metadata_config_record>(r, h.record_version);
    case metadata_record_type::remove_topic:
      return decode_body<protocol::metadata_remove_topic_record>(r, h.record_version);
    case metadata_record_type::producer_ids:
      return decode_body<protocol::metadata_producer_ids_record>(r, h.record_version);
    case metadata_record_type::register_broker:
      return decode_body<protocol::metadata_register_broker_record>(r, h.record_version);
    case metadata_record_type::broker_registration_change:
      return decode_body<protocol::metadata_broker_registration_change_record>(r, h.record_version);
    case metadata_record_type::unregister_broker:
      return decode_body<protocol::metadata_unregister_broker_record>(r, h.record_version);
    case metadata_record_type::partition_change:
      return decode_body<protocol::metadata_partition_change_record>(r, h.record_version);
    case metadata_record_type::access_control_entry:
      return decode_body<protocol::metadata_access_control_entry_record>(r, h.record_version);
    case metadata_record_type::remove_access_control_entry:
      return decode_body<protocol::metadata_remove_access_control_entry_record>(r,
                                                                                h.record_version);
    case metadata_record_type::user_scram_credential:
      return decode_body<protocol::metadata_user_scram_credential_record>(r, h.record_version);
    case metadata_record_type::remove_user_scram_credential:
      return decode_body<protocol::metadata_remove_user_scram_credential_record>(r,
                                                                                 h.record_version);
    case metadata_record_type::client_quota:
      return decode_body<protocol::metadata_client_quota_record>(r, h.record_version);
  }
  return fail("unknown record type " + std::to_string(h.record_type) +
              " (written by a newer Vltava?)");
}

std::vector<std::byte> build_metadata_batch(std::span<const metadata_record> records,
                                            int64_t now_ms) {
  VLTAVA_ASSERT(!records.empty(), "a metadata batch holds at least one record");
  model::batch_options opts;
  opts.partition_leader_epoch = model::leader_epoch(0);
  model::record_batch_builder b(opts);
  for (const auto& rec : records) {
    std::vector<std::byte> value = encode_record_value(rec);
    b.add(model::timestamp_ms(now_ms), std::nullopt, model::bytes_view(value));
  }
  auto built = b.build();
  // Uncompressed batches cannot fail to build.
  VLTAVA_ASSERT(built.has_value(), "building an uncompressed batch failed");
  return std::move(built).value();
}

result<std::vector<metadata_record>, std::string> read_metadata_batch(
    std::span<const std::byte> batch) {
  auto header = model::validate_batch(batch);
  if (!header) return fail("invalid batch: " + std::string(model::describe(header.error())));
  if (header->is_control()) return std::vector<metadata_record>{};
  auto section = model::batch_records(batch, *header, metadata_batch_bytes_max);
  if (!section) return fail("records: " + std::string(model::describe(section.error())));
  std::vector<metadata_record> out;
  model::record_view view(section->bytes(), header->record_count);
  while (true) {
    auto next = view.next();
    if (!next) return fail("records: " + std::string(model::describe(next.error())));
    if (!*next) break;
    if (!(*next)->value) return fail("a record with a null value");
    auto rec = decode_record_value(*(*next)->value);
    if (!rec) return fail(rec.error());
    out.push_back(std::move(rec).value());
  }
  return out;
}

result<void, std::string> apply_record(metadata_image& image, topic_id_index& ids,
                                       const metadata_record& r) {
  if (const auto* t = std::get_if<protocol::metadata_topic_record>(&r)) {
    return apply_topic(image, ids, *t);
  }
  if (const auto* p = std::get_if<protocol::metadata_partition_record>(&r)) {
    return apply_partition(image, ids, *p);
  }
  if (const auto* c = std::get_if<protocol::metadata_config_record>(&r)) {
    return apply_config(image, *c);
  }
  if (const auto* p = std::get_if<protocol::metadata_producer_ids_record>(&r)) {
    // Ids are never handed out twice: a block must start at or above the previous one's end.
    if (p->next_producer_id < image.next_producer_id) {
      return fail("producer id block ending at " + std::to_string(p->next_producer_id) +
                  " is below the previous end " + std::to_string(image.next_producer_id));
    }
    image.next_producer_id = p->next_producer_id;
    return {};
  }
  if (const auto* b = std::get_if<protocol::metadata_register_broker_record>(&r)) {
    return apply_register_broker(image, *b);
  }
  if (const auto* c = std::get_if<protocol::metadata_broker_registration_change_record>(&r)) {
    broker_info* b = registered(image, c->broker_id, c->broker_epoch);
    if (b == nullptr) {
      return fail("change of broker " + std::to_string(c->broker_id()) + " epoch " +
                  std::to_string(c->broker_epoch) + ", which is not registered");
    }
    apply_flag(b->fenced, c->fenced);
    apply_flag(b->in_controlled_shutdown, c->in_controlled_shutdown);
    return {};
  }
  if (const auto* u = std::get_if<protocol::metadata_unregister_broker_record>(&r)) {
    if (registered(image, u->broker_id, u->broker_epoch) == nullptr) {
      return fail("removal of broker " + std::to_string(u->broker_id()) + " epoch " +
                  std::to_string(u->broker_epoch) + ", which is not registered");
    }
    std::erase_if(image.brokers, [&](const broker_info& b) { return b.id == u->broker_id; });
    return {};
  }
  if (const auto* c = std::get_if<protocol::metadata_partition_change_record>(&r)) {
    return apply_partition_change(image, ids, *c);
  }
  if (const auto* a = std::get_if<protocol::metadata_access_control_entry_record>(&r)) {
    return apply_acl(image, *a);
  }
  if (const auto* a = std::get_if<protocol::metadata_remove_access_control_entry_record>(&r)) {
    if (auto removed = image.acls.remove(a->id.bytes); !removed) {
      return fail(removed.error() + " " + uuid_to_string(a->id));
    }
    return {};
  }
  if (const auto* c = std::get_if<protocol::metadata_user_scram_credential_record>(&r)) {
    return apply_scram(image, *c);
  }
  if (const auto* c = std::get_if<protocol::metadata_remove_user_scram_credential_record>(&r)) {
    return remove_scram(image, *c);
  }
  if (const auto* q = std::get_if<protocol::metadata_client_quota_record>(&r)) {
    return apply_client_quota(image, *q);
  }
  const auto& rm = std::get<protocol::metadata_remove_topic_record>(r);
  auto id = ids.find(rm.topic_id);
  if (id == ids.end()) return fail("removal of unknown " + describe_topic(rm.topic_id));
  image.topics.erase(id->second);
  ids.erase(id);
  return {};
}

protocol::uuid random_uuid() {
  static thread_local std::mt19937_64 gen{[] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }()};
  while (true) {
    protocol::uuid id;
    for (size_t i = 0; i < 16; i += 8) {
      uint64_t v = gen();
      for (size_t j = 0; j < 8; ++j) id.bytes[i + j] = static_cast<std::byte>(v >> (8 * j));
    }
    id.bytes[6] = (id.bytes[6] & std::byte{0x0f}) | std::byte{0x40};  // version 4
    id.bytes[8] = (id.bytes[8] & std::byte{0x3f}) | std::byte{0x80};  // IETF variant
    // Base64 '-' is 62: the first six bits 111110.
    if ((std::to_integer<uint8_t>(id.bytes[0]) >> 2) == 62) continue;
    return id;
  }
}

std::string uuid_to_string(const protocol::uuid& id) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (std::byte b : id.bytes) {
    acc = (acc << 8) | std::to_integer<uint32_t>(b);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

}  // namespace vltava::cluster
