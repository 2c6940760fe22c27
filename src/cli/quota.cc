// vltava quota set | describe: client quotas through AlterClientQuotas and
// DescribeClientQuotas (KIP-546), which librdkafka 2.0 cannot send, so the CLI's own wire client
// does (PLAINTEXT only, as `vltava user`). As kafka-configs.sh --entity-type users|clients|ips
// --alter --add-config producer_byte_rate=N / --describe.

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/table.h"
#include "cli/wire_client.h"
#include "protocol/error_code.h"
#include "protocol/generated/alter_client_quotas.h"
#include "protocol/generated/describe_client_quotas.h"

namespace vltava::cli {
namespace {

using alter_api = protocol::alter_client_quotas_api;
using describe_api = protocol::describe_client_quotas_api;

// The entity components the options name: (type, name or nullopt for the default).
using components = std::vector<std::pair<std::string, std::optional<std::string>>>;

void add_entity_options(po::options_description& o) {
  o.add_options()("user", po::value<std::string>(), "the user entity")(
      "user-default", po::bool_switch(), "the default user entity")(
      "client-id", po::value<std::string>(), "the client-id entity")(
      "client-id-default", po::bool_switch(), "the default client-id entity")(
      "ip", po::value<std::string>(), "the ip entity")("ip-default", po::bool_switch(),
                                                       "the default ip entity");
}

components entity_of(const po::variables_map& vm, const command_line& cl) {
  components out;
  for (const char* type : {"user", "client-id", "ip"}) {
    const std::string dflt = std::string(type) + "-default";
    const bool named = vm.count(type) > 0;
    const bool is_default = vm[dflt].as<bool>();
    if (named && is_default) cl.usage_error(fmt::format("--{} or --{}, not both", type, dflt));
    if (named) out.emplace_back(type, vm[type].as<std::string>());
    if (is_default) out.emplace_back(type, std::nullopt);
  }
  return out;
}

std::string describe_entity(const components& c) {
  std::string out;
  for (const auto& [type, name] : c) {
    if (!out.empty()) out += ", ";
    out += type + "=" + name.value_or("<default>");
  }
  return out;
}

wire_client connect(const common_options& common) {
  if (wants_security(common)) {
    throw cli_error(exit_code::usage,
                    "vltava quota speaks PLAINTEXT only (librdkafka 2.0 has no quota admin "
                    "calls): point -b at a PLAINTEXT listener");
  }
  return wire_client::open_any(common);
}

template <typename Api>
int16_t version_or_fail(const wire_client& c) {
  auto v = c.version_of<Api>();
  if (!v) {
    throw cli_error(exit_code::failed,
                    fmt::format("{} does not serve {}", c.address(), std::string(Api::name)));
  }
  return *v;
}

double parse_value(const command_line& cl, const std::string& key, const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    cl.usage_error(fmt::format("the value of {} is not a number: {}", key, text));
  }
  return v;
}

// Whole values (byte rates) as integers, others in their shortest form: 1048576, 12.5.
std::string format_value(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

}  // namespace

int quota_set(const args_t& args) {
  command_line cl(
      {"quota set",
       "(--user U | --user-default) [--client-id C | --client-id-default] | "
       "(--client-id C | --client-id-default) | (--ip A | --ip-default)  "
       "[--add KEY=VALUE]... [--delete KEY]... [--validate-only]",
       "Set or remove an entity's client quotas (kafka-configs.sh --alter "
       "--add-config / --delete-config). Keys: producer_byte_rate, "
       "consumer_byte_rate, request_percentage, controller_mutation_rate; "
       "connection_creation_rate for ip entities.",
       "vltava quota set --user alice --client-id app --add producer_byte_rate=1048576"});
  add_entity_options(cl.options());
  cl.options().add_options()("add", po::value<std::vector<std::string>>(), "KEY=VALUE to set")(
      "delete", po::value<std::vector<std::string>>(), "KEY to remove")(
      "validate-only", po::bool_switch(), "check only, change nothing");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  const components entity = entity_of(*vm, cl);
  if (entity.empty()) cl.usage_error("name an entity (--user, --client-id or --ip)");
  protocol::alter_client_quotas_request req;
  req.validate_only = (*vm)["validate-only"].as<bool>();
  auto& e = req.entries.emplace_back();
  for (const auto& [type, name] : entity) {
    auto& c = e.entity.emplace_back();
    c.entity_type = type;
    c.entity_name = name;
  }
  if (vm->count("add")) {
    for (const auto& kv : (*vm)["add"].as<std::vector<std::string>>()) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) cl.usage_error("--add takes KEY=VALUE, not " + kv);
      auto& op = e.ops.emplace_back();
      op.key = kv.substr(0, eq);
      op.value = parse_value(cl, op.key, kv.substr(eq + 1));
      op.remove = false;
    }
  }
  if (vm->count("delete")) {
    for (const auto& key : (*vm)["delete"].as<std::vector<std::string>>()) {
      auto& op = e.ops.emplace_back();
      op.key = key;
      op.value = 0;
      op.remove = true;
    }
  }
  if (e.ops.empty()) cl.usage_error("give --add KEY=VALUE or --delete KEY");
  wire_client c = connect(cl.common());
  auto resp = c.call<alter_api>(req, version_or_fail<alter_api>(c));
  for (const auto& r : resp.entries) {
    if (r.error_code != protocol::error_code::none) {
      throw cli_error(exit_code::failed,
                      fmt::format("set quotas of {}: {}{}", describe_entity(entity),
                                  protocol::error_name(r.error_code),
                                  r.error_message ? ": " + *r.error_message : std::string()));
    }
  }
  std::printf("%s the quotas of %s\n", req.validate_only ? "Validated" : "Altered",
              describe_entity(entity).c_str());
  return 0;
}

