#include "security/principal_mapper.h"

#include <cctype>

namespace vltava::security {
namespace {

std::string_view trim_front(std::string_view s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == ',')) {
    s.remove_prefix(1);
  }
  return s;
}

// Reads up to the next '/' not escaped as "\/"; the text without the escapes.
std::optional<std::string> read_part(std::string_view& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '/') {
      out += '/';
      ++i;
    } else if (s[i] == '/') {
      s.remove_prefix(i + 1);
      return out;
    } else {
      out += s[i];
    }
  }
  return std::nullopt;
}

}  // namespace

result<principal_mapper, std::string> principal_mapper::parse(std::string_view rules) {
  principal_mapper out;
  auto bad = [&](std::string_view why) {
    return fail("ssl.principal.mapping.rules '" + std::string(rules) + "': " + std::string(why));
  };
  for (std::string_view s = trim_front(rules); !s.empty(); s = trim_front(s)) {
    rule r;
    if (s.starts_with("DEFAULT")) {
      r.is_default = true;
      s.remove_prefix(7);
    } else if (s.starts_with("RULE:")) {
      s.remove_prefix(5);
      auto pattern = read_part(s);
      auto replacement = pattern ? read_part(s) : std::nullopt;
      if (!replacement) return bad("expected RULE:pattern/replacement/[LU]");
      try {
        r.pattern = std::regex(*pattern);
      } catch (const std::regex_error& e) {
        return bad("invalid pattern '" + *pattern + "': " + e.what());
      }
      r.replacement = *replacement;
      if (!s.empty() && (s.front() == 'L' || s.front() == 'U')) {
        r.to_case = s.front() == 'L' ? letter_case::lower : letter_case::upper;
        s.remove_prefix(1);
      }
    } else {
      return bad("expected DEFAULT or RULE:");
    }
    if (!s.empty() && s.front() != ',' && !std::isspace(static_cast<unsigned char>(s.front()))) {
      return bad("rules are separated by commas");
    }
    out._rules.push_back(std::move(r));
  }
  if (out._rules.empty()) return bad("no rule");
  return out;
}

std::optional<std::string> principal_mapper::map(const std::string& subject) const {
  for (const auto& r : _rules) {
    if (r.is_default) return subject;
    if (!std::regex_match(subject, r.pattern)) continue;
    std::string name = std::regex_replace(subject, r.pattern, r.replacement);
    if (r.to_case != letter_case::keep) {
      for (char& c : name) {
        auto u = static_cast<unsigned char>(c);
        c = static_cast<char>(r.to_case == letter_case::lower ? std::tolower(u) : std::toupper(u));
      }
    }
    return name;
  }
  return std::nullopt;
}

}  // namespace vltava::security
