#include "coord/group_key.h"

#include "base/assert.h"

namespace vltava::coord {
namespace {

constexpr uint32_t replacement = 0xFFFD;

// Decodes one code point at s[i], advancing i; malformed input yields U+FFFD for one byte.
uint32_t next_code_point(std::string_view s, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  size_t len = b0 >= 0xF0 && b0 < 0xF5 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
  if (len == 0 || b0 >= 0xF5 || i + len > s.size()) {
    ++i;
    return replacement;
  }
  uint32_t cp = b0 & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return replacement;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms and surrogates are malformed too.
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return replacement;
  }
  i += len;
  return cp;
}

}  // namespace

int32_t java_string_hashcode(std::string_view s) {
  uint32_t h = 0;  // unsigned: Java's int overflow wraps
  auto add = [&h](uint32_t unit) { h = h * 31 + unit; };
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_code_point(s, i);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
  }
  return static_cast<int32_t>(h);
}

model::partition_id partition_for_key(std::string_view key, int32_t partition_count) {
  VLTAVA_ASSERT(partition_count > 0, "a coordinator topic has partitions");
  int32_t h = java_string_hashcode(key);
  int32_t abs = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
  return model::partition_id(abs % partition_count);
}

}  // namespace vltava::coord
