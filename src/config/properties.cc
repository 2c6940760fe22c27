#include "config/properties.h"

#include <cctype>
#include <string>

namespace vltava::config {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\f';
}

// One logical line: physical lines joined where a line ends in an odd number of backslashes.
struct logical_line {
  std::string text;
  int first_line;
};

std::vector<logical_line> join_lines(std::string_view text) {
  std::vector<logical_line> out;
  std::string current;
  int line_no = 0;
  int start = 0;
  bool continuing = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    ++line_no;
    pos = end + 1;
    if (end < text.size() && text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;

    size_t i = 0;
    if (continuing) {
      while (i < raw.size() && is_blank(raw[i])) ++i;  // leading blanks of a continuation go
    } else {
      start = line_no;
      size_t j = 0;
      while (j < raw.size() && is_blank(raw[j])) ++j;
      if (j == raw.size() || raw[j] == '#' || raw[j] == '!') {
        if (end >= text.size()) break;
        continue;  // comment or blank line
      }
    }
    raw.remove_prefix(i);
    size_t backslashes = 0;
    while (backslashes < raw.size() && raw[raw.size() - 1 - backslashes] == '\\') ++backslashes;
    continuing = backslashes % 2 == 1;
    if (continuing) raw.remove_suffix(1);
    current.append(raw);
    if (!continuing) {
      out.push_back({std::move(current), start});
      current.clear();
    }
    if (end >= text.size()) break;
  }
  if (continuing) out.push_back({std::move(current), start});
  return out;
}

result<std::string, std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        if (i + 4 >= s.size()) return fail(std::string("malformed \\u escape"));
        unsigned code = 0;
        for (int k = 1; k <= 4; ++k) {
          char h = s[i + k];
          if (!std::isxdigit(static_cast<unsigned char>(h))) {
            return fail(std::string("malformed \\u escape"));
          }
          code = code * 16 + (std::isdigit(static_cast<unsigned char>(h))
                                  ? h - '0'
                                  : std::tolower(static_cast<unsigned char>(h)) - 'a' + 10);
        }
        i += 4;
        // UTF-8 encode the BMP code point.
        if (code < 0x80) {
          out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (code >> 6)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xE0 | (code >> 12)));
          out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
        break;
      }
      default:
        out.push_back(c);  // \\, \=, \:, \#, \! and any other escaped char
    }
  }
  return out;
}

}  // namespace

result<std::vector<property>, parse_error> parse_properties(std::string_view text) {
  if (text.size() > properties_max_bytes) {
    return fail(parse_error{0, "properties file is larger than 1 MiB"});
  }
  std::vector<property> out;
  for (auto& line : join_lines(text)) {
    std::string_view s = line.text;
    size_t i = 0;
    while (i < s.size() && is_blank(s[i])) ++i;
    size_t key_start = i;
    // The key ends at the first unescaped '=', ':' or blank.
    while (i < s.size() && s[i] != '=' && s[i] != ':' && !is_blank(s[i])) {
      if (s[i] == '\\') ++i;
      ++i;
    }
    size_t key_end = std::min(i, s.size());
    while (i < s.size() && is_blank(s[i])) ++i;
    if (i < s.size() && (s[i] == '=' || s[i] == ':')) ++i;
    while (i < s.size() && is_blank(s[i])) ++i;
    auto key = unescape(s.substr(key_start, key_end - key_start));
    auto value = unescape(i < s.size() ? s.substr(i) : std::string_view{});
    if (!key) return fail(parse_error{line.first_line, key.error()});
    if (!value) return fail(parse_error{line.first_line, value.error()});
    if (key->empty()) return fail(parse_error{line.first_line, "empty key"});
    out.push_back({std::move(*key), std::move(*value), line.first_line});
  }
  return out;
}

}  // namespace vltava::config
