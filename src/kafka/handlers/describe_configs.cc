#include "kafka/handlers/describe_configs.h"

#include <algorithm>
#include <set>

#include "cluster/metadata_store.h"
#include "cluster/topic_name.h"
#include "config/broker_configs.h"
#include "config/topic_configs.h"

namespace vltava::kafka {
namespace {

using protocol::error_code;
namespace src = config_source_code;
using override_map = std::map<std::string, std::string, std::less<>>;

int8_t type_code(config::value_kind k) {
  switch (k) {
    case config::value_kind::boolean:
      return 1;
    case config::value_kind::string:
      return 2;
    case config::value_kind::int32:
      return 3;
    case config::value_kind::int64:
      return 5;
    case config::value_kind::float64:
      return 6;
    case config::value_kind::list:
      return 7;
  }
  return 0;
}

// The broker keys that supply one value, in Kafka's precedence (ms over minutes over hours).
std::vector<std::string_view> broker_synonyms(std::string_view broker_key) {
  namespace bk = config::broker_keys;
  const std::vector<std::string_view> retention = {bk::log_retention_ms.name(),
                                                   bk::log_retention_minutes.name(),
                                                   bk::log_retention_hours.name()};
  const std::vector<std::string_view> roll = {bk::log_roll_ms.name(), bk::log_roll_hours.name()};
  for (const auto* keys : {&retention, &roll}) {
    if (std::find(keys->begin(), keys->end(), broker_key) != keys->end()) return *keys;
  }
  if (broker_key.empty()) return {};
  return {broker_key};
}

// The synonym entries of the broker keys `names`: per key, each layer that sets it.
void add_broker_layers(const config::config_set& static_config,
                       const cluster::metadata_image& image,
                       const std::vector<std::string_view>& names, bool dynamic_default_only,
                       std::vector<config_synonym>& out) {
  for (auto name : names) {
    const config::config_def* def = static_config.find(name);
    if (!def) continue;
    if (!dynamic_default_only) {
      const auto& own = image.broker_config_overrides(
          model::node_id(static_config.get(config::broker_keys::node_id)));
      if (auto it = own.find(name); it != own.end()) {
        out.push_back({std::string(name), it->second, src::dynamic_broker});
      }
    }
    if (auto it = image.cluster_config_overrides.find(name);
        it != image.cluster_config_overrides.end()) {
      out.push_back({std::string(name), it->second, src::dynamic_default_broker});
    }
    if (dynamic_default_only) continue;
    if (static_config.source(name) != config::config_source::default_config) {
      out.push_back(
          {std::string(name), config::to_text(static_config.get(name)), src::static_broker});
    }
    if (def->default_value) {
      out.push_back({std::string(name), std::string(*def->default_value), src::default_config});
    }
  }
}

using describe_result = protocol::describe_configs_response::describe_configs_result;

// What the request asks to be sent beside each value.
struct detail_wanted {
  bool synonyms = false;       // v1+
  bool documentation = false;  // v3+
};

detail_wanted details_of(const protocol::describe_configs_request& request, int16_t version) {
  return {.synonyms = request.include_synonyms && version >= 1,
          .documentation = request.include_documentation && version >= 3};
}

void fill(describe_result& result, const std::vector<described_config>& configs,
          const std::optional<std::vector<std::string>>& keys, detail_wanted details,
          int16_t version) {
  std::set<std::string, std::less<>> wanted;
  if (keys) wanted.insert(keys->begin(), keys->end());
  for (const auto& c : configs) {
    if (keys && !wanted.contains(c.name)) continue;
    describe_result::describe_configs_resource_result r;
    r.name = c.name;
    r.value = c.value;
    r.read_only = c.read_only;
    r.is_default = c.source == src::default_config;
    r.config_source = c.source;
    r.is_sensitive = c.sensitive;
    if (details.synonyms) {
      for (const auto& s : c.synonyms) {
        describe_result::describe_configs_resource_result::describe_configs_synonym out;
        out.name = s.name;
        out.value = s.value;
        out.source = s.source;
        r.synonyms.push_back(std::move(out));
      }
    }
    if (version >= 3) r.config_type = c.type;
    r.documentation = details.documentation ? std::optional<std::string>(c.doc) : std::nullopt;
    result.configs.push_back(std::move(r));
  }
}

}  // namespace

std::vector<described_config> describe_topic_configs(const config::config_set& static_config,
                                                     const cluster::metadata_image& image,
                                                     const override_map& overrides) {
  config::config_set broker = cluster::effective_broker_config(static_config, image);
  std::vector<std::pair<std::string, std::string>> pairs(overrides.begin(), overrides.end());
  auto topic = config::topic_config(broker, pairs);
  if (!topic) topic = config::topic_config(broker, {});
  VLTAVA_ASSERT(topic.has_value(), "broker defaults are valid topic configs");
  std::vector<described_config> out;
  for (const auto& def : config::topic_config_defs()) {
    described_config c;
    c.name = std::string(def.name);
    c.value = config::to_text(topic->get(def.name));
    c.type = type_code(def.kind);
    c.doc = def.doc;
    if (auto it = overrides.find(def.name); it != overrides.end()) {
      c.synonyms.push_back({c.name, it->second, src::dynamic_topic});
    }
    add_broker_layers(static_config, image, broker_synonyms(config::broker_synonym(def.name)),
                      false, c.synonyms);
    if (c.synonyms.empty() && def.default_value) {
      // No broker key supplies it (segment.jitter.ms): the topic default itself.
      c.synonyms.push_back({c.name, std::string(*def.default_value), src::default_config});
    }
    c.source = c.synonyms.empty() ? src::default_config : c.synonyms.front().source;
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<described_config> describe_broker_configs(const config::config_set& static_config,
                                                      const cluster::metadata_image& image,
                                                      bool cluster_default) {
  std::vector<described_config> out;
  for (const auto& def : static_config.defs()) {
    described_config c;
    c.name = std::string(def.name);
    c.type = type_code(def.kind);
    c.read_only = !cluster::is_dynamic_broker_config(def.name);
    c.doc = def.doc;
    std::vector<std::string_view> names = broker_synonyms(def.name);
    // A key's own entries first, then those of the keys it falls back to.
    auto self = std::find(names.begin(), names.end(), def.name);
    if (self != names.end()) names.erase(names.begin(), self);
    add_broker_layers(static_config, image, names, cluster_default, c.synonyms);
    if (cluster_default) {
      // The "" resource lists only the cluster-wide dynamic values.
      if (c.synonyms.empty() || c.synonyms.front().name != c.name) continue;
      c.value = c.synonyms.front().value;
      c.source = src::dynamic_default_broker;
      out.push_back(std::move(c));
      continue;
    }
    if (!c.synonyms.empty() && c.synonyms.front().name == c.name) {
      c.value = c.synonyms.front().value;
      c.source = c.synonyms.front().source;
    } else {
      c.value = std::nullopt;  // not set anywhere; its synonyms say what applies
      c.source = src::default_config;
    }
    out.push_back(std::move(c));
  }
  return out;
}

error_code config_refusal(const request_authz& authz, acl_operation op, int8_t resource_type,
                          std::string_view name) {
  if (resource_type == cluster::resource_type_topic) {
    return authz.allowed(op, resource_type::topic, name) ? error_code::none
                                                         : error_code::topic_authorization_failed;
  }
  if (resource_type == cluster::resource_type_broker) {
    return authz.allowed_on_cluster(op) ? error_code::none
                                        : error_code::cluster_authorization_failed;
  }
  return error_code::none;
}

net::awaitable<std::optional<protocol::describe_configs_response>> serve_describe_configs(
    request_context& ctx, const protocol::describe_configs_request& request) {
  const int16_t version = ctx.version();
  cluster::image_ptr image = ctx.services.metadata.image();
  const config::config_set& static_config = ctx.services.broker_config;
  protocol::describe_configs_response response;
  request_authz authz(ctx);
  for (const auto& res : request.resources) {
    describe_result result;
    result.resource_type = res.resource_type;
    result.resource_name = res.resource_name;
    result.error_code = error_code::none;
    result.error_message = std::nullopt;
    auto refuse = [&](error_code e, std::string why) {
      result.error_code = e;
      result.error_message = std::move(why);
    };
    if (error_code denied = config_refusal(authz, acl_operation::describe_configs,
                                           res.resource_type, res.resource_name);
        denied != error_code::none) {
      refuse(denied, "Authorization failed.");
    } else if (res.resource_type == cluster::resource_type_topic) {
      if (auto bad = cluster::invalid_topic_name(res.resource_name)) {
        refuse(error_code::invalid_topic_exception, *bad);
      } else if (const cluster::topic_info* t = image->find_topic(res.resource_name)) {
        fill(result, describe_topic_configs(static_config, *image, t->config_overrides),
             res.configuration_keys, details_of(request, version), version);
      } else {
        refuse(error_code::unknown_topic_or_partition,
               "The topic '" + res.resource_name + "' does not exist.");
      }
    } else if (res.resource_type == cluster::resource_type_broker) {
      const std::string self = std::to_string(ctx.services.node_id());
      if (!res.resource_name.empty() && res.resource_name != self) {
        refuse(error_code::invalid_request, "Unexpected broker id, expected " + self +
                                                " or empty string, but received " +
                                                res.resource_name);
      } else {
        fill(result, describe_broker_configs(static_config, *image, res.resource_name.empty()),
             res.configuration_keys, details_of(request, version), version);
      }
    } else {
      refuse(error_code::invalid_request,
             "Unsupported resource type " + std::to_string(res.resource_type));
    }
    response.results.push_back(std::move(result));
  }
  co_return response;
}

}  // namespace vltava::kafka
