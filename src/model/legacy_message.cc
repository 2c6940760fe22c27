#include "model/legacy_message.h"

#include <zlib.h>

#include <climits>

#include "base/assert.h"
#include "bytes/compression.h"
#include "bytes/endian.h"

namespace vltava::model {
namespace {

namespace layout = legacy_layout;
using bytes::load_be;
using bytes_view = std::span<const std::byte>;
using maybe_bytes = std::optional<bytes_view>;

int codec_of(int8_t attributes) {
  return attributes & legacy_attribute::compression_mask;
}

// Reads an int32-length-prefixed nullable byte string at `at` of `m` (one whole message).
result<maybe_bytes, legacy_error> read_bytes(bytes_view m, size_t at, legacy_error error) {
  if (m.size() - at < 4) return fail(error);
  const int32_t len = load_be<int32_t>(m.data() + at);
  if (len == -1) return maybe_bytes();
  if (len < 0 || static_cast<size_t>(len) > m.size() - at - 4) return fail(error);
  return maybe_bytes(m.subspan(at + 4, static_cast<size_t>(len)));
}

// Decodes one message: `m` spans its offset field to its last byte.
result<legacy_message, legacy_error> parse_message(bytes_view m) {
  legacy_message msg;
  msg.message_offset = offset(load_be<int64_t>(m.data() + layout::offset));
  msg.magic = load_be<int8_t>(m.data() + layout::magic);
  if (msg.magic != 0 && msg.magic != 1) return fail(legacy_error::bad_magic);
  const size_t size = m.size() - layout::log_overhead;
  if (size < (msg.magic == 0 ? layout::min_size_v0 : layout::min_size_v1)) {
    return fail(legacy_error::bad_size);
  }
  const auto covered = m.subspan(layout::magic);
  const auto crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(covered.data()), static_cast<uInt>(covered.size())));
  if (crc != load_be<uint32_t>(m.data() + layout::crc)) return fail(legacy_error::bad_crc);
  msg.attributes = load_be<int8_t>(m.data() + layout::attributes);
  if (codec_of(msg.attributes) > static_cast<int>(compression::lz4)) {
    return fail(legacy_error::bad_compression);
  }
  size_t key_at = layout::key_v0;
  if (msg.magic == 1) {
    msg.timestamp = timestamp_ms(load_be<int64_t>(m.data() + layout::timestamp));
    if (msg.attributes & legacy_attribute::timestamp_type) {
      msg.ts_type = timestamp_type::log_append_time;
    }
    key_at = layout::key_v1;
  }
  auto key = read_bytes(m, key_at, legacy_error::bad_key_length);
  if (!key) return fail(key.error());
  msg.key = *key;
  const size_t value_at = key_at + 4 + (msg.key ? msg.key->size() : 0);
  auto value = read_bytes(m, value_at, legacy_error::bad_value_length);
  if (!value) return fail(value.error());
  msg.value = *value;
  // The value must end the message exactly.
  if (value_at + 4 + (msg.value ? msg.value->size() : 0) != m.size()) {
    return fail(legacy_error::bad_value_length);
  }
  return msg;
}

class decoder {
 public:
  explicit decoder(const legacy_limits& limits) : _limits(limits) {}

  // Reads every message of `set`. `wrapper` is the compressed message it came from, if any.
  result<std::vector<legacy_message>, legacy_error> read_set(bytes_view set,
                                                             const legacy_message* wrapper) {
    std::vector<legacy_message> out;
    size_t pos = 0;
    while (pos < set.size()) {
      if (set.size() - pos < layout::log_overhead) return fail(legacy_error::truncated);
      const int32_t size = load_be<int32_t>(set.data() + pos + layout::message_size);
      if (size < static_cast<int32_t>(layout::min_size_v0)) return fail(legacy_error::bad_size);
      const size_t whole = layout::log_overhead + static_cast<size_t>(size);
      if (whole > set.size() - pos) return fail(legacy_error::truncated);
      auto msg = parse_message(set.subspan(pos, whole));
      if (!msg) return fail(msg.error());
      pos += whole;
      if (wrapper != nullptr) {
        if (msg->magic != wrapper->magic) return fail(legacy_error::inner_magic_mismatch);
        if (codec_of(msg->attributes) != 0) return fail(legacy_error::nested_compression);
      }
      if (codec_of(msg->attributes) == 0) {
        if (++_messages > _limits.max_messages) return fail(legacy_error::too_large);
        out.push_back(*msg);
        continue;
      }
      auto inner = unwrap(*msg);
      if (!inner) return fail(inner.error());
      out.insert(out.end(), inner->begin(), inner->end());
    }
    return out;
  }

