// Codec throughput against this machine's memcpy, measured in the same run:
//  - decode + re-encode of a Produce request carrying 1 MiB of records (records stay views),
//  - decode of a Fetch response with 1,000 partitions (time per partition).
// Build optimized (bench/protocol/run.sh) and run; prints ratios, not absolute claims.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "protocol/generated/fetch.h"
#include "protocol/generated/produce.h"

namespace {

using namespace vltava::protocol;
using clock_type = std::chrono::steady_clock;

template <typename F>
double best_seconds(int rounds, F&& f) {
  double best = 1e9;
  for (int i = 0; i < rounds; ++i) {
    auto t0 = clock_type::now();
    f();
    best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
  }
  return best;
}

std::vector<std::byte> produce_frame(const std::vector<std::byte>& records, int16_t version) {
  produce_request req;
  req.acks = -1;
  req.timeout_ms = 30000;
  produce_request::topic_produce_data topic;
  topic.name = "bench";
  produce_request::topic_produce_data::partition_produce_data p;
  p.index = 0;
  p.records.data = records;
  topic.partition_data.push_back(p);
  req.topic_data.push_back(topic);
  writer w;
  req.encode(w, version);
  return std::move(w).take();
}

std::vector<std::byte> fetch_response_frame(int partitions, int16_t version) {
  static const std::vector<std::byte> records(512, std::byte{7});
  fetch_response resp;
  fetch_response::fetchable_topic_response topic;
  topic.topic = "bench";
  for (int i = 0; i < partitions; ++i) {
    fetch_response::fetchable_topic_response::partition_data p;
    p.partition_index = vltava::model::partition_id(i);
    p.high_watermark = vltava::model::offset(1000 + i);
    p.records.data = records;
    topic.partitions.push_back(p);
  }
  resp.responses.push_back(topic);
  writer w;
  resp.encode(w, version);
  return std::move(w).take();
}

}  // namespace

int main() {
  constexpr size_t mib = 1 << 20;
  constexpr int rounds = 200;
  std::vector<std::byte> records(mib, std::byte{0x42});
  const int16_t produce_version = 9;
  auto frame = produce_frame(records, produce_version);

  std::vector<std::byte> copy(frame.size());
  double memcpy_s = best_seconds(rounds, [&] {
    std::memcpy(copy.data(), frame.data(), frame.size());
    asm volatile("" : : "r"(copy.data()) : "memory");
  });
  size_t sink = 0;
  double codec_s = best_seconds(rounds, [&] {
    produce_request req;
    reader r(frame);
    if (!req.decode(r, produce_version)) std::abort();
    writer w;
    req.encode(w, produce_version);
    sink += w.size();
  });
  double gb = static_cast<double>(frame.size()) / 1e9;
  std::printf(
      "produce 1 MiB decode+encode: %.2f GB/s, memcpy %.2f GB/s, ratio %.2f (goal >= 0.50)\n",
      gb / codec_s, gb / memcpy_s, memcpy_s / codec_s);

  const int16_t fetch_version = 12;
  auto fetch = fetch_response_frame(1000, fetch_version);
  double fetch_s = best_seconds(50, [&] {
    fetch_response resp;
    reader r(fetch);
    if (!resp.decode(r, fetch_version)) std::abort();
    sink += resp.responses.size();
  });
  std::printf("fetch response, 1000 partitions: decode %.1f us total, %.0f ns per partition\n",
              fetch_s * 1e6, fetch_s * 1e9 / 1000);
  return sink == 0;
}
