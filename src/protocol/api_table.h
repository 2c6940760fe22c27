#pragma once

// The table of every API the codec knows (generated from src/protocol/schema/*.api into
// the build directory as api_table.cc), and the header versions each API version uses.

#include <cstdint>
#include <span>
#include <string_view>

namespace vltava::protocol {

// Who receives an API (the schema's `listeners` line), as bits.
inline constexpr uint8_t listener_client = 1;
inline constexpr uint8_t listener_broker = 2;
inline constexpr uint8_t listener_controller = 4;

struct api_info {
  int16_t key;
  std::string_view name;
  int16_t min_version;
  int16_t max_version;
  int16_t first_flexible_version;  // -1 when no version is flexible
  uint8_t listeners;

  bool supports(int16_t version) const { return version >= min_version && version <= max_version; }
  bool is_flexible(int16_t version) const {
    return first_flexible_version >= 0 && version >= first_flexible_version;
  }
};

// Every API the codec can decode, sorted by key. What the broker advertises in ApiVersions is
// a subset: the versions its handlers serve.
std::span<const api_info> api_table();

// The entry for `key`, or nullptr when the codec does not know it.
const api_info* find_api(int16_t key);

// Request header version for a request of (key, version): 2 for flexible versions, 1
// otherwise, 0 for ControlledShutdown v0. A version above the newest known one counts as
// flexible when the API has flexible versions (as Kafka does, so that the header of a too-new
// request can still be read and answered). -1 for an unknown API or a negative version.
int16_t request_header_version(int16_t key, int16_t version);

// Response header version: 1 for flexible versions, 0 otherwise; ApiVersions responses always
// use 0 (a client must read it before it knows which versions the broker has). Same rule for
// versions above the newest; -1 for an unknown API or a negative version.
int16_t response_header_version(int16_t key, int16_t version);

}  // namespace vltava::protocol
