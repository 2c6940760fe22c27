#include "config/topic_configs.h"

#include "config/broker_configs.h"

namespace vltava::config {
namespace {

using topic_table::defs;
using topic_table::table;

namespace bk = broker_keys;

// The broker's value for a topic default, where Kafka derives it from several keys.
std::optional<std::string> broker_value(const config_set& broker, std::string_view broker_key) {
  if (broker_key == bk::log_retention_ms.name()) {
    return std::to_string(effective_retention_ms(broker));
  }
  if (broker_key == bk::log_roll_ms.name()) return std::to_string(effective_segment_ms(broker));
  if (broker_key == bk::log_flush_interval_ms.name()) {
    return std::to_string(effective_flush_ms(broker));
  }
  return to_text(broker.get(broker_key));
}

// Whether the operator set the broker key (or one it is derived from).
bool set_by_operator(const config_set& broker, std::string_view broker_key) {
  auto is_set = [&](std::string_view k) {
    return broker.source(k) != config_source::default_config;
  };
  if (broker_key == bk::log_retention_ms.name()) {
    return is_set(bk::log_retention_ms.name()) || is_set(bk::log_retention_minutes.name()) ||
           is_set(bk::log_retention_hours.name());
  }
  if (broker_key == bk::log_roll_ms.name()) {
    return is_set(bk::log_roll_ms.name()) || is_set(bk::log_roll_hours.name());
  }
  return is_set(broker_key);
}

}  // namespace

std::span<const config_def> topic_config_defs() {
  return defs;
}

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
