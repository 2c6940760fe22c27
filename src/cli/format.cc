#include "cli/format.h"

#include <fmt/format.h>

#include "cli/offset_spec.h"

namespace vltava::cli {

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    switch (text[++i]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        out += '\\';
        out += text[i];
    }
  }
  return out;
}

result<output_format, std::string> output_format::parse(std::string_view raw) {
  std::string text = unescape(raw);
  output_format f;
  std::string literal;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      literal += text[i];
      continue;
    }
    if (i + 1 == text.size()) return fail(std::string("format ends with a lone %"));
    char c = text[++i];
    if (c == '%') {
      literal += '%';
      continue;
    }
    if (std::string_view("tpoTkvhKS").find(c) == std::string_view::npos) {
      return fail(
          fmt::format("unknown format field %{} (fields: %t %p %o %T %k %v %h %K %S %%)", c));
    }
    if (!literal.empty()) f._pieces.push_back({0, std::move(literal)});
    literal.clear();
    f._pieces.push_back({c, {}});
  }
  if (!literal.empty()) f._pieces.push_back({0, std::move(literal)});
  return f;
}

void output_format::append(const message_view& m, std::string& out) const {
  for (const auto& p : _pieces) {
    switch (p.field) {
      case 0:
        out += p.literal;
        break;
      case 't':
        out += m.topic;
        break;
      case 'p':
        fmt::format_to(std::back_inserter(out), "{}", m.partition);
        break;
      case 'o':
        fmt::format_to(std::back_inserter(out), "{}", m.offset);
        break;
      case 'T':
        fmt::format_to(std::back_inserter(out), "{}", m.timestamp_ms);
        break;
      case 'k':
        if (m.key) out += *m.key;
        break;
      case 'v':
        if (m.value) out += *m.value;
        break;
      case 'K':
        fmt::format_to(std::back_inserter(out), "{}", m.key ? int64_t(m.key->size()) : -1);
        break;
      case 'S':
        fmt::format_to(std::back_inserter(out), "{}", m.value ? int64_t(m.value->size()) : -1);
        break;
      case 'h':
        for (size_t i = 0; i < m.headers.size(); ++i) {
          if (i) out += ',';
          out += m.headers[i].key;
          out += '=';
          if (m.headers[i].value) out += *m.headers[i].value;
        }
        break;
    }
  }
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8_length(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b == 0xe0 && b1 < 0xa0) return 0;   // overlong
  if (b == 0xed && b1 >= 0xa0) return 0;  // surrogates
  if (b == 0xf0 && b1 < 0x90) return 0;   // overlong
  if (b == 0xf4 && b1 >= 0x90) return 0;  // above U+10FFFF
  return n;
}

void append_optional(const std::optional<std::string_view>& s, std::string& out) {
  if (s) {
    append_json_string(*s, out);
  } else {
    out += "null";
  }
}

}  // namespace

void append_json_string(std::string_view s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (size_t n = utf8_length(s, i)) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    }
  }
  out += '"';
}

void append_json(const message_view& m, std::string& out) {
  out += "{\"topic\":";
  append_json_string(m.topic, out);
  fmt::format_to(std::back_inserter(out), ",\"partition\":{},\"offset\":{},\"timestamp\":{}",
                 m.partition, m.offset, m.timestamp_ms);
  out += ",\"key\":";
  append_optional(m.key, out);
  out += ",\"value\":";
  append_optional(m.value, out);
  out += ",\"headers\":[";
  for (size_t i = 0; i < m.headers.size(); ++i) {
    if (i) out += ',';
    out += "{\"key\":";
    append_json_string(m.headers[i].key, out);
    out += ",\"value\":";
    append_optional(m.headers[i].value, out);
    out += '}';
  }
  out += "]}";
}

result<std::pair<std::string, std::string>, std::string> parse_key_value(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return fail(fmt::format("'{}' is not key=value", text));
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

input_format input_format::key_separated(std::string_view separator) {
  input_format f;
  f._fields = {{'k', std::string(separator)}, {'v', {}}};
  return f;
}

result<input_format, std::string> input_format::parse(std::string_view raw) {
  std::string text = unescape(raw);
  // A trailing newline names the record separator, which is always a line here.
  if (!text.empty() && text.back() == '\n') text.pop_back();
  input_format f;
  std::string literal;
  bool seen_value = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      literal += text[i];
      continue;
    }
    if (i + 1 == text.size()) return fail(std::string("format ends with a lone %"));
    char c = text[++i];
    if (c == '%') {
      literal += '%';
      continue;
    }
    if (std::string_view("kvph").find(c) == std::string_view::npos) {
      return fail(fmt::format("unknown input field %{} (fields: %k %v %p %h %%)", c));
    }
    if (f._fields.empty()) {
      f._prefix = std::move(literal);
    } else if (literal.empty()) {
      return fail(std::string("two input fields need text between them"));
    } else {
      f._fields.back().second = std::move(literal);
    }
    literal.clear();
    for (const auto& [field, _] : f._fields) {
      if (field == c) return fail(fmt::format("input field %{} appears twice", c));
    }
    seen_value = seen_value || c == 'v';
    f._fields.push_back({c, {}});
  }
  if (!seen_value) return fail(std::string("an input format needs %v"));
  if (!literal.empty()) f._fields.back().second = std::move(literal);
  return f;
}

result<produce_record, std::string> input_format::split(std::string_view line) const {
  if (line.substr(0, _prefix.size()) != _prefix) {
    return fail(fmt::format("line does not start with '{}'", _prefix));
  }
  line.remove_prefix(_prefix.size());
  produce_record r;
  for (size_t i = 0; i < _fields.size(); ++i) {
    const auto& [field, after] = _fields[i];
    std::string_view part = line;
    bool last = i + 1 == _fields.size();
    if (!after.empty()) {
      auto at = last ? line.rfind(after) : line.find(after);
      if (at == std::string_view::npos || (last && at + after.size() != line.size())) {
        return fail(fmt::format("no '{}' after the %{} field", unescape(after), field));
      }
      part = line.substr(0, at);
      line.remove_prefix(at + after.size());
    } else {
      line = {};
    }
    switch (field) {
      case 'k':
        r.key = std::string(part);
        break;
      case 'v':
        r.value = std::string(part);
        break;
      case 'p': {
        auto p = parse_int64(part);
        if (!p || *p < 0 || *p > INT32_MAX) {
          return fail(fmt::format("partition '{}' is not a number", part));
        }
        r.partition = static_cast<int32_t>(*p);
        break;
      }
      case 'h': {
        while (!part.empty()) {
          auto comma = part.find(',');
          auto kv = parse_key_value(part.substr(0, comma));
          if (!kv) return fail(fmt::format("header {}", kv.error()));
          r.headers.push_back(std::move(kv.value()));
          part = comma == std::string_view::npos ? std::string_view{} : part.substr(comma + 1);
        }
        break;
      }
    }
  }
  return r;
}

}  // namespace vltava::cli
