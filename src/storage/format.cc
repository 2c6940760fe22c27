#include "storage/format.h"

#include <cstdio>

namespace vltava::storage::format {

std::string segment_name(model::offset base) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(base()));
  return buf;
}

std::optional<model::offset> parse_segment_name(std::string_view name, std::string_view suffix) {
  if (name.size() != name_digits + suffix.size()) return std::nullopt;
  if (name.substr(name_digits) != suffix) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < name_digits; ++i) {
    char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    // 20 digits can exceed int64: refuse rather than wrap.
    if (v > (INT64_MAX - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return model::offset(v);
}

}  // namespace vltava::storage::format
