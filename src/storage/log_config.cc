#include "storage/log_config.h"

#include <string>

namespace vltava::storage {
namespace {
result<void, storage_error> bad(const char* key, const char* why) {
  return error(errc::invalid_config, std::string(key) + " " + why);
}
}  // namespace

log_config log_config::from(const config::config_set& c) {
  namespace topic_keys = config::topic_keys;
  log_config l;
  l.segment_bytes = c.get(topic_keys::segment_bytes);
  l.segment_ms = c.get(topic_keys::segment_ms);
  l.index_interval_bytes = c.get(topic_keys::index_interval_bytes);
  l.segment_index_bytes = c.get(topic_keys::segment_index_bytes);
  l.retention_ms = c.get(topic_keys::retention_ms);
  l.retention_bytes = c.get(topic_keys::retention_bytes);
  l.cleanup = cleanup_policy{.del = false, .compact = false};
  for (const auto& p : c.get(topic_keys::cleanup_policy)) {
    if (p == "delete") l.cleanup.del = true;
    if (p == "compact") l.cleanup.compact = true;
  }
  l.delete_retention_ms = c.get(topic_keys::delete_retention_ms);
  l.min_cleanable_dirty_ratio = c.get(topic_keys::min_cleanable_dirty_ratio);
  l.min_compaction_lag_ms = c.get(topic_keys::min_compaction_lag_ms);
  l.flush_messages = c.get(topic_keys::flush_messages);
  l.flush_ms = c.get(topic_keys::flush_ms);
  l.file_delete_delay_ms = c.get(topic_keys::file_delete_delay_ms);
  l.max_message_bytes = c.get(topic_keys::max_message_bytes);
  return l;
}

result<void, storage_error> log_config::validate() const {
  // Kafka's lower bound for segment.bytes is 14; one byte is allowed here so that tests can
  // force a segment per batch (a batch larger than a segment gets a segment of its own).
  if (segment_bytes < 1 || segment_bytes > limits::segment_bytes_max) {
    return bad("segment.bytes", "must be in [1, 2147483647]");
  }
  if (segment_ms < 1) return bad("segment.ms", "must be >= 1");
  if (index_interval_bytes < 0 || index_interval_bytes > limits::segment_bytes_max) {
    return bad("index.interval.bytes", "must be in [0, 2147483647]");
  }
  // The time index entry is 12 bytes, so fewer bytes could not hold a single entry.
  if (segment_index_bytes < 12 || segment_index_bytes > limits::segment_index_bytes_max) {
    return bad("segment.index.bytes", "must be in [12, 1 GiB]");
  }
  if (retention_ms < -1) return bad("retention.ms", "must be >= -1");
  if (retention_bytes < -1) return bad("retention.bytes", "must be >= -1");
  if (!cleanup.del && !cleanup.compact) return bad("cleanup.policy", "must name delete or compact");
  if (delete_retention_ms < 0) return bad("delete.retention.ms", "must be >= 0");
  if (!(min_cleanable_dirty_ratio >= 0.0 && min_cleanable_dirty_ratio <= 1.0)) {
    return bad("min.cleanable.dirty.ratio", "must be in [0, 1]");
  }
  if (min_compaction_lag_ms < 0) return bad("min.compaction.lag.ms", "must be >= 0");
  if (flush_messages < 1) return bad("flush.messages", "must be >= 1");
  if (flush_ms < 0) return bad("flush.ms", "must be >= 0");
  if (file_delete_delay_ms < 0) return bad("file.delete.delay.ms", "must be >= 0");
  if (max_message_bytes < 0 || max_message_bytes > limits::batch_bytes_max) {
    return bad("max.message.bytes", "must be in [0, 64 MiB]");
  }
  return {};
}

}  // namespace vltava::storage
