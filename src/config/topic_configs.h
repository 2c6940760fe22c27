#pragma once

// Topic configurations: Kafka's topic config names, each with the broker config that supplies
// its default when the topic does not override it (DescribeConfigs reports these synonyms).
// The table is topic_config_table.h; code reads it through the typed keys below.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config_def.h"
#include "config/key.h"
#include "config/topic_config_table.h"

namespace vltava::config {

std::span<const config_def> topic_config_defs();

// Every topic config, checked against the table at compile time.
namespace topic_keys {
template <typename T>
consteval key<T> declare(std::string_view name) {
  return key<T>(topic_table::defs, name);
}
using string_list = std::vector<std::string>;

inline constexpr auto cleanup_policy = declare<string_list>("cleanup.policy");
inline constexpr auto compression_type = declare<std::string>("compression.type");
inline constexpr auto delete_retention_ms = declare<int64_t>("delete.retention.ms");
inline constexpr auto file_delete_delay_ms = declare<int64_t>("file.delete.delay.ms");
inline constexpr auto flush_messages = declare<int64_t>("flush.messages");
inline constexpr auto flush_ms = declare<int64_t>("flush.ms");
inline constexpr auto index_interval_bytes = declare<int32_t>("index.interval.bytes");
inline constexpr auto max_compaction_lag_ms = declare<int64_t>("max.compaction.lag.ms");
inline constexpr auto max_message_bytes = declare<int32_t>("max.message.bytes");
inline constexpr auto message_timestamp_type = declare<std::string>("message.timestamp.type");
inline constexpr auto message_timestamp_before_max_ms =
    declare<int64_t>("message.timestamp.before.max.ms");
inline constexpr auto message_timestamp_after_max_ms =
    declare<int64_t>("message.timestamp.after.max.ms");
inline constexpr auto min_cleanable_dirty_ratio = declare<double>("min.cleanable.dirty.ratio");
inline constexpr auto min_compaction_lag_ms = declare<int64_t>("min.compaction.lag.ms");
inline constexpr auto min_insync_replicas = declare<int32_t>("min.insync.replicas");
inline constexpr auto preallocate = declare<bool>("preallocate");
inline constexpr auto retention_bytes = declare<int64_t>("retention.bytes");
inline constexpr auto retention_ms = declare<int64_t>("retention.ms");
inline constexpr auto segment_bytes = declare<int32_t>("segment.bytes");
inline constexpr auto segment_index_bytes = declare<int32_t>("segment.index.bytes");
inline constexpr auto segment_jitter_ms = declare<int64_t>("segment.jitter.ms");
inline constexpr auto segment_ms = declare<int64_t>("segment.ms");
inline constexpr auto unclean_leader_election_enable =
    declare<bool>("unclean.leader.election.enable");
}  // namespace topic_keys

// The broker key whose value is this topic config's default ("retention.ms" →
// "log.retention.ms"); empty when there is none.
std::string_view broker_synonym(std::string_view topic_key);

// A topic's config set: defaults from the broker's current values, then `overrides` (the
// topic's own, as given to CreateTopics/AlterConfigs). Unknown keys and invalid values are
// errors naming the key.
result<config_set, std::string> topic_config(
    const config_set& broker, std::span<const std::pair<std::string, std::string>> overrides);

}  // namespace vltava::config
