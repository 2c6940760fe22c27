#include "config/broker_configs.h"

#include <array>
#include <cctype>
#include <limits>

#include "base/assert.h"
#include "config/broker_config_table.h"
#include "config/properties.h"

namespace vltava::config {
namespace {

using broker_table::defs;

constexpr std::string_view listener_prefix = "listener.name.";
constexpr std::string_view jaas_suffix = ".sasl.jaas.config";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// listener.name.<name>.<config>: a security config of the table, checked as that config, or
// listener.name.<name>.<mechanism>.sasl.jaas.config, kept as text.
result<void, std::string> apply_listener_override(loaded_broker_config& cfg, std::string_view key,
                                                  std::string_view value, std::string_view where) {
  std::string_view rest = key.substr(listener_prefix.size());
  size_t dot = rest.find('.');
  std::string_view suffix = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
  std::string normalized = std::string(listener_prefix) + lower(rest.substr(0, dot)) + ".";
  const bool jaas = suffix.ends_with(jaas_suffix) && suffix.size() > jaas_suffix.size() &&
                    suffix.find('.') == suffix.size() - jaas_suffix.size();
  if (jaas) {
    cfg.listener_overrides[normalized + lower(suffix)] = std::string(value);
    return {};
  }
  const config_def* def = cfg.values.find(suffix);
  if (dot == 0 || def == nullptr || !(suffix.starts_with("ssl.") || suffix.starts_with("sasl."))) {
    return fail(std::string(where) + ": " + std::string(key) +
                " is not a per-listener config (listener.name.<name>.ssl.*, .sasl.* or "
                ".<mechanism>.sasl.jaas.config)");
  }
  if (auto v = parse_value(*def, value); !v) return fail(std::string(where) + ": " + v.error());
  cfg.listener_overrides[normalized + std::string(suffix)] = std::string(value);
  return {};
}

result<void, std::string> apply(loaded_broker_config& cfg, std::string_view key,
                                std::string_view value, std::string_view where) {
  if (key.starts_with(listener_prefix)) return apply_listener_override(cfg, key, value, where);
  if (key == "vltava.scram.users") {
    // Removed rather than ignored: a broker that silently dropped its users would refuse every
    // SCRAM login.
    return fail(std::string(where) +
                ": vltava.scram.users was removed: SCRAM credentials live in the metadata log "
                "(`vltava storage format --add-scram`, `vltava user create`)");
  }
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
  loaded_broker_config cfg{config_set(defs), {}, {}};
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

config_set listener_config(const loaded_broker_config& cfg, std::string_view listener_name) {
  config_set out = cfg.values;
  const std::string prefix = std::string(listener_prefix) + lower(listener_name) + ".";
  for (auto it = cfg.listener_overrides.lower_bound(prefix);
       it != cfg.listener_overrides.end() && it->first.starts_with(prefix); ++it) {
    std::string_view name = std::string_view(it->first).substr(prefix.size());
    if (out.find(name) == nullptr) continue;  // a JAAS config: listener_override()
    auto r = out.set(name, it->second, config_source::static_broker_config);
    VLTAVA_ASSERT(r.has_value(), "a listener override was checked when it was loaded");
  }
  return out;
}

std::optional<std::string> listener_override(const loaded_broker_config& cfg,
                                             std::string_view listener_name,
                                             std::string_view suffix) {
  auto it = cfg.listener_overrides.find(std::string(listener_prefix) + lower(listener_name) + "." +
                                        lower(suffix));
  if (it == cfg.listener_overrides.end()) return std::nullopt;
  return it->second;
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
