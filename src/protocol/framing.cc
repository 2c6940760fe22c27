#include "protocol/framing.h"

namespace vltava::protocol {

result<request_header, decode_error> parse_request_header(std::span<const std::byte> frame) {
  reader r(frame);
  request_header h;
  if (!r.read_fixed(h.api_key)) return r.fail("request_api_key");
  if (!r.read_fixed(h.api_version)) return r.fail("request_api_version");
  if (!r.read_fixed(h.correlation_id)) return r.fail("correlation_id");
  h.header_version = request_header_version(h.api_key, h.api_version);
  if (h.header_version < 0) h.header_version = 1;  // unknown API: read enough to answer
  if (h.header_version >= 1) {
    // Never compact, even in header v2: old brokers must read any ApiVersions header.
    if (!r.read_nullable_string(h.client_id, false, true)) return r.fail("client_id");
  }
  const size_t after_client_id = r.position();
  if (h.header_version >= 2) {
    uint32_t count;
    bool ok = r.read_tag_count(count);
    for (uint32_t i = 0; ok && i < count; ++i) {
      uint32_t tag;
      std::span<const std::byte> value;
      ok = r.read_tagged_field(tag, value);
      if (ok) h.unknown_tags.push_back({tag, std::vector<std::byte>(value.begin(), value.end())});
    }
    if (!ok) {
      // ApiVersions must be answerable whatever its header looks like: a client probing with a
      // version we do not know may frame it as header v1; it gets the fallback answer anyway.
      if (h.api_key != api_versions_key) return r.fail("tagged fields");
      h.unknown_tags.clear();
      h.body_offset = after_client_id;
      return h;
    }
  }
  h.body_offset = r.position();
  return h;
}

void write_response_header(writer& w, int16_t header_version, int32_t correlation_id) {
  VLTAVA_ASSERT(header_version == 0 || header_version == 1, "response header is v0 or v1");
  w.write_fixed(correlation_id);
  if (header_version == 1) w.write_uvarint(0);  // no tagged fields
}

std::vector<std::byte> encode_api_versions_fallback(int32_t correlation_id,
                                                    std::span<const api_info> apis) {
  writer w;
  w.write_fixed(int32_t{0});  // size, patched below
  write_response_header(w, 0, correlation_id);
  w.write_fixed(unsupported_version_error);
  w.write_array_length(apis.size(), false);
  for (const api_info& api : apis) {
    w.write_fixed(api.key);
    w.write_fixed(api.min_version);
    w.write_fixed(api.max_version);
  }
  w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
  return std::move(w).take();
}

}  // namespace vltava::protocol
