#include "config/topic_configs.h"

#include <array>

#include "config/broker_configs.h"

namespace vltava::config {
namespace {

constexpr std::array<std::string_view, 2> cleanup_policies = {"delete", "compact"};
constexpr std::array<std::string_view, 2> timestamp_types = {"CreateTime", "LogAppendTime"};
constexpr std::array<std::string_view, 6> topic_compressions = {
    "uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"};

using enum value_kind;

struct topic_def {
  config_def def;
  std::string_view broker_key;  // supplies the default when set on the broker
};

// Names, defaults and bounds are Kafka's topic configs.
const topic_def table[] = {
    {{.name = "cleanup.policy", .kind = list, .default_value = "delete",
      .choices = cleanup_policies}, "log.cleanup.policy"},
    {{.name = "compression.type", .kind = string, .default_value = "producer",
      .choices = topic_compressions}, "compression.type"},
    {{.name = "delete.retention.ms", .kind = int64, .default_value = "86400000", .min = 0},
     "log.cleaner.delete.retention.ms"},
    {{.name = "file.delete.delay.ms", .kind = int64, .default_value = "60000", .min = 0},
     "log.segment.delete.delay.ms"},
    {{.name = "flush.messages", .kind = int64, .default_value = "9223372036854775807", .min = 1},
     "log.flush.interval.messages"},
    {{.name = "flush.ms", .kind = int64, .default_value = "9223372036854775807", .min = 0},
     "log.flush.interval.ms"},
    {{.name = "index.interval.bytes", .kind = int32, .default_value = "4096", .min = 0},
     "log.index.interval.bytes"},
    {{.name = "max.compaction.lag.ms", .kind = int64, .default_value = "9223372036854775807",
      .min = 1}, "log.cleaner.max.compaction.lag.ms"},
    {{.name = "max.message.bytes", .kind = int32, .default_value = "1048588", .min = 0},
     "message.max.bytes"},
    {{.name = "message.timestamp.type", .kind = string, .default_value = "CreateTime",
      .choices = timestamp_types}, "log.message.timestamp.type"},
    {{.name = "message.timestamp.before.max.ms", .kind = int64,
      .default_value = "9223372036854775807", .min = 0}, "log.message.timestamp.before.max.ms"},
    {{.name = "message.timestamp.after.max.ms", .kind = int64, .default_value = "3600000",
      .min = 0}, "log.message.timestamp.after.max.ms"},
    {{.name = "min.cleanable.dirty.ratio", .kind = float64, .default_value = "0.5", .min_f = 0,
      .max_f = 1}, "log.cleaner.min.cleanable.ratio"},
    {{.name = "min.compaction.lag.ms", .kind = int64, .default_value = "0", .min = 0},
     "log.cleaner.min.compaction.lag.ms"},
    {{.name = "min.insync.replicas", .kind = int32, .default_value = "1", .min = 1},
     "min.insync.replicas"},
    {{.name = "preallocate", .kind = boolean, .default_value = "false"}, "log.preallocate"},
    {{.name = "retention.bytes", .kind = int64, .default_value = "-1", .min = -1},
     "log.retention.bytes"},
    {{.name = "retention.ms", .kind = int64, .default_value = "604800000", .min = -1},
     "log.retention.ms"},
    {{.name = "segment.bytes", .kind = int32, .default_value = "1073741824", .min = 14},
     "log.segment.bytes"},
    {{.name = "segment.index.bytes", .kind = int32, .default_value = "10485760", .min = 4},
     "log.index.size.max.bytes"},
    {{.name = "segment.jitter.ms", .kind = int64, .default_value = "0", .min = 0}, ""},
    {{.name = "segment.ms", .kind = int64, .default_value = "604800000", .min = 1},
     "log.roll.ms"},
    {{.name = "unclean.leader.election.enable", .kind = boolean, .default_value = "false"},
     "unclean.leader.election.enable"},
};

const std::array<config_def, std::size(table)> defs = [] {
  std::array<config_def, std::size(table)> out{};
  for (size_t i = 0; i < std::size(table); ++i) out[i] = table[i].def;
  return out;
}();

// The broker's value for a topic default, where Kafka derives it from several keys.
std::optional<std::string> broker_value(const config_set& broker, std::string_view broker_key) {
  if (broker_key == "log.retention.ms") return std::to_string(effective_retention_ms(broker));
  if (broker_key == "log.roll.ms") return std::to_string(effective_segment_ms(broker));
  if (broker_key == "log.flush.interval.ms") return std::to_string(effective_flush_ms(broker));
  return to_text(broker.get(broker_key));
}

// Whether the operator set the broker key (or one it is derived from).
bool set_by_operator(const config_set& broker, std::string_view broker_key) {
  auto is_set = [&](std::string_view k) {
    return broker.source(k) != config_source::default_config;
  };
  if (broker_key == "log.retention.ms") {
    return is_set("log.retention.ms") || is_set("log.retention.minutes") ||
           is_set("log.retention.hours");
  }
  if (broker_key == "log.roll.ms") return is_set("log.roll.ms") || is_set("log.roll.hours");
  return is_set(broker_key);
}

}  // namespace

std::span<const config_def> topic_config_defs() { return defs; }

std::string_view broker_synonym(std::string_view topic_key) {
  for (const auto& t : table) {
    if (t.def.name == topic_key) return t.broker_key;
  }
  return {};
}

result<config_set, std::string> topic_config(
    const config_set& broker, std::span<const std::pair<std::string, std::string>> overrides) {
  config_set topic(defs);
  for (const auto& t : table) {
    if (t.broker_key.empty()) continue;
    auto text = broker_value(broker, t.broker_key);
    if (!text) continue;
    // A broker value is always valid for the topic key: both tables carry Kafka's bounds.
    auto source = set_by_operator(broker, t.broker_key) ? config_source::static_broker_config
                                                        : config_source::default_config;
    auto r = topic.set(t.def.name, *text, source);
    if (!r) return fail("broker value of " + std::string(t.broker_key) + ": " + r.error());
  }
  for (const auto& [key, value] : overrides) {
    if (auto r = topic.set(key, value, config_source::dynamic_topic_config); !r) {
      return fail(r.error());
    }
  }
  return topic;
}

}  // namespace vltava::config
