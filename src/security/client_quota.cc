#include "security/client_quota.h"

#include <arpa/inet.h>

#include <array>
#include <cmath>
#include <limits>
#include <set>

namespace vltava::security {
namespace {

enum class value_type : int8_t { whole_long, whole_int, fraction };

struct key_def {
  std::string_view key;
  value_type type;
};

// QuotaConfigs' keys per entity kind, with their ConfigDef types.
constexpr std::array<key_def, 4> client_keys = {{
    {producer_byte_rate, value_type::whole_long},
    {consumer_byte_rate, value_type::whole_long},
    {request_percentage, value_type::fraction},
    {controller_mutation_rate, value_type::fraction},
}};
constexpr std::array<key_def, 1> ip_keys = {{{connection_creation_rate, value_type::whole_int}}};

bool known_type(std::string_view t) {
  return t == quota_user || t == quota_client_id || t == quota_ip;
}

// An IP address literal, v4 or v6. Kafka also resolves host names here; the controller does no
// DNS lookups.
bool is_ip_address(const std::string& s) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, s.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, s.c_str(), buf.data()) == 1;
}

}  // namespace

entity_check check_quota_entity(const quota_entity_components& components) {
  if (components.empty()) return {std::nullopt, "Invalid empty client quota entity"};
  quota_entity entity;
  for (const auto& [type, name] : components) {
    if (entity.contains(type)) {
      return {std::nullopt, "Invalid client quota entity, duplicate entity entry " + type};
    }
    if (!known_type(type)) return {std::nullopt, "Unhandled client quota entity type: " + type};
    if (name && name->empty()) return {std::nullopt, "Empty " + type + " not supported"};
    entity.emplace(type, name);
  }
  const bool ip = entity.contains(quota_ip);
  if (ip && entity.size() > 1) {
    return {std::nullopt,
            "Invalid quota entity combination, IP entity should not be combined with User or "
            "ClientId"};
  }
  if (ip) {
    const auto& name = entity.begin()->second;
    if (name && !is_ip_address(*name)) {
      return {std::nullopt, *name + " is not a valid IP or resolvable host."};
    }
  }
  return {std::move(entity), {}};
}

std::optional<std::string> invalid_quota_value(const quota_entity& entity, std::string_view key,
                                               double value) {
  const bool ip = entity.contains(quota_ip);
  std::optional<value_type> type;
  for (const auto& k : client_keys) {
    if (!ip && k.key == key) type = k.type;
  }
  for (const auto& k : ip_keys) {
    if (ip && k.key == key) type = k.type;
  }
  if (!type) return "Invalid configuration key " + std::string(key);
  if (!(value > 0.0) || !std::isfinite(value)) {
    return "Quota " + std::string(key) + " must be greater than 0";
  }
  if (*type == value_type::fraction) return std::nullopt;
  const double most = *type == value_type::whole_int
                          ? static_cast<double>(std::numeric_limits<int32_t>::max())
                          : static_cast<double>(std::numeric_limits<int64_t>::max());
  if (value > most) {
    return "Proposed value for " + std::string(key) + " is too large for a" +
           (*type == value_type::whole_int ? "n INT." : " LONG.");
  }
  if (value - std::floor(value) > 1e-16) {
    return std::string(key) + " cannot be a fractional value.";
  }
  return std::nullopt;
}

namespace {

struct parsed_filter {
  std::map<std::string, std::optional<std::string>, std::less<>> exact;  // nullopt: default
  std::set<std::string, std::less<>> any;
};

std::optional<quota_error> parse_filter(const std::vector<quota_filter_component>& filter,
                                        parsed_filter& out) {
  auto invalid = [](std::string m) {
    return quota_error{quota_refusal::invalid_request, std::move(m)};
  };
  for (const auto& c : filter) {
    if (c.entity_type.empty()) return invalid("Invalid empty entity type.");
    if (out.exact.contains(c.entity_type) || out.any.contains(c.entity_type)) {
      return invalid("Entity type " + c.entity_type +
                     " cannot appear more than once in the filter.");
    }
    if (!known_type(c.entity_type)) {
      return quota_error{quota_refusal::unsupported_version,
                         "Unsupported entity type " + c.entity_type};
    }
    switch (c.match_type) {
      case 0:
        if (!c.match) {
          return invalid("Request specified MATCH_TYPE_EXACT, but set match string to null.");
        }
        out.exact.emplace(c.entity_type, c.match);
        break;
      case 1:
        if (c.match) {
          return invalid(
              "Request specified MATCH_TYPE_DEFAULT, but also specified a match "
              "string.");
        }
        out.exact.emplace(c.entity_type, std::nullopt);
        break;
      case 2:
        if (c.match) {
          return invalid(
              "Request specified MATCH_TYPE_SPECIFIED, but also specified a match "
              "string.");
        }
        out.any.emplace(c.entity_type);
        break;
      default:
        return quota_error{quota_refusal::unsupported_version,
                           "Unknown match type " + std::to_string(c.match_type)};
    }
  }
  auto names = [&](std::string_view t) { return out.exact.contains(t) || out.any.contains(t); };
  if (names(quota_ip) && (names(quota_user) || names(quota_client_id))) {
    return invalid(
        "Invalid entity filter component combination. IP filter component should "
        "not be used with user or clientId filter component.");
  }
  return std::nullopt;
}

bool matches(const quota_entity& entity, const parsed_filter& f, bool strict) {
  if (strict && entity.size() != f.exact.size() + f.any.size()) return false;
  for (const auto& [type, name] : f.exact) {
    auto it = entity.find(type);
    if (it == entity.end() || it->second != name) return false;
  }
  for (const auto& type : f.any) {
    if (!entity.contains(type)) return false;
  }
  return true;
}

}  // namespace

describe_outcome describe_quotas(const client_quota_map& quotas,
                                 const std::vector<quota_filter_component>& filter, bool strict) {
  describe_outcome out;
  parsed_filter f;
  if (auto e = parse_filter(filter, f)) {
    out.error = std::move(e);
    return out;
  }
  for (const auto& entry : quotas) {
    if (matches(entry.first, f, strict)) out.matches.push_back(&entry);
  }
  return out;
}

std::optional<applied_quota> resolve_quota(const client_quota_map& quotas, std::string_view key,
                                           std::string_view user, std::string_view client_id) {
  using name = std::optional<std::string>;
  const name u{std::string(user)};
  const name c{std::string(client_id)};
  const name dflt;
  struct level {
    std::optional<name> user;    // nullopt: the entity has no user
    std::optional<name> client;  // nullopt: the entity has no client-id
  };
  const std::array<level, 8> order = {{
      {u, c},
      {u, dflt},
      {u, std::nullopt},
      {dflt, c},
      {dflt, dflt},
      {dflt, std::nullopt},
      {std::nullopt, c},
      {std::nullopt, dflt},
  }};
  for (const auto& l : order) {
    quota_entity e;
    if (l.user) e.emplace(std::string(quota_user), *l.user);
    if (l.client) e.emplace(std::string(quota_client_id), *l.client);
    auto it = quotas.find(e);
    if (it == quotas.end()) continue;
    auto v = it->second.find(key);
    if (v == it->second.end()) continue;
    return applied_quota{v->second, l.user ? std::string(user) : std::string(),
                         l.client ? std::string(client_id) : std::string()};
  }
  return std::nullopt;
}

}  // namespace vltava::security
