// `vltava config get|set`, and the config helpers `topic` shares.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/table.h"
#include "config/broker_configs.h"
#include "config/topic_configs.h"

namespace vltava::cli {

namespace {

struct resource_ptr_deleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};
using resource_ptr = std::unique_ptr<rd_kafka_ConfigResource_t, resource_ptr_deleter>;

const char* type_name(rd_kafka_ResourceType_t type) {
  return type == RD_KAFKA_RESOURCE_TOPIC ? "topic" : "broker";
}

// The dynamic source a resource's own settings come from.
bool is_own_dynamic(rd_kafka_ResourceType_t type, rd_kafka_ConfigSource_t source) {
  return type == RD_KAFKA_RESOURCE_TOPIC ? source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG
                                         : source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG;
}

// Checks the per-resource error in a DescribeConfigs/AlterConfigs result.
const rd_kafka_ConfigResource_t* single_resource(const rd_kafka_ConfigResource_t** resources,
                                                 size_t count, std::string_view what) {
  if (count != 1) {
    throw cli_error(exit_code::failed, fmt::format("cannot {}: {} results", what, count));
  }
  if (auto err = rd_kafka_ConfigResource_error(resources[0])) {
    const char* detail = rd_kafka_ConfigResource_error_string(resources[0]);
    throw_kafka_error(err, what, detail ? detail : "");
  }
  return resources[0];
}

// The one-line doc of a config, empty for a name this version does not know.
std::string_view config_doc(rd_kafka_ResourceType_t type, std::string_view name) {
  auto defs =
      type == RD_KAFKA_RESOURCE_TOPIC ? config::topic_config_defs() : config::broker_config_defs();
  auto it = std::find_if(defs.begin(), defs.end(), [&](const auto& d) { return d.name == name; });
  return it == defs.end() ? std::string_view{} : it->doc;
}

}  // namespace

