#pragma once

// Varints of the Kafka protocol and RecordBatch v2: unsigned LEB128 ("unsigned varint") and the
// zigzag-encoded signed forms (varint = int32, varlong = int64). Decoding is bounded: at most
// 5 bytes for 32-bit and 10 for 64-bit values; more, or a truncated value, is an error.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace vltava::bytes {

inline constexpr size_t varint32_max_bytes = 5;
inline constexpr size_t varint64_max_bytes = 10;

template <typename T>
struct decoded {
  T value;
  size_t size;  // bytes consumed
};

constexpr uint32_t zigzag_encode32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
constexpr uint64_t zigzag_encode64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int32_t zigzag_decode32(uint32_t v) {
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}
constexpr int64_t zigzag_decode64(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

// Writes `v` to `out` (which must hold varint64_max_bytes) and returns the bytes written.
inline size_t put_uvarint(std::byte* out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<std::byte>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<std::byte>(v);
  return n;
}

inline size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads an unsigned varint of at most `max_bytes` bytes; nullopt if truncated or too long.
inline std::optional<decoded<uint64_t>> get_uvarint(std::span<const std::byte> in,
                                                    size_t max_bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < in.size() && i < max_bytes; ++i) {
    auto b = static_cast<uint8_t>(in[i]);
    v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      // The last byte of a maximal encoding may carry only the bits that fit.
      if (i == max_bytes - 1) {
        const unsigned used_bits = 7 * i;
        const unsigned width = max_bytes == varint32_max_bytes ? 32 : 64;
        if (b >> (width - used_bits) != 0) return std::nullopt;
      }
      return decoded<uint64_t>{v, i + 1};
    }
  }
  return std::nullopt;
}

inline std::optional<decoded<uint32_t>> get_uvarint32(std::span<const std::byte> in) {
  auto d = get_uvarint(in, varint32_max_bytes);
  if (!d) return std::nullopt;
  return decoded<uint32_t>{static_cast<uint32_t>(d->value), d->size};
}
inline std::optional<decoded<int32_t>> get_varint32(std::span<const std::byte> in) {
  auto d = get_uvarint32(in);
  if (!d) return std::nullopt;
  return decoded<int32_t>{zigzag_decode32(d->value), d->size};
}
inline std::optional<decoded<int64_t>> get_varint64(std::span<const std::byte> in) {
  auto d = get_uvarint(in, varint64_max_bytes);
  if (!d) return std::nullopt;
  return decoded<int64_t>{zigzag_decode64(d->value), d->size};
}

}  // namespace vltava::bytes
