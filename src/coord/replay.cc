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

template <typename T>
void put_or_erase(replay_state& st, std::map<std::string, T>& m, const std::string& key,
                  std::optional<std::span<const std::byte>> value,
                  result<T, std::string> (*decode)(std::span<const std::byte>)) {
  if (!value) {
    m.erase(key);
    return;
  }
  auto v = decode(*value);
  if (!v) {
    ++st.skipped;
    st.last_error = v.error();
    return;
  }
  m[key] = std::move(*v);
}

void apply_epoch(replay_state& st, std::optional<int32_t>& out,
                 std::optional<std::span<const std::byte>> value) {
  if (!value) {
    out.reset();
    return;
  }
  auto v = decode_epoch_value(*value);
  if (!v) {
    ++st.skipped;
    st.last_error = v.error();
    return;
  }
  out = *v;
}

void apply_consumer_record(replay_state& st, const consumer_group_key& k,
                           std::optional<std::span<const std::byte>> value) {
  auto& g = st.groups[k.group];
  if (!g.consumer) {
    if (!value) return;
    g.consumer.emplace();
  }
  auto& c = *g.consumer;
  switch (k.type) {
    case consumer_record::group_metadata:
      apply_epoch(st, c.group_epoch, value);
      if (!value) g.consumer.reset();  // the group was deleted
      return;
    case consumer_record::partition_metadata:
      return;  // the topics are looked up again when the group loads
    case consumer_record::member_metadata:
      return put_or_erase(st, c.members, k.member, value, &decode_member_value);
    case consumer_record::target_metadata:
      return apply_epoch(st, c.assignment_epoch, value);
    case consumer_record::target_member:
      return put_or_erase(st, c.targets, k.member, value, &decode_target_value);
    case consumer_record::current_assignment:
      return put_or_erase(st, c.current, k.member, value, &decode_assignment_value);
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
  if (const auto* ck = std::get_if<consumer_group_key>(&*k)) {
    apply_consumer_record(st, *ck, value);
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
