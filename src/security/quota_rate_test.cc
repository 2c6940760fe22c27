#include "security/quota_rate.h"

#include <gtest/gtest.h>

#include "security/quota_sensors.h"

namespace vltava::security {
namespace {

TEST(sampled_rate, a_first_burst_is_measured_over_samples_minus_one_windows) {
  sampled_rate r(11, 1000);
  r.record(10'000, 0);
  EXPECT_EQ(r.measured_ms(0), 10'000);
  EXPECT_DOUBLE_EQ(r.rate(0), 1000.0);
  EXPECT_EQ(r.measured_ms(500), 10'500);  // less than 10 full windows: padded to 10
}

TEST(sampled_rate, steady_rate_is_measured_exactly) {
  sampled_rate r(11, 1000);
  // 1000 bytes every 100 ms for 30 s: 10 kB/s.
  for (int64_t t = 0; t <= 30'000; t += 100) r.record(1000, t);
  EXPECT_NEAR(r.rate(30'000), 10'000, 10'000 * 0.1);
}

TEST(sampled_rate, old_windows_expire) {
  sampled_rate r(11, 1000);
  r.record(1e6, 0);
  EXPECT_TRUE(r.active(5000));
  EXPECT_FALSE(r.active(11'000));
  EXPECT_DOUBLE_EQ(r.rate(11'000), 0.0);
  r.record(1000, 11'500);
  EXPECT_NEAR(r.rate(11'500), 1000 * 1000.0 / 10'500, 1e-9);  // the expired window restarted
}

TEST(throttle, kip13_formula) {
  // 2 MB/s observed against 1 MB/s over 10 s: waiting 10 s halves it.
  EXPECT_EQ(throttle_time_ms(2e6, 1e6, 10'000), 10'000);
  EXPECT_EQ(throttle_time_ms(1.1e6, 1e6, 10'000), 1000);
  EXPECT_EQ(throttle_time_ms(1e6, 1e6, 10'000), 0);
  EXPECT_EQ(throttle_time_ms(0.5e6, 1e6, 10'000), 0);
}

TEST(quota_sensors, throttles_above_the_bound_and_unrecords) {
  quota_sensors s({11, 1000});
  applied_quota q{1000, "alice", ""};
  EXPECT_EQ(s.record(quota_kind::produce, q, 5000, 0), 0);  // 500 B/s over 10 s
  // 15000 B over 10 s = 1500 B/s: (1500 - 1000) / 1000 * 10 s.
  EXPECT_EQ(s.record(quota_kind::produce, q, 10'000, 0), 5000);
  // Fetch has its own sensor.
  EXPECT_EQ(s.record(quota_kind::fetch, q, 10'000, 0), 0);
  s.unrecord(quota_kind::produce, q, 10'000, 0);
  EXPECT_EQ(s.record(quota_kind::produce, q, 1, 0), 0);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_DOUBLE_EQ(s.max_value_in_window(q), 10'000);
}

// A client sending as fast as it is let through, muted for each throttle time: Kafka's windows
// let it burst about quota x 10 s whenever its oldest sample expires, then hold it back, so over
// a minute it gets the quota and about a tenth more (what the interop test measures on the wire
// within one period).
TEST(quota_sensors, a_muted_client_stays_near_its_quota) {
  quota_sensors s({11, 1000});
  applied_quota q{1e6, "", "app"};
  int64_t now = 0;
  double sent = 0;
  double first_period = 0;
  while (now < 60'000) {
    sent += 100'000;
    if (now < 10'800) first_period += 100'000;
    now += 10 + s.record(quota_kind::produce, q, 100'000, now);  // 10 ms per request
  }
  const double rate = sent / (static_cast<double>(now) / 1000);
  EXPECT_GE(rate, 1e6);
  EXPECT_LE(rate, 1.15e6);
  EXPECT_NEAR(first_period / 10.8, 1e6, 0.15e6);
}

}  // namespace
}  // namespace vltava::security
