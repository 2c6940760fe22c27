#include "cli/histogram.h"

#include <algorithm>
#include <cmath>

#include "base/assert.h"

namespace vltava::cli {

size_t latency_histogram::bucket_of(uint64_t value) {
  if (value < sub_buckets) return value;
  int msb = 63 - __builtin_clzll(value);
  int shift = msb - sub_bucket_bits;
  return static_cast<size_t>(shift + 1) * sub_buckets + ((value >> shift) & (sub_buckets - 1));
}

uint64_t latency_histogram::bucket_value(size_t bucket) {
  if (bucket < sub_buckets) return bucket;
  int shift = static_cast<int>(bucket / sub_buckets) - 1;
  uint64_t low = (sub_buckets + bucket % sub_buckets) << shift;
  return low + ((uint64_t{1} << shift) >> 1);
}

void latency_histogram::record(uint64_t value) {
  size_t b = bucket_of(value);
  VLTAVA_ASSERT(b < _counts.size(), "bucket out of range");
  ++_counts[b];
  ++_count;
  _sum += value;
  _min = std::min(_min, value);
  _max = std::max(_max, value);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (size_t i = 0; i < _counts.size(); ++i) _counts[i] += other._counts[i];
  _count += other._count;
  _sum += other._sum;
  _min = std::min(_min, other._min);
  _max = std::max(_max, other._max);
}

uint64_t latency_histogram::percentile(double p) const {
  if (_count == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(_count)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < _counts.size(); ++i) {
    seen += _counts[i];
    if (seen >= rank) return std::clamp(bucket_value(i), min(), _max);
  }
  return _max;
}

}  // namespace vltava::cli
