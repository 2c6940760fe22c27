#include "security/acl.h"

#include <array>
#include <cctype>
#include <utility>

namespace vltava::security {
namespace {

template <typename E, size_t N>
std::string_view name_in(const std::array<std::string_view, N>& names, E e) {
  auto i = static_cast<size_t>(static_cast<int8_t>(e));
  return i < N ? names[i] : "UNKNOWN";
}

// Kafka's fromString: case-insensitive; the CLI also takes '-' for '_' (describe-configs).
template <typename E, size_t N>
std::optional<E> parse_in(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    std::string_view n = names[i];
    if (n.size() != s.size()) continue;
    bool same = true;
    for (size_t j = 0; j < n.size() && same; ++j) {
      char c = static_cast<char>(std::toupper(static_cast<unsigned char>(s[j])));
      if (c == '-') c = '_';
      same = c == n[j];
    }
    if (same) return static_cast<E>(static_cast<int8_t>(i));
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 8> resource_names = {
    "UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"};
constexpr std::array<std::string_view, 5> pattern_names = {"UNKNOWN", "ANY", "MATCH", "LITERAL",
                                                           "PREFIXED"};
constexpr std::array<std::string_view, 15> operation_names = {"UNKNOWN",
                                                              "ANY",
                                                              "ALL",
                                                              "READ",
                                                              "WRITE",
                                                              "CREATE",
                                                              "DELETE",
                                                              "ALTER",
                                                              "DESCRIBE",
                                                              "CLUSTER_ACTION",
                                                              "DESCRIBE_CONFIGS",
                                                              "ALTER_CONFIGS",
                                                              "IDEMPOTENT_WRITE",
                                                              "CREATE_TOKENS",
                                                              "DESCRIBE_TOKENS"};
constexpr std::array<std::string_view, 4> permission_names = {"UNKNOWN", "ANY", "DENY", "ALLOW"};

template <typename E, size_t N>
E from_code(const std::array<std::string_view, N>&, int8_t code) {
  return code >= 0 && static_cast<size_t>(code) < N ? static_cast<E>(code) : E::unknown;
}

}  // namespace

resource_type to_resource_type(int8_t code) {
  return from_code<resource_type>(resource_names, code);
}
pattern_type to_pattern_type(int8_t code) {
  return from_code<pattern_type>(pattern_names, code);
}
acl_operation to_acl_operation(int8_t code) {
  return from_code<acl_operation>(operation_names, code);
}
acl_permission to_acl_permission(int8_t code) {
  return from_code<acl_permission>(permission_names, code);
}

std::string_view name_of(resource_type t) {
  return name_in(resource_names, t);
}
std::string_view name_of(pattern_type t) {
  return name_in(pattern_names, t);
}
std::string_view name_of(acl_operation o) {
  return name_in(operation_names, o);
}
std::string_view name_of(acl_permission p) {
  return name_in(permission_names, p);
}

std::optional<resource_type> parse_resource_type(std::string_view s) {
  return parse_in<resource_type>(resource_names, s);
}
std::optional<pattern_type> parse_pattern_type(std::string_view s) {
  return parse_in<pattern_type>(pattern_names, s);
}
std::optional<acl_operation> parse_acl_operation(std::string_view s) {
  return parse_in<acl_operation>(operation_names, s);
}
std::optional<acl_permission> parse_acl_permission(std::string_view s) {
  return parse_in<acl_permission>(permission_names, s);
}

bool matches(const acl_filter& f, const acl_binding& b) {
  if (f.resource != resource_type::any && f.resource != b.resource) return false;
  if (f.pattern != pattern_type::any && f.pattern != pattern_type::match &&
      f.pattern != b.pattern) {
    return false;
  }
  if (f.name) {
    if (f.pattern != pattern_type::match) {
      if (*f.name != b.name) return false;
    } else if (b.pattern == pattern_type::literal) {
      if (*f.name != b.name && b.name != wildcard_resource) return false;
    } else if (b.pattern == pattern_type::prefixed) {
      if (!std::string_view(*f.name).starts_with(b.name)) return false;
    } else {
      return false;
    }
  }
  if (f.principal && *f.principal != b.principal) return false;
  if (f.host && *f.host != b.host) return false;
  if (f.operation != acl_operation::any && f.operation != b.operation) return false;
  if (f.permission != acl_permission::any && f.permission != b.permission) return false;
  return true;
}

std::optional<std::string> invalid_binding(const acl_binding& b) {
  if (b.resource == resource_type::unknown || b.resource == resource_type::any) {
    return "Invalid resourceType " + std::string(name_of(b.resource));
  }
  if (b.pattern != pattern_type::literal && b.pattern != pattern_type::prefixed) {
    return "Invalid patternType " + std::string(name_of(b.pattern));
  }
  if (b.operation == acl_operation::unknown || b.operation == acl_operation::any) {
    return "Invalid operation " + std::string(name_of(b.operation));
  }
  if (b.permission != acl_permission::allow && b.permission != acl_permission::deny) {
    return "Invalid permissionType " + std::string(name_of(b.permission));
  }
  if (b.name.empty()) return std::string("Invalid empty resource name");
  if (b.resource == resource_type::cluster && b.name != cluster_resource_name) {
    return "The only valid name for the CLUSTER resource is " + std::string(cluster_resource_name);
  }
  auto colon = b.principal.find(':');
  if (colon == std::string::npos || colon == 0) {
    return "expected a string in format principalType:principalName but got " + b.principal;
  }
  if (b.host.empty()) return std::string("Invalid empty host");
  return std::nullopt;
}

std::optional<std::string> invalid_filter(const acl_filter& f) {
  if (f.resource == resource_type::unknown || f.pattern == pattern_type::unknown) {
    return std::string("Unknown patternFilter.");
  }
  if (f.operation == acl_operation::unknown || f.permission == acl_permission::unknown) {
    return std::string("Unknown entryFilter.");
  }
  return std::nullopt;
}

std::string to_string(const acl_binding& b) {
  return "(pattern=ResourcePattern(resourceType=" + std::string(name_of(b.resource)) +
         ", name=" + b.name + ", patternType=" + std::string(name_of(b.pattern)) +
         "), entry=(principal=" + b.principal + ", host=" + b.host +
         ", operation=" + std::string(name_of(b.operation)) +
         ", permissionType=" + std::string(name_of(b.permission)) + "))";
}

}  // namespace vltava::security
