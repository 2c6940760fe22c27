#pragma once
// Pure parsing of where `consume` starts and where `group reset-offsets` moves a group; no
// librdkafka here, so the rules are unit-tested on their own (cli_test.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vltava::cli {

// `consume -o SPEC`: beginning|earliest, end|latest, stored (the group's committed offset),
// N (absolute offset), -N (N before the end), +N (N after the start), @MS (timestamp in ms
// since the epoch) or an ISO-8601 UTC datetime (2024-10-01T12:00:00Z).
struct start_spec {
  enum class kind { beginning, end, stored, offset, from_end, from_beginning, timestamp };
  kind what = kind::beginning;
  int64_t value = 0;
  bool operator==(const start_spec&) const = default;
};

result<start_spec, std::string> parse_start_spec(std::string_view text);

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.mmm][Z|+HH:MM|-HH:MM]" (also with a
// space instead of 'T', or a date alone meaning midnight UTC).
result<int64_t, std::string> parse_datetime_ms(std::string_view text);

// `group reset-offsets`: exactly one target.
struct reset_spec {
  enum class kind { earliest, latest, offset, datetime, shift_by };
  kind what = kind::earliest;
  int64_t value = 0;  // the offset, the timestamp in ms, or the shift
};

// The offsets of one partition that a reset needs; offset_for_time is what the broker answered
// for the timestamp (-1: no record at or after it, so the end).
struct partition_offsets {
  std::optional<int64_t> committed;
  int64_t low = 0;
  int64_t high = 0;
  int64_t offset_for_time = -1;
};

// The new committed offset, always inside [low, high] (Kafka's tool clamps the same way).
int64_t reset_target(const reset_spec& spec, const partition_offsets& p);

// Parses a signed 64-bit decimal integer, whole string.
std::optional<int64_t> parse_int64(std::string_view text);

}  // namespace vltava::cli
