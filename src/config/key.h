#pragma once

// Typed config keys: a config is read through a key declared once against its table
// (broker_configs.h, topic_configs.h), so a misspelt name, a key of the other table's type or
// a wrong C++ type does not compile, and a struct takes its default from the table at compile
// time (`int64_t retention_ms = topic_keys::retention_ms.default_value();`) instead of
// repeating the literal.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "base/assert.h"
#include "config/config_def.h"

namespace vltava::config {

// The value kind a C++ type reads; a key whose default is null reads as std::optional of it.
template <typename T>
consteval value_kind kind_of() {
  if constexpr (std::is_same_v<T, bool>) return value_kind::boolean;
  if constexpr (std::is_same_v<T, int32_t>) return value_kind::int32;
  if constexpr (std::is_same_v<T, int64_t>) return value_kind::int64;
  if constexpr (std::is_same_v<T, double>) return value_kind::float64;
  if constexpr (std::is_same_v<T, std::string>) return value_kind::string;
  if constexpr (std::is_same_v<T, std::vector<std::string>>) return value_kind::list;
  throw "a key's type is bool, int32_t, int64_t, double, std::string or a list of strings";
}

template <typename T>
struct nullable {
  using value_type = T;
  static constexpr bool yes = false;
};
template <typename T>
struct nullable<std::optional<T>> {
  using value_type = T;
  static constexpr bool yes = true;
};

namespace detail {

// Compile-time reading of a table's default text. Failing one (a throw in a constant
// evaluation) is a compile error, which is the point: every key's default is checked.
consteval int64_t parse_int(std::string_view s) {
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty()) throw "an integer default has digits";
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') throw "an integer default has only digits";
    v = v * 10 + (c - '0');  // overflow is a compile error too
  }
  return negative ? -v : v;
}

// Decimals of at most 15 significant digits: the digits and the power of ten are exact
// doubles, so the one division is correctly rounded (what strtod gives).
consteval double parse_decimal(std::string_view s) {
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (whole.size() + fraction.size() > 15) throw "a float default has at most 15 digits";
  double scale = 1;
  for (size_t i = 0; i < fraction.size(); ++i) scale *= 10;
  int64_t digits =
      parse_int(whole) * static_cast<int64_t>(scale) + (fraction.empty() ? 0 : parse_int(fraction));
  return static_cast<double>(digits) / scale;
}

consteval bool list_contains(std::string_view list, std::string_view item) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    if (list.substr(0, comma) == item) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace detail

template <typename T>
class key {
 public:
  using value_type = typename nullable<T>::value_type;
  static constexpr bool is_nullable = nullable<T>::yes;

  // `name` must be in `defs`, of T's kind, and T optional exactly when the default is null.
  consteval key(std::span<const config_def> defs, std::string_view name) {
    for (const auto& d : defs) {
      if (d.name == name) _def = &d;
    }
    if (_def == nullptr) throw "a key names a config of its table";
    if (_def->kind != kind_of<value_type>()) throw "a key's type matches its config's kind";
    if (is_nullable != !_def->default_value) throw "a key is optional iff its default is null";
  }

  constexpr std::string_view name() const { return _def->name; }
  constexpr const config_def& def() const { return *_def; }

  // The table's default, at compile time.
  consteval value_type default_value() const
      requires(!is_nullable && (std::is_arithmetic_v<value_type>)) {
    std::string_view text = *_def->default_value;
    if constexpr (std::is_same_v<value_type, bool>) {
      return text == "true";
    } else if constexpr (std::is_same_v<value_type, double>) {
      return detail::parse_decimal(text);
    } else {
      return static_cast<value_type>(detail::parse_int(text));
    }
  }
  consteval std::string_view default_text() const requires(!is_nullable) {
    return *_def->default_value;
  }
  // Whether the default of a list config names `item` (cleanup.policy's "delete").
  consteval bool default_lists(std::string_view item) const
      requires(!is_nullable && std::is_same_v<value_type, std::vector<std::string>>) {
    return detail::list_contains(*_def->default_value, item);
  }

 private:
  const config_def* _def = nullptr;
};

template <typename T>
decltype(auto) config_set::get(const key<T>& k) const {
  using V = typename key<T>::value_type;
  VLTAVA_ASSERT(owns(k.def()), "a key reads the set of its own table");
  const config_value& v = get(k.name());
  if constexpr (key<T>::is_nullable) {
    if (std::holds_alternative<std::monostate>(v)) return std::optional<V>();
    if constexpr (std::is_same_v<V, int32_t>) {
      return std::optional<V>(static_cast<int32_t>(std::get<int64_t>(v)));
    } else {
      return std::optional<V>(std::get<V>(v));
    }
  } else if constexpr (std::is_same_v<V, int32_t>) {
    // The table's bounds keep an int32 config within int32_t.
    return static_cast<int32_t>(std::get<int64_t>(v));
  } else if constexpr (std::is_arithmetic_v<V>) {
    return V{std::get<V>(v)};
  } else {
    return static_cast<const V&>(std::get<V>(v));
  }
}

}  // namespace vltava::config
