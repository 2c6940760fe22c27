#include "config/broker_configs.h"

#include <array>
#include <limits>

#include "config/broker_config_table.h"
#include "config/properties.h"

namespace vltava::config {
namespace {

using broker_table::defs;

result<void, std::string> apply(loaded_broker_config& cfg, std::string_view key,
                                std::string_view value, std::string_view where) {
  auto r = cfg.values.set(key, value, config_source::static_broker_config);
  if (!r) return fail(std::string(where) + ": " + r.error());
  const config_def* def = cfg.values.find(key);
  if (!def->ignored_because.empty()) {
    cfg.notices.push_back(std::string(where) + ": " + std::string(key) +
                          " is ignored: " + std::string(def->ignored_because));
  }
  return {};
}

}  // namespace

std::span<const config_def> broker_config_defs() {
  return defs;
}

result<loaded_broker_config, std::string> load_broker_config(
    std::string_view properties_text, std::string_view properties_name,
    std::span<const std::string> overrides) {
  loaded_broker_config cfg{config_set(defs), {}};
  auto props = parse_properties(properties_text);
  if (!props) {
    return fail(std::string(properties_name) + ":" + std::to_string(props.error().line) + ": " +
                props.error().message);
  }
  for (const auto& p : *props) {
    std::string where = std::string(properties_name) + ":" + std::to_string(p.line);
    if (p.key == "zookeeper.connect") {
      return fail(where +
                  ": zookeeper.connect is not supported: Vltava keeps metadata in its "
                  "own Raft quorum (see process.roles)");
    }
    if (auto r = apply(cfg, p.key, p.value, where); !r) return fail(r.error());
  }
  for (const auto& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("--set " + o + ": expected key=value");
    }
    if (auto r = apply(cfg, std::string_view(o).substr(0, eq), std::string_view(o).substr(eq + 1),
                       "--set " + o);
        !r) {
      return fail(r.error());
    }
  }
  return cfg;
}

int64_t effective_retention_ms(const config_set& b) {
  if (auto ms = b.get(broker_keys::log_retention_ms)) return *ms;
  if (auto minutes = b.get(broker_keys::log_retention_minutes)) {
    return retention_in_ms(*minutes, minute_ms);
  }
  return retention_in_ms(b.get(broker_keys::log_retention_hours), hour_ms);
}

int64_t effective_segment_ms(const config_set& b) {
  if (auto ms = b.get(broker_keys::log_roll_ms)) return *ms;
  return b.get(broker_keys::log_roll_hours) * hour_ms;
}

int64_t effective_flush_ms(const config_set& b) {
  return b.get(broker_keys::log_flush_interval_ms).value_or(flush_ms_unset);
}

std::vector<std::string> effective_log_dirs(const config_set& b) {
  auto dirs = b.get(broker_keys::log_dirs);
  if (dirs && !dirs->empty()) return *dirs;
  return {b.get(broker_keys::log_dir)};
}

}  // namespace vltava::config
