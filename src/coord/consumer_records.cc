#include "coord/consumer_records.h"

#include "protocol/reader.h"
#include "protocol/writer.h"

namespace vltava::coord {
namespace {

constexpr bool compact = true;   // values are flexible
constexpr bool classic = false;  // keys are not

std::string truncated(std::string_view what, const protocol::reader& r) {
  return std::string(what) + ": " + (r.message() ? r.message() : "malformed") + " at byte " +
         std::to_string(r.position());
}

bool has_member(consumer_record t) {
  return t == consumer_record::member_metadata || t == consumer_record::target_member ||
         t == consumer_record::current_assignment;
}

void write_partitions(protocol::writer& w, const topic_partitions& tp) {
  w.write_array_length(tp.size(), compact);
  for (const auto& [t, ps] : tp) {
    w.write_fixed(t);
    w.write_array_length(ps.size(), compact);
    for (int32_t p : ps) w.write_fixed(p);
    w.write_tagged_fields({});
  }
}

// Skips a tagged-field section (the tags we know nothing of: Kafka's later additions).
bool skip_tags(protocol::reader& r) {
  uint32_t n = 0;
  if (!r.read_tag_count(n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t tag = 0;
    std::span<const std::byte> value;
    if (!r.read_tagged_field(tag, value)) return false;
  }
  return true;
}

bool read_partitions(protocol::reader& r, topic_partitions& out) {
  int32_t n = 0;
  if (!r.read_array_length(n, compact, false, 16 + 1 + 1)) return false;
  for (int32_t i = 0; i < n; ++i) {
    protocol::uuid t;
    int32_t count = 0;
    if (!r.read_fixed(t) || !r.read_array_length(count, compact, false, 4)) return false;
    auto& set = out[t];
    for (int32_t j = 0; j < count; ++j) {
      int32_t p = 0;
      if (!r.read_fixed(p)) return false;
      set.insert(p);
    }
    if (!skip_tags(r)) return false;
  }
  return true;
}

template <typename T>
result<T, std::string> finish(protocol::reader& r, bool ok, T v, std::string_view what) {
  if (!ok || !skip_tags(r)) return fail(truncated(what, r));
  if (!r.empty()) return fail(std::string(what) + ": trailing bytes");
  return v;
}

bool read_version(protocol::reader& r, std::string& error) {
  int16_t version = 0;
  if (!r.read_fixed(version)) {
    error = "value version: truncated";
    return false;
  }
  if (version != 0) {
    error = "unsupported consumer group value version " + std::to_string(version);
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::byte> encode_key(const consumer_group_key& k) {
  protocol::writer w;
  w.write_fixed(static_cast<int16_t>(k.type));
  w.write_string(k.group, classic);
  if (has_member(k.type)) w.write_string(k.member, classic);
  return std::move(w).take();
}

std::vector<std::byte> encode_epoch_value(int32_t epoch) {
  protocol::writer w;
  w.write_fixed(int16_t{0});
  w.write_fixed(epoch);
  w.write_tagged_fields({});
  return std::move(w).take();
}

std::vector<std::byte> encode_value(const consumer_member_value& v) {
  protocol::writer w;
  w.write_fixed(int16_t{0});
  w.write_nullable_string(v.instance_id, compact, true);
  w.write_nullable_string(v.rack_id, compact, true);
  w.write_string(v.client_id, compact);
  w.write_string(v.client_host, compact);
  w.write_array_length(v.subscribed_topic_names.size(), compact);
  for (const auto& n : v.subscribed_topic_names) w.write_string(n, compact);
  w.write_nullable_string(v.subscribed_topic_regex, compact, true);
  w.write_fixed(v.rebalance_timeout_ms);
  w.write_nullable_string(v.server_assignor, compact, true);
  w.write_tagged_fields({});
  return std::move(w).take();
}

std::vector<std::byte> encode_target_value(const topic_partitions& v) {
  protocol::writer w;
  w.write_fixed(int16_t{0});
  write_partitions(w, v);
  w.write_tagged_fields({});
  return std::move(w).take();
}

std::vector<std::byte> encode_value(const consumer_assignment_value& v) {
  protocol::writer w;
  w.write_fixed(int16_t{0});
  w.write_fixed(v.member_epoch);
  w.write_fixed(v.previous_member_epoch);
  w.write_fixed(v.state);
  write_partitions(w, v.assigned);
  write_partitions(w, v.pending_revocation);
  w.write_tagged_fields({});
  return std::move(w).take();
}

result<consumer_group_key, std::string> decode_consumer_key(int16_t version,
                                                            std::span<const std::byte> bytes) {
  if (version < 3 || version > 8)
    return fail("not a consumer group key: " + std::to_string(version));
  protocol::reader r(bytes);
  consumer_group_key k;
  k.type = static_cast<consumer_record>(version);
  if (!r.read_string(k.group, classic) ||
      (has_member(k.type) && !r.read_string(k.member, classic))) {
    return fail(truncated("consumer group key", r));
  }
  if (!r.empty()) return fail(std::string("consumer group key: trailing bytes"));
  return k;
}

result<int32_t, std::string> decode_epoch_value(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  std::string e;
  if (!read_version(r, e)) return fail(e);
  int32_t epoch = 0;
  return finish(r, r.read_fixed(epoch), epoch, "epoch value");
}

result<consumer_member_value, std::string> decode_member_value(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  std::string e;
  if (!read_version(r, e)) return fail(e);
  consumer_member_value v;
  int32_t n = 0;
  bool ok = r.read_nullable_string(v.instance_id, compact, true) &&
            r.read_nullable_string(v.rack_id, compact, true) &&
            r.read_string(v.client_id, compact) && r.read_string(v.client_host, compact) &&
            r.read_array_length(n, compact, false, 1);
  for (int32_t i = 0; ok && i < n; ++i) {
    ok = r.read_string(v.subscribed_topic_names.emplace_back(), compact);
  }
  ok = ok && r.read_nullable_string(v.subscribed_topic_regex, compact, true) &&
       r.read_fixed(v.rebalance_timeout_ms) &&
       r.read_nullable_string(v.server_assignor, compact, true);
  return finish(r, ok, std::move(v), "member metadata value");
}

result<topic_partitions, std::string> decode_target_value(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  std::string e;
  if (!read_version(r, e)) return fail(e);
  topic_partitions v;
  bool ok = read_partitions(r, v);
  return finish(r, ok, std::move(v), "target assignment value");
}

result<consumer_assignment_value, std::string> decode_assignment_value(
    std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  std::string e;
  if (!read_version(r, e)) return fail(e);
  consumer_assignment_value v;
  bool ok = r.read_fixed(v.member_epoch) && r.read_fixed(v.previous_member_epoch) &&
            r.read_fixed(v.state) && read_partitions(r, v.assigned) &&
            read_partitions(r, v.pending_revocation);
  return finish(r, ok, std::move(v), "current assignment value");
}

consumer_member_value to_record(const consumer_member& m) {
  consumer_member_value v;
  v.instance_id = m.instance_id;
  v.rack_id = m.rack_id;
  v.client_id = m.client_id;
  v.client_host = m.client_host;
  v.subscribed_topic_names = m.subscribed_topic_names;
  v.subscribed_topic_regex = m.subscribed_topic_regex;
  v.rebalance_timeout_ms = m.rebalance_timeout_ms;
  v.server_assignor = m.server_assignor;
  return v;
}

consumer_assignment_value to_assignment_record(const consumer_member& m) {
  consumer_assignment_value v;
  v.member_epoch = m.epoch;
  v.previous_member_epoch = m.previous_epoch;
  v.state = static_cast<int8_t>(m.state);
  v.assigned = m.assigned;
  v.pending_revocation = m.pending_revocation;
  return v;
}

consumer_member from_records(const std::string& member_id, const consumer_member_value& meta,
                             const consumer_assignment_value* a) {
  consumer_member m;
  m.id = member_id;
  m.instance_id = meta.instance_id;
  m.rack_id = meta.rack_id;
  m.client_id = meta.client_id;
  m.client_host = meta.client_host;
  m.subscribed_topic_names = meta.subscribed_topic_names;
  std::sort(m.subscribed_topic_names.begin(), m.subscribed_topic_names.end());
  m.subscribed_topic_regex = meta.subscribed_topic_regex;
  m.rebalance_timeout_ms = meta.rebalance_timeout_ms;
  m.server_assignor = meta.server_assignor;
  if (a) {
    m.epoch = a->member_epoch;
    m.previous_epoch = a->previous_member_epoch;
    m.state =
        a->state >= 0 && a->state <= 2 ? static_cast<member_state>(a->state) : member_state::stable;
    m.assigned = a->assigned;
    m.pending_revocation = a->pending_revocation;
  }
  return m;
}

}  // namespace vltava::coord
