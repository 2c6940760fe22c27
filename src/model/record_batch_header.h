#pragma once

// The RecordBatch v2 header (Kafka message format 2): the one place that knows its layout.
// Storage (validation, recovery, offset assignment) and the protocol code (produce/fetch) both
// use it. Layout and field meanings: docs/formats/record-batch.md.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.h"
#include "model/fundamental.h"

namespace vltava::model {

// Byte positions of the header fields, and the sizes they imply.
namespace batch_layout {
inline constexpr size_t base_offset = 0;              // int64
inline constexpr size_t batch_length = 8;             // int32: bytes after this field
inline constexpr size_t partition_leader_epoch = 12;  // int32
inline constexpr size_t magic = 16;                   // int8, always 2
inline constexpr size_t crc = 17;                     // uint32, CRC32C of attributes..end
inline constexpr size_t attributes = 21;              // int16
inline constexpr size_t last_offset_delta = 23;       // int32
inline constexpr size_t first_timestamp = 27;         // int64
inline constexpr size_t max_timestamp = 35;           // int64
inline constexpr size_t producer_id = 43;             // int64
inline constexpr size_t producer_epoch = 51;          // int16
inline constexpr size_t base_sequence = 53;           // int32
inline constexpr size_t record_count = 57;            // int32
inline constexpr size_t header_size = 61;             // records start here

// Bytes before batch_length's coverage begins (base offset + the length itself).
inline constexpr size_t log_overhead = 12;
inline constexpr size_t min_batch_length = header_size - log_overhead;
static_assert(record_count + 4 == header_size, "record_count is the last header field");
static_assert(crc + 4 == attributes, "the CRC covers everything from attributes on");
}  // namespace batch_layout

inline constexpr int8_t current_magic = 2;

enum class compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };
enum class timestamp_type : uint8_t { create_time = 0, log_append_time = 1 };

namespace batch_attribute {
inline constexpr int16_t compression_mask = 0x07;
inline constexpr int16_t timestamp_type = 0x08;
inline constexpr int16_t transactional = 0x10;
inline constexpr int16_t control = 0x20;
inline constexpr int16_t delete_horizon = 0x40;  // first_timestamp holds the delete horizon
}  // namespace batch_attribute

// Why a batch was refused; each names what is wrong with the bytes.
enum class batch_error : uint8_t {
  truncated = 1,     // fewer bytes than the header or than batch_length says
  length_too_small,  // batch_length below the header size
  length_mismatch,   // batch_length disagrees with the bytes given
  bad_magic,         // magic is not 2 (legacy formats are handled elsewhere)
  bad_crc,           // CRC32C does not match the contents
  bad_compression,   // compression codec 5..7
  bad_offset_delta,  // last_offset_delta negative, or fewer offsets than records
  bad_record_count,  // record count negative
};

std::string_view describe(batch_error e);

struct record_batch_header {
  offset base_offset;
  int32_t batch_length = 0;
  leader_epoch partition_leader_epoch;
  int8_t magic = current_magic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  timestamp_ms first_timestamp;
  timestamp_ms max_timestamp;
  producer_id producer;
  producer_epoch epoch;
  sequence base_sequence;
  int32_t record_count = 0;

  model::compression compression() const {
    return static_cast<model::compression>(attributes & batch_attribute::compression_mask);
  }
  model::timestamp_type timestamp_type() const {
    return (attributes & batch_attribute::timestamp_type) ? timestamp_type::log_append_time
                                                          : timestamp_type::create_time;
  }
  bool is_transactional() const { return attributes & batch_attribute::transactional; }
  bool is_control() const { return attributes & batch_attribute::control; }
  bool has_delete_horizon() const { return attributes & batch_attribute::delete_horizon; }
  offset last_offset() const { return base_offset + last_offset_delta; }
  // Bytes of the whole batch on the wire and on disk.
  size_t size_bytes() const {
    return static_cast<size_t>(batch_length) + batch_layout::log_overhead;
  }
  bool operator==(const record_batch_header&) const = default;
};

// Reads the header fields from the first header_size bytes; checks only what the header alone
// can show (length, magic, compression, deltas). `bytes` may hold more than one batch.
result<record_batch_header, batch_error> parse_header(std::span<const std::byte> bytes);

// Parses and fully validates one whole batch: `bytes` must be exactly the batch.
result<record_batch_header, batch_error> validate_batch(std::span<const std::byte> bytes);

// CRC32C over attributes..end, as stored in the crc field.
uint32_t compute_crc(std::span<const std::byte> batch);

// Writes the header fields back into `batch` and recomputes the CRC.
void write_header(std::span<std::byte> batch, const record_batch_header& h);

// In-place rewrites the broker does on append. Base offset and leader epoch lie before the
// CRC's range, so they need no CRC update.
void set_base_offset(std::span<std::byte> batch, offset base);
void set_partition_leader_epoch(std::span<std::byte> batch, leader_epoch epoch);
// message.timestamp.type=LogAppendTime: sets the attribute and max timestamp, updates the CRC.
void set_log_append_time(std::span<std::byte> batch, timestamp_ms now);

}  // namespace vltava::model
