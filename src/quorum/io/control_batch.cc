#include "quorum/io/control_batch.h"

#include "base/assert.h"
#include "bytes/endian.h"
#include "protocol/generated/leader_change_message.h"

namespace vltava::quorum {

namespace {

constexpr int16_t leader_change_version = 0;
// A control batch holds one small record; nothing decompresses beyond this.
constexpr std::size_t control_section_bytes_max = 1 << 20;

std::vector<protocol::leader_change_message_common::voter> as_voters(
    const std::vector<model::node_id>& ids) {
  std::vector<protocol::leader_change_message_common::voter> out;
  for (auto id : ids) out.push_back({.voter_id = id()});
  return out;
}

std::vector<model::node_id> as_ids(
    const std::vector<protocol::leader_change_message_common::voter>& voters) {
  std::vector<model::node_id> out;
  for (const auto& v : voters) out.push_back(model::node_id(v.voter_id));
  return out;
}

// The first record of a control batch, read from `section` (which must outlive it).
result<model::record, std::string> first_record(const model::records_section& section,
                                                const model::record_batch_header& h) {
  model::record_view view(section.bytes(), h.record_count);
  auto r = view.next();
  if (!r) return fail("record: " + std::string(model::describe(r.error())));
  if (!*r) return fail(std::string("a control batch without a record"));
  return std::move(**r);
}

}  // namespace

std::vector<std::byte> build_control_batch(model::control_record_type type,
                                           std::span<const std::byte> value,
                                           model::timestamp_ms now) {
  std::byte key[model::control_key_size];
  bytes::store_be<int16_t>(key, model::control_key_version);
  bytes::store_be<int16_t>(key + 2, static_cast<int16_t>(type));
  std::vector<std::byte> batch(model::batch_layout::header_size);
  model::append_record(batch, {.key = model::bytes_view(key), .value = model::bytes_view(value)});
  model::record_batch_header h;
  h.base_offset = model::offset(0);
  h.batch_length = static_cast<int32_t>(batch.size() - model::batch_layout::log_overhead);
  h.partition_leader_epoch = model::leader_epoch(0);
  h.attributes = model::batch_attribute::control;
  h.last_offset_delta = 0;
  h.first_timestamp = now;
  h.max_timestamp = now;
  h.producer = model::producer_id(-1);
  h.epoch = model::producer_epoch(-1);
  h.base_sequence = model::sequence(-1);
  h.record_count = 1;
  model::write_header(batch, h);
  return batch;
}

std::vector<std::byte> build_leader_change_batch(const leader_change& message,
                                                 model::timestamp_ms now) {
  protocol::leader_change_message m;
  m.version = leader_change_version;
  m.leader_id = message.leader_id;
  m.voters = as_voters(message.voters);
  m.granting_voters = as_voters(message.granting_voters);
  protocol::writer w;
  m.encode(w, leader_change_version);
  auto value = std::move(w).take();
  return build_control_batch(model::control_record_type::leader_change, value, now);
}

std::optional<int16_t> control_type(std::span<const std::byte> batch,
                                    const model::record_batch_header& h) {
  if (!h.is_control() || h.record_count < 1) return std::nullopt;
  auto section = model::batch_records(batch, h, control_section_bytes_max);
  if (!section) return std::nullopt;
  auto record = first_record(*section, h);
  if (!record) return std::nullopt;
  auto key = model::parse_control_key(*record);
  if (!key) return std::nullopt;
  return key->type;
}

result<std::vector<std::byte>, std::string> read_control_value(std::span<const std::byte> batch,
                                                               model::control_record_type type) {
  auto h = model::validate_batch(batch);
  if (!h) return fail("invalid batch: " + std::string(model::describe(h.error())));
  if (control_type(batch, *h) != static_cast<int16_t>(type)) {
    return fail("not a control batch of type " + std::to_string(static_cast<int>(type)));
  }
  auto section = model::batch_records(batch, *h, control_section_bytes_max);
  VLTAVA_ASSERT(section.has_value(), "control_type read this section");
  auto record = first_record(*section, *h);
  if (!record || !record->value) return fail(std::string("a control record without a value"));
  return std::vector<std::byte>(record->value->begin(), record->value->end());
}

result<leader_change, std::string> read_leader_change(std::span<const std::byte> batch) {
  auto value = read_control_value(batch, model::control_record_type::leader_change);
  if (!value) {
    return fail(value.error().starts_with("not a control")
                    ? std::string("not a LeaderChangeMessage control batch")
                    : value.error());
  }
  protocol::reader r(*value);
  protocol::leader_change_message m;
  if (auto d = m.decode(r, leader_change_version); !d) return fail(d.error().to_string());
  if (!r.empty()) return fail(std::to_string(r.remaining()) + " bytes after LeaderChangeMessage");
  return leader_change{m.leader_id, as_ids(m.voters), as_ids(m.granting_voters)};
}

entry entry_of_batch(std::span<const std::byte> batch, const model::record_batch_header& h) {
  auto leader_change_type = static_cast<int16_t>(model::control_record_type::leader_change);
  bool is_leader_change = control_type(batch, h) == leader_change_type;
  return entry{h.base_offset, h.partition_leader_epoch,
               is_leader_change ? entry_kind::leader_change : entry_kind::data,
               std::string(reinterpret_cast<const char*>(batch.data()), batch.size()),
               static_cast<uint32_t>(h.last_offset_delta) + 1};
}

}  // namespace vltava::quorum
