#pragma once

// reader: bounded decoding of Kafka protocol primitives from one frame.
//
// Every read checks the bytes left first and never reads past the end. Lengths that a peer
// controls (strings, bytes, arrays, tagged fields) are checked against the bytes left before
// anything is allocated, so a frame of N bytes can never make the decoder allocate for more
// than N elements. A failed read returns false and leaves a message in the reader; generated
// code turns that into a decode_error naming the field (see fail()).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/wire.h"

namespace vltava::protocol {

class reader {
 public:
  // `base_offset` is the position of `data` inside the frame, for error messages only.
  explicit reader(std::span<const std::byte> data, size_t base_offset = 0)
      : _data(data), _base(base_offset) {}

  size_t remaining() const { return _data.size() - _pos; }
  bool empty() const { return _pos == _data.size(); }
  // Position in the frame (base_offset + bytes consumed).
  size_t position() const { return _base + _pos; }
  const char* message() const { return _message; }

  // Fixed-width big-endian integers, bool (one byte, non-zero is true), float64, uuid, and
  // strong types / enums over an integer (read as their wire integer).
  template <typename T>
  bool read_fixed(T& out) {
    using W = wire_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      uint8_t b;
      if (!read_be(b)) return false;
      out = b != 0;
      return true;
    } else if constexpr (std::is_same_v<T, double>) {
      uint64_t bits;
      if (!read_be(bits)) return false;
      out = std::bit_cast<double>(bits);
      return true;
    } else {
      W w;
      if (!read_be(w)) return false;
      out = from_wire<T>(w);
      return true;
    }
  }
  bool read_fixed(uuid& out);

  bool read_uvarint(uint32_t& out);
  bool read_uvarint64(uint64_t& out);
  bool read_varint(int32_t& out);
  bool read_varlong(int64_t& out);

  // Strings: int16 length (or unsigned varint length+1 when compact). Null (-1, or 0 when
  // compact) is accepted only when `nullable`.
  bool read_string(std::string& out, bool compact);
  bool read_nullable_string(std::optional<std::string>& out, bool compact, bool nullable);
  // Bytes: int32 length (or unsigned varint length+1 when compact).
  bool read_bytes(std::vector<std::byte>& out, bool compact);
  bool read_nullable_bytes(std::optional<std::vector<std::byte>>& out, bool compact, bool nullable);
  // Records: nullable bytes kept as a view into the frame.
  bool read_records(records_view& out, bool compact, bool nullable);

  // An array's element count: -1 when null (only if `nullable`). A count that needs more
  // than the bytes left (`min_element_bytes` each, at least 1) is rejected here, before the
  // caller allocates anything.
  bool read_array_length(int32_t& out, bool compact, bool nullable, size_t min_element_bytes);
  // A nullable struct's presence byte: negative means null.
  bool read_presence(bool& present);

  // Tagged-field section: the count (bounded by the bytes left), then per field its tag and
  // its value as a view (the caller decodes it with a reader of its own or keeps it raw).
  bool read_tag_count(uint32_t& out);
  bool read_tagged_field(uint32_t& tag, std::span<const std::byte>& value);

  // Takes `n` raw bytes as a view; false if fewer are left.
  bool read_span(size_t n, std::span<const std::byte>& out);

  // The error for a failed read of `field`, to return from a decode function.
  failure<decode_error> fail(const char* field) const {
    return failure<decode_error>{decode_error{field, _message, position()}};
  }
  // Fails `field` with a message of the caller's choosing.
  failure<decode_error> fail(const char* field, const char* message) {
    _message = message;
    return fail(field);
  }

 private:
  template <typename U>
  bool read_be(U& out) {
    if (remaining() < sizeof(U)) return error("unexpected end of data");
    std::make_unsigned_t<U> v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) {
      v = static_cast<std::make_unsigned_t<U>>((v << 8) | static_cast<uint8_t>(_data[_pos + i]));
    }
    _pos += sizeof(U);
    out = static_cast<U>(v);
    return true;
  }
  bool error(const char* message) {
    _message = message;
    return false;
  }
  // Reads a length prefix: int16/int32 or compact (uvarint n+1). Sets `null` for a null one.
  bool read_length(bool compact, bool wide, bool nullable, int64_t& len);

  std::span<const std::byte> _data;
  size_t _pos = 0;
  size_t _base = 0;
  const char* _message = "";
};

// Prefixes a nested error's field path: "topic_data[1]." + "partition_data[0].records".
inline failure<decode_error> nest(const decode_error& e, const char* field, size_t index) {
  decode_error out = e;
  out.field = std::string(field) + "[" + std::to_string(index) + "]." + e.field;
  return failure<decode_error>{std::move(out)};
}
inline failure<decode_error> nest(const decode_error& e, const char* field) {
  decode_error out = e;
  out.field = std::string(field) + "." + e.field;
  return failure<decode_error>{std::move(out)};
}

// Capacity to reserve for an array of `n` elements: small, so that memory grows with the
// elements actually decoded rather than with a count the peer chose.
inline size_t initial_capacity(int32_t n) {
  return n < 64 ? static_cast<size_t>(n) : 64;
}

}  // namespace vltava::protocol
