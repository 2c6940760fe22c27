#include "model/record.h"

#include <algorithm>

#include "base/assert.h"
#include "bytes/compression.h"
#include "bytes/endian.h"
#include "bytes/varint.h"

namespace vltava::model {
namespace {

using bytes::get_varint32;
using bytes::get_varint64;

// The smallest record: length, attributes, timestamp delta, offset delta, key length, value
// length and header count, one byte each.
constexpr size_t min_record_size = 7;
// The smallest header: key length and value length.
constexpr size_t min_header_size = 2;

static_assert(static_cast<int>(bytes::codec::zstd) == static_cast<int>(compression::zstd));
static_assert(static_cast<int>(bytes::codec::lz4) == static_cast<int>(compression::lz4));

// A cursor over one record's body: every read stays inside it.
class body_reader {
 public:
  explicit body_reader(bytes_view b) : _b(b) {}

  result<int32_t, record_error> varint32() {
    auto d = get_varint32(_b.subspan(_pos));
    if (!d) return fail(record_error::bad_varint);
    _pos += d->size;
    return d->value;
  }
  result<int64_t, record_error> varint64() {
    auto d = get_varint64(_b.subspan(_pos));
    if (!d) return fail(record_error::bad_varint);
    _pos += d->size;
    return d->value;
  }
  result<int8_t, record_error> int8() {
    if (_pos == _b.size()) return fail(record_error::bad_record_length);
    return static_cast<int8_t>(_b[_pos++]);
  }
  // Nullable bytes: varint length (-1 = null) then the bytes. `too_negative` is the error for
  // a length below -1; when `nullable` is false, -1 is that error too.
  result<std::optional<bytes_view>, record_error> nullable_bytes(record_error too_negative,
                                                                 bool nullable = true) {
    auto len = varint32();
    if (!len) return fail(len.error());
    if (*len == -1 && nullable) return std::optional<bytes_view>();
    if (*len < 0) return fail(too_negative);
    const auto n = static_cast<size_t>(*len);
    if (n > remaining()) return fail(record_error::bad_record_length);
    auto v = _b.subspan(_pos, n);
    _pos += n;
    return std::optional<bytes_view>(v);
  }
  size_t remaining() const { return _b.size() - _pos; }

