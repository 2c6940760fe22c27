#include "config/config_def.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "base/assert.h"

namespace vltava::config {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string quote(std::string_view s) {
  return "'" + std::string(s) + "'";
}

bool allowed(const config_def& def, std::string_view item) {
  return def.choices.empty() ||
         std::find(def.choices.begin(), def.choices.end(), item) != def.choices.end();
}

std::string choices_text(const config_def& def) {
  std::string out;
  for (auto c : def.choices) out += (out.empty() ? "" : ", ") + std::string(c);
  return out;
}

result<config_value, std::string> parse_integer(const config_def& def, std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return fail("invalid value " + quote(s) + " for " + quote(def.name) + ": not an integer");
  }
  int64_t lo = def.min;
  int64_t hi = def.max;
  if (def.kind == value_kind::int32) {
    lo = std::max<int64_t>(lo, std::numeric_limits<int32_t>::min());
    hi = std::min<int64_t>(hi, std::numeric_limits<int32_t>::max());
  }
  if (v < lo || v > hi) {
    return fail("invalid value " + quote(s) + " for " + quote(def.name) + ": must be between " +
                std::to_string(lo) + " and " + std::to_string(hi));
  }
  return config_value(v);
}

result<config_value, std::string> parse_double(const config_def& def, std::string_view s) {
  std::string text(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(v)) {
    return fail("invalid value " + quote(s) + " for " + quote(def.name) + ": not a number");
  }
  if (v < def.min_f || v > def.max_f) {
    return fail("invalid value " + quote(s) + " for " + quote(def.name) + ": out of range");
  }
  return config_value(v);
}

}  // namespace

result<config_value, std::string> parse_value(const config_def& def, std::string_view text) {
  std::string_view s = trim(text);
  switch (def.kind) {
    case value_kind::boolean:
      if (iequals(s, "true")) return config_value(true);
      if (iequals(s, "false")) return config_value(false);
      return fail("invalid value " + quote(s) + " for " + quote(def.name) +
                  ": expected true or false");
    case value_kind::int32:
    case value_kind::int64:
      return parse_integer(def, s);
    case value_kind::float64:
      return parse_double(def, s);
    case value_kind::string:
      if (!allowed(def, s)) {
        return fail("invalid value " + quote(s) + " for " + quote(def.name) + ": expected one of " +
                    choices_text(def));
      }
      return config_value(std::string(s));
    case value_kind::list: {
      std::vector<std::string> items;
      while (!s.empty()) {
        size_t comma = s.find(',');
        std::string_view item = trim(s.substr(0, comma));
        if (!item.empty()) {
          if (!allowed(def, item)) {
            return fail("invalid value " + quote(item) + " in " + quote(def.name) +
                        ": expected items of " + choices_text(def));
          }
          items.emplace_back(item);
        }
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
      }
      return config_value(std::move(items));
    }
  }
  VLTAVA_UNREACHABLE("value kind");
}

std::optional<std::string> to_text(const config_value& v) {
  struct visitor {
    std::optional<std::string> operator()(std::monostate) const { return std::nullopt; }
    std::optional<std::string> operator()(bool b) const { return b ? "true" : "false"; }
    std::optional<std::string> operator()(int64_t i) const { return std::to_string(i); }
    std::optional<std::string> operator()(double d) const {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
      return std::string(buf, end);
    }
    std::optional<std::string> operator()(const std::string& s) const { return s; }
    std::optional<std::string> operator()(const std::vector<std::string>& l) const {
      std::string out;
      for (const auto& item : l) out += (out.empty() ? "" : ",") + item;
      return out;
    }
  };
  return std::visit(visitor{}, v);
}

config_set::config_set(std::span<const config_def> defs) : _defs(defs) {
  for (const auto& def : defs) {
    VLTAVA_ASSERT(reset(def.name), "a default value must parse");
  }
}

const config_def* config_set::find(std::string_view name) const {
  auto it = std::find_if(_defs.begin(), _defs.end(), [&](auto& d) { return d.name == name; });
  return it == _defs.end() ? nullptr : &*it;
}

result<void, std::string> config_set::set(std::string_view name, std::string_view text,
                                          config_source source) {
  const config_def* def = find(name);
  if (def == nullptr) return fail(unknown_key_message(_defs, name));
  auto v = parse_value(*def, text);
  if (!v) return fail(v.error());
  _values[std::string(name)] = entry{std::move(*v), source};
  return {};
}

result<void, std::string> config_set::reset(std::string_view name) {
  const config_def* def = find(name);
  if (def == nullptr) return fail(unknown_key_message(_defs, name));
  config_value v;
  if (def->default_value) {
    auto parsed = parse_value(*def, *def->default_value);
    if (!parsed) return fail(parsed.error());
    v = std::move(*parsed);
  }
  _values[std::string(name)] = entry{std::move(v), config_source::default_config};
  return {};
}

const config_set::entry& config_set::at(std::string_view name) const {
  auto it = _values.find(name);
  VLTAVA_ASSERT(it != _values.end(), "config name is not defined");
  return it->second;
}

const config_value& config_set::get(std::string_view name) const {
  return at(name).value;
}
bool config_set::is_null(std::string_view name) const {
  return std::holds_alternative<std::monostate>(get(name));
}
bool config_set::get_bool(std::string_view name) const {
  return std::get<bool>(get(name));
}
int64_t config_set::get_int(std::string_view name) const {
  return std::get<int64_t>(get(name));
}
double config_set::get_double(std::string_view name) const {
  return std::get<double>(get(name));
}
const std::string& config_set::get_string(std::string_view name) const {
  return std::get<std::string>(get(name));
}
const std::vector<std::string>& config_set::get_list(std::string_view name) const {
  return std::get<std::vector<std::string>>(get(name));
}
config_source config_set::source(std::string_view name) const {
  return at(name).source;
}

namespace {
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}
}  // namespace

std::string unknown_key_message(std::span<const config_def> defs, std::string_view name) {
  std::string msg = "unknown configuration " + quote(name);
  std::string_view best;
  size_t best_distance = 4;  // suggest only near misses
  for (const auto& d : defs) {
    size_t dist = edit_distance(name, d.name);
    if (dist < best_distance) {
      best_distance = dist;
      best = d.name;
    }
  }
  if (!best.empty()) msg += " (did you mean " + quote(best) + "?)";
  return msg;
}

}  // namespace vltava::config
