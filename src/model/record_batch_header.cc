#include "model/record_batch_header.h"

#include "base/assert.h"
#include "bytes/crc32c.h"
#include "bytes/endian.h"

namespace vltava::model {
namespace layout = batch_layout;
using bytes::load_be;
using bytes::store_be;

std::string_view describe(batch_error e) {
  switch (e) {
    case batch_error::truncated:
      return "record batch is truncated";
    case batch_error::length_too_small:
      return "record batch length is smaller than its header";
    case batch_error::length_mismatch:
      return "record batch length disagrees with its size";
    case batch_error::bad_magic:
      return "record batch magic is not 2";
    case batch_error::bad_crc:
      return "record batch CRC32C does not match its contents";
    case batch_error::bad_compression:
      return "record batch uses an unknown compression codec";
    case batch_error::bad_offset_delta:
      return "record batch last offset delta is invalid";
    case batch_error::bad_record_count:
      return "record batch record count is invalid";
  }
  return "unknown record batch error";
}

result<record_batch_header, batch_error> parse_header(std::span<const std::byte> b) {
  if (b.size() < layout::header_size) return fail(batch_error::truncated);
  const std::byte* p = b.data();
  record_batch_header h;
  h.base_offset = offset(load_be<int64_t>(p + layout::base_offset));
  h.batch_length = load_be<int32_t>(p + layout::batch_length);
  h.partition_leader_epoch = leader_epoch(load_be<int32_t>(p + layout::partition_leader_epoch));
  h.magic = load_be<int8_t>(p + layout::magic);
  h.crc = load_be<uint32_t>(p + layout::crc);
  h.attributes = load_be<int16_t>(p + layout::attributes);
  h.last_offset_delta = load_be<int32_t>(p + layout::last_offset_delta);
  h.first_timestamp = timestamp_ms(load_be<int64_t>(p + layout::first_timestamp));
  h.max_timestamp = timestamp_ms(load_be<int64_t>(p + layout::max_timestamp));
  h.producer = producer_id(load_be<int64_t>(p + layout::producer_id));
  h.epoch = producer_epoch(load_be<int16_t>(p + layout::producer_epoch));
  h.base_sequence = sequence(load_be<int32_t>(p + layout::base_sequence));
  h.record_count = load_be<int32_t>(p + layout::record_count);

  if (h.magic != current_magic) return fail(batch_error::bad_magic);
  if (h.batch_length < static_cast<int32_t>(layout::min_batch_length)) {
    return fail(batch_error::length_too_small);
  }
  if ((h.attributes & batch_attribute::compression_mask) > static_cast<int>(compression::zstd)) {
    return fail(batch_error::bad_compression);
  }
  if (h.record_count < 0) return fail(batch_error::bad_record_count);
  // Compaction may leave gaps (fewer records than offsets), never more records than offsets.
  if (h.last_offset_delta < 0 || static_cast<int64_t>(h.last_offset_delta) + 1 < h.record_count) {
    return fail(batch_error::bad_offset_delta);
  }
  return h;
}

uint32_t compute_crc(std::span<const std::byte> batch) {
  VLTAVA_ASSERT(batch.size() >= layout::header_size, "compute_crc needs a whole header");
  return bytes::crc32c(batch.subspan(layout::attributes));
}

result<record_batch_header, batch_error> validate_batch(std::span<const std::byte> b) {
  auto h = parse_header(b);
  if (!h) return h;
  if (h->size_bytes() > b.size()) return fail(batch_error::truncated);
  if (h->size_bytes() != b.size()) return fail(batch_error::length_mismatch);
  if (compute_crc(b) != h->crc) return fail(batch_error::bad_crc);
  return h;
}

void write_header(std::span<std::byte> b, const record_batch_header& h) {
  VLTAVA_ASSERT(b.size() >= layout::header_size, "write_header needs a whole header");
  std::byte* p = b.data();
  store_be<int64_t>(p + layout::base_offset, h.base_offset());
  store_be<int32_t>(p + layout::batch_length, h.batch_length);
  store_be<int32_t>(p + layout::partition_leader_epoch, h.partition_leader_epoch());
  store_be<int8_t>(p + layout::magic, h.magic);
  store_be<int16_t>(p + layout::attributes, h.attributes);
  store_be<int32_t>(p + layout::last_offset_delta, h.last_offset_delta);
  store_be<int64_t>(p + layout::first_timestamp, h.first_timestamp());
  store_be<int64_t>(p + layout::max_timestamp, h.max_timestamp());
  store_be<int64_t>(p + layout::producer_id, h.producer());
  store_be<int16_t>(p + layout::producer_epoch, h.epoch());
  store_be<int32_t>(p + layout::base_sequence, h.base_sequence());
  store_be<int32_t>(p + layout::record_count, h.record_count);
  store_be<uint32_t>(p + layout::crc, compute_crc(b));
}

void set_base_offset(std::span<std::byte> b, offset base) {
  VLTAVA_ASSERT(b.size() >= layout::header_size, "set_base_offset needs a whole header");
  store_be<int64_t>(b.data() + layout::base_offset, base());
}

void set_partition_leader_epoch(std::span<std::byte> b, leader_epoch epoch) {
  VLTAVA_ASSERT(b.size() >= layout::header_size, "set_partition_leader_epoch needs a header");
  store_be<int32_t>(b.data() + layout::partition_leader_epoch, epoch());
}

void set_log_append_time(std::span<std::byte> b, timestamp_ms now) {
  VLTAVA_ASSERT(b.size() >= layout::header_size, "set_log_append_time needs a whole header");
  std::byte* p = b.data();
  auto attrs = load_be<int16_t>(p + layout::attributes);
  store_be<int16_t>(p + layout::attributes,
                    static_cast<int16_t>(attrs | batch_attribute::timestamp_type));
  store_be<int64_t>(p + layout::max_timestamp, now());
  store_be<uint32_t>(p + layout::crc, compute_crc(b));
}

}  // namespace vltava::model
