#pragma once

// The compression codecs of Kafka's record formats: gzip (zlib), snappy (raw and snappy-java's
// "xerial" framing), lz4 (the LZ4 frame format) and zstd. Decompression is bounded by a size the
// caller gives: input that would expand past it is an error, never an allocation (zip bombs).
// Framing facts and the attribute values: docs/formats/record-batch.md.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace vltava::bytes {

// The numeric values are the codec ids of the batch attributes (bits 0-2); model::compression
// has the same values.
enum class codec : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

enum class compression_error : uint8_t {
  corrupt = 1,       // the input is not a valid stream of the codec (bad header, checksum, data)
  truncated,         // the input ends inside a frame, block or chunk
  output_too_large,  // the output would exceed the caller's bound
  unknown_codec,     // codec id outside 0..4
  library_failure,   // the codec library failed for a reason other than the input (memory)
};

std::string_view describe(compression_error e);

// How snappy output is framed. Kafka's Java client writes snappy-java's stream format
// ("xerial"); librdkafka writes one raw snappy block. Every Kafka client reads both.
enum class snappy_framing : uint8_t { xerial, raw };

// How an LZ4 frame's header checksum byte is computed. Kafka's message format v0 (before
// KAFKA-3160) hashed the magic number too; readers of v0 data must accept that broken byte.
enum class lz4_header_checksum : uint8_t { standard, kafka_v0_broken };

struct compress_options {
  std::optional<int> level;  // the codec's default when empty (gzip 6, lz4 fast, zstd 3)
  snappy_framing snappy = snappy_framing::xerial;
};

struct decompress_options {
  lz4_header_checksum lz4 = lz4_header_checksum::standard;
};

// Compresses `input`. codec::none copies.
result<std::vector<std::byte>, compression_error> compress(codec c,
                                                           std::span<const std::byte> input,
                                                           const compress_options& opts = {});

// Decompresses `input`, which is one whole compressed payload (several concatenated gzip
// members, lz4 frames or zstd frames are accepted). Output beyond `max_output_bytes` fails
// with output_too_large before that much memory is allocated. Snappy input may be xerial-framed
// or raw; the framing is detected from the xerial magic.
result<std::vector<std::byte>, compression_error> decompress(codec c,
                                                             std::span<const std::byte> input,
                                                             size_t max_output_bytes,
                                                             const decompress_options& opts = {});

// snappy-java's stream header: magic, then big-endian int32 version and compatible version.
inline constexpr std::byte xerial_magic[8] = {std::byte{0x82}, std::byte{'S'}, std::byte{'N'},
                                              std::byte{'A'},  std::byte{'P'}, std::byte{'P'},
                                              std::byte{'Y'},  std::byte{0}};
inline constexpr int32_t xerial_version = 1;
inline constexpr int32_t xerial_compatible_version = 1;
inline constexpr size_t xerial_header_size = sizeof(xerial_magic) + 4 + 4;
// snappy-java's default block size, used by Kafka's Java producer.
inline constexpr size_t xerial_block_size = 32 * 1024;

// The LZ4 frame format's magic number (little-endian on the wire).
inline constexpr uint32_t lz4_frame_magic = 0x184D2204;

// XXH32, the hash of the LZ4 frame format (its header checksum byte is bits 8..15 of it).
uint32_t xxhash32(std::span<const std::byte> data, uint32_t seed);

}  // namespace vltava::bytes
