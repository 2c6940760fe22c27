#include "security/quota_sensors.h"

#include <limits>

namespace vltava::security {

quota_sensors::quota_sensors(quota_window_config config) : _config(config) {}

sampled_rate& quota_sensors::sensor(quota_kind kind, const applied_quota& q, int64_t now_ms) {
  sensor_key key{kind, q.user, q.client_id};
  auto it = _sensors.find(key);
  if (it != _sensors.end()) return it->second;
  if (_sensors.size() >= sensors_max) drop_idle(now_ms);
  return _sensors.try_emplace(std::move(key), _config.samples, _config.window_ms).first->second;
}

void quota_sensors::drop_idle(int64_t now_ms) {
  std::erase_if(_sensors, [now_ms](const auto& s) { return !s.second.active(now_ms); });
}

int64_t quota_sensors::record(quota_kind kind, const applied_quota& q, double bytes,
                              int64_t now_ms) {
  sampled_rate& r = sensor(kind, q, now_ms);
  r.record(bytes, now_ms);
  const double observed = r.rate(now_ms);
  if (!(observed > q.bound)) return 0;
  return throttle_time_ms(observed, q.bound, r.measured_ms(now_ms));
}

void quota_sensors::unrecord(quota_kind kind, const applied_quota& q, double bytes,
                             int64_t now_ms) {
  sensor(kind, q, now_ms).record(-bytes, now_ms);
}

double quota_sensors::max_value_in_window(const applied_quota& q) const {
  const double v =
      q.bound * (_config.samples - 1) * (static_cast<double>(_config.window_ms) / 1000);
  return std::min(v, std::numeric_limits<double>::max());
}

}  // namespace vltava::security
