#include "base/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace vltava::log {
namespace {
std::atomic<level> min_level{level::info};

std::string_view name(level l) {
  switch (l) {
    case level::debug:
      return "DEBUG";
    case level::info:
      return "INFO";
    case level::warn:
      return "WARN";
    case level::error:
      return "ERROR";
  }
  return "?";
}
}  // namespace

void set_min_level(level l) {
  min_level.store(l, std::memory_order_relaxed);
}
bool enabled(level l) {
  return l >= min_level.load(std::memory_order_relaxed);
}

void write(level l, std::string_view module, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  // One fwrite per line so lines from different threads do not interleave.
  auto line = fmt::format("{}.{:03d}Z {} {}: {}\n", stamp, ms, name(l), module, message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace vltava::log
