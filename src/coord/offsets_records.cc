#include "coord/offsets_records.h"

#include "protocol/reader.h"
#include "protocol/writer.h"

namespace vltava::coord {
namespace {

constexpr bool classic = false;  // non-compact (int16/int32 lengths): these are not flexible

// The member array's smallest element: six empty strings/bytes and two int32s.
constexpr size_t member_min_bytes = 2 + 2 + 2 + 4 + 4 + 4;

std::string truncated(std::string_view what, const protocol::reader& r) {
  return std::string(what) + ": " + (r.message() ? r.message() : "malformed") + " at byte " +
         std::to_string(r.position());
}

}  // namespace

std::vector<std::byte> encode_key(const offset_key& k) {
  protocol::writer w;
  w.write_fixed(offset_key_version);
  w.write_string(k.group, classic);
  w.write_string(k.topic, classic);
  w.write_fixed(k.partition);
  return std::move(w).take();
}

std::vector<std::byte> encode_key(const group_key& k) {
  protocol::writer w;
  w.write_fixed(group_key_version);
  w.write_string(k.group, classic);
  return std::move(w).take();
}

std::vector<std::byte> encode_value(const offset_value& v) {
  protocol::writer w;
  w.write_fixed(offset_value_version);
  w.write_fixed(v.offset);
  w.write_fixed(v.leader_epoch);
  w.write_string(v.metadata, classic);
  w.write_fixed(v.commit_timestamp_ms);
  return std::move(w).take();
}

std::vector<std::byte> encode_value(const group_value& v) {
  protocol::writer w;
  w.write_fixed(group_value_version);
  w.write_string(v.protocol_type, classic);
  w.write_fixed(v.generation);
  w.write_nullable_string(v.protocol, classic, true);
  w.write_nullable_string(v.leader, classic, true);
  w.write_fixed(v.current_state_timestamp_ms);
  w.write_array_length(v.members.size(), classic);
  for (const auto& m : v.members) {
    w.write_string(m.member_id, classic);
    w.write_nullable_string(m.group_instance_id, classic, true);
    w.write_string(m.client_id, classic);
    w.write_string(m.client_host, classic);
    w.write_fixed(m.rebalance_timeout_ms);
    w.write_fixed(m.session_timeout_ms);
    w.write_bytes(m.subscription, classic);
    w.write_bytes(m.assignment, classic);
  }
  return std::move(w).take();
}

result<record_key, std::string> decode_key(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  int16_t version = 0;
  if (!r.read_fixed(version)) return fail(truncated("key version", r));
  if (version == 0 || version == 1) {
    offset_key k;
    if (!r.read_string(k.group, classic) || !r.read_string(k.topic, classic) ||
        !r.read_fixed(k.partition)) {
      return fail(truncated("offset key", r));
    }
    if (!r.empty()) return fail(std::string("offset key: trailing bytes"));
    return record_key{std::move(k)};
  }
  if (version == 2) {
    group_key k;
    if (!r.read_string(k.group, classic)) return fail(truncated("group key", r));
    if (!r.empty()) return fail(std::string("group key: trailing bytes"));
    return record_key{std::move(k)};
  }
  if (version >= 3 && version <= 8) {
    auto k = decode_consumer_key(version, bytes.subspan(2));
    if (!k) return fail(k.error());
    return record_key{std::move(*k)};
  }
  return fail("unknown key version " + std::to_string(version));
}

result<offset_value, std::string> decode_offset_value(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  int16_t version = 0;
  if (!r.read_fixed(version)) return fail(truncated("offset value version", r));
  if (version < 0 || version > offset_value_version) {
    return fail("unsupported offset value version " + std::to_string(version));
  }
  offset_value v;
  bool ok = r.read_fixed(v.offset) && (version < 3 || r.read_fixed(v.leader_epoch)) &&
            r.read_string(v.metadata, classic) && r.read_fixed(v.commit_timestamp_ms) &&
            (version != 1 || r.read_fixed(v.expire_timestamp_ms));
  if (!ok) return fail(truncated("offset value", r));
  if (!r.empty()) return fail(std::string("offset value: trailing bytes"));
  return v;
}

result<group_value, std::string> decode_group_value(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  int16_t version = 0;
  if (!r.read_fixed(version)) return fail(truncated("group value version", r));
  if (version < 0 || version > group_value_version) {
    return fail("unsupported group value version " + std::to_string(version));
  }
  group_value v;
  int32_t count = 0;
  bool ok = r.read_string(v.protocol_type, classic) && r.read_fixed(v.generation) &&
            r.read_nullable_string(v.protocol, classic, true) &&
            r.read_nullable_string(v.leader, classic, true) &&
            (version < 2 || r.read_fixed(v.current_state_timestamp_ms)) &&
            r.read_array_length(count, classic, false, member_min_bytes);
  if (!ok) return fail(truncated("group value", r));
  for (int32_t i = 0; i < count; ++i) {
    member_value m;
    ok = r.read_string(m.member_id, classic) &&
         (version < 3 || r.read_nullable_string(m.group_instance_id, classic, true)) &&
         r.read_string(m.client_id, classic) && r.read_string(m.client_host, classic) &&
         (version < 1 || r.read_fixed(m.rebalance_timeout_ms)) &&
         r.read_fixed(m.session_timeout_ms) && r.read_bytes(m.subscription, classic) &&
         r.read_bytes(m.assignment, classic);
    if (!ok) return fail(truncated("group member", r));
    v.members.push_back(std::move(m));
  }
  if (!r.empty()) return fail(std::string("group value: trailing bytes"));
  return v;
}

}  // namespace vltava::coord
