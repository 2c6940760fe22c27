#include "base/test_sabotage.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "base/log.h"

namespace vltava::test_sabotage {
namespace {

[[maybe_unused]] std::string_view name_of(breakage b) {
  switch (b) {
    case breakage::skip_deduplication:
      return "skip-deduplication";
  }
  return "?";
}

#if VLTAVA_TEST_SABOTAGE
bool listed(std::string_view name) {
  const char* env = std::getenv("VLTAVA_SABOTAGE");
  std::string_view list = env ? env : "";
  while (!list.empty()) {
    auto comma = list.find(',');
    if (list.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}
#endif

}  // namespace

bool on(breakage b) {
#if VLTAVA_TEST_SABOTAGE
  // Read once per switch: the environment does not change while the broker runs.
  static const bool skip_deduplication = listed(name_of(breakage::skip_deduplication));
  const bool active = b == breakage::skip_deduplication && skip_deduplication;
  if (active) {
    static const bool logged = [b] {
      log::error("sabotage",
                 "test sabotage '{}' is ON (VLTAVA_SABOTAGE): this broker breaks "
                 "its promises on purpose",
                 name_of(b));
      return true;
    }();
    (void)logged;
  }
  return active;
#else
  (void)b;
  return false;
#endif
}

std::chrono::milliseconds fsync_delay() {
#if VLTAVA_TEST_SABOTAGE
  static const std::string flag = [] {
    const char* env = std::getenv("VLTAVA_SLOW_FSYNC_FILE");
    return std::string(env ? env : "");
  }();
  if (flag.empty()) return std::chrono::milliseconds(0);
  std::ifstream in(flag);  // per call: the fault comes and goes while the broker runs
  long ms = 0;
  if (!(in >> ms) || ms < 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(std::min(ms, 60'000L));
#else
  return std::chrono::milliseconds(0);
#endif
}

}  // namespace vltava::test_sabotage
