#pragma once

// Configuration definitions and typed values, shared by broker configs (server.properties,
// --set, dynamic broker configs) and topic configs (CreateTopics, AlterConfigs). Names,
// defaults and bounds are Kafka's, so an operator's knowledge carries over.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace vltava::config {

enum class value_kind : uint8_t { boolean, int32, int64, float64, string, list };

struct config_def {
  std::string_view name;
  value_kind kind;
  // Text form of the default; nullopt means the value is null unless set.
  std::optional<std::string_view> default_value;
  int64_t min = std::numeric_limits<int64_t>::min();  // integer bounds, inclusive
  int64_t max = std::numeric_limits<int64_t>::max();
  double min_f = -std::numeric_limits<double>::infinity();  // float64 bounds, inclusive
  double max_f = std::numeric_limits<double>::infinity();
  std::span<const std::string_view> choices = {};  // allowed strings/list items; empty = any
  // A Kafka setting Vltava accepts but does not need (it says why); set values are ignored.
  std::string_view ignored_because = {};
  // One line for operators: DescribeConfigs' documentation, `vltava config get --docs`.
  std::string_view doc = {};
};

using config_value =
    std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<std::string>>;

// Parses `text` as a value of `def`, with Kafka's rules (trimmed, booleans case-insensitive,
// lists comma-separated), and checks bounds and choices. The error names the key.
result<config_value, std::string> parse_value(const config_def& def, std::string_view text);

// The text form of a value, as DescribeConfigs reports it (null → nullopt).
std::optional<std::string> to_text(const config_value& v);

// Where a value came from; the numbers are DescribeConfigs' ConfigSource codes.
enum class config_source : int8_t {
  dynamic_topic_config = 1,
  dynamic_broker_config = 2,
  static_broker_config = 4,
  default_config = 5,
};

template <typename T>
class key;  // key.h

// A set of values for a table of definitions, each starting at its default.
class config_set {
 public:
  explicit config_set(std::span<const config_def> defs);

  // Sets `name` from text; an unknown name or invalid value is an error and changes nothing.
  result<void, std::string> set(std::string_view name, std::string_view text, config_source source);
  // Back to the default.
  result<void, std::string> reset(std::string_view name);

  const config_def* find(std::string_view name) const;
  std::span<const config_def> defs() const { return _defs; }

  // By a typed key (key.h): the value in the key's C++ type; code reads configs this way.
  template <typename T>
  decltype(auto) get(const key<T>& k) const;

  // By a name known only at run time (a request's keys, a table walk, tests).
  bool is_null(std::string_view name) const;
  bool get_bool(std::string_view name) const;
  int64_t get_int(std::string_view name) const;
  double get_double(std::string_view name) const;
  const std::string& get_string(std::string_view name) const;
  const std::vector<std::string>& get_list(std::string_view name) const;
  const config_value& get(std::string_view name) const;
  config_source source(std::string_view name) const;
  template <typename T>
  config_source source(const key<T>& k) const {
    return source(k.name());
  }

  // Whether `def` is an entry of this set's table.
  bool owns(const config_def& def) const {
    std::less<const config_def*> before;  // defined across arrays, unlike `<`
    return !before(&def, _defs.data()) && before(&def, _defs.data() + _defs.size());
  }

 private:
  struct entry {
    config_value value;
    config_source source = config_source::default_config;
  };
  const entry& at(std::string_view name) const;

  std::span<const config_def> _defs;
  std::map<std::string, entry, std::less<>> _values;
};

// "unknown configuration 'x'", with the closest known name when one is near.
std::string unknown_key_message(std::span<const config_def> defs, std::string_view name);

}  // namespace vltava::config
