#include "protocol/writer.h"

#include <algorithm>
#include <limits>

#include "bytes/varint.h"

namespace vltava::protocol {
namespace {

// Makes room for a blob of `n` bytes (records, bytes fields) plus the small fields that usually
// follow it. Left to itself, the vector grows to exactly fit the blob, and the next two-byte
// field then moves the whole blob to a buffer twice as large: a second copy of the records.
// Growth stays geometric, so many blobs in one message cost amortized linear time.
void reserve_for_blob(std::vector<std::byte>& buf, size_t n) {
  constexpr size_t room_after_blob = 4096;
  if (n <= buf.capacity() - buf.size()) return;
  buf.reserve(std::max(2 * buf.capacity(), buf.size() + n + room_after_blob));
}

}  // namespace

void writer::write_uvarint(uint64_t v) {
  std::byte out[bytes::varint64_max_bytes];
  const size_t n = bytes::put_uvarint(out, v);
  _buf.insert(_buf.end(), out, out + n);
}

void writer::write_varint(int32_t v) {
  write_uvarint(bytes::zigzag_encode32(v));
}
void writer::write_varlong(int64_t v) {
  write_uvarint(bytes::zigzag_encode64(v));
}

void writer::write_length(size_t n, bool compact, bool wide) {
  if (compact) {
    VLTAVA_ASSERT(n < std::numeric_limits<uint32_t>::max(), "compact length too large");
    write_uvarint(n + 1);
  } else if (wide) {
    VLTAVA_ASSERT(n <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                  "bytes length too large");
    write_be(static_cast<int32_t>(n));
  } else {
    VLTAVA_ASSERT(n <= static_cast<size_t>(std::numeric_limits<int16_t>::max()),
                  "string length too large");
    write_be(static_cast<int16_t>(n));
  }
}

void writer::write_string(std::string_view s, bool compact) {
  write_length(s.size(), compact, false);
  write_raw(std::as_bytes(std::span(s.data(), s.size())));
}

void writer::write_nullable_string(const std::optional<std::string>& s, bool compact,
                                   bool nullable) {
  if (s) {
    write_string(*s, compact);
  } else if (nullable) {
    if (compact) {
      write_uvarint(0);
    } else {
      write_be(static_cast<int16_t>(-1));
    }
  } else {
    write_length(0, compact, false);
  }
}

void writer::write_bytes(std::span<const std::byte> b, bool compact) {
  write_length(b.size(), compact, true);
  reserve_for_blob(_buf, b.size());
  write_raw(b);
}

void writer::write_nullable_bytes(const std::optional<std::vector<std::byte>>& b, bool compact,
                                  bool nullable) {
  if (b) {
    write_bytes(*b, compact);
  } else {
    write_null_array(compact, nullable);
  }
}

void writer::write_records(const records_view& r, bool compact, bool nullable) {
  if (r.null) {
    write_null_array(compact, nullable);
  } else if (r.splice_id) {
    write_length(r.splice_length, compact, true);
    _splices.push_back({_buf.size(), *r.splice_id, r.splice_length});
  } else {
    write_bytes(r.data, compact);
  }
}

void writer::write_array_length(size_t n, bool compact) {
  write_length(n, compact, true);
}

void writer::write_null_array(bool compact, bool nullable) {
  if (!nullable) {
    write_length(0, compact, true);
  } else if (compact) {
    write_uvarint(0);
  } else {
    write_be(static_cast<int32_t>(-1));
  }
}

void writer::write_tagged_fields(std::vector<tagged_field> known,
                                 const std::vector<tagged_field>& unknown) {
  known.insert(known.end(), unknown.begin(), unknown.end());
  std::stable_sort(known.begin(), known.end(),
                   [](const tagged_field& a, const tagged_field& b) { return a.tag < b.tag; });
  write_tagged_fields(known);
}

void writer::write_tagged_fields(const std::vector<tagged_field>& fields) {
  write_uvarint(fields.size());
  for (const auto& f : fields) {
    write_uvarint(f.tag);
    write_uvarint(f.value.size());
    write_raw(f.value);
  }
}

void writer::patch_int32(size_t pos, int32_t v) {
  VLTAVA_ASSERT(pos + 4 <= _buf.size(), "patch past the end of the buffer");
  auto u = static_cast<uint32_t>(v);
  for (size_t i = 0; i < 4; ++i) {
    _buf[pos + 3 - i] = static_cast<std::byte>(u & 0xFF);
    u >>= 8;
  }
}

}  // namespace vltava::protocol
