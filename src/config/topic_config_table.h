#pragma once

// The topic config table: Kafka's topic config names, each with the broker config that supplies
// its default. A topic config with a broker synonym takes its kind, default, bounds and choices
// from the broker table (broker_config_table.h) at compile time, so no topic default is written
// twice; where Kafka derives the broker value from several keys (retention.ms from
// log.retention.hours), the default is derived here by the same rule as at run time.

#include <array>
#include <cstdint>
#include <string_view>

#include "config/broker_configs.h"
#include "config/config_def.h"

namespace vltava::config::topic_table {

struct topic_config_def {
  config_def def;
  std::string_view broker_key;  // supplies the default when set on the broker; may be empty
};

// A topic config whose default is the broker config `broker_key`'s.
consteval topic_config_def synonym(std::string_view name, std::string_view broker_key,
                                   std::string_view doc) {
  for (const auto& b : broker_table::defs) {
    if (b.name != broker_key) continue;
    config_def def = b;
    def.name = name;
    def.doc = doc;
    return {def, broker_key};
  }
  throw "a topic config's broker synonym is in the broker table";
}

// The same, with a default Kafka derives from several broker keys.
consteval topic_config_def derived(std::string_view name, std::string_view broker_key,
                                   std::string_view default_text, std::string_view doc) {
  topic_config_def t = synonym(name, broker_key, doc);
  t.def.default_value = default_text;
  return t;
}

// The decimal text of a compile-time integer, for a derived default.
struct decimal_buffer {
  std::array<char, 20> chars{};  // '-' and 19 digits at most
  size_t size = 0;
};
constexpr decimal_buffer to_decimal(int64_t v) {
  if (v == std::numeric_limits<int64_t>::min()) throw "the derived defaults fit a decimal";
  decimal_buffer out;
  std::array<char, 20> reversed{};
  uint64_t magnitude = static_cast<uint64_t>(v < 0 ? -v : v);
  do {
    reversed[out.size++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (v < 0) reversed[out.size++] = '-';
  for (size_t i = 0; i < out.size; ++i) out.chars[i] = reversed[out.size - 1 - i];
  return out;
}
template <int64_t V>
inline constexpr decimal_buffer decimal_of = to_decimal(V);
template <int64_t V>
inline constexpr std::string_view decimal_text(decimal_of<V>.chars.data(), decimal_of<V>.size);

// The broker's derived values when none of their keys is set.
inline constexpr int64_t default_retention_ms =
    retention_in_ms(broker_keys::log_retention_hours.default_value(), hour_ms);
inline constexpr int64_t default_segment_ms = broker_keys::log_roll_hours.default_value() * hour_ms;

// Names are Kafka's topic configs, sorted by name.
inline constexpr topic_config_def table[] = {
    synonym("cleanup.policy", "log.cleanup.policy",
            "What happens to old segments: delete, compact, or both, comma-separated."),
    synonym("compression.type", "compression.type",
            "The compression of stored batches; producer keeps the producer's."),
    synonym("delete.retention.ms", "log.cleaner.delete.retention.ms",
            "How long tombstones and transaction markers are kept in a compacted log, in ms."),
    synonym("file.delete.delay.ms", "log.segment.delete.delay.ms",
            "How long a deleted segment's files stay before removal, in ms."),
    synonym("flush.messages", "log.flush.interval.messages",
            "The records appended before the log is flushed to disk."),
    derived("flush.ms", "log.flush.interval.ms", decimal_text<flush_ms_unset>,
            "The longest a record stays in memory before the log is flushed, in ms."),
    synonym("index.interval.bytes", "log.index.interval.bytes",
            "The bytes of batches between two entries of the offset index."),
    synonym("max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms",
            "The most time a record may stay uncompacted, in ms."),
    synonym("max.message.bytes", "message.max.bytes",
            "The largest record batch the topic accepts, in bytes."),
    synonym("message.timestamp.type", "log.message.timestamp.type",
            "Whether a batch's timestamp is the producer's (CreateTime) or the broker's "
            "(LogAppendTime)."),
    synonym("message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms",
            "How far a CreateTime timestamp may lie in the past of the broker's clock, in ms."),
    synonym("message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms",
            "How far a CreateTime timestamp may lie in the future of the broker's clock, in ms."),
    synonym("min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio",
            "The share of dirty bytes in the log above which the cleaner compacts it."),
    synonym("min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms",
            "The least time a record stays uncompacted, in ms."),
    synonym("min.insync.replicas", "min.insync.replicas",
            "The in-sync replicas an acks=all produce needs to succeed."),
    synonym("preallocate", "log.preallocate", "Whether a new segment's file is preallocated."),
    synonym("retention.bytes", "log.retention.bytes",
            "The size a partition's log may reach before old segments are deleted (-1: no "
            "limit)."),
    derived("retention.ms", "log.retention.ms", decimal_text<default_retention_ms>,
            "How long the log keeps a segment, in ms (-1: forever)."),
    synonym("segment.bytes", "log.segment.bytes",
            "The size at which a segment is closed and a new one started, in bytes."),
    synonym("segment.index.bytes", "log.index.size.max.bytes",
            "The largest size of a segment's offset or time index, in bytes."),
    {{.name = "segment.jitter.ms",
      .kind = value_kind::int64,
      .default_value = "0",
      .min = 0,
      .doc = "The most random time subtracted from segment.ms, to spread segment rolls, in ms."},
     ""},
    derived("segment.ms", "log.roll.ms", decimal_text<default_segment_ms>,
            "The age at which a segment is rolled, in ms."),
    synonym("unclean.leader.election.enable", "unclean.leader.election.enable",
            "Whether a replica that is not in sync may become leader, losing data."),
};

// The definitions alone, as config_set takes them.
inline constexpr std::array<config_def, std::size(table)> defs = [] {
  std::array<config_def, std::size(table)> out{};
  for (size_t i = 0; i < std::size(table); ++i) out[i] = table[i].def;
  return out;
}();

}  // namespace vltava::config::topic_table
