#pragma once

// Kafka's legacy message formats v0 and v1 ("message sets"), decoded so that the broker can
// convert what old clients send into RecordBatch v2. Kafka 4 brokers refuse them instead:
// a Produce v3+ request whose records are not magic 2 fails with INVALID_RECORD (87), and a
// message that fails its CRC with CORRUPT_MESSAGE (2). Layout: docs/formats/record-batch.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "bytes/compression.h"
#include "model/fundamental.h"
#include "model/record_batch_builder.h"
#include "model/record_batch_header.h"

namespace vltava::model {

// Byte positions in one message, counted from its offset field.
namespace legacy_layout {
inline constexpr size_t offset = 0;        // int64
inline constexpr size_t message_size = 8;  // int32: bytes after this field
inline constexpr size_t crc = 12;          // uint32: CRC-32 (IEEE, zlib's) of magic..end
inline constexpr size_t magic = 16;        // int8: 0 or 1
inline constexpr size_t attributes = 17;   // int8
inline constexpr size_t timestamp = 18;    // int64, v1 only
inline constexpr size_t key_v0 = 18;       // int32 length (-1 null) + bytes, then value alike
inline constexpr size_t key_v1 = 26;
inline constexpr size_t log_overhead = 12;  // offset + message_size
// Smallest message_size: crc, magic, attributes, (timestamp,) key and value lengths.
inline constexpr size_t min_size_v0 = 4 + 1 + 1 + 4 + 4;
inline constexpr size_t min_size_v1 = min_size_v0 + 8;
static_assert(key_v0 + 4 + 4 - log_overhead == min_size_v0);
static_assert(key_v1 + 4 + 4 - log_overhead == min_size_v1);
}  // namespace legacy_layout

namespace legacy_attribute {
inline constexpr int8_t compression_mask = 0x07;  // 0 none, 1 gzip, 2 snappy, 3 lz4
inline constexpr int8_t timestamp_type = 0x08;    // v1: 1 = LogAppendTime
}  // namespace legacy_attribute

enum class legacy_error : uint8_t {
  truncated = 1,         // a message runs past the end of the set
  bad_size,              // message size below the minimum of its magic
  bad_crc,               // the CRC-32 does not match
  bad_magic,             // magic neither 0 nor 1
  bad_compression,       // codec 4 (zstd needs magic 2) or 5..7
  bad_key_length,        // key length below -1 or past the message
  bad_value_length,      // value length below -1, past the message, or not ending it
  null_wrapper_value,    // a compressed message without a value
  empty_wrapper,         // a compressed message with no messages inside
  nested_compression,    // a message inside a compressed one is compressed too
  inner_magic_mismatch,  // an inner message's magic differs from its wrapper's
  bad_wrapper_offset,    // v1 wrapper offset below its last inner relative offset
  bad_compressed_data,   // the wrapper's value does not decompress
  too_large,             // decompressed bytes or message count beyond the limits
};

std::string_view describe(legacy_error e);

struct legacy_message {
  offset message_offset;  // as sent; for v1 inner messages made absolute from the wrapper
  int8_t magic = 0;
  int8_t attributes = 0;
  // v0 has no timestamp (-1). Inside a v1 wrapper with LogAppendTime, the wrapper's.
  timestamp_ms timestamp{-1};
  timestamp_type ts_type = timestamp_type::create_time;
  std::optional<std::span<const std::byte>> key;
  std::optional<std::span<const std::byte>> value;
};

// Decoded messages, compressed wrappers replaced by the messages inside them. Keys and values
// view the input or `inflated` (each inner set's own buffer), so keep both alive while used.
struct legacy_message_set {
  std::vector<legacy_message> messages;
  std::vector<std::vector<std::byte>> inflated;
};

struct legacy_limits {
  size_t max_uncompressed_bytes = 0;  // across all wrappers of the set
  size_t max_messages = 0;
};

// Decodes a whole message set; a partial message at the end is an error (producers send whole
// messages; only fetch responses may be cut, and the broker never reads those).
result<legacy_message_set, legacy_error> decode_message_set(std::span<const std::byte> bytes,
                                                            const legacy_limits& limits);

// The messages as one RecordBatch v2, as Kafka converts them on append: consecutive offsets
// from opts.base_offset, each message's timestamp (-1 for v0) and its key and value, no headers.
// The batch's codec, producer fields and timestamp type come from `opts`.
result<std::vector<std::byte>, bytes::compression_error> to_record_batch(
    const legacy_message_set& set, const batch_options& opts);

// The magic byte of the first message or batch in `bytes` (the same position, byte 16, in all
// formats), so a caller can tell legacy sets from RecordBatch v2 before parsing either.
std::optional<int8_t> peek_magic(std::span<const std::byte> bytes);

}  // namespace vltava::model
