#include "security/authorizer.h"

#include <algorithm>

#include "config/broker_configs.h"

namespace vltava::security {
namespace {

bool principal_applies(const acl_binding& b, std::string_view principal) {
  return b.principal == principal || b.principal == wildcard_principal;
}

bool host_applies(const acl_binding& b, std::string_view host) {
  return b.host == wildcard_host || b.host == host;
}

bool implies_describe(acl_operation op) {
  switch (op) {
    case acl_operation::describe:
    case acl_operation::read:
    case acl_operation::write:
    case acl_operation::del:
    case acl_operation::alter:
      return true;
    default:
      return false;
  }
}

// StandardAuthorizer's findResult: whether one ACL that covers the resource allows, denies or
// says nothing about `op` for this requester.
enum class verdict : uint8_t { none, allow, deny };
verdict verdict_of(const acl_binding& b, const requester& who, acl_operation op) {
  if (!principal_applies(b, who.principal) || !host_applies(b, who.host)) return verdict::none;
  if (b.operation != acl_operation::all) {
    if (b.permission == acl_permission::allow) {
      if (op == acl_operation::describe) {
        if (!implies_describe(b.operation)) return verdict::none;
      } else if (op == acl_operation::describe_configs) {
        if (b.operation != acl_operation::describe_configs &&
            b.operation != acl_operation::alter_configs) {
          return verdict::none;
        }
      } else if (b.operation != op) {
        return verdict::none;
      }
    } else if (b.operation != op) {
      return verdict::none;
    }
  }
  return b.permission == acl_permission::allow ? verdict::allow : verdict::deny;
}

std::vector<std::string> split_super_users(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t semi = std::min(s.find(';', start), s.size());
    std::string_view item = s.substr(start, semi - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = semi + 1;
  }
  return out;
}

}  // namespace

authorizer::authorizer(authorizer_config config) : _config(std::move(config)) {}

result<std::optional<authorizer>, std::string> authorizer::from(const config::config_set& cfg) {
  const std::string cls = cfg.get(config::broker_keys::authorizer_class_name);
  if (cls.empty()) return std::optional<authorizer>{};
  if (cls != standard_authorizer_class) {
    return fail("authorizer.class.name " + cls + " is not supported (only " +
                std::string(standard_authorizer_class) + ")");
  }
  authorizer_config c;
  if (auto su = cfg.get(config::broker_keys::super_users)) c.super_users = split_super_users(*su);
  for (const auto& p : c.super_users) {
    auto colon = p.find(':');
    if (colon == std::string::npos || colon == 0) {
      return fail("super.users: '" + p + "' is not a principal (Type:name)");
    }
  }
  c.allow_everyone_if_no_acl_found = cfg.get(config::broker_keys::allow_everyone_if_no_acl_found);
  return std::optional<authorizer>(authorizer(std::move(c)));
}

bool authorizer::is_super_user(std::string_view principal) const {
  return std::find(_config.super_users.begin(), _config.super_users.end(), principal) !=
         _config.super_users.end();
}

bool authorizer::authorize(const acl_table& acls, const requester& who, acl_operation op,
                           resource_type type, std::string_view name) const {
  if (is_super_user(who.principal)) return true;
  bool any_acl = false;
  bool allowed = false;
  bool denied = false;
  acls.for_each_applicable(type, name, [&](const acl_binding& b) {
    any_acl = true;
    verdict v = verdict_of(b, who, op);
    if (v == verdict::deny) denied = true;
    if (v == verdict::allow) allowed = true;
    return !denied;  // a DENY decides
  });
  if (denied) return false;
  if (allowed) return true;
  return !any_acl && _config.allow_everyone_if_no_acl_found;
}

bool authorizer::authorize_any(const acl_table& acls, const requester& who, acl_operation op,
                               resource_type type) const {
  if (is_super_user(who.principal)) return true;
  auto covers = [&](const acl_binding& b) {
    return principal_applies(b, who.principal) && host_applies(b, who.host) &&
           (b.operation == op || b.operation == acl_operation::all);
  };
  // The DENYs that apply, by pattern: a LITERAL "*" denies every resource.
  std::vector<std::string> denied_literals;
  std::vector<std::string> denied_prefixes;
  bool any_acl = false;
  acls.for_each_of_type(type, [&](const acl_binding& b) {
    any_acl = true;
    if (b.permission != acl_permission::deny || !covers(b)) return true;
    (b.pattern == pattern_type::literal ? denied_literals : denied_prefixes).push_back(b.name);
    return true;
  });
  auto literal_denied = [&](std::string_view n) {
    return std::find(denied_literals.begin(), denied_literals.end(), n) != denied_literals.end();
  };
  if (literal_denied(wildcard_resource)) return false;
  auto prefix_denied = [&](std::string_view n) {
    return std::any_of(denied_prefixes.begin(), denied_prefixes.end(),
                       [n](const std::string& p) { return n.starts_with(p); });
  };
  bool allowed = false;
  acls.for_each_of_type(type, [&](const acl_binding& b) {
    if (b.permission != acl_permission::allow || !covers(b)) return true;
    if (b.pattern == pattern_type::literal) {
      allowed = b.name == wildcard_resource || (!literal_denied(b.name) && !prefix_denied(b.name));
    } else {
      allowed = !prefix_denied(b.name);
    }
    return !allowed;
  });
  if (allowed) return true;
  return !any_acl && _config.allow_everyone_if_no_acl_found;
}

std::string_view host_of_peer(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    auto close = peer.find(']');
    return close == std::string_view::npos ? peer.substr(1) : peer.substr(1, close - 1);
  }
  auto colon = peer.rfind(':');
  return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

}  // namespace vltava::security
