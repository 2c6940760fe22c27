#include "kafka/server/client_quotas.h"

#include <chrono>

#include "base/assert.h"
#include "cluster/metadata_store.h"
#include "kafka/server/authorize.h"
#include "kafka/server/handler.h"
#include "net/shard_calls.h"
#include "protocol/generated/fetch.h"
#include "protocol/generated/produce.h"

namespace vltava::kafka {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string_view key_of(security::quota_kind kind) {
  return kind == security::quota_kind::produce ? security::producer_byte_rate
                                               : security::consumer_byte_rate;
}

// The user name of a principal ("User:alice" → "alice"), as Kafka's quota entities name users.
std::string_view user_of(std::string_view principal) {
  const auto colon = principal.find(':');
  return colon == std::string_view::npos ? principal : principal.substr(colon + 1);
}

}  // namespace

client_quotas::client_quotas(net::shard_pool& shards, security::quota_window_config config)
    : _shards(shards), _config(config) {
  for (unsigned i = 0; i < shards.size(); ++i) {
    _per_shard.push_back(std::make_unique<security::quota_sensors>(config));
  }
}

security::quota_sensors& client_quotas::here() {
  auto shard = net::current_shard(_shards);
  VLTAVA_ASSERT(shard.has_value(), "quotas are recorded on a shard");
  return *_per_shard[*shard];
}

std::optional<security::applied_quota> client_quotas::applies(const request_context& ctx,
                                                              security::quota_kind kind) const {
  cluster::image_ptr image = ctx.services.metadata.image();
  if (!image || image->client_quotas.empty()) return std::nullopt;
  return security::resolve_quota(image->client_quotas, key_of(kind), user_of(principal_of(ctx)),
                                 ctx.header.client_id.value_or(""));
}

int64_t client_quotas::record(security::quota_kind kind, const security::applied_quota& q,
                              double bytes) {
  return here().record(kind, q, bytes, now_ms());
}

void client_quotas::unrecord(security::quota_kind kind, const security::applied_quota& q,
                             double bytes) {
  here().unrecord(kind, q, bytes, now_ms());
}

double client_quotas::max_value_in_window(const security::applied_quota& q) const {
  return _per_shard.front()->max_value_in_window(q);
}

bool client_quotas::mutes_after_response(int16_t api_key, int16_t version) {
  if (api_key == protocol::produce_api::key) return version >= 6;
  if (api_key == protocol::fetch_api::key) return version >= 8;
  return true;
}

}  // namespace vltava::kafka
