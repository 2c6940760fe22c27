#include "coord/replay.h"

#include "model/record.h"
#include "model/record_batch_header.h"

namespace vltava::coord {
namespace {

// Bound on one decompressed batch while replaying (the coordinator writes them uncompressed).
constexpr size_t uncompressed_max_bytes = 64 * 1024 * 1024;

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
    if (h->is_control()) continue;
    auto section = model::batch_records(batch, *h, uncompressed_max_bytes);
    if (!section) return false;
    model::record_view records(section->bytes(), h->record_count);
    for (;;) {
      auto r = records.next();
      if (!r) return false;
      if (!r->has_value()) break;
      apply_record(st, (*r)->key, (*r)->value);
    }
  }
  return true;
}

}  // namespace vltava::coord
