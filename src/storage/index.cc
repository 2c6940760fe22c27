#include "storage/index.h"

#include <algorithm>

#include "base/assert.h"
#include "bytes/endian.h"

namespace vltava::storage {
using bytes::load_be;
using bytes::store_be;

std::optional<offset_index::entry> offset_index::last() const {
  if (_entries.empty()) return std::nullopt;
  return _entries.back();
}

void offset_index::append(entry e) {
  VLTAVA_ASSERT(!full(), "offset index is full");
  VLTAVA_ASSERT(_entries.empty() || (e.relative_offset > _entries.back().relative_offset &&
                                     e.position > _entries.back().position),
                "offset index entries must increase");
  _entries.push_back(e);
}

offset_index::entry offset_index::lookup(int32_t rel) const {
  auto it = std::upper_bound(_entries.begin(), _entries.end(), rel,
                             [](int32_t r, const entry& e) { return r < e.relative_offset; });
  if (it == _entries.begin()) return {};
  return *(it - 1);
}

void offset_index::truncate_to_position(uint32_t position) {
  while (!_entries.empty() && _entries.back().position >= position) _entries.pop_back();
}

std::vector<std::byte> offset_index::encode() const {
  std::vector<std::byte> out(_entries.size() * format::offset_entry_size);
  std::byte* p = out.data();
  for (const auto& e : _entries) {
    store_be<int32_t>(p, e.relative_offset);
    store_be<uint32_t>(p + 4, e.position);
    p += format::offset_entry_size;
  }
  return out;
}

std::optional<offset_index> offset_index::decode(std::span<const std::byte> bytes,
                                                 size_t max_entries, uint64_t log_size) {
  if (bytes.size() % format::offset_entry_size != 0) return std::nullopt;
  size_t n = bytes.size() / format::offset_entry_size;
  if (n > max_entries) return std::nullopt;
  offset_index idx(max_entries);
  idx._entries.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::byte* p = bytes.data() + i * format::offset_entry_size;
    entry e{load_be<int32_t>(p), load_be<uint32_t>(p + 4)};
    if (e.relative_offset < 0 || e.position >= log_size) return std::nullopt;
    if (!idx._entries.empty() && (e.relative_offset <= idx._entries.back().relative_offset ||
                                  e.position <= idx._entries.back().position)) {
      return std::nullopt;
    }
    idx._entries.push_back(e);
  }
  return idx;
}

std::optional<time_index::entry> time_index::last() const {
  if (_entries.empty()) return std::nullopt;
  return _entries.back();
}

void time_index::maybe_append(entry e, when_full full) {
  if (!_entries.empty()) {
    if (e.timestamp <= _entries.back().timestamp) return;
    VLTAVA_ASSERT(e.relative_offset >= _entries.back().relative_offset,
                  "time index offsets must not decrease");
  }
  if (this->full() && full == when_full::skip) return;
  _entries.push_back(e);
}

std::optional<time_index::entry> time_index::lookup_before(int64_t ts) const {
  auto it = std::lower_bound(_entries.begin(), _entries.end(), ts,
                             [](const entry& e, int64_t t) { return e.timestamp < t; });
  if (it == _entries.begin()) return std::nullopt;
  return *(it - 1);
}

void time_index::truncate_to_offset(int32_t rel) {
  while (!_entries.empty() && _entries.back().relative_offset >= rel) _entries.pop_back();
}

std::vector<std::byte> time_index::encode() const {
  std::vector<std::byte> out(_entries.size() * format::time_entry_size);
  std::byte* p = out.data();
  for (const auto& e : _entries) {
    store_be<int64_t>(p, e.timestamp);
    store_be<int32_t>(p + 8, e.relative_offset);
    p += format::time_entry_size;
  }
  return out;
}

std::optional<time_index> time_index::decode(std::span<const std::byte> bytes, size_t max_entries) {
  if (bytes.size() % format::time_entry_size != 0) return std::nullopt;
  size_t n = bytes.size() / format::time_entry_size;
  // One entry beyond the limit may be written at roll or close.
  if (n > max_entries + 1) return std::nullopt;
  time_index idx(max_entries);
  idx._entries.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::byte* p = bytes.data() + i * format::time_entry_size;
    entry e{load_be<int64_t>(p), load_be<int32_t>(p + 8)};
    if (e.relative_offset < 0) return std::nullopt;
    if (!idx._entries.empty() && (e.timestamp <= idx._entries.back().timestamp ||
                                  e.relative_offset < idx._entries.back().relative_offset)) {
      return std::nullopt;
    }
    idx._entries.push_back(e);
  }
  return idx;
}

}  // namespace vltava::storage
