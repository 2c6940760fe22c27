#pragma once

// The sparse indexes of a segment, held in memory and written whole to their files when the
// segment rolls or the log closes (see README.md, "Indexes"). Both are rebuildable from the
// .log, so they are never fsynced on the append path.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "storage/format.h"

namespace vltava::storage {

// offset -> position in the .log. An entry names a batch by its last offset relative to the
// segment base, and the batch's starting position.
class offset_index {
 public:
  struct entry {
    int32_t relative_offset = 0;
    uint32_t position = 0;
    bool operator==(const entry&) const = default;
  };

  explicit offset_index(size_t max_entries) : _max_entries(max_entries) {}

  bool full() const { return _entries.size() >= _max_entries; }
  size_t size() const { return _entries.size(); }
  const std::vector<entry>& entries() const { return _entries; }
  std::optional<entry> last() const;
  void append(entry e);
  // The last entry with relative_offset <= rel, or {0, 0} (the segment's first batch).
  entry lookup(int32_t rel) const;
  // Drops entries whose batch starts at or after `position`.
  void truncate_to_position(uint32_t position);
  void clear() { _entries.clear(); }

  std::vector<std::byte> encode() const;
  // Decodes an index file; nullopt when it is malformed (size, order, positions past
  // log_size), in which case the caller rebuilds it from the log.
  static std::optional<offset_index> decode(std::span<const std::byte> bytes, size_t max_entries,
                                            uint64_t log_size);

 private:
  size_t _max_entries;
  std::vector<entry> _entries;
};

// timestamp -> offset: each entry says "the largest timestamp up to this offset is T".
// Entries have strictly increasing timestamps and non-decreasing offsets.
class time_index {
 public:
  struct entry {
    int64_t timestamp = 0;
    int32_t relative_offset = 0;
    bool operator==(const entry&) const = default;
  };

  explicit time_index(size_t max_entries) : _max_entries(max_entries) {}

  bool full() const { return _entries.size() >= _max_entries; }
  size_t size() const { return _entries.size(); }
  const std::vector<entry>& entries() const { return _entries; }
  std::optional<entry> last() const;
  // Whether a full index still takes the entry: the last entry of a segment (roll, close) must
  // be there, whatever the limit.
  enum class when_full : uint8_t { skip, append_anyway };
  // Appends when `e` raises the largest timestamp.
  void maybe_append(entry e, when_full full = when_full::skip);
  // The last entry with timestamp < ts (where to start scanning for ts), if any.
  std::optional<entry> lookup_before(int64_t ts) const;
  // Drops entries with relative_offset >= rel.
  void truncate_to_offset(int32_t rel);
  void clear() { _entries.clear(); }

  std::vector<std::byte> encode() const;
  static std::optional<time_index> decode(std::span<const std::byte> bytes, size_t max_entries);

 private:
  size_t _max_entries;
  std::vector<entry> _entries;
};

}  // namespace vltava::storage
