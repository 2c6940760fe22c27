#include "coord/txn_records.h"

#include "protocol/reader.h"
#include "protocol/writer.h"

namespace vltava::coord {
namespace {

constexpr bool classic = false;

std::string truncated(std::string_view what, const protocol::reader& r) {
  return std::string(what) + ": " + (r.message() ? r.message() : "malformed") + " at byte " +
         std::to_string(r.position());
}

// Tagged fields of a flexible (v1) value: skipped, they only matter to transaction version 2.
bool skip_tags(protocol::reader& r) {
  uint32_t count = 0;
  if (!r.read_tag_count(count)) return false;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t tag = 0;
    std::span<const std::byte> value;
    if (!r.read_tagged_field(tag, value)) return false;
  }
  return true;
}

}  // namespace

std::string_view txn_status_name(txn_status s) {
  switch (s) {
    case txn_status::empty:
      return "Empty";
    case txn_status::ongoing:
      return "Ongoing";
    case txn_status::prepare_commit:
      return "PrepareCommit";
    case txn_status::prepare_abort:
      return "PrepareAbort";
    case txn_status::complete_commit:
      return "CompleteCommit";
    case txn_status::complete_abort:
      return "CompleteAbort";
    case txn_status::dead:
      return "Dead";
    case txn_status::prepare_epoch_fence:
      return "PrepareEpochFence";
  }
  return "Unknown";
}

std::vector<std::byte> encode_txn_key(std::string_view transactional_id) {
  protocol::writer w;
  w.write_fixed(txn_key_version);
  w.write_string(transactional_id, classic);
  return std::move(w).take();
}

std::vector<std::byte> encode_txn_value(const txn_value& v) {
  protocol::writer w;
  w.write_fixed(txn_value_version);
  w.write_fixed(v.producer_id);
  w.write_fixed(v.producer_epoch);
  w.write_fixed(v.timeout_ms);
  w.write_fixed(static_cast<int8_t>(v.status));
  // Partitions grouped by topic, in order (a std::set keeps them sorted).
  std::vector<std::pair<std::string_view, std::vector<int32_t>>> topics;
  for (const auto& [topic, p] : v.partitions) {
    if (topics.empty() || topics.back().first != topic)
      topics.emplace_back(topic, std::vector<int32_t>{});
    topics.back().second.push_back(p());
  }
  w.write_array_length(topics.size(), classic);
  for (const auto& [topic, ids] : topics) {
    w.write_string(topic, classic);
    w.write_array_length(ids.size(), classic);
    for (int32_t id : ids) w.write_fixed(id);
  }
  w.write_fixed(v.last_update_ms);
  w.write_fixed(v.start_ms);
  return std::move(w).take();
}

result<std::string, std::string> decode_txn_key(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  int16_t version = 0;
  if (!r.read_fixed(version)) return fail(truncated("transaction key version", r));
  if (version != txn_key_version) {
    return fail("transaction key version " + std::to_string(version) + " is not 0");
  }
  std::string id;
  if (!r.read_string(id, classic)) return fail(truncated("transaction key", r));
  if (!r.empty()) return fail(std::string("transaction key: trailing bytes"));
  return id;
}

result<txn_value, std::string> decode_txn_value(std::span<const std::byte> bytes) {
  protocol::reader r(bytes);
  int16_t version = 0;
  if (!r.read_fixed(version)) return fail(truncated("transaction value version", r));
  if (version != 0 && version != 1) {
    return fail("transaction value version " + std::to_string(version) + " is unknown");
  }
  const bool flexible = version >= 1;
  txn_value v;
  int8_t status = 0;
  if (!r.read_fixed(v.producer_id) || !r.read_fixed(v.producer_epoch) ||
      !r.read_fixed(v.timeout_ms) || !r.read_fixed(status)) {
    return fail(truncated("transaction value", r));
  }
  if (status < 0 || status > static_cast<int8_t>(txn_status::prepare_epoch_fence)) {
    return fail("transaction status " + std::to_string(status) + " is unknown");
  }
  v.status = static_cast<txn_status>(status);
  int32_t topic_count = 0;
  // Smallest topic entry: an empty string and an empty array.
  if (!r.read_array_length(topic_count, flexible, true, flexible ? 2 : 6)) {
    return fail(truncated("transaction partitions", r));
  }
  for (int32_t t = 0; t < topic_count; ++t) {
    std::string topic;
    int32_t count = 0;
    if (!r.read_string(topic, flexible) || !r.read_array_length(count, flexible, false, 4)) {
      return fail(truncated("transaction partitions", r));
    }
    for (int32_t i = 0; i < count; ++i) {
      int32_t p = 0;
      if (!r.read_fixed(p)) return fail(truncated("transaction partition id", r));
      v.partitions.insert(model::topic_partition{topic, model::partition_id(p)});
    }
    if (flexible && !skip_tags(r)) return fail(truncated("transaction partitions tags", r));
  }
  if (!r.read_fixed(v.last_update_ms) || !r.read_fixed(v.start_ms)) {
    return fail(truncated("transaction value timestamps", r));
  }
  if (flexible && !skip_tags(r)) return fail(truncated("transaction value tags", r));
  if (!r.empty()) return fail(std::string("transaction value: trailing bytes"));
  return v;
}

}  // namespace vltava::coord
