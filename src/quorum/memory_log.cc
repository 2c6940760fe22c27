#include "quorum/memory_log.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace vltava::quorum {

model::offset memory_log::end_offset() const {
  return _entries.empty() ? _start : _entries.back().next_offset();
}

model::leader_epoch memory_log::last_epoch() const {
  return _entries.empty() ? _start_epoch : _entries.back().epoch;
}

model::offset memory_log::offset_of(std::size_t index) const {
  return index < _entries.size() ? _entries[index].offset : end_offset();
}

std::size_t memory_log::index_spanning(model::offset o) const {
  VLTAVA_ASSERT(o >= _start && o < end_offset(), "offset outside the log");
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
  if (after == _entries.begin()) return {_start, _start_epoch};
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
  VLTAVA_ASSERT(o >= _start, "truncate below the log start");
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

// ---- snapshots ----

std::optional<snapshot_id> memory_log::latest_snapshot() const {
  if (_snapshots.empty()) return std::nullopt;
  return _snapshots.rbegin()->first;
}

result<log::snapshot_chunk, errc> memory_log::read_snapshot(snapshot_id id, int64_t position,
                                                            uint32_t max_bytes) const {
  auto it = _snapshots.find(id);
  if (it == _snapshots.end()) return fail(errc::snapshot_not_found);
  const auto& bytes = it->second;
  auto size = static_cast<int64_t>(bytes.size());
  if (position < 0 || position >= size) return fail(errc::position_out_of_range);
  auto n = std::min<int64_t>(max_bytes, size - position);
  return snapshot_chunk{
      size, bytes.substr(static_cast<std::size_t>(position), static_cast<std::size_t>(n))};
}

bool memory_log::write_snapshot_chunk(snapshot_id id, int64_t position, std::string_view bytes) {
  if (position == 0) _partial.emplace(id, std::string());
  if (!_partial || _partial->first != id ||
      static_cast<int64_t>(_partial->second.size()) != position) {
    return false;
  }
  _partial->second += bytes;
  return true;
}

bool memory_log::install_snapshot(snapshot_id id) {
  if (!_partial || _partial->first != id) return false;
  auto entries = decode_entries(_partial->second);
  bool whole = entries && !entries->empty() && entries->back().next_offset() == id.offset &&
               entries->back().epoch == id.epoch;
  if (!whole) {
    _partial.reset();
    return false;
  }
  _snapshots.clear();
  _snapshots.emplace(id, std::move(_partial->second));
  _partial.reset();
  _entries.clear();
  _start = id.offset;
  _start_epoch = id.epoch;
  _durable = 0;
  _lowest_change = 0;
  return true;
}

snapshot_id memory_log::create_snapshot(model::offset end) {
  VLTAVA_ASSERT(end > _start && end <= end_offset(), "a snapshot ends inside the log");
  auto state = _snapshots.empty() ? std::vector<entry>{} : snapshot_entries(*latest_snapshot());
  auto own = read(_start, end, _entries.size());
  VLTAVA_ASSERT(!own.empty() && own.back().next_offset() == end,
                "a snapshot ends on a batch boundary");
  state.insert(state.end(), own.begin(), own.end());
  snapshot_id id{end, own.back().epoch};
  _snapshots[id] = encode_entries(state);
  return id;
}

void memory_log::delete_before_latest_snapshot() {
  auto latest = latest_snapshot();
  if (!latest || latest->offset <= _start) return;
  auto drop = index_at_boundary(latest->offset);
  _entries.erase(_entries.begin(), _entries.begin() + static_cast<std::ptrdiff_t>(drop));
  _durable = _durable > drop ? _durable - drop : 0;
  _lowest_change = _lowest_change > drop ? _lowest_change - drop : 0;
  _start = latest->offset;
  _start_epoch = latest->epoch;
  std::erase_if(_snapshots, [&](const auto& kv) { return kv.first != *latest; });
}

std::vector<entry> memory_log::snapshot_entries(snapshot_id id) const {
  auto decoded = decode_entries(_snapshots.at(id));
  VLTAVA_ASSERT(decoded.has_value(), "a snapshot written here decodes");
  return std::move(*decoded);
}

namespace {

void put(std::string& out, int64_t v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

bool take(std::string_view& in, int64_t& v) {
  if (in.size() < sizeof v) return false;
  std::memcpy(&v, in.data(), sizeof v);
  in.remove_prefix(sizeof v);
  return true;
}

}  // namespace

// Per entry: offset, epoch, kind, record count, payload size (int64 each), payload.
std::string memory_log::encode_entries(const std::vector<entry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    put(out, e.offset());
    put(out, e.epoch());
    put(out, static_cast<int64_t>(e.kind));
    put(out, e.record_count);
    put(out, static_cast<int64_t>(e.payload.size()));
    out += e.payload;
  }
  return out;
}

std::optional<std::vector<entry>> memory_log::decode_entries(std::string_view in) {
  std::vector<entry> out;
  while (!in.empty()) {
    int64_t offset, epoch, kind, count, size;
    if (!take(in, offset) || !take(in, epoch) || !take(in, kind) || !take(in, count) ||
        !take(in, size) || size < 0 || static_cast<uint64_t>(size) > in.size() || count < 1) {
      return std::nullopt;
    }
    out.push_back({model::offset(offset), model::leader_epoch(static_cast<int32_t>(epoch)),
                   static_cast<entry_kind>(kind), std::string(in.substr(0, size)),
                   static_cast<uint32_t>(count)});
    in.remove_prefix(static_cast<std::size_t>(size));
  }
  return out;
}

}  // namespace vltava::quorum
