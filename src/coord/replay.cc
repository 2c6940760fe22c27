#include "coord/replay.h"

#include "cluster/producer_state.h"
#include "model/record.h"
#include "model/record_batch_header.h"

namespace vltava::coord {
namespace {

// Bound on one decompressed batch while replaying (the coordinator writes them uncompressed).
constexpr size_t uncompressed_max_bytes = 64 * 1024 * 1024;

}  // namespace

namespace {

// A record of an open transaction: only offset commits are written transactionally.
void apply_txn_record(replay_state& st, int64_t producer_id,
                      std::optional<std::span<const std::byte>> key,
                      std::optional<std::span<const std::byte>> value) {
  ++st.records;
  auto k = key ? decode_key(*key) : result<record_key, std::string>(fail(std::string("no key")));
  const offset_key* ok = k ? std::get_if<offset_key>(&*k) : nullptr;
  if (!ok || !value) {
    ++st.skipped;
    st.last_error = k ? "a transactional record that is not an offset commit" : k.error();
    return;
  }
  auto v = decode_offset_value(*value);
  if (!v) {
    ++st.skipped;
    st.last_error = v.error();
    return;
  }
  st.groups[ok->group].pending[producer_id][partition_key{ok->topic, ok->partition}] =
      std::move(*v);
}

void apply_marker(replay_state& st, int64_t producer_id, bool commit) {
  for (auto& [_, g] : st.groups) {
    auto node = g.pending.extract(producer_id);
    if (node.empty() || !commit) continue;
    for (auto& [k, v] : node.mapped()) g.offsets[k] = std::move(v);
  }
}

}  // namespace

void apply_record(replay_state& st, std::optional<std::span<const std::byte>> key,
                  std::optional<std::span<const std::byte>> value) {
  ++st.records;
  if (!key) {
    ++st.skipped;
    st.last_error = "record without a key";
    return;
  }
  auto k = decode_key(*key);
  if (!k) {
    ++st.skipped;
    st.last_error = k.error();
    return;
  }
  if (const auto* ok = std::get_if<offset_key>(&*k)) {
    partition_key pk{ok->topic, ok->partition};
    if (!value) {
      auto it = st.groups.find(ok->group);
      if (it != st.groups.end()) it->second.offsets.erase(pk);
      return;
    }
    auto v = decode_offset_value(*value);
    if (!v) {
      ++st.skipped;
      st.last_error = v.error();
      return;
    }
    st.groups[ok->group].offsets[pk] = std::move(*v);
    return;
  }
  const auto& gk = std::get<group_key>(*k);
  if (!value) {
    auto it = st.groups.find(gk.group);
    if (it != st.groups.end()) it->second.metadata.reset();
    return;
  }
  auto v = decode_group_value(*value);
  if (!v) {
    ++st.skipped;
    st.last_error = v.error();
    return;
  }
  st.groups[gk.group].metadata = std::move(*v);
}

bool apply_batches(replay_state& st, std::span<const std::byte> batches, int64_t& next) {
  while (!batches.empty()) {
    auto h = model::parse_header(batches);
    if (!h || h->size_bytes() > batches.size()) return false;
    auto batch = batches.subspan(0, h->size_bytes());
    batches = batches.subspan(h->size_bytes());
    next = h->last_offset()() + 1;
    if (h->is_control()) {
      if (!h->is_transactional()) continue;
      if (auto m = cluster::read_txn_marker(batch, *h)) {
        apply_marker(st, h->producer(), m->type == model::control_record_type::commit);
      }
      continue;
    }
    auto section = model::batch_records(batch, *h, uncompressed_max_bytes);
    if (!section) return false;
    model::record_view records(section->bytes(), h->record_count);
    for (;;) {
      auto r = records.next();
      if (!r) return false;
      if (!r->has_value()) break;
      if (h->is_transactional()) {
        apply_txn_record(st, h->producer(), (*r)->key, (*r)->value);
      } else {
        apply_record(st, (*r)->key, (*r)->value);
      }
    }
  }
  return true;
}

}  // namespace vltava::coord
