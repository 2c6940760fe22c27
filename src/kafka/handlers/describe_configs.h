#pragma once

// DescribeConfigs (key 32), v0-4: the configs of topics and of this broker (resource "" is
// the cluster-wide dynamic defaults), with sources, synonyms (v1+, in Kafka's precedence
// order), config types (v3+) and, when the request asks (v3+ IncludeDocumentation), each
// config's one-line doc from the config tables. Also the description of a topic's configs
// that CreateTopics v5+ returns.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/metadata_image.h"
#include "config/config_def.h"
#include "kafka/server/authorize.h"
#include "kafka/server/handler.h"
#include "protocol/generated/describe_configs.h"

namespace vltava::kafka {

net::awaitable<std::optional<protocol::describe_configs_response>> serve_describe_configs(
    request_context& ctx, const protocol::describe_configs_request& request);

// DescribeConfigs' ConfigSource codes (config::config_source lacks the dynamic default).
namespace config_source_code {
inline constexpr int8_t dynamic_topic = 1;
inline constexpr int8_t dynamic_broker = 2;
inline constexpr int8_t dynamic_default_broker = 3;
inline constexpr int8_t static_broker = 4;
inline constexpr int8_t default_config = 5;
}  // namespace config_source_code

struct config_synonym {
  std::string name;
  std::optional<std::string> value;
  int8_t source = 0;
};

struct described_config {
  std::string name;
  std::optional<std::string> value;
  bool read_only = false;
  int8_t source = config_source_code::default_config;
  bool sensitive = false;
  int8_t type = 0;                       // DescribeConfigs' ConfigType: 1 boolean .. 7 list
  std::string_view doc;                  // the config table's line (static storage)
  std::vector<config_synonym> synonyms;  // the effective one first
};

// Every topic config of a topic with `overrides`, its effective value and where it came from.
std::vector<described_config> describe_topic_configs(
    const config::config_set& static_config, const cluster::metadata_image& image,
    const std::map<std::string, std::string, std::less<>>& overrides);
// Every broker config. `cluster_default`: the BROKER resource "" (only dynamic defaults).
std::vector<described_config> describe_broker_configs(const config::config_set& static_config,
                                                      const cluster::metadata_image& image,
                                                      bool cluster_default);

// Kafka's authorization of a config resource for `op` (DESCRIBE_CONFIGS, ALTER_CONFIGS): on
// the topic (TOPIC_AUTHORIZATION_FAILED) or, for a broker, on the cluster
// (CLUSTER_AUTHORIZATION_FAILED); none when allowed or the type is unknown.
protocol::error_code config_refusal(const request_authz& authz, security::acl_operation op,
                                    int8_t resource_type, std::string_view name);

}  // namespace vltava::kafka
