#include "security/quota_rate.h"

#include <algorithm>
#include <cmath>

#include "base/assert.h"

namespace vltava::security {

sampled_rate::sampled_rate(int samples, int64_t window_ms)
    : _samples_max(samples), _window_ms(window_ms) {
  VLTAVA_ASSERT(samples >= 1 && window_ms >= 1, "a rate needs a window of at least 1 ms");
  _samples.reserve(static_cast<size_t>(samples));
}

void sampled_rate::record(double value, int64_t now_ms) {
  _last_record_ms = now_ms;
  if (_samples.empty()) _samples.push_back({now_ms, 0});
  if (now_ms - _samples[_current].start_ms >= _window_ms) {
    _current = (_current + 1) % static_cast<size_t>(_samples_max);
    if (_current >= _samples.size()) {
      _samples.push_back({now_ms, 0});
    } else {
      _samples[_current] = {now_ms, 0};
    }
  }
  _samples[_current].total += value;
}

void sampled_rate::purge(int64_t now_ms) {
  const int64_t expire_ms = _window_ms * _samples_max;
  for (auto& s : _samples) {
    if (now_ms - s.start_ms >= expire_ms) s = {now_ms, 0};
  }
}

bool sampled_rate::active(int64_t now_ms) const {
  return !_samples.empty() && now_ms - _last_record_ms < _window_ms * _samples_max;
}

int64_t sampled_rate::measured_ms(int64_t now_ms) {
  purge(now_ms);
  int64_t oldest = now_ms;
  for (const auto& s : _samples) oldest = std::min(oldest, s.start_ms);
  int64_t elapsed = now_ms - oldest;
  const int64_t full = elapsed / _window_ms;
  const int64_t full_min = _samples_max - 1;
  if (full < full_min) elapsed += (full_min - full) * _window_ms;
  return std::max<int64_t>(elapsed, 1);  // one window only: never divide by zero
}

double sampled_rate::rate(int64_t now_ms) {
  const int64_t over_ms = measured_ms(now_ms);  // purges first
  double total = 0;
  for (const auto& s : _samples) total += s.total;
  return total * 1000.0 / static_cast<double>(over_ms);
}

int64_t throttle_time_ms(double observed, double bound, int64_t measured_ms) {
  if (!(observed > bound) || !(bound > 0)) return 0;
  return std::llround((observed - bound) / bound * static_cast<double>(measured_ms));
}

}  // namespace vltava::security
