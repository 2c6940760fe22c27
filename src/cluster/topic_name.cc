#include "cluster/topic_name.h"

namespace vltava::cluster {
namespace {

bool legal_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::optional<std::string> invalid_topic_name(std::string_view name) {
  if (name.empty()) return "Topic name is illegal, it can't be empty";
  if (name == "." || name == "..") return "Topic name cannot be \".\" or \"..\"";
  if (name.size() > topic_name_max_chars) {
    return "Topic name is illegal, it can't be longer than " +
           std::to_string(topic_name_max_chars) +
           " characters, topic name: " + std::string(name.substr(0, 64)) + "...";
  }
  for (char c : name) {
    if (!legal_char(c)) {
      return "Topic name \"" + std::string(name) +
             "\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' "
             "and '-'";
    }
  }
  return std::nullopt;
}

bool topic_names_collide(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] == '.' ? '_' : a[i];
    char y = b[i] == '.' ? '_' : b[i];
    if (x != y) return false;
  }
  return true;
}

bool is_internal_topic_name(std::string_view name) {
  return name == "__consumer_offsets" || name == "__transaction_state";
}

}  // namespace vltava::cluster
