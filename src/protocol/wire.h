#pragma once

// Value types shared by the protocol reader, writer and the generated message structs.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace vltava::protocol {

// A Kafka UUID (topic ids, member ids): 16 bytes, all zero by default ("no id").
struct uuid {
  std::array<std::byte, 16> bytes{};
  friend bool operator==(const uuid&, const uuid&) = default;
};

// A `records` field: the bytes of one or more record batches, decoded as a view into the
// frame (no copy). Lifetime rule: a decoded struct holding a records_view must not outlive
// the buffer it was decoded from. A struct built for encoding points wherever its builder
// keeps the batches, under the same rule. Empty and non-null by default.
struct records_view {
  std::span<const std::byte> data;
  bool null = false;
  // Encoding only, for zero-copy fetch responses: `splice_length` bytes that are not in memory
  // (file ranges). The writer writes their length prefix and records a splice point
  // (writer::splices()) instead of copying `data`; the sender inserts the bytes there.
  std::optional<uint32_t> splice_id;
  size_t splice_length = 0;

  // Equal when both are null, or both hold the same bytes (wherever they live).
  friend bool operator==(const records_view& a, const records_view& b) {
    if (a.null || b.null) return a.null == b.null;
    return std::ranges::equal(a.data, b.data);
  }
};

// A tagged field this code does not know (a newer peer's): kept with its raw value so it
// is encoded again unchanged.
struct tagged_field {
  uint32_t tag = 0;
  std::vector<std::byte> value;
  friend bool operator==(const tagged_field&, const tagged_field&) = default;
};

// Why a decode failed: the path of the field (`topic_data[1].partition_data[0].records`),
// what was wrong with it, and the byte offset in the frame where reading stopped.
struct decode_error {
  std::string field;
  const char* message = "";
  size_t offset = 0;

  std::string to_string() const {
    return field + ": " + message + " (at byte " + std::to_string(offset) + ")";
  }
};

// The wire integer behind a field's C++ type: the type itself for plain integers, the
// underlying type of an enum (protocol::error_code), value_type of a strong type (model::offset).
namespace detail {
template <typename T>
struct wire_of {
  using type = T;
};
template <typename T>
requires std::is_enum_v<T>
struct wire_of<T> {
  using type = std::underlying_type_t<T>;
};
template <typename T>
requires requires {
  typename T::value_type;
}
struct wire_of<T> {
  using type = typename T::value_type;
};
}  // namespace detail

template <typename T>
using wire_t = typename detail::wire_of<T>::type;

template <typename T>
constexpr wire_t<T> to_wire(T v) {
  if constexpr (std::is_enum_v<T>) {
    return static_cast<wire_t<T>>(v);
  } else if constexpr (requires { typename T::value_type; }) {
    return v.value();
  } else {
    return v;
  }
}

template <typename T>
constexpr T from_wire(wire_t<T> v) {
  if constexpr (std::is_arithmetic_v<T>) {
    return v;
  } else {
    return T(v);
  }
}

}  // namespace vltava::protocol