  std::vector<std::vector<std::byte>> take_inflated() && { return std::move(_inflated); }

 private:
  // The messages inside compressed message `w`, with absolute offsets and timestamps.
  result<std::vector<legacy_message>, legacy_error> unwrap(const legacy_message& w) {
    if (!w.value) return fail(legacy_error::null_wrapper_value);
    const bytes::decompress_options opts{.lz4 = w.magic == 0
                                                    ? bytes::lz4_header_checksum::kafka_v0_broken
                                                    : bytes::lz4_header_checksum::standard};
    auto raw = bytes::decompress(static_cast<bytes::codec>(codec_of(w.attributes)), *w.value,
                                 _limits.max_uncompressed_bytes - _inflated_bytes, opts);
    if (!raw) {
      return fail(raw.error() == bytes::compression_error::output_too_large
                      ? legacy_error::too_large
                      : legacy_error::bad_compressed_data);
    }
    _inflated_bytes += raw->size();
    // Moving the buffer into the list keeps its bytes where the views will point.
    _inflated.push_back(std::move(*raw));
    auto inner = read_set(_inflated.back(), &w);
    if (!inner) return inner;
    if (inner->empty()) return fail(legacy_error::empty_wrapper);
    if (w.magic == 1) {
      // v1 inner offsets are relative; the wrapper carries the last absolute one. Some
      // librdkafka versions send wrapper offset 0: then the relative offsets stand.
      const int64_t last_inner = inner->back().message_offset();
      int64_t base = 0;
      if (w.message_offset() != 0) {
        if (w.message_offset() < last_inner) return fail(legacy_error::bad_wrapper_offset);
        base = w.message_offset() - last_inner;
      }
      for (auto& m : *inner) {
        m.message_offset = offset(base + m.message_offset());
        m.ts_type = w.ts_type;
        if (w.ts_type == timestamp_type::log_append_time) m.timestamp = w.timestamp;
      }
    }
    return inner;
  }

  const legacy_limits& _limits;
  size_t _messages = 0;
  size_t _inflated_bytes = 0;
  std::vector<std::vector<std::byte>> _inflated;
};

}  // namespace

std::string_view describe(legacy_error e) {
  switch (e) {
    case legacy_error::truncated:
      return "message runs past the end of the message set";
    case legacy_error::bad_size:
      return "message size is below the minimum";
    case legacy_error::bad_crc:
      return "message CRC does not match its contents";
    case legacy_error::bad_magic:
      return "message magic is neither 0 nor 1";
    case legacy_error::bad_compression:
      return "message compression codec is invalid";
    case legacy_error::bad_key_length:
      return "message key length is invalid";
    case legacy_error::bad_value_length:
      return "message value length is invalid";
    case legacy_error::null_wrapper_value:
      return "compressed message has a null value";
    case legacy_error::empty_wrapper:
      return "compressed message holds no messages";
    case legacy_error::nested_compression:
      return "inner messages must not be compressed";
    case legacy_error::inner_magic_mismatch:
      return "inner message magic differs from wrapper";
    case legacy_error::bad_wrapper_offset:
      return "compressed message offset is invalid";
    case legacy_error::bad_compressed_data:
      return "compressed message does not decompress";
    case legacy_error::too_large:
      return "message set exceeds the size or count limit";
  }
  return "unknown legacy message error";
}

result<legacy_message_set, legacy_error> decode_message_set(std::span<const std::byte> bytes,
                                                            const legacy_limits& limits) {
  decoder d(limits);
  auto messages = d.read_set(bytes, nullptr);
  if (!messages) return fail(messages.error());
  legacy_message_set out;
  out.messages = std::move(*messages);
  out.inflated = std::move(d).take_inflated();
  return out;
}

result<std::vector<std::byte>, bytes::compression_error> to_record_batch(
    const legacy_message_set& set, const batch_options& opts) {
  VLTAVA_ASSERT(set.messages.size() <= INT32_MAX, "a batch holds at most 2^31-1 records");
  record_batch_builder b(opts);
  for (const auto& m : set.messages) b.add(m.timestamp, m.key, m.value);
  return b.build();
}

std::optional<int8_t> peek_magic(std::span<const std::byte> bytes) {
  static_assert(legacy_layout::magic == batch_layout::magic);
  if (bytes.size() <= legacy_layout::magic) return std::nullopt;
  return load_be<int8_t>(bytes.data() + legacy_layout::magic);
}

}  // namespace vltava::model
