#include "quorum/memory_log.h"

#include <algorithm>

#include "base/assert.h"

namespace vltava::quorum {

model::offset memory_log::end_offset() const {
  return model::offset(static_cast<int64_t>(_entries.size()));
}

model::leader_epoch memory_log::last_epoch() const {
  return _entries.empty() ? model::leader_epoch(0) : _entries.back().epoch;
}

model::leader_epoch memory_log::epoch_at(model::offset o) const {
  VLTAVA_ASSERT(o() >= 0 && o < end_offset(), "epoch_at outside the log");
  return _entries[static_cast<std::size_t>(o())].epoch;
}

offset_and_epoch memory_log::end_offset_for_epoch(model::leader_epoch e) const {
  // Epochs never go down along the log: the first entry with a larger epoch ends `e`'s range.
  auto after = std::upper_bound(_entries.begin(), _entries.end(), e,
                                [](model::leader_epoch v, const entry& x) { return v < x.epoch; });
  if (after == _entries.begin()) return {start_offset(), model::leader_epoch(0)};
  auto end = model::offset(static_cast<int64_t>(after - _entries.begin()));
  return {end, std::prev(after)->epoch};
}

std::vector<entry> memory_log::read(model::offset from, std::size_t max_entries) const {
  VLTAVA_ASSERT(from() >= 0 && from <= end_offset(), "read outside the log");
  auto first = _entries.begin() + from();
  auto n = std::min<std::size_t>(max_entries, static_cast<std::size_t>(_entries.end() - first));
  return {first, first + static_cast<std::ptrdiff_t>(n)};
}

void memory_log::append(const std::vector<entry>& entries) {
  note_change(_entries.size());
  for (const auto& e : entries) {
    VLTAVA_ASSERT(e.offset == end_offset(), "append must continue the log");
    VLTAVA_ASSERT(e.epoch >= last_epoch(), "epochs never go down along the log");
    _entries.push_back(e);
  }
}

void memory_log::truncate(model::offset o) {
  VLTAVA_ASSERT(o() >= 0, "truncate below the log start");
  auto keep = std::min(static_cast<std::size_t>(o()), _entries.size());
  note_change(keep);
  _entries.resize(keep);
  _durable = std::min(_durable, keep);
}

model::offset memory_log::flush() {
  _durable = _entries.size();
  return durable_end();
}

void memory_log::crash() {
  note_change(_durable);
  _entries.resize(_durable);
}

model::offset memory_log::take_lowest_change() {
  auto lowest = std::min(_lowest_change, _entries.size());
  _lowest_change = _entries.size();
  return model::offset(static_cast<int64_t>(lowest));
}

void memory_log::note_change(std::size_t index) {
  _lowest_change = std::min(_lowest_change, index);
}

}  // namespace vltava::quorum
