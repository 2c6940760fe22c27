#pragma once

// Per-partition log settings, named and defaulted as Kafka's topic configs so an operator's
// knowledge carries over (the config layer maps `segment.bytes` to segment_bytes, and so on).

#include <cstdint>
#include <limits>

#include "storage/errors.h"

namespace vltava::storage {

inline constexpr int64_t kib = 1024;
inline constexpr int64_t mib = 1024 * kib;
inline constexpr int64_t gib = 1024 * mib;
inline constexpr int64_t hour_ms = 60 * 60 * 1000;
inline constexpr int64_t day_ms = 24 * hour_ms;

struct cleanup_policy {
  bool del = true;       // "delete": retention by time and size
  bool compact = false;  // "compact": keep the newest record per key
  bool operator==(const cleanup_policy&) const = default;
};

struct log_config {
  int64_t segment_bytes = 1 * gib;                 // segment.bytes
  int64_t segment_ms = 7 * day_ms;                 // segment.ms
  int64_t index_interval_bytes = 4096;             // index.interval.bytes
  int64_t segment_index_bytes = 10 * mib;          // segment.index.bytes
  int64_t retention_ms = 7 * day_ms;               // retention.ms (-1: keep forever)
  int64_t retention_bytes = -1;                    // retention.bytes (-1: no size limit)
  cleanup_policy cleanup;                          // cleanup.policy
  int64_t delete_retention_ms = 1 * day_ms;        // delete.retention.ms
  double min_cleanable_dirty_ratio = 0.5;          // min.cleanable.dirty.ratio
  int64_t min_compaction_lag_ms = 0;               // min.compaction.lag.ms
  int64_t flush_messages = std::numeric_limits<int64_t>::max();  // flush.messages
  int64_t flush_ms = std::numeric_limits<int64_t>::max();        // flush.ms
  int64_t file_delete_delay_ms = 60'000;           // file.delete.delay.ms
  int64_t max_message_bytes = 1 * mib + 12;        // max.message.bytes (one batch)

  // Checks every value against its bounds; the error names the offending key.
  result<void, storage_error> validate() const;
};

// Hard limits that hold whatever the config says.
namespace limits {
// One append call (a produce request's records for one partition).
inline constexpr int64_t append_bytes_max = 64 * mib;
// A batch read back from disk (recovery, compaction): larger is treated as corruption.
inline constexpr int64_t batch_bytes_max = 64 * mib;
// segment.bytes is an int in Kafka; positions in the offset index are 4 bytes.
inline constexpr int64_t segment_bytes_max = std::numeric_limits<int32_t>::max();
inline constexpr int64_t segment_index_bytes_max = 1 * gib;
}  // namespace limits

}  // namespace vltava::storage