int quota_describe(const args_t& args) {
  command_line cl({"quota describe",
                   "[--user U | --user-default] [--client-id C | --client-id-default] "
                   "[--ip A | --ip-default] [--strict] [--json]",
                   "Show the client quotas of the entities matching a filter; every entity when "
                   "none is named. --strict: only entities of exactly the named types.",
                   "vltava quota describe --user alice"});
  add_entity_options(cl.options());
  cl.options().add_options()("strict", po::bool_switch(), "no other entity types")(
      "json", po::bool_switch(), "print JSON");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  protocol::describe_client_quotas_request req;
  req.strict = (*vm)["strict"].as<bool>();
  for (const auto& [type, name] : entity_of(*vm, cl)) {
    auto& comp = req.components.emplace_back();
    comp.entity_type = type;
    comp.match_type = name ? 0 : 1;  // exact, or the default
    comp.match = name;
  }
  wire_client c = connect(cl.common());
  auto resp = c.call<describe_api>(req, version_or_fail<describe_api>(c));
  if (resp.error_code != protocol::error_code::none) {
    throw cli_error(exit_code::failed,
                    fmt::format("describe quotas: {}{}", protocol::error_name(resp.error_code),
                                resp.error_message ? ": " + *resp.error_message : std::string()));
  }
  std::vector<std::vector<std::string>> rows;
  std::string json = "[";
  for (const auto& entry : resp.entries.value_or(decltype(resp.entries)::value_type{})) {
    components entity;
    for (const auto& x : entry.entity) entity.emplace_back(x.entity_type, x.entity_name);
    json += json.size() > 1 ? ",{\"entity\":{" : "{\"entity\":{";
    for (size_t i = 0; i < entity.size(); ++i) {
      if (i) json += ",";
      append_json_string(entity[i].first, json);
      json += ":";
      if (entity[i].second) {
        append_json_string(*entity[i].second, json);
      } else {
        json += "null";
      }
    }
    json += "},\"values\":{";
    for (size_t i = 0; i < entry.values.size(); ++i) {
      if (i) json += ",";
      append_json_string(entry.values[i].key, json);
      json += ":" + format_value(entry.values[i].value);
      rows.push_back(
          {describe_entity(entity), entry.values[i].key, format_value(entry.values[i].value)});
    }
    json += "}}";
  }
  if ((*vm)["json"].as<bool>()) {
    std::printf("%s]\n", json.c_str());
  } else {
    rows.insert(rows.begin(), {"ENTITY", "KEY", "VALUE"});
    print_table(rows);
  }
  return 0;
}

}  // namespace vltava::cli
