#pragma once
// A fixed-size log-linear latency histogram for `perf`: 128 sub-buckets per power of two, so a
// percentile is within 1% of the true value, with O(1) recording and no allocation after
// construction (a perf loop records millions of values).

#include <array>
#include <cstddef>
#include <cstdint>

namespace vltava::cli {

class latency_histogram {
 public:
  void record(uint64_t value);
  void merge(const latency_histogram& other);
  void reset() { *this = latency_histogram{}; }

  uint64_t count() const { return _count; }
  uint64_t min() const { return _count ? _min : 0; }
  uint64_t max() const { return _max; }
  double mean() const { return _count ? static_cast<double>(_sum) / _count : 0.0; }
  // The smallest recorded bucket value v with at least p% of the values <= v (p in [0, 100]);
  // never more than max().
  uint64_t percentile(double p) const;

  static constexpr int sub_bucket_bits = 7;
  static constexpr uint64_t sub_buckets = uint64_t{1} << sub_bucket_bits;
  static size_t bucket_of(uint64_t value);
  static uint64_t bucket_value(size_t bucket);  // the middle of the bucket's range

 private:
  std::array<uint64_t, 64 * sub_buckets> _counts{};
  uint64_t _count = 0;
  uint64_t _sum = 0;
  uint64_t _min = UINT64_MAX;
  uint64_t _max = 0;
};

}  // namespace vltava::cli
