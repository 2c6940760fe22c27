#pragma once

// Topic configurations: Kafka's topic config names, each with the broker config that supplies
// its default when the topic does not override it (DescribeConfigs reports these synonyms).

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config_def.h"

namespace vltava::config {

std::span<const config_def> topic_config_defs();

// The broker key whose value is this topic config's default ("retention.ms" →
// "log.retention.ms"); empty when there is none.
std::string_view broker_synonym(std::string_view topic_key);

// A topic's config set: defaults from the broker's current values, then `overrides` (the
// topic's own, as given to CreateTopics/AlterConfigs). Unknown keys and invalid values are
// errors naming the key.
result<config_set, std::string> topic_config(
    const config_set& broker, std::span<const std::pair<std::string, std::string>> overrides);

}  // namespace vltava::config
