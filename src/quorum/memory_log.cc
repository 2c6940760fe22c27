#include "quorum/memory_log.h"

#include <algorithm>

#include "base/assert.h"

namespace vltava::quorum {

model::offset memory_log::end_offset() const {
  return _entries.empty() ? model::offset(0) : _entries.back().next_offset();
}

model::leader_epoch memory_log::last_epoch() const {
  return _entries.empty() ? model::leader_epoch(0) : _entries.back().epoch;
}

model::offset memory_log::offset_of(std::size_t index) const {
  return index < _entries.size() ? _entries[index].offset : end_offset();
}

std::size_t memory_log::index_spanning(model::offset o) const {
  VLTAVA_ASSERT(o() >= 0 && o < end_offset(), "offset outside the log");
  auto after = std::upper_bound(_entries.begin(), _entries.end(), o,
                                [](model::offset v, const entry& x) { return v < x.offset; });
  return static_cast<std::size_t>(std::prev(after) - _entries.begin());
}

std::size_t memory_log::index_at_boundary(model::offset o) const {
  if (o == end_offset()) return _entries.size();
  auto i = index_spanning(o);
  VLTAVA_ASSERT(_entries[i].offset == o, "offset inside a batch, not at its boundary");
  return i;
}

model::leader_epoch memory_log::epoch_at(model::offset o) const {
  return _entries[index_spanning(o)].epoch;
}

offset_and_epoch memory_log::end_offset_for_epoch(model::leader_epoch e) const {
  // Epochs never go down along the log: the first entry with a larger epoch ends `e`'s range.
  auto after = std::upper_bound(_entries.begin(), _entries.end(), e,
                                [](model::leader_epoch v, const entry& x) { return v < x.epoch; });
  if (after == _entries.begin()) return {start_offset(), model::leader_epoch(0)};
  return {std::prev(after)->next_offset(), std::prev(after)->epoch};
}

std::vector<entry> memory_log::read(model::offset from, model::offset until,
                                    std::size_t max_entries) const {
  std::vector<entry> out;
  for (auto i = index_at_boundary(from); i < _entries.size() && out.size() < max_entries; ++i) {
    if (_entries[i].next_offset() > until) break;
    out.push_back(_entries[i]);
  }
  return out;
}

void memory_log::append(const std::vector<entry>& entries) {
  note_change(_entries.size());
  for (const auto& e : entries) {
    VLTAVA_ASSERT(e.offset == end_offset(), "append must continue the log");
    VLTAVA_ASSERT(e.record_count >= 1, "a batch holds at least one record");
    VLTAVA_ASSERT(e.epoch >= last_epoch(), "epochs never go down along the log");
    _entries.push_back(e);
  }
}

void memory_log::truncate(model::offset o) {
  VLTAVA_ASSERT(o() >= 0, "truncate below the log start");
  auto keep = o >= end_offset() ? _entries.size() : index_at_boundary(o);
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
  auto lowest = offset_of(std::min(_lowest_change, _entries.size()));
  _lowest_change = _entries.size();
  return lowest;
}

void memory_log::note_change(std::size_t index) {
  _lowest_change = std::min(_lowest_change, index);
}

}  // namespace vltava::quorum
