#pragma once

// Kafka's client quota model (KIP-55, KIP-546): entities, keys, the checks AlterClientQuotas
// and DescribeClientQuotas make, and which quota applies to a client (KIP-55's precedence).
// Pure: the metadata image holds a client_quota_map (ClientQuotaRecords replayed), the
// controller validates alterations here, brokers resolve a client's quota here.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vltava::security {

// Entity types.
inline constexpr std::string_view quota_user = "user";
inline constexpr std::string_view quota_client_id = "client-id";
inline constexpr std::string_view quota_ip = "ip";

// Quota keys.
inline constexpr std::string_view producer_byte_rate = "producer_byte_rate";
inline constexpr std::string_view consumer_byte_rate = "consumer_byte_rate";
inline constexpr std::string_view request_percentage = "request_percentage";
inline constexpr std::string_view controller_mutation_rate = "controller_mutation_rate";
inline constexpr std::string_view connection_creation_rate = "connection_creation_rate";

// An entity: each of its types with a name, or nullopt for that type's default entity
// ({user: alice, client-id: <default>} is /config/users/alice/clients/<default>).
using quota_entity = std::map<std::string, std::optional<std::string>, std::less<>>;
using quota_values = std::map<std::string, double, std::less<>>;
// Every entity with at least one value (an entity whose last value is removed disappears, as
// in Kafka's ClientQuotasImage).
using client_quota_map = std::map<quota_entity, quota_values>;

// An entity as the wire sends it: (type, name) pairs, in the order given.
using quota_entity_components = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Why a request is refused, as Kafka answers it.
enum class quota_refusal : int8_t { invalid_request, unsupported_version };

struct quota_error {
  quota_refusal refusal = quota_refusal::invalid_request;
  std::string message;
};

// AlterClientQuotas' checks of one entry's entity (Kafka's ClientQuotaControlManager): not
// empty, known types, each type once, no empty name, ip never combined with user or client-id,
// an ip entity's name an IP address. On success, the entity.
struct entity_check {
  std::optional<quota_entity> entity;
  std::string error;  // INVALID_REQUEST's message when `entity` is empty
};
entity_check check_quota_entity(const quota_entity_components& components);

// AlterClientQuotas' check of a value to set: the key is one the entity's kind takes
// (user/client-id: producer_byte_rate, consumer_byte_rate, request_percentage,
// controller_mutation_rate; ip: connection_creation_rate), the value is positive, and whole
// for the integral keys (byte rates are longs, connection_creation_rate an int). nullopt when
// valid, else INVALID_REQUEST's message.
std::optional<std::string> invalid_quota_value(const quota_entity& entity, std::string_view key,
                                               double value);

// One DescribeClientQuotas filter component (match types 0 exact name, 1 default, 2 any).
struct quota_filter_component {
  std::string entity_type;
  int8_t match_type = 0;
  std::optional<std::string> match;
};

// DescribeClientQuotas (Kafka's ClientQuotasImage.describe): the entities of `quotas` the
// filter matches; strict: only entities with no other types than the filter's. A bad filter
// (unknown type or match type: UNSUPPORTED_VERSION; a type twice, a match string where none
// belongs or missing, ip with user/client-id: INVALID_REQUEST) is an error.
struct describe_outcome {
  std::optional<quota_error> error;
  std::vector<const client_quota_map::value_type*> matches;
};
describe_outcome describe_quotas(const client_quota_map& quotas,
                                 const std::vector<quota_filter_component>& filter, bool strict);

// The quota that applies to a client for one key, by KIP-55's precedence:
//   /users/<user>/clients/<client-id>, /users/<user>/clients/<default>, /users/<user>,
//   /users/<default>/clients/<client-id>, /users/<default>/clients/<default>, /users/<default>,
//   /clients/<client-id>, /clients/<default>
// and who shares it (Kafka's quota metric tags): a quota found at a default entity still
// applies to each user / client-id on its own; one found at /users/<user> is shared by all of
// that user's client ids.
struct applied_quota {
  double bound = 0;
  std::string user;       // "" when the quota does not depend on the user
  std::string client_id;  // "" when it does not depend on the client id
};
std::optional<applied_quota> resolve_quota(const client_quota_map& quotas, std::string_view key,
                                           std::string_view user, std::string_view client_id);

}  // namespace vltava::security
