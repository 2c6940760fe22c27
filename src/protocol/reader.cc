#include "protocol/reader.h"

#include "bytes/varint.h"

namespace vltava::protocol {

bool reader::read_fixed(uuid& out) {
  if (remaining() < out.bytes.size()) return error("unexpected end of data");
  std::memcpy(out.bytes.data(), _data.data() + _pos, out.bytes.size());
  _pos += out.bytes.size();
  return true;
}

bool reader::read_uvarint(uint32_t& out) {
  auto d = bytes::get_uvarint32(_data.subspan(_pos));
  if (!d) return error("bad or truncated unsigned varint");
  _pos += d->size;
  out = d->value;
  return true;
}

bool reader::read_uvarint64(uint64_t& out) {
  auto d = bytes::get_uvarint(_data.subspan(_pos), bytes::varint64_max_bytes);
  if (!d) return error("bad or truncated unsigned varint");
  _pos += d->size;
  out = d->value;
  return true;
}

bool reader::read_varint(int32_t& out) {
  auto d = bytes::get_varint32(_data.subspan(_pos));
  if (!d) return error("bad or truncated varint");
  _pos += d->size;
  out = d->value;
  return true;
}

bool reader::read_varlong(int64_t& out) {
  auto d = bytes::get_varint64(_data.subspan(_pos));
  if (!d) return error("bad or truncated varlong");
  _pos += d->size;
  out = d->value;
  return true;
}

bool reader::read_length(bool compact, bool wide, bool nullable, int64_t& len) {
  if (compact) {
    uint32_t n;
    if (!read_uvarint(n)) return false;
    len = static_cast<int64_t>(n) - 1;
  } else if (wide) {
    int32_t n;
    if (!read_be(n)) return false;
    len = n;
  } else {
    int16_t n;
    if (!read_be(n)) return false;
    len = n;
  }
  if (len < -1) return error("negative length");
  if (len == -1 && !nullable) return error("null where the field is not nullable");
  if (len > static_cast<int64_t>(remaining())) return error("length past the end of the data");
  return true;
}

bool reader::read_string(std::string& out, bool compact) {
  int64_t len;
  if (!read_length(compact, false, false, len)) return false;
  out.assign(reinterpret_cast<const char*>(_data.data() + _pos), static_cast<size_t>(len));
  _pos += static_cast<size_t>(len);
  return true;
}

bool reader::read_nullable_string(std::optional<std::string>& out, bool compact, bool nullable) {
  int64_t len;
  if (!read_length(compact, false, nullable, len)) return false;
  if (len < 0) {
    out.reset();
    return true;
  }
  out.emplace(reinterpret_cast<const char*>(_data.data() + _pos), static_cast<size_t>(len));
  _pos += static_cast<size_t>(len);
  return true;
}

bool reader::read_bytes(std::vector<std::byte>& out, bool compact) {
  int64_t len;
  if (!read_length(compact, true, false, len)) return false;
  out.assign(_data.begin() + static_cast<ptrdiff_t>(_pos),
             _data.begin() + static_cast<ptrdiff_t>(_pos + static_cast<size_t>(len)));
  _pos += static_cast<size_t>(len);
  return true;
}

bool reader::read_nullable_bytes(std::optional<std::vector<std::byte>>& out, bool compact,
                                 bool nullable) {
  int64_t len;
  if (!read_length(compact, true, nullable, len)) return false;
  if (len < 0) {
    out.reset();
    return true;
  }
  out.emplace(_data.begin() + static_cast<ptrdiff_t>(_pos),
              _data.begin() + static_cast<ptrdiff_t>(_pos + static_cast<size_t>(len)));
  _pos += static_cast<size_t>(len);
  return true;
}

bool reader::read_records(records_view& out, bool compact, bool nullable) {
  int64_t len;
  if (!read_length(compact, true, nullable, len)) return false;
  if (len < 0) {
    out = records_view{{}, true};
    return true;
  }
  out = records_view{_data.subspan(_pos, static_cast<size_t>(len)), false};
  _pos += static_cast<size_t>(len);
  return true;
}

bool reader::read_array_length(int32_t& out, bool compact, bool nullable,
                               size_t min_element_bytes) {
  int64_t n;
  if (compact) {
    uint32_t u;
    if (!read_uvarint(u)) return false;
    n = static_cast<int64_t>(u) - 1;
  } else {
    int32_t s;
    if (!read_be(s)) return false;
    n = s;
  }
  if (n < -1) return error("negative array length");
  if (n == -1) {
    if (!nullable) return error("null array where the field is not nullable");
    out = -1;
    return true;
  }
  const size_t each = min_element_bytes == 0 ? 1 : min_element_bytes;
  if (static_cast<uint64_t>(n) > remaining() / each) {
    return error("array length larger than the data left");
  }
  out = static_cast<int32_t>(n);
  return true;
}

bool reader::read_presence(bool& present) {
  int8_t b;
  if (!read_be(b)) return false;
  present = b >= 0;
  return true;
}

bool reader::read_tag_count(uint32_t& out) {
  if (!read_uvarint(out)) return false;
  // Each tagged field takes at least two bytes (tag and size).
  if (out > remaining() / 2) return error("tagged field count larger than the data left");
  return true;
}

bool reader::read_tagged_field(uint32_t& tag, std::span<const std::byte>& value) {
  uint32_t size;
  if (!read_uvarint(tag)) return false;
  if (!read_uvarint(size)) return false;
  return read_span(size, value);
}

bool reader::read_span(size_t n, std::span<const std::byte>& out) {
  if (n > remaining()) return error("length past the end of the data");
  out = _data.subspan(_pos, n);
  _pos += n;
  return true;
}

}  // namespace vltava::protocol
