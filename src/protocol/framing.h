#pragma once

// Request and response frames: the header in front of every message, and ApiVersions'
// fallback answer.
//
// A frame here is what follows the 4-byte size prefix (the net layer reads and bounds that
// prefix). Request header: api_key int16, api_version int16, correlation_id int32, then
// client_id (nullable int16-length string, never compact) from header v1, then a tagged-field
// section from v2. Response header: correlation_id int32, then a tagged-field section from v1.
// The header is read by hand, not by generated code, because its version depends on the
// first four bytes of the header itself and on the API table, and an unknown API or a version
// newer than ours must still yield the correlation id to answer with.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/api_table.h"
#include "protocol/reader.h"
#include "protocol/wire.h"
#include "protocol/writer.h"

namespace vltava::protocol {

struct request_header {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;    // header v1+
  std::vector<tagged_field> unknown_tags;  // header v2+
  int16_t header_version = 0;
  // Where the request body starts in the frame.
  size_t body_offset = 0;
};

// Reads the header of a request frame. The API and version need not be supported: the
// caller decides (ApiVersions fallback, or closing the connection for an unknown API key,
// whose header is read as v1).
result<request_header, decode_error> parse_request_header(std::span<const std::byte> frame);

// Writes a response header of `header_version` (0 or 1) for `correlation_id`.
void write_response_header(writer& w, int16_t header_version, int32_t correlation_id);

// A whole response frame, size prefix included: header (version from the API table) + body.
template <typename Response>
std::vector<std::byte> encode_response_frame(int16_t api_key, int16_t api_version,
                                             int32_t correlation_id, const Response& body) {
  const int16_t header_version = response_header_version(api_key, api_version);
  VLTAVA_ASSERT(header_version >= 0, "response for an API the codec does not know");
  writer w;
  w.write_fixed(int32_t{0});  // size, patched below
  write_response_header(w, header_version, correlation_id);
  body.encode(w, api_version);
  w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
  return std::move(w).take();
}

// ApiVersions' answer to a request version the broker does not support: an ApiVersions v0
// response (header v0) with error UNSUPPORTED_VERSION (35) and the list of `apis` with their
// version ranges, so the client can retry with a version both sides know. Size prefix included.
std::vector<std::byte> encode_api_versions_fallback(int32_t correlation_id,
                                                    std::span<const api_info> apis);

inline constexpr int16_t api_versions_key = 18;
inline constexpr int16_t unsupported_version_error = 35;

}  // namespace vltava::protocol
