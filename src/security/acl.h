#pragma once

// Kafka's ACL model (org.apache.kafka.common.acl and .resource): resource types, pattern
// types, operations and permissions with Kafka's wire codes, one ACL binding, the filters of
// DescribeAcls and DeleteAcls, and the validation CreateAcls applies. Pure values, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vltava::security {

// The codes are Kafka's (ResourceType, PatternType, AclOperation, AclPermissionType), as they
// travel in the ACL APIs and in the metadata log.
enum class resource_type : int8_t {
  unknown = 0,
  any = 1,
  topic = 2,
  group = 3,
  cluster = 4,
  transactional_id = 5,
  delegation_token = 6,
  user = 7,
};

enum class pattern_type : int8_t {
  unknown = 0,
  any = 1,    // filters only: either type, names compared exactly
  match = 2,  // filters only: every pattern that would apply to the named resource
  literal = 3,
  prefixed = 4,
};

enum class acl_operation : int8_t {
  unknown = 0,
  any = 1,  // filters only
  all = 2,
  read = 3,
  write = 4,
  create = 5,
  del = 6,  // DELETE
  alter = 7,
  describe = 8,
  cluster_action = 9,
  describe_configs = 10,
  alter_configs = 11,
  idempotent_write = 12,
  create_tokens = 13,
  describe_tokens = 14,
};

enum class acl_permission : int8_t {
  unknown = 0,
  any = 1,  // filters only
  deny = 2,
  allow = 3,
};

// Kafka's names for the wildcards and the one cluster resource.
inline constexpr std::string_view wildcard_resource = "*";
inline constexpr std::string_view wildcard_host = "*";
inline constexpr std::string_view wildcard_principal = "User:*";
inline constexpr std::string_view cluster_resource_name = "kafka-cluster";

// Codes a newer client may send are kept as `unknown`, as Kafka's fromCode does.
resource_type to_resource_type(int8_t code);
pattern_type to_pattern_type(int8_t code);
acl_operation to_acl_operation(int8_t code);
acl_permission to_acl_permission(int8_t code);

// Kafka's upper-case names (TOPIC, PREFIXED, DESCRIBE_CONFIGS, ALLOW), and back (any case,
// '-' for '_'); nullopt for a name Kafka does not have.
std::string_view name_of(resource_type t);
std::string_view name_of(pattern_type t);
std::string_view name_of(acl_operation o);
std::string_view name_of(acl_permission p);
std::optional<resource_type> parse_resource_type(std::string_view s);
std::optional<pattern_type> parse_pattern_type(std::string_view s);
std::optional<acl_operation> parse_acl_operation(std::string_view s);
std::optional<acl_permission> parse_acl_permission(std::string_view s);

// One ACL: a resource pattern and an access control entry.
struct acl_binding {
  resource_type resource = resource_type::topic;
  std::string name;
  pattern_type pattern = pattern_type::literal;
  std::string principal;  // "User:alice", or "User:*"
  std::string host;       // an IP address, or "*"
  acl_operation operation = acl_operation::read;
  acl_permission permission = acl_permission::allow;

  bool operator==(const acl_binding&) const = default;
  auto operator<=>(const acl_binding&) const = default;
};

// A filter of DescribeAcls/DeleteAcls: ANY codes and null strings match everything.
struct acl_filter {
  resource_type resource = resource_type::any;
  std::optional<std::string> name;
  pattern_type pattern = pattern_type::any;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  acl_operation operation = acl_operation::any;
  acl_permission permission = acl_permission::any;
};

// Kafka's AclBindingFilter.matches: MATCH takes a LITERAL name equal to the filter's or
// "*", and a PREFIXED name the filter's name starts with.
bool matches(const acl_filter& f, const acl_binding& b);

// Why CreateAcls refuses a binding (Kafka answers INVALID_REQUEST with this message), or
// nullopt: an unknown or filter-only code, an empty name, a CLUSTER resource not named
// kafka-cluster, a principal without "Type:".
std::optional<std::string> invalid_binding(const acl_binding& b);
// Why DescribeAcls/DeleteAcls refuse a filter (INVALID_REQUEST): an unknown code.
std::optional<std::string> invalid_filter(const acl_filter& f);

// "(pattern=ResourcePattern(resourceType=TOPIC, name=t, patternType=LITERAL), entry=...)",
// Kafka's AclBinding.toString, for logs and the CLI.
std::string to_string(const acl_binding& b);

}  // namespace vltava::security
