#pragma once

// Big-endian (network order) loads and stores: every integer in Kafka's wire and log formats.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace vltava::bytes {

template <typename U>
constexpr U byteswap(U v) {
  static_assert(std::is_unsigned_v<U>);
  if constexpr (sizeof(U) == 1) return v;
  if constexpr (sizeof(U) == 2) return __builtin_bswap16(v);
  if constexpr (sizeof(U) == 4) return __builtin_bswap32(v);
  if constexpr (sizeof(U) == 8) return __builtin_bswap64(v);
}

template <typename T>
requires std::is_integral_v<T> T load_be(const std::byte* p) {
  using U = std::make_unsigned_t<T>;
  U v;
  std::memcpy(&v, p, sizeof(U));
  if constexpr (std::endian::native == std::endian::little) v = byteswap(v);
  return static_cast<T>(v);
}

template <typename T>
requires std::is_integral_v<T>
void store_be(std::byte* p, T value) {
  using U = std::make_unsigned_t<T>;
  U v = static_cast<U>(value);
  if constexpr (std::endian::native == std::endian::little) v = byteswap(v);
  std::memcpy(p, &v, sizeof(U));
}

}  // namespace vltava::bytes
