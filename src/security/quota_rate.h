#pragma once

// Kafka's rate over sampled windows (a metrics Rate over a SampledStat), as its client quota
// managers measure byte rates: `samples` windows of `window_ms` (quota.window.num x
// quota.window.size.seconds, 11 x 1 s by default), and the throttle time that brings an
// observed rate back to its quota (KIP-13: X = (O - T) / T * W).
//
// Windows start at the first record after the previous one is complete (not on a clock grid),
// and a window older than samples x window_ms counts for nothing. The rate divides the total
// by the time since the oldest window started, but never by less than (samples - 1) windows,
// so a client's first burst is not measured over a few milliseconds.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vltava::security {

class sampled_rate {
 public:
  // samples >= 1, window_ms >= 1.
  sampled_rate(int samples, int64_t window_ms);

  void record(double value, int64_t now_ms);
  // The rate per second at `now_ms`.
  double rate(int64_t now_ms);
  // The time the rate is measured over at `now_ms`, in ms (Kafka's Rate.windowSize).
  int64_t measured_ms(int64_t now_ms);
  // Whether anything was recorded within samples x window_ms before `now_ms`.
  bool active(int64_t now_ms) const;

 private:
  struct sample {
    int64_t start_ms = 0;
    double total = 0;
  };
  void purge(int64_t now_ms);

  int _samples_max;
  int64_t _window_ms;
  std::vector<sample> _samples;  // a ring, grown up to _samples_max
  size_t _current = 0;
  int64_t _last_record_ms = 0;
};

// How long a client whose rate is `observed` (over `measured_ms`) must wait so that its rate
// over the stretched window falls to `bound`: (observed - bound) / bound * measured_ms,
// rounded; 0 within the bound.
int64_t throttle_time_ms(double observed, double bound, int64_t measured_ms);

}  // namespace vltava::security
