#pragma once
// The numbers `vltava perf` reports, kept apart from librdkafka so the summary and progress
// formats are unit-tested (cli_test.cc).

#include <cstdint>
#include <string>

#include "cli/histogram.h"

namespace vltava::cli {

struct perf_totals {
  const char* mode = "produce";  // or "consume"
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t failed = 0;
  double seconds = 0;
  const latency_histogram* latency_us = nullptr;  // may be empty
  const char* latency_name = "latency";
};

// One progress line: "  3.0 s   95,120 rec/s   9.07 MB/s   p50 1.20 ms   p99 4.51 ms".
std::string progress_line(double elapsed_s, uint64_t records, uint64_t bytes, double window_s,
                          const latency_histogram& window_latency_us);
std::string summary_text(const perf_totals& t);
std::string summary_json(const perf_totals& t);

}  // namespace vltava::cli