std::vector<config_entry> describe_configs(client& c, rd_kafka_ResourceType_t type,
                                           const std::string& name) {
  std::string what = fmt::format("describe the configs of {} '{}'", type_name(type), name);
  resource_ptr resource(rd_kafka_ConfigResource_new(type, name.c_str()));
  rd_kafka_ConfigResource_t* raw = resource.get();
  auto ev =
      c.admin([&](auto* options,
                  auto* queue) { rd_kafka_DescribeConfigs(c.get(), &raw, 1, options, queue); },
              what);
  size_t count = 0;
  auto* result = rd_kafka_event_DescribeConfigs_result(ev.get());
  auto* resources = rd_kafka_DescribeConfigs_result_resources(result, &count);
  auto* res = single_resource(resources, count, what);
  size_t entry_count = 0;
  const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(res, &entry_count);
  std::vector<config_entry> out;
  for (size_t i = 0; i < entry_count; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(entries[i]);
    auto source = rd_kafka_ConfigEntry_source(entries[i]);
    out.push_back({rd_kafka_ConfigEntry_name(entries[i]), value ? value : "", value == nullptr,
                   rd_kafka_ConfigSource_name(source), source,
                   rd_kafka_ConfigEntry_is_read_only(entries[i]) != 0,
                   rd_kafka_ConfigEntry_is_sensitive(entries[i]) != 0});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

void alter_configs(client& c, rd_kafka_ResourceType_t type, const std::string& name,
                   const std::vector<std::pair<std::string, std::string>>& sets,
                   const std::vector<std::string>& deletes) {
  std::map<std::string, std::string> wanted;
  for (const auto& e : describe_configs(c, type, name)) {
    if (!is_own_dynamic(type, e.source_id)) continue;
    if (e.sensitive || e.is_null) {
      // The broker never returns secrets, so writing the set back would erase them.
      throw cli_error(exit_code::failed,
                      fmt::format("cannot change the configs of {} '{}': its setting {} is "
                                  "secret and librdkafka 2.0 can only replace all settings",
                                  type_name(type), name, e.name));
    }
    wanted[e.name] = e.value;
  }
  for (const auto& key : deletes) {
    if (wanted.erase(key) == 0) {
      std::fprintf(stderr, "note: %s has no setting of its own for %s\n", name.c_str(),
                   key.c_str());
    }
  }
  for (const auto& [k, v] : sets) wanted[k] = v;
  std::string what = fmt::format("change the configs of {} '{}'", type_name(type), name);
  resource_ptr resource(rd_kafka_ConfigResource_new(type, name.c_str()));
  for (const auto& [k, v] : wanted) {
    if (auto err = rd_kafka_ConfigResource_set_config(resource.get(), k.c_str(), v.c_str())) {
      throw_kafka_error(err, what);
    }
  }
  rd_kafka_ConfigResource_t* raw = resource.get();
  auto ev = c.admin(
      [&](auto* options, auto* queue) { rd_kafka_AlterConfigs(c.get(), &raw, 1, options, queue); },
      what);
  size_t count = 0;
  auto* result = rd_kafka_event_AlterConfigs_result(ev.get());
  auto* resources = rd_kafka_AlterConfigs_result_resources(result, &count);
  single_resource(resources, count, what);
}

void print_configs(const std::vector<config_entry>& entries, bool all,
                   const std::vector<std::string>& only, rd_kafka_ResourceType_t type,
                   doc_column docs) {
  std::vector<std::vector<std::string>> rows{{"NAME", "VALUE", "SOURCE"}};
  if (docs == doc_column::shown) rows[0].push_back("DOC");
  for (const auto& e : entries) {
    if (!only.empty() && std::find(only.begin(), only.end(), e.name) == only.end()) continue;
    if (!all && only.empty() && e.source_id == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG) continue;
    std::string value = e.sensitive ? "(secret)" : e.is_null ? "(null)" : e.value;
    rows.push_back({e.name, value, e.source});
    if (docs == doc_column::shown) rows.back().emplace_back(config_doc(type, e.name));
  }
  print_table(rows);
}

namespace {

struct config_target {
  rd_kafka_ResourceType_t type;
  std::string name;
};

// Reads "topic NAME" or "broker ID" from the positional arguments.
config_target parse_target(command_line& cl, const std::vector<std::string>& words) {
  if (words.size() < 2) cl.usage_error("name a target: `topic NAME` or `broker ID`");
  if (words[0] == "topic") return {RD_KAFKA_RESOURCE_TOPIC, words[1]};
  if (words[0] == "broker") return {RD_KAFKA_RESOURCE_BROKER, words[1]};
  cl.usage_error(fmt::format("'{}' is not a config target: use topic or broker", words[0]));
}

}  // namespace

int config_get(const args_t& args) {
  command_line cl({"config get", "topic NAME|broker ID [KEY...] [options]",
                   "Show the configs of a topic or a broker and where each value comes from "
                   "(without keys, the values that differ from the defaults; --all shows all).",
                   "vltava config get topic orders retention.ms --docs\n"
                   "vltava config get broker 0 --all"});
  cl.options().add_options()("all", po::bool_switch(), "show default values too")(
      "docs", po::bool_switch(), "show what each config means")(
      "words", po::value<std::vector<std::string>>(), "target and keys");
  cl.positional("words", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto words = vm->count("words") ? (*vm)["words"].as<std::vector<std::string>>() : args_t{};
  auto target = parse_target(cl, words);
  client c(cl.common());
  c.metadata();
  auto entries = describe_configs(c, target.type, target.name);
  print_configs(entries, (*vm)["all"].as<bool>(), args_t(words.begin() + 2, words.end()),
                target.type, (*vm)["docs"].as<bool>() ? doc_column::shown : doc_column::hidden);
  return 0;
}

int config_set(const args_t& args) {
  command_line cl({"config set", "topic NAME|broker ID KEY=VALUE... [--delete KEY]... [options]",
                   "Change configs of a topic or a broker; --delete returns a key to its default.",
                   "vltava config set topic orders retention.ms=86400000 cleanup.policy=compact\n"
                   "vltava config set topic orders --delete retention.ms"});
  cl.options().add_options()("delete", po::value<std::vector<std::string>>(),
                             "return KEY to its default (repeatable)")(
      "words", po::value<std::vector<std::string>>(), "target and settings");
  cl.positional("words", -1);
  auto vm = cl.parse(args);
  if (!vm) return 0;
  auto words = vm->count("words") ? (*vm)["words"].as<std::vector<std::string>>() : args_t{};
  auto target = parse_target(cl, words);
  std::vector<std::pair<std::string, std::string>> sets;
  for (size_t i = 2; i < words.size(); ++i) {
    auto kv = parse_key_value(words[i]);
    if (!kv) cl.usage_error(kv.error());
    sets.push_back(std::move(kv.value()));
  }
  auto deletes = vm->count("delete") ? (*vm)["delete"].as<args_t>() : args_t{};
  if (sets.empty() && deletes.empty()) cl.usage_error("give at least one KEY=VALUE or --delete");
  client c(cl.common());
  c.metadata();
  alter_configs(c, target.type, target.name, sets, deletes);
  std::printf("updated %s %s\n", type_name(target.type), target.name.c_str());
  return 0;
}

}  // namespace vltava::cli
