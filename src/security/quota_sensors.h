#pragma once

// One shard's byte-rate sensors for client quotas (Kafka's ClientQuotaManager sensors): one
// sampled rate per quota kind and quota owner (applied_quota's user and client id, Kafka's
// quota metric tags), recorded by Produce (request bytes) and Fetch (response bytes). Touched on
// its shard only: no lock.
//
// Per shard, per broker: each shard measures and throttles only the traffic of the connections
// it serves, against the whole quota. A client's connection lives on one shard (it moves to the
// shard owning the partitions it produces to or fetches from), so a client with one connection
// per broker, as every Kafka client has, is held to the quota exactly as Kafka's broker holds
// it. Clients sharing a quota (one user's many client ids, or one client with connections
// spread over shards) can get up to (shards x quota) from one broker, as Kafka's clients get the
// quota from every broker they talk to; quotas are per broker in Kafka too, not per cluster.

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "security/client_quota.h"
#include "security/quota_rate.h"

namespace vltava::security {

enum class quota_kind : int8_t { produce, fetch };

struct quota_window_config {
  int samples = 11;          // quota.window.num
  int64_t window_ms = 1000;  // quota.window.size.seconds, in ms
};

class quota_sensors {
 public:
  explicit quota_sensors(quota_window_config config);

  // Records `bytes` for the client `q` applies to; the throttle time in ms when its rate is now
  // above q.bound (Kafka's maybeRecordAndGetThrottleTimeMs), else 0.
  int64_t record(quota_kind kind, const applied_quota& q, double bytes, int64_t now_ms);
  // Takes back bytes recorded but not sent (a throttled Fetch is answered empty).
  void unrecord(quota_kind kind, const applied_quota& q, double bytes, int64_t now_ms);
  // The most bytes one response may carry under `q` (Kafka's getMaxValueInQuotaWindow):
  // bound x (samples - 1) x window in seconds.
  double max_value_in_window(const applied_quota& q) const;

  size_t size() const { return _sensors.size(); }
  // Sensors are kept while their clients are active; beyond this many, idle ones are dropped
  // (client ids are the client's to choose).
  static constexpr size_t sensors_max = 10'000;

 private:
  using sensor_key = std::tuple<quota_kind, std::string, std::string>;
  sampled_rate& sensor(quota_kind kind, const applied_quota& q, int64_t now_ms);
  void drop_idle(int64_t now_ms);

  quota_window_config _config;
  std::map<sensor_key, sampled_rate> _sensors;
};

}  // namespace vltava::security
