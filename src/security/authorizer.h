#pragma once

// Kafka's StandardAuthorizer: whether a principal connected from a host may perform an
// operation on a resource, given the cluster's ACLs.
//
//   - super.users are allowed everything;
//   - the ACLs that apply are those whose pattern covers the resource (LITERAL name, LITERAL
//     "*", PREFIXED prefix of the name), whose principal is the requester's or "User:*" and
//     whose host is the client's address or "*";
//   - an ALLOW of READ, WRITE, DELETE or ALTER also allows DESCRIBE, an ALLOW of ALTER_CONFIGS
//     also allows DESCRIBE_CONFIGS, ALL covers every operation; a DENY covers only its own
//     operation (or all, for ALL);
//   - a DENY wins over any ALLOW; with neither, the request is denied, unless the resource has
//     no ACL at all and allow.everyone.if.no.acl.found is set.
//
// Built once at start from the broker configs; authorization is on only when
// authorizer.class.name names Kafka's StandardAuthorizer.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config_def.h"
#include "security/acl.h"
#include "security/acl_table.h"

namespace vltava::security {

inline constexpr std::string_view standard_authorizer_class =
    "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

// Who asks: Kafka's principal ("User:alice") and the client's IP address.
struct requester {
  std::string_view principal;
  std::string_view host;
};

struct authorizer_config {
  std::vector<std::string> super_users;  // "User:admin"
  bool allow_everyone_if_no_acl_found = false;
};

class authorizer {
 public:
  explicit authorizer(authorizer_config config);

  // The authorizer the broker configs ask for; nullopt when authorization is off. An error
  // for a super.users entry that is not Type:name.
  static result<std::optional<authorizer>, std::string> from(const config::config_set& cfg);

  bool is_super_user(std::string_view principal) const;
  bool authorize(const acl_table& acls, const requester& who, acl_operation op, resource_type type,
                 std::string_view name) const;
  // Kafka's authorizeByResourceType (KIP-679): whether some resource of `type` allows `op`
  // (exactly, or by ALL) without a DENY covering it; for an idempotent producer's
  // InitProducerId, which needs WRITE on some topic.
  bool authorize_any(const acl_table& acls, const requester& who, acl_operation op,
                     resource_type type) const;

 private:
  authorizer_config _config;
};

// The client address of a connection's peer ("10.0.0.1:5000", "[::1]:5000").
std::string_view host_of_peer(std::string_view peer);

}  // namespace vltava::security
