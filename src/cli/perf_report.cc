#include <fmt/format.h>

#include "cli/perf.h"

namespace vltava::cli {

namespace {

double ms(uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

// 1234567 -> "1,234,567" (progress lines are read by people).
std::string grouped(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string progress_line(double elapsed_s, uint64_t records, uint64_t bytes, double window_s,
                          const latency_histogram& lat) {
  double rate = window_s > 0 ? static_cast<double>(records) / window_s : 0;
  double mb = window_s > 0 ? static_cast<double>(bytes) / window_s / 1e6 : 0;
  std::string line = fmt::format("{:7.1f} s  {:>11} rec/s  {:8.2f} MB/s", elapsed_s,
                                 grouped(static_cast<uint64_t>(rate)), mb);
  if (lat.count()) {
    line += fmt::format("  p50 {:.2f} ms  p99 {:.2f} ms", ms(lat.percentile(50)),
                        ms(lat.percentile(99)));
  }
  return line;
}

std::string summary_text(const perf_totals& t) {
  double rate = t.seconds > 0 ? static_cast<double>(t.records) / t.seconds : 0;
  double mb = t.seconds > 0 ? static_cast<double>(t.bytes) / t.seconds / 1e6 : 0;
  std::string out = fmt::format(
      "{} records {} in {:.2f} s: {:.0f} records/s, {:.2f} MB/s{}\n", grouped(t.records),
      t.mode == std::string_view("produce") ? "produced" : "consumed", t.seconds, rate, mb,
      t.failed ? fmt::format(", {} failed", grouped(t.failed)) : "");
  if (t.latency_us && t.latency_us->count()) {
    const auto& h = *t.latency_us;
    out += fmt::format(
        "{} ms: avg {:.2f}  p50 {:.2f}  p95 {:.2f}  p99 {:.2f}  p99.9 {:.2f}  max {:.2f}\n",
        t.latency_name, h.mean() / 1000.0, ms(h.percentile(50)), ms(h.percentile(95)),
        ms(h.percentile(99)), ms(h.percentile(99.9)), ms(h.max()));
  }
  return out;
}

std::string summary_json(const perf_totals& t) {
  double rate = t.seconds > 0 ? static_cast<double>(t.records) / t.seconds : 0;
  double mb = t.seconds > 0 ? static_cast<double>(t.bytes) / t.seconds / 1e6 : 0;
  std::string out = fmt::format(
      "{{\"mode\":\"{}\",\"records\":{},\"bytes\":{},\"failed\":{},\"seconds\":{:.3f},"
      "\"records_per_sec\":{:.1f},\"mb_per_sec\":{:.3f}",
      t.mode, t.records, t.bytes, t.failed, t.seconds, rate, mb);
  if (t.latency_us && t.latency_us->count()) {
    const auto& h = *t.latency_us;
    out += fmt::format(
        ",\"{}_ms\":{{\"avg\":{:.3f},\"p50\":{:.3f},\"p95\":{:.3f},\"p99\":{:.3f},"
        "\"p99_9\":{:.3f},\"max\":{:.3f}}}",
        t.latency_name, h.mean() / 1000.0, ms(h.percentile(50)), ms(h.percentile(95)),
        ms(h.percentile(99)), ms(h.percentile(99.9)), ms(h.max()));
  }
  return out + "}\n";
}

}  // namespace vltava::cli