 private:
  bytes_view _b;
  size_t _pos = 0;
};

result<std::vector<record_header>, record_error> read_headers(body_reader& r) {
  auto count = r.varint32();
  if (!count) return fail(count.error());
  // Bound the count by the bytes left before reserving anything for it.
  if (*count < 0 || static_cast<size_t>(*count) > r.remaining() / min_header_size) {
    return fail(record_error::bad_header_count);
  }
  std::vector<record_header> headers;
  headers.reserve(static_cast<size_t>(*count));
  for (int32_t i = 0; i < *count; ++i) {
    auto key = r.nullable_bytes(record_error::bad_header_key_length, false);
    if (!key) return fail(key.error());
    auto value = r.nullable_bytes(record_error::bad_header_value_length);
    if (!value) return fail(value.error());
    headers.push_back(record_header{**key, *value});
  }
  return headers;
}

// Reads the record body (everything after the length varint).
result<record, record_error> read_body(bytes_view body) {
  body_reader r(body);
  record rec;
  auto attributes = r.int8();
  if (!attributes) return fail(attributes.error());
  rec.attributes = *attributes;
  auto ts = r.varint64();
  if (!ts) return fail(ts.error());
  rec.timestamp_delta = *ts;
  auto od = r.varint32();
  if (!od) return fail(od.error());
  rec.offset_delta = *od;
  auto key = r.nullable_bytes(record_error::bad_key_length);
  if (!key) return fail(key.error());
  rec.key = *key;
  auto value = r.nullable_bytes(record_error::bad_value_length);
  if (!value) return fail(value.error());
  rec.value = *value;
  auto headers = read_headers(r);
  if (!headers) return fail(headers.error());
  rec.headers = std::move(*headers);
  // The declared length must be exactly what the fields use.
  if (r.remaining() != 0) return fail(record_error::bad_record_length);
  return rec;
}

void put_varint(std::vector<std::byte>& out, int64_t v) {
  std::byte buf[bytes::varint64_max_bytes];
  const size_t n = bytes::put_uvarint(buf, bytes::zigzag_encode64(v));
  out.insert(out.end(), buf, buf + n);
}

size_t varint_size(int64_t v) {
  return bytes::uvarint_size(bytes::zigzag_encode64(v));
}

size_t nullable_size(const std::optional<bytes_view>& b) {
  return b ? varint_size(static_cast<int64_t>(b->size())) + b->size() : varint_size(-1);
}

void put_nullable(std::vector<std::byte>& out, const std::optional<bytes_view>& b) {
  if (!b) {
    put_varint(out, -1);
    return;
  }
  put_varint(out, static_cast<int64_t>(b->size()));
  out.insert(out.end(), b->begin(), b->end());
}

size_t body_size(const record_fields& f) {
  size_t n = 1 + varint_size(f.timestamp_delta) + varint_size(f.offset_delta) +
             nullable_size(f.key) + nullable_size(f.value) +
             varint_size(static_cast<int64_t>(f.headers.size()));
  for (const auto& h : f.headers) n += nullable_size(h.key) + nullable_size(h.value);
  return n;
}

}  // namespace

std::string_view describe(record_error e) {
  switch (e) {
    case record_error::truncated:
      return "record runs past the end of the batch";
    case record_error::bad_varint:
      return "record has an overlong or truncated varint";
    case record_error::bad_record_length:
      return "record length disagrees with its fields";
    case record_error::bad_key_length:
      return "record key length is invalid";
    case record_error::bad_value_length:
      return "record value length is invalid";
    case record_error::bad_header_count:
      return "record header count is invalid";
    case record_error::bad_header_key_length:
      return "record header key length is invalid";
    case record_error::bad_header_value_length:
      return "record header value length is invalid";
    case record_error::too_few_records:
      return "batch holds fewer records than its count";
    case record_error::too_many_records:
      return "batch holds more bytes than its records";
    case record_error::bad_compressed_data:
      return "batch records do not decompress";
    case record_error::uncompressed_too_large:
      return "batch records decompress past the limit";
    case record_error::bad_control_record:
      return "control record is malformed";
  }
  return "unknown record error";
}

record_view::record_view(bytes_view section, int32_t record_count)
    : _section(section), _count(record_count) {
  VLTAVA_ASSERT(record_count >= 0, "parse_header refuses negative record counts");
}

result<std::optional<record>, record_error> record_view::next() {
  if (_error) return fail(*_error);
  auto failed = [this](record_error e) -> result<std::optional<record>, record_error> {
    _error = e;
    return fail(e);
  };
  if (_read == _count) {
    if (_pos != _section.size()) return failed(record_error::too_many_records);
    return std::optional<record>();
  }
  if (_pos == _section.size()) return failed(record_error::too_few_records);
  auto len = get_varint32(_section.subspan(_pos));
  if (!len) return failed(record_error::bad_varint);
  if (len->value < 0) return failed(record_error::bad_record_length);
  const size_t body_at = _pos + len->size;
  if (static_cast<size_t>(len->value) > _section.size() - body_at) {
    return failed(record_error::truncated);
  }
  auto rec = read_body(_section.subspan(body_at, static_cast<size_t>(len->value)));
  if (!rec) return failed(rec.error());
  rec->size_bytes = len->size + static_cast<size_t>(len->value);
  _pos = body_at + static_cast<size_t>(len->value);
  ++_read;
  return std::optional<record>(std::move(*rec));
}

result<std::vector<record>, record_error> read_records(bytes_view section, int32_t record_count) {
  std::vector<record> out;
  // A lying count must not reserve more than the bytes could hold.
  out.reserve(std::min(static_cast<size_t>(record_count), section.size() / min_record_size));
  record_view view(section, record_count);
  while (true) {
    auto r = view.next();
    if (!r) return fail(r.error());
    if (!*r) return out;
    out.push_back(std::move(**r));
  }
}

result<records_section, record_error> batch_records(bytes_view batch, const record_batch_header& h,
                                                    size_t max_uncompressed_bytes) {
  VLTAVA_ASSERT(batch.size() == h.size_bytes(), "batch_records needs exactly one whole batch");
  auto section = batch.subspan(batch_layout::header_size);
  if (h.compression() == compression::none) {
    if (section.size() > max_uncompressed_bytes) {
      return fail(record_error::uncompressed_too_large);
    }
    return records_section::borrowed(section);
  }
  // Kafka reads no records from an empty compressed batch (compaction leaves such batches).
  if (h.record_count == 0) return records_section::borrowed({});
  auto out = bytes::decompress(static_cast<bytes::codec>(h.compression()), section,
                               max_uncompressed_bytes);
  if (!out) {
    return fail(out.error() == bytes::compression_error::output_too_large
                    ? record_error::uncompressed_too_large
                    : record_error::bad_compressed_data);
  }
  return records_section::owned(std::move(*out));
}

timestamp_ms record_timestamp(const record_batch_header& h, const record& r) {
  if (h.timestamp_type() == timestamp_type::log_append_time) return h.max_timestamp;
  // Java's long arithmetic wraps; do the same without signed-overflow UB.
  return timestamp_ms(static_cast<int64_t>(static_cast<uint64_t>(h.first_timestamp()) +
                                           static_cast<uint64_t>(r.timestamp_delta)));
}

size_t encoded_record_size(const record_fields& f) {
  const size_t body = body_size(f);
  return varint_size(static_cast<int64_t>(body)) + body;
}

void append_record(std::vector<std::byte>& out, const record_fields& f) {
  const size_t body = body_size(f);
  VLTAVA_ASSERT(body <= INT32_MAX, "a record must fit an int32 length");
  const size_t start = out.size();
  out.reserve(start + varint_size(static_cast<int64_t>(body)) + body);
  put_varint(out, static_cast<int64_t>(body));
  out.push_back(std::byte{0});  // attributes
  put_varint(out, f.timestamp_delta);
  put_varint(out, f.offset_delta);
  put_nullable(out, f.key);
  put_nullable(out, f.value);
  put_varint(out, static_cast<int64_t>(f.headers.size()));
  for (const auto& h : f.headers) {
    put_nullable(out, h.key);
    put_nullable(out, h.value);
  }
  VLTAVA_ASSERT(out.size() - start == encoded_record_size(f), "record size computed wrongly");
}

result<control_key, record_error> parse_control_key(const record& r) {
  if (!r.key || r.key->size() < control_key_size) return fail(record_error::bad_control_record);
  control_key k;
  k.version = bytes::load_be<int16_t>(r.key->data());
  k.type = bytes::load_be<int16_t>(r.key->data() + 2);
  if (k.version < 0) return fail(record_error::bad_control_record);
  return k;
}

result<end_txn_marker, record_error> parse_end_txn_marker(const record& r) {
  if (!r.value || r.value->size() < end_txn_marker_size) {
    return fail(record_error::bad_control_record);
  }
  end_txn_marker m;
  m.version = bytes::load_be<int16_t>(r.value->data());
  m.coordinator_epoch = bytes::load_be<int32_t>(r.value->data() + 2);
  if (m.version < 0) return fail(record_error::bad_control_record);
  return m;
}

}  // namespace vltava::model
