#pragma once
// Output and input formats of `consume` and `produce`; pure, unit-tested in cli_test.cc.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace vltava::cli {

struct header_view {
  std::string_view key;
  std::optional<std::string_view> value;  // nullopt: a null header value
};

// One consumed record, as the formatters see it. Views point into librdkafka's message.
struct message_view {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;  // -1: the record has none
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::vector<header_view> headers;
};

// `consume -f FORMAT`: %t topic, %p partition, %o offset, %T timestamp (ms), %k key, %v value,
// %h headers (k=v,k=v), %K key length, %S value length (-1 for null), %% a percent sign;
// \n \t \r \\ escapes. Null keys and values print as nothing.
class output_format {
 public:
  static result<output_format, std::string> parse(std::string_view text);
  void append(const message_view& m, std::string& out) const;

 private:
  struct piece {
    char field = 0;  // 0: literal text
    std::string literal;
  };
  std::vector<piece> _pieces;
};

// `consume --json`: one object per line. Bytes that are not valid UTF-8 become \u00XX escapes
// (their Latin-1 reading) so the line always parses.
void append_json(const message_view& m, std::string& out);
void append_json_string(std::string_view s, std::string& out);

// One input line of `produce`, split by an input format.
struct produce_record {
  std::optional<std::string> key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<int32_t> partition;
};

// `produce -F FORMAT`: the fields %k key, %v value, %p partition and %h headers (k=v,k=v),
// separated by literal text, applied to each line without its newline. `-k SEP` is the same as
// "%k{SEP}%v". A field ends at the first occurrence of the literal that follows it; the last
// field takes the rest of the line.
class input_format {
 public:
  static result<input_format, std::string> parse(std::string_view text);
  static input_format key_separated(std::string_view separator);
  result<produce_record, std::string> split(std::string_view line) const;

 private:
  std::vector<std::pair<char, std::string>> _fields;  // field, literal that follows it
  std::string _prefix;                                // literal before the first field
};

// Parses k=v; the value may be empty, the key may not.
result<std::pair<std::string, std::string>, std::string> parse_key_value(std::string_view text);

// Expands \n \t \r \\ \0 in a separator or format given on the command line.
std::string unescape(std::string_view text);

}  // namespace vltava::cli
