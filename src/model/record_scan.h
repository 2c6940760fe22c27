#pragma once

// A lean walk over the records of a records section, for the produce path's validation: Kafka
// walks every record of every batch it accepts, so a broker taking two million small records
// a second spends more on this walk than on anything but the page cache. record_view builds
// each record (a result, an optional, a header vector) at ~57 ns per record; this checks the
// same things in the same order and keeps only what validation looks at.

#include <cstdint>
#include <optional>

#include "model/record.h"

namespace vltava::model {

// What validation needs of one record.
struct record_brief {
  int32_t offset_delta = 0;
  bool has_key = false;
};

// Walks a records section like record_view: every varint, length and count checked, and on
// malformed input the same first error record_view::next() returns. Holds a view into
// `section`, which must outlive it.
class record_scan {
 public:
  record_scan(bytes_view section, int32_t record_count);

  // The next record; nullopt after the last one or on an error (then error() says which, and
  // every further call returns nullopt again).
  std::optional<record_brief> next();

  std::optional<record_error> error() const { return _error; }

 private:
  std::optional<record_brief> failed(record_error e) {
    _error = e;
    return std::nullopt;
  }

  bytes_view _section;
  size_t _pos = 0;
  int32_t _count;
  int32_t _read = 0;
  std::optional<record_error> _error;
};

}  // namespace vltava::model
