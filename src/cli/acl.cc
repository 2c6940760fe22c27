// vltava acl create | list | delete: Kafka's ACLs through librdkafka's CreateAcls, DescribeAcls
// and DeleteAcls (as kafka-acls.sh --add, --list, --remove).

#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/table.h"

namespace vltava::cli {
namespace {

// librdkafka's enum names (TOPIC, LITERAL, DESCRIBE_CONFIGS, ALLOW), matched without case and
// with '-' for '_'.
template <typename Enum>
std::optional<Enum> enum_named(std::string_view text, int count, const char* (*name_of)(Enum)) {
  std::string want;
  for (char c : text) want += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  for (int i = 0; i < count; ++i) {
    if (want == name_of(static_cast<Enum>(i))) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

// The resource options shared by the three verbs.
void add_resource_options(po::options_description& o) {
  o.add_options()("topic", po::value<std::string>(), "a topic (\"*\": every topic)")(
      "group", po::value<std::string>(), "a consumer group (\"*\": every group)")(
      "cluster", po::bool_switch(), "the cluster")(
      "resource-pattern-type", po::value<std::string>(),
      "LITERAL or PREFIXED (create; default LITERAL), or ANY or MATCH (list, delete; default "
      "ANY)")("principal", po::value<std::string>(), "User:name, or User:* for everyone")(
      "host", po::value<std::string>(), "a client IP address, or * (create: default *)")(
      "operation", po::value<std::string>(),
      "READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, "
      "ALTER_CONFIGS, IDEMPOTENT_WRITE, ALL (list, delete: also ANY)")(
      "allow", po::bool_switch(), "an ALLOW entry")("deny", po::bool_switch(), "a DENY entry");
}

struct resource {
  rd_kafka_ResourceType_t type = RD_KAFKA_RESOURCE_ANY;
  std::optional<std::string> name;
};

resource resource_of(const po::variables_map& vm, const command_line& cl, bool required) {
  std::vector<resource> given;
  if (vm.count("topic")) given.push_back({RD_KAFKA_RESOURCE_TOPIC, vm["topic"].as<std::string>()});
  if (vm.count("group")) given.push_back({RD_KAFKA_RESOURCE_GROUP, vm["group"].as<std::string>()});
  if (vm["cluster"].as<bool>()) given.push_back({RD_KAFKA_RESOURCE_BROKER, "kafka-cluster"});
  if (given.size() > 1) cl.usage_error("name one resource");
  // librdkafka 2.0 knows no TRANSACTIONAL_ID resource (it refuses Kafka's code 5), so neither
  // does this command; its BROKER is Kafka's code 4, CLUSTER.
  if (given.empty() && required) cl.usage_error("name a resource (--topic, --group or --cluster)");
  return given.empty() ? resource{} : given[0];
}

std::optional<std::string> text_of(const po::variables_map& vm, const char* key) {
  if (!vm.count(key)) return std::nullopt;
  return vm[key].as<std::string>();
}

// What create, list and delete read from the command line.
struct acl_spec {
  resource res;
  rd_kafka_ResourcePatternType_t pattern;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  rd_kafka_AclOperation_t operation;
  rd_kafka_AclPermissionType_t permission;
};

acl_spec spec_of(const po::variables_map& vm, const command_line& cl, bool filter) {
  acl_spec s;
  s.res = resource_of(vm, cl, !filter);
  s.pattern = filter ? RD_KAFKA_RESOURCE_PATTERN_ANY : RD_KAFKA_RESOURCE_PATTERN_LITERAL;
  if (auto p = text_of(vm, "resource-pattern-type")) {
    auto t = enum_named<rd_kafka_ResourcePatternType_t>(*p, RD_KAFKA_RESOURCE_PATTERN_TYPE__CNT,
                                                        rd_kafka_ResourcePatternType_name);
    if (!t) cl.usage_error("unknown resource pattern type " + *p);
    s.pattern = *t;
  }
  s.principal = text_of(vm, "principal");
  s.host = text_of(vm, "host");
  s.operation = RD_KAFKA_ACL_OPERATION_ANY;
  if (auto o = text_of(vm, "operation")) {
    auto t = enum_named<rd_kafka_AclOperation_t>(*o, RD_KAFKA_ACL_OPERATION__CNT,
                                                 rd_kafka_AclOperation_name);
    if (!t) cl.usage_error("unknown operation " + *o);
    s.operation = *t;
  }
  const bool allow = vm["allow"].as<bool>(), deny = vm["deny"].as<bool>();
  if (allow && deny) cl.usage_error("--allow or --deny, not both");
  s.permission = allow  ? RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW
                 : deny ? RD_KAFKA_ACL_PERMISSION_TYPE_DENY
                        : RD_KAFKA_ACL_PERMISSION_TYPE_ANY;
  if (!filter) {
    if (!s.principal) cl.usage_error("name the principal (--principal User:name)");
    if (s.operation == RD_KAFKA_ACL_OPERATION_ANY) cl.usage_error("name the --operation");
    if (!allow && !deny) cl.usage_error("say --allow or --deny");
    if (!s.host) s.host = "*";
  }
  return s;
}

const char* c_str(const std::optional<std::string>& s) {
  return s ? s->c_str() : nullptr;
}

rd_kafka_AclBindingFilter_t* filter_of(const acl_spec& s) {
  char err[512];
  auto* f =
      rd_kafka_AclBindingFilter_new(s.res.type, c_str(s.res.name), s.pattern, c_str(s.principal),
                                    c_str(s.host), s.operation, s.permission, err, sizeof err);
  if (!f) throw cli_error(exit_code::usage, std::string("invalid filter: ") + err);
  return f;
}

std::string resource_type_name(rd_kafka_ResourceType_t t) {
  if (t == RD_KAFKA_RESOURCE_BROKER) return "CLUSTER";  // Kafka's code 4
  return rd_kafka_ResourceType_name(t);
}

std::vector<std::string> row_of(const rd_kafka_AclBinding_t* b) {
  return {resource_type_name(rd_kafka_AclBinding_restype(b)),
          rd_kafka_AclBinding_name(b),
          rd_kafka_ResourcePatternType_name(rd_kafka_AclBinding_resource_pattern_type(b)),
          rd_kafka_AclBinding_principal(b),
          rd_kafka_AclBinding_host(b),
          rd_kafka_AclOperation_name(rd_kafka_AclBinding_operation(b)),
          rd_kafka_AclPermissionType_name(rd_kafka_AclBinding_permission_type(b))};
}

void print_bindings(const std::vector<std::vector<std::string>>& bindings, bool json) {
  static const std::vector<std::string> keys = {
      "resource_type", "name", "pattern_type", "principal", "host", "operation", "permission"};
  if (json) {
    std::string out = "[";
    for (size_t i = 0; i < bindings.size(); ++i) {
      out += i ? ",{" : "{";
      for (size_t k = 0; k < keys.size(); ++k) {
        out += fmt::format("{}\"{}\":", k ? "," : "", keys[k]);
        append_json_string(bindings[i][k], out);
      }
      out += "}";
    }
    std::printf("%s]\n", out.c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows{
      {"RESOURCE", "NAME", "PATTERN", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"}};
  rows.insert(rows.end(), bindings.begin(), bindings.end());
  print_table(rows);
}

}  // namespace

int acl_create(const args_t& args) {
  command_line cl({"acl create", "RESOURCE --principal P --operation OP --allow|--deny [options]",
                   "Create an ACL binding (kafka-acls.sh --add).",
                   "vltava acl create --topic orders --principal User:alice --operation WRITE "
                   "--allow"});
  add_resource_options(cl.options());
  auto vm = cl.parse(args);
  if (!vm) return 0;
  acl_spec s = spec_of(*vm, cl, false);
  if (s.pattern != RD_KAFKA_RESOURCE_PATTERN_LITERAL &&
      s.pattern != RD_KAFKA_RESOURCE_PATTERN_PREFIXED) {
    cl.usage_error("an ACL's pattern type is LITERAL or PREFIXED");
  }
  client c(cl.common());
  char err[512];
  rd_kafka_AclBinding_t* b =
      rd_kafka_AclBinding_new(s.res.type, s.res.name->c_str(), s.pattern, s.principal->c_str(),
                              s.host->c_str(), s.operation, s.permission, err, sizeof err);
  if (!b) throw cli_error(exit_code::usage, std::string("invalid ACL: ") + err);
  struct guard {
    rd_kafka_AclBinding_t* b;
    ~guard() { rd_kafka_AclBinding_destroy(b); }
  } g{b};
  auto ev = c.admin(
      [&](auto* options, auto* queue) { rd_kafka_CreateAcls(c.get(), &b, 1, options, queue); },
      "create ACL");
  size_t count = 0;
  const auto* const* results =
      rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    if (const auto* e = rd_kafka_acl_result_error(results[i])) {
      throw_kafka_error(rd_kafka_error_code(e), "create ACL", rd_kafka_error_string(e));
    }
  }
  print_bindings({row_of(b)}, false);
  return 0;
}

int acl_list(const args_t& args) {
  command_line cl({"acl list", "[RESOURCE] [filter options]",
                   "List the ACL bindings matching a filter (kafka-acls.sh --list).",
                   "vltava acl list --topic orders --resource-pattern-type match"});
  add_resource_options(cl.options());
  cl.options().add_options()("json", po::bool_switch(), "print JSON");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  acl_spec s = spec_of(*vm, cl, true);
  client c(cl.common());
  auto* f = filter_of(s);
  struct guard {
    rd_kafka_AclBindingFilter_t* f;
    ~guard() { rd_kafka_AclBinding_destroy(f); }
  } g{f};
  auto ev = c.admin(
      [&](auto* options, auto* queue) { rd_kafka_DescribeAcls(c.get(), f, options, queue); },
      "list ACLs");
  size_t count = 0;
  const auto* const* acls =
      rd_kafka_DescribeAcls_result_acls(rd_kafka_event_DescribeAcls_result(ev.get()), &count);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < count; ++i) rows.push_back(row_of(acls[i]));
  print_bindings(rows, (*vm)["json"].as<bool>());
  return 0;
}

int acl_delete(const args_t& args) {
  command_line cl({"acl delete", "RESOURCE [filter options]",
                   "Delete every ACL binding matching a filter (kafka-acls.sh --remove) and "
                   "print them.",
                   "vltava acl delete --topic orders --principal User:alice"});
  add_resource_options(cl.options());
  cl.options().add_options()("json", po::bool_switch(), "print JSON");
  auto vm = cl.parse(args);
  if (!vm) return 0;
  // A resource is required, so that a bare `acl delete` never removes every ACL.
  acl_spec s = spec_of(*vm, cl, true);
  if (!s.res.name) cl.usage_error("name a resource (--topic, --group or --cluster)");
  client c(cl.common());
  auto* f = filter_of(s);
  struct guard {
    rd_kafka_AclBindingFilter_t* f;
    ~guard() { rd_kafka_AclBinding_destroy(f); }
  } g{f};
  auto ev = c.admin(
      [&](auto* options, auto* queue) { rd_kafka_DeleteAcls(c.get(), &f, 1, options, queue); },
      "delete ACLs");
  size_t count = 0;
  const auto* const* responses =
      rd_kafka_DeleteAcls_result_responses(rd_kafka_event_DeleteAcls_result(ev.get()), &count);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < count; ++i) {
    if (const auto* e = rd_kafka_DeleteAcls_result_response_error(responses[i])) {
      throw_kafka_error(rd_kafka_error_code(e), "delete ACLs", rd_kafka_error_string(e));
    }
    size_t n = 0;
    const auto* const* matching =
        rd_kafka_DeleteAcls_result_response_matching_acls(responses[i], &n);
    for (size_t k = 0; k < n; ++k) rows.push_back(row_of(matching[k]));
  }
  print_bindings(rows, (*vm)["json"].as<bool>());
  return 0;
}

}  // namespace vltava::cli
