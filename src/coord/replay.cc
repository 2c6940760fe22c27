#include "coord/replay.h"

#include "cluster/producer_state.h"
#include "coord/coordinator_partitions.h"
#include "model/record.h"
#include "model/record_batch_header.h"

namespace vltava::coord {
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
  st.groups[ok->group]
      .pending[producer_id][model::topic_partition{ok->topic, model::partition_id(ok->partition)}] =
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
    model::topic_partition pk{ok->topic, model::partition_id(ok->partition)};
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

std::optional<model::offset> apply_batches(replay_state& st, std::span<const std::byte> batches) {
  batch_visitor visit;
  visit.record = [&st](const model::record_batch_header& h, const model::record& r) {
    if (h.is_transactional()) {
      apply_txn_record(st, h.producer(), r.key, r.value);
    } else {
      apply_record(st, r.key, r.value);
    }
  };
  visit.control = [&st](const model::record_batch_header& h, std::span<const std::byte> batch) {
    if (!h.is_transactional()) return;
    if (auto m = cluster::read_txn_marker(batch, h)) {
      apply_marker(st, h.producer(), m->type == model::control_record_type::commit);
    }
  };
  return walk_batches(batches, visit);
}

}  // namespace vltava::coord
