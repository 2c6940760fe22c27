#include "security/jaas_config.h"

#include <cctype>
#include <optional>

namespace vltava::security {
namespace {

void skip_space(std::string_view& s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
}

std::string_view take_word(std::string_view& s) {
  skip_space(s);
  size_t n = 0;
  while (n < s.size() && !std::isspace(static_cast<unsigned char>(s[n])) && s[n] != '=' &&
         s[n] != ';') {
    ++n;
  }
  std::string_view out = s.substr(0, n);
  s.remove_prefix(n);
  return out;
}

std::optional<std::string> take_value(std::string_view& s) {
  skip_space(s);
  if (s.empty() || s.front() != '"') return std::string(take_word(s));
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      out += s[++i];
    } else if (s[i] == '"') {
      s.remove_prefix(i + 1);
      return out;
    } else {
      out += s[i];
    }
  }
  return std::nullopt;  // unterminated
}

}  // namespace

result<jaas_config, std::string> parse_jaas_config(std::string_view text) {
  auto bad = [](std::string_view why) { return fail("sasl.jaas.config: " + std::string(why)); };
  jaas_config out;
  std::string_view s = text;
  out.login_module = take_word(s);
  out.control_flag = take_word(s);
  if (out.login_module.empty() || out.control_flag.empty()) {
    return bad("expected '<LoginModule> required <options>;'");
  }
  while (true) {
    skip_space(s);
    if (s.empty()) return bad("missing the closing ';'");
    if (s.front() == ';') break;
    std::string name(take_word(s));
    skip_space(s);
    if (name.empty() || s.empty() || s.front() != '=') return bad("expected name=value");
    s.remove_prefix(1);
    auto value = take_value(s);
    if (!value) return bad("unterminated quoted value of " + name);
    out.options[name] = std::move(*value);
  }
  s.remove_prefix(1);
  skip_space(s);
  if (!s.empty()) return bad("one login module only");
  return out;
}

}  // namespace vltava::security
