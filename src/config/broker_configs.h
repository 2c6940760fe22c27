#pragma once

// The broker's configuration: Kafka's property names and defaults, Vltava's embedded defaults
// where a single node must just work (listener 127.0.0.1:9092, data in ./vltava-data, node 1).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config_def.h"

namespace vltava::config {

std::span<const config_def> broker_config_defs();

// Builds the broker configuration from a .properties file's text (empty for none) and
// `--set key=value` overrides, in that order. Unknown keys and invalid values are errors
// that say which key, file line or override is wrong. Keys Kafka has but Vltava does not need
// are accepted; each adds a line to `notices`.
struct loaded_broker_config {
  config_set values;
  std::vector<std::string> notices;
};
result<loaded_broker_config, std::string> load_broker_config(
    std::string_view properties_text, std::string_view properties_name,
    std::span<const std::string> overrides);

// Kafka derives some values from several keys (log.retention.ms over .minutes over .hours).
int64_t effective_retention_ms(const config_set& broker);
int64_t effective_segment_ms(const config_set& broker);
int64_t effective_flush_ms(const config_set& broker);
std::vector<std::string> effective_log_dirs(const config_set& broker);

}  // namespace vltava::config
