#pragma once

// writer: encodes Kafka protocol primitives by appending to a growable byte buffer.
//
// Encoding cannot fail on data that came from decode. For structs built by hand two cases are
// degraded rather than refused, and documented in src/protocol/README.md: a null value in a
// version where the field is not nullable is written as empty, and a field that does not exist
// in the version being written is skipped.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "protocol/wire.h"

namespace vltava::protocol {

class writer {
 public:
  writer() = default;

  template <typename T>
  void write_fixed(T v) {
    if constexpr (std::is_same_v<T, bool>) {
      write_be(static_cast<uint8_t>(v ? 1 : 0));
    } else if constexpr (std::is_same_v<T, double>) {
      write_be(std::bit_cast<uint64_t>(v));
    } else {
      write_be(to_wire(v));
    }
  }
  void write_fixed(const uuid& v) { write_raw(v.bytes); }

  void write_uvarint(uint64_t v);
  void write_varint(int32_t v);
  void write_varlong(int64_t v);

  void write_string(std::string_view s, bool compact);
  void write_nullable_string(const std::optional<std::string>& s, bool compact, bool nullable);
  void write_bytes(std::span<const std::byte> b, bool compact);
  void write_nullable_bytes(const std::optional<std::vector<std::byte>>& b, bool compact,
                            bool nullable);
  void write_records(const records_view& r, bool compact, bool nullable);
  void write_array_length(size_t n, bool compact);
  // A null array, or an empty one where null is not allowed in this version.
  void write_null_array(bool compact, bool nullable);
  void write_presence(bool present) { write_be(static_cast<int8_t>(present ? 1 : -1)); }

  // A tagged-field section: `known` (this code's fields, encoded by the caller) merged with
  // `unknown` (kept from decoding), in ascending tag order.
  void write_tagged_fields(std::vector<tagged_field> known,
                           const std::vector<tagged_field>& unknown);
  // The section of a struct without known tagged fields.
  void write_tagged_fields(const std::vector<tagged_field>& unknown);

  void write_raw(std::span<const std::byte> b) { _buf.insert(_buf.end(), b.begin(), b.end()); }

  // Overwrites 4 bytes at `pos` (a frame's size prefix, written as a placeholder first).
  void patch_int32(size_t pos, int32_t v);

  // Where records kept out of the buffer belong (see records_view::splice_id), in order.
  struct splice_point {
    size_t position;  // in buffer(): the spliced bytes go before the byte at this position
    uint32_t id;
    size_t length;
  };
  const std::vector<splice_point>& splices() const { return _splices; }

  size_t size() const { return _buf.size(); }
  const std::vector<std::byte>& buffer() const { return _buf; }
  std::vector<std::byte> take() && { return std::move(_buf); }

 private:
  template <typename U>
  void write_be(U v) {
    auto u = static_cast<std::make_unsigned_t<U>>(v);
    std::byte out[sizeof(U)];
    for (size_t i = 0; i < sizeof(U); ++i) {
      out[sizeof(U) - 1 - i] = static_cast<std::byte>(u & 0xFF);
      if constexpr (sizeof(U) > 1) u = static_cast<std::make_unsigned_t<U>>(u >> 8);
    }
    _buf.insert(_buf.end(), out, out + sizeof(U));
  }
  void write_length(size_t n, bool compact, bool wide);

  std::vector<std::byte> _buf;
  std::vector<splice_point> _splices;
};

}  // namespace vltava::protocol
