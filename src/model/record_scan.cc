#include "model/record_scan.h"

#include "base/assert.h"
#include "bytes/varint.h"

namespace vltava::model {
namespace {

// A bounded cursor over one record body. Each read returns false on malformed input and leaves
// the error in `error`; the checks and their order are read_body's in record.cc.
struct body_cursor {
  const std::byte* p;
  const std::byte* end;
  record_error error = record_error::bad_varint;

  size_t remaining() const { return static_cast<size_t>(end - p); }

  // Zigzag varint of at most `max_bytes`. One- and two-byte values (the deltas and lengths of
  // records up to 8 KiB) skip the general decoder; neither can overflow either width.
  bool varint(size_t max_bytes, int64_t& v) {
    const size_t left = remaining();
    if (left >= 1 && static_cast<uint8_t>(p[0]) < 0x80) {
      v = bytes::zigzag_decode64(static_cast<uint64_t>(p[0]));
      p += 1;
      return true;
    }
    if (left >= 2 && static_cast<uint8_t>(p[1]) < 0x80) {
      v = bytes::zigzag_decode64((static_cast<uint64_t>(p[0]) & 0x7F) | static_cast<uint64_t>(p[1])
                                                                            << 7);
      p += 2;
      return true;
    }
    auto d = bytes::get_uvarint(std::span(p, end), max_bytes);
    if (!d) return fail(record_error::bad_varint);
    v = max_bytes == bytes::varint32_max_bytes
            ? bytes::zigzag_decode32(static_cast<uint32_t>(d->value))
            : bytes::zigzag_decode64(d->value);
    p += d->size;
    return true;
  }
  bool varint32(int32_t& v) {
    int64_t wide = 0;
    if (!varint(bytes::varint32_max_bytes, wide)) return false;
    v = static_cast<int32_t>(wide);
    return true;
  }
  // Nullable bytes, skipped; `present` says whether they were non-null.
  bool skip_bytes(record_error too_negative, bool nullable, bool& present) {
    int32_t len = 0;
    if (!varint32(len)) return false;
    present = len != -1 || !nullable;
    if (len == -1 && nullable) return true;
    if (len < 0) return fail(too_negative);
    if (static_cast<size_t>(len) > remaining()) return fail(record_error::bad_record_length);
    p += len;
    return true;
  }
  bool fail(record_error e) {
    error = e;
    return false;
  }
};

// The smallest header: key length and value length (record.cc's min_header_size).
constexpr size_t min_header_size = 2;

bool scan_body(body_cursor& c, record_brief& out) {
  if (c.p == c.end) return c.fail(record_error::bad_record_length);  // attributes
  ++c.p;
  int64_t timestamp_delta = 0;
  if (!c.varint(bytes::varint64_max_bytes, timestamp_delta)) return false;
  if (!c.varint32(out.offset_delta)) return false;
  bool present = false;
  if (!c.skip_bytes(record_error::bad_key_length, true, out.has_key)) return false;
  if (!c.skip_bytes(record_error::bad_value_length, true, present)) return false;
  int32_t headers = 0;
  if (!c.varint32(headers)) return false;
  if (headers < 0 || static_cast<size_t>(headers) > c.remaining() / min_header_size) {
    return c.fail(record_error::bad_header_count);
  }
  for (int32_t i = 0; i < headers; ++i) {
    if (!c.skip_bytes(record_error::bad_header_key_length, false, present)) return false;
    if (!c.skip_bytes(record_error::bad_header_value_length, true, present)) return false;
  }
  // The declared length must be exactly what the fields use.
  if (c.p != c.end) return c.fail(record_error::bad_record_length);
  return true;
}

}  // namespace

record_scan::record_scan(bytes_view section, int32_t record_count)
    : _section(section), _count(record_count) {
  VLTAVA_ASSERT(record_count >= 0, "parse_header refuses negative record counts");
}

std::optional<record_brief> record_scan::next() {
  if (_error) return std::nullopt;
  if (_read == _count) {
    if (_pos != _section.size()) return failed(record_error::too_many_records);
    return std::nullopt;
  }
  if (_pos == _section.size()) return failed(record_error::too_few_records);
  body_cursor c{_section.data() + _pos, _section.data() + _section.size()};
  int32_t len = 0;
  if (!c.varint32(len)) return failed(record_error::bad_varint);
  if (len < 0) return failed(record_error::bad_record_length);
  if (static_cast<size_t>(len) > c.remaining()) return failed(record_error::truncated);
  body_cursor body{c.p, c.p + len};
  record_brief out;
  if (!scan_body(body, out)) return failed(body.error);
  _pos = static_cast<size_t>(body.end - _section.data());
  ++_read;
  return out;
}

}  // namespace vltava::model
