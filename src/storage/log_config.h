#pragma once

// Per-partition log settings, named as Kafka's topic configs so an operator's knowledge carries
// over (`segment.bytes` is segment_bytes, and so on). Each default is the topic config table's
// (config/topic_config_table.h), taken at compile time: none is written here.

#include <cstdint>
#include <limits>

#include "config/topic_configs.h"
#include "storage/errors.h"

namespace vltava::storage {

inline constexpr int64_t kib = 1024;
inline constexpr int64_t mib = 1024 * kib;
inline constexpr int64_t gib = 1024 * mib;

struct cleanup_policy {
  bool del =
      config::topic_keys::cleanup_policy.default_lists("delete");  // retention by time and size
  bool compact =
      config::topic_keys::cleanup_policy.default_lists("compact");  // newest record per key
  bool operator==(const cleanup_policy&) const = default;
};

struct log_config {
  int64_t segment_bytes = config::topic_keys::segment_bytes.default_value();
  int64_t segment_ms = config::topic_keys::segment_ms.default_value();
  int64_t index_interval_bytes = config::topic_keys::index_interval_bytes.default_value();
  int64_t segment_index_bytes = config::topic_keys::segment_index_bytes.default_value();
  int64_t retention_ms = config::topic_keys::retention_ms.default_value();  // -1: keep forever
  int64_t retention_bytes =
      config::topic_keys::retention_bytes.default_value();  // -1: no size limit
  cleanup_policy cleanup;
  int64_t delete_retention_ms = config::topic_keys::delete_retention_ms.default_value();
  double min_cleanable_dirty_ratio = config::topic_keys::min_cleanable_dirty_ratio.default_value();
  int64_t min_compaction_lag_ms = config::topic_keys::min_compaction_lag_ms.default_value();
  int64_t flush_messages = config::topic_keys::flush_messages.default_value();
  int64_t flush_ms = config::topic_keys::flush_ms.default_value();
  int64_t file_delete_delay_ms = config::topic_keys::file_delete_delay_ms.default_value();
  int64_t max_message_bytes = config::topic_keys::max_message_bytes.default_value();  // one batch

  // The settings of a topic's effective config set (config::topic_config).
  static log_config from(const config::config_set& topic_config);

  // Checks every value against its bounds; the error names the offending key.
  result<void, storage_error> validate() const;
  bool operator==(const log_config&) const = default;
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
