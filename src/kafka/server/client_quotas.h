#pragma once

// The broker's client quota enforcement for Produce and Fetch (KIP-13, KIP-55, KIP-219): the
// quota that applies to a request's user and client id, from the node's metadata image
// (ClientQuotaRecords; KIP-55's precedence in security/client_quota.h), and the bytes recorded
// against it on the shard serving the request (security/quota_sensors.h, which says how
// per-shard accounting relates to the per-broker quota). A request over its quota is answered
// at once with throttle_time_ms, and its connection is then muted for that long (net/connection:
// the next request is not read); versions before KIP-219 (Produce < 6, Fetch < 8) are answered
// after the throttle time instead, as Kafka does.
//
// request_percentage, controller_mutation_rate and connection_creation_rate are stored and
// described but not enforced yet (security/README.md).

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "net/shard_pool.h"
#include "security/quota_sensors.h"

namespace vltava::kafka {

struct request_context;

class client_quotas {
 public:
  // One set of sensors per shard of `shards`; `shards` must outlive this.
  client_quotas(net::shard_pool& shards, security::quota_window_config config);
  client_quotas(const client_quotas&) = delete;
  client_quotas& operator=(const client_quotas&) = delete;

  // The byte-rate quota of `kind` for the request's principal and client id; nullopt when none
  // applies (then nothing is recorded).
  std::optional<security::applied_quota> applies(const request_context& ctx,
                                                 security::quota_kind kind) const;
  // Records `bytes` on the calling shard; the throttle time in ms (0 within the quota).
  int64_t record(security::quota_kind kind, const security::applied_quota& q, double bytes);
  void unrecord(security::quota_kind kind, const security::applied_quota& q, double bytes);
  double max_value_in_window(const security::applied_quota& q) const;

  // Whether a version of Produce/Fetch answers first and mutes after (KIP-219), or delays.
  static bool mutes_after_response(int16_t api_key, int16_t version);

 private:
  security::quota_sensors& here();

  net::shard_pool& _shards;
  security::quota_window_config _config;
  std::vector<std::unique_ptr<security::quota_sensors>> _per_shard;
};

}  // namespace vltava::kafka
