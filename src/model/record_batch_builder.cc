#include "model/record_batch_builder.h"

#include <algorithm>
#include <climits>

#include "base/assert.h"
#include "bytes/endian.h"

namespace vltava::model {
namespace {

int64_t wrapping_sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}

// Writes header + section into one buffer and seals it with the CRC.
std::vector<std::byte> assemble(record_batch_header h, std::span<const std::byte> section) {
  const size_t total = batch_layout::header_size + section.size();
  VLTAVA_ASSERT(total - batch_layout::log_overhead <= INT32_MAX, "a batch must fit int32");
  std::vector<std::byte> b(total);
  std::copy(section.begin(), section.end(), b.begin() + batch_layout::header_size);
  h.batch_length = static_cast<int32_t>(total - batch_layout::log_overhead);
  write_header(b, h);
  return b;
}

}  // namespace

void record_batch_builder::add(timestamp_ms ts, std::optional<bytes_view> key,
                               std::optional<bytes_view> value,
                               std::span<const record_header> headers) {
  add_at(_last_offset_delta + 1, ts, key, value, headers);
}

void record_batch_builder::add_at(int32_t offset_delta, timestamp_ms ts,
                                  std::optional<bytes_view> key, std::optional<bytes_view> value,
                                  std::span<const record_header> headers) {
  VLTAVA_ASSERT(offset_delta > _last_offset_delta, "offset deltas must increase");
  VLTAVA_ASSERT(_count < INT32_MAX, "record count must fit int32");
  if (_count == 0) {
    _first_timestamp = ts;
    _max_timestamp = ts;
  }
  _max_timestamp = std::max(_max_timestamp, ts);
  append_record(_records, record_fields{
                              .timestamp_delta = wrapping_sub(ts(), _first_timestamp()),
                              .offset_delta = offset_delta,
                              .key = key,
                              .value = value,
                              .headers = headers,
                          });
  _last_offset_delta = offset_delta;
  ++_count;
}

result<std::vector<std::byte>, bytes::compression_error> record_batch_builder::build() const {
  record_batch_header h;
  h.base_offset = _opts.base_offset;
  h.partition_leader_epoch = _opts.partition_leader_epoch;
  h.attributes = static_cast<int16_t>(_opts.codec);
  if (_opts.timestamps == timestamp_type::log_append_time) {
    h.attributes |= batch_attribute::timestamp_type;
  }
  if (_opts.transactional == is_transactional::yes) h.attributes |= batch_attribute::transactional;
  // An empty batch still needs a non-negative last offset delta to be valid.
  h.last_offset_delta = std::max(_last_offset_delta, 0);
  h.first_timestamp = _first_timestamp;
  h.max_timestamp = _max_timestamp;
  h.producer = _opts.producer;
  h.epoch = _opts.epoch;
  h.base_sequence = _opts.base_sequence;
  h.record_count = _count;
  if (_opts.codec == compression::none) return assemble(h, _records);
  auto z = bytes::compress(static_cast<bytes::codec>(_opts.codec), _records,
                           {.level = _opts.compression_level, .snappy = _opts.snappy});
  if (!z) return fail(z.error());
  return assemble(h, *z);
}

std::vector<std::byte> build_end_txn_marker(const end_txn_marker_batch& m) {
  VLTAVA_ASSERT(m.type == control_record_type::commit || m.type == control_record_type::abort,
                "a transaction marker commits or aborts");
  std::byte key[control_key_size];
  bytes::store_be<int16_t>(key, control_key_version);
  bytes::store_be<int16_t>(key + 2, static_cast<int16_t>(m.type));
  std::byte value[end_txn_marker_size];
  bytes::store_be<int16_t>(value, end_txn_marker_version);
  bytes::store_be<int32_t>(value + 2, m.coordinator_epoch);

  std::vector<std::byte> section;
  append_record(section, record_fields{.key = bytes_view(key), .value = bytes_view(value)});

  record_batch_header h;
  h.base_offset = m.base_offset;
  h.partition_leader_epoch = m.partition_leader_epoch;
  h.attributes = batch_attribute::transactional | batch_attribute::control;
  h.last_offset_delta = 0;
  h.first_timestamp = m.timestamp;
  h.max_timestamp = m.timestamp;
  h.producer = m.producer;
  h.epoch = m.epoch;
  h.base_sequence = sequence(-1);
  h.record_count = 1;
  return assemble(h, section);
}

}  // namespace vltava::model
