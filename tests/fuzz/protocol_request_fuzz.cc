// libFuzzer target: a whole Kafka request frame (the bytes after the size prefix), header and
// body, through the decoder of whatever API key and version the header names, so one target
// covers every request decoder. What decodes is re-encoded, decoded again and re-encoded
// again: the two encodings must be identical. Unsupported versions take the ApiVersions
// fallback path. Nothing may crash, leak or read out of bounds; errors are values.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "base/assert.h"
#include "protocol/framing.h"
#include "protocol/generated/api_dispatch.h"

namespace {

using namespace vltava;
using namespace vltava::protocol;

template <typename Message>
void roundtrip(std::span<const std::byte> body, int16_t version) {
  reader r(body);
  Message m;
  if (!m.decode(r, version)) return;
  writer w1;
  m.encode(w1, version);
  reader r2(w1.buffer());
  Message again;
  auto res = again.decode(r2, version);
  VLTAVA_ASSERT(res.has_value(), "a re-encoded message does not decode");
  VLTAVA_ASSERT(r2.empty(), "a re-encoded message decodes with bytes left");
  writer w2;
  again.encode(w2, version);
  // Encodings, not structs, are compared: a float64 NaN is never equal to itself.
  VLTAVA_ASSERT(w1.buffer() == w2.buffer(), "encode(decode(encode(m))) differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(data), size);
  auto header = parse_request_header(frame);
  if (!header) return 0;
  const int16_t version = header->api_version;
  auto body = frame.subspan(header->body_offset);
  visit_api(header->api_key, [&]<typename Api>() {
    if (version < Api::min_version || version > Api::max_version) {
      auto answer = encode_api_versions_fallback(header->correlation_id, api_table());
      VLTAVA_ASSERT(answer.size() >= 10, "fallback answer too short");
      return;
    }
    roundtrip<typename Api::request_type>(body, version);
  });
  return 0;
}
