#pragma once

// Java .properties files, the format Kafka operators already write: `key=value`, `key: value`
// or `key value`, `#`/`!` comments, backslash line continuation and escapes (\t \n \r \f \uXXXX).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace vltava::config {

struct property {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the entry starts, for error messages
};

struct parse_error {
  int line = 0;
  std::string message;
};

// Limits: a properties file is operator input, but still bounded.
inline constexpr size_t properties_max_bytes = 1 << 20;

result<std::vector<property>, parse_error> parse_properties(std::string_view text);

}  // namespace vltava::config
