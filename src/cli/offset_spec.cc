#include "cli/offset_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>

namespace vltava::cli {

std::optional<int64_t> parse_int64(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> take_digits(std::string_view s, size_t& pos, size_t digits) {
  if (pos + digits > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += digits;
  return v;
}

bool take_char(std::string_view s, size_t& pos, std::string_view allowed) {
  if (pos < s.size() && allowed.find(s[pos]) != std::string_view::npos) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

result<int64_t, std::string> parse_datetime_ms(std::string_view text) {
  auto bad = [&] {
    return fail(fmt::format("'{}' is not a datetime like 2024-10-01T12:00:00Z", text));
  };
  size_t pos = 0;
  std::tm tm{};
  auto year = take_digits(text, pos, 4);
  if (!year || !take_char(text, pos, "-")) return bad();
  auto month = take_digits(text, pos, 2);
  if (!month || !take_char(text, pos, "-")) return bad();
  auto day = take_digits(text, pos, 2);
  if (!day) return bad();
  int hour = 0, minute = 0, second = 0, millis = 0, offset_min = 0;
  if (pos < text.size()) {
    if (!take_char(text, pos, "T ")) return bad();
    auto h = take_digits(text, pos, 2);
    if (!h || !take_char(text, pos, ":")) return bad();
    auto m = take_digits(text, pos, 2);
    if (!m) return bad();
    hour = *h;
    minute = *m;
    if (take_char(text, pos, ":")) {
      auto s = take_digits(text, pos, 2);
      if (!s) return bad();
      second = *s;
      if (take_char(text, pos, ".")) {
        auto ms = take_digits(text, pos, 3);
        if (!ms) return bad();
        millis = *ms;
      }
    }
    if (take_char(text, pos, "Z")) {
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      auto oh = take_digits(text, pos, 2);
      if (!oh || !take_char(text, pos, ":")) return bad();
      auto om = take_digits(text, pos, 2);
      if (!om) return bad();
      offset_min = sign * (*oh * 60 + *om);
    }
  }
  if (pos != text.size()) return bad();
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return bad();
  }
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  time_t t = timegm(&tm);
  return static_cast<int64_t>(t) * 1000 + millis - int64_t{offset_min} * 60 * 1000;
}

result<start_spec, std::string> parse_start_spec(std::string_view text) {
  using k = start_spec::kind;
  if (text == "beginning" || text == "earliest" || text == "start") return start_spec{k::beginning};
  if (text == "end" || text == "latest") return start_spec{k::end};
  if (text == "stored" || text == "committed") return start_spec{k::stored};
  if (!text.empty() && text.front() == '@') {
    auto ms = parse_int64(text.substr(1));
    if (!ms || *ms < 0) return fail(fmt::format("'{}': @ takes milliseconds since 1970", text));
    return start_spec{k::timestamp, *ms};
  }
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    auto n = parse_int64(text.substr(1));
    if (!n || *n < 0 || text.size() < 2 || text[1] == '+' || text[1] == '-') {
      return fail(fmt::format("'{}': -N and +N take a count of records", text));
    }
    return start_spec{text.front() == '-' ? k::from_end : k::from_beginning, *n};
  }
  if (auto n = parse_int64(text)) return start_spec{k::offset, *n};
  if (text.find('-') != std::string_view::npos) {
    auto ms = parse_datetime_ms(text);
    if (!ms) return fail(ms.error());
    return start_spec{k::timestamp, *ms};
  }
  return fail(fmt::format(
      "'{}' is not a start position: use beginning, end, stored, an offset, -N, +N, @MS or a "
      "datetime like 2024-10-01T12:00:00Z",
      text));
}

int64_t reset_target(const reset_spec& spec, const partition_offsets& p) {
  int64_t target = 0;
  switch (spec.what) {
    case reset_spec::kind::earliest:
      target = p.low;
      break;
    case reset_spec::kind::latest:
      target = p.high;
      break;
    case reset_spec::kind::offset:
      target = spec.value;
      break;
    case reset_spec::kind::datetime:
      target = p.offset_for_time < 0 ? p.high : p.offset_for_time;
      break;
    case reset_spec::kind::shift_by: {
      // With nothing committed yet, a shift counts from the start, as Kafka's tool does.
      int64_t base = p.committed.value_or(p.low);
      if (__builtin_add_overflow(base, spec.value, &target)) {
        target = spec.value < 0 ? p.low : p.high;
      }
      break;
    }
  }
  return std::clamp(target, p.low, std::max(p.low, p.high));
}

}  // namespace vltava::cli
