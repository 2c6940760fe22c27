#pragma once

// `ssl.principal.mapping.rules`: from a client certificate's subject (RFC 2253, most specific
// attribute first: "CN=alice,OU=eng,O=acme") to the principal's name, as Kafka's
// SslPrincipalMapper does. Rules are tried in order; the first whose pattern matches the whole
// subject gives the name:
//   RULE:pattern/replacement/   the subject with pattern replaced ($1 for a group)
//   RULE:pattern/replacement/L  the same, lower-cased (U: upper-cased)
//   DEFAULT                     the whole subject
// A subject no rule matches has no principal (the connection is refused).

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vltava::security {

class principal_mapper {
 public:
  static result<principal_mapper, std::string> parse(std::string_view rules);

  std::optional<std::string> map(const std::string& subject) const;

 private:
  enum class letter_case : uint8_t { keep, lower, upper };
  struct rule {
    bool is_default = false;
    std::regex pattern;
    std::string replacement;
    letter_case to_case = letter_case::keep;
  };
  std::vector<rule> _rules;
};

}  // namespace vltava::security
