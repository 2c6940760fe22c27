#pragma once
// A blocking Kafka protocol client for the few requests librdkafka 2.0 cannot send
// (DescribeQuorum, DescribeCluster, Metadata's leader epochs and offline replicas): one
// PLAINTEXT connection to one broker, versions negotiated with ApiVersions, bodies encoded and
// decoded by the generated protocol structs (the codec only: no broker internals).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/args.h"
#include "protocol/reader.h"
#include "protocol/writer.h"

namespace vltava::cli {

// "host:port" or "[v6]:port" split; nullopt when the port is missing or not a number.
struct host_port {
  std::string host;
  uint16_t port = 0;
};
std::optional<host_port> parse_host_port(std::string_view address);

// Whether the -X properties ask for anything but PLAINTEXT (the wire client speaks only that).
bool wants_security(const common_options& common);

class wire_client {
 public:
  // Connects to `address` and reads its ApiVersions; nullopt (with `why`) when it cannot.
  static std::optional<wire_client> open(const std::string& address, int timeout_ms,
                                         std::string& why);
  // The first broker of the bootstrap list that answers; throws cli_error (unreachable) when
  // none does.
  static wire_client open_any(const common_options& common);

  wire_client(wire_client&& other) noexcept;
  wire_client& operator=(wire_client&&) = delete;
  wire_client(const wire_client&) = delete;
  ~wire_client();

  const std::string& address() const { return _address; }

  // The highest version of `Api` both sides serve, at most `wanted`; nullopt when the broker
  // does not serve the API.
  template <typename Api>
  std::optional<int16_t> version_of(int16_t wanted = Api::max_version) const {
    return negotiate(Api::key, Api::min_version, std::min<int16_t>(wanted, Api::max_version));
  }

  // Sends one request and decodes its response; throws cli_error (unreachable) on a broken
  // connection and (failed) on a response that does not decode.
  template <typename Api>
  typename Api::response_type call(const typename Api::request_type& request, int16_t version) {
    protocol::writer w = begin(Api::key, version);
    request.encode(w, version);
    std::vector<std::byte> body = round_trip(Api::key, version, std::move(w));
    protocol::reader r(std::span<const std::byte>(body).subspan(_body_offset), _body_offset);
    typename Api::response_type response;
    auto decoded = response.decode(r, version);
    if (!decoded) fail_decode(Api::name, decoded.error().to_string());
    return response;
  }

 private:
  wire_client(std::string address, int fd, int timeout_ms);
  std::optional<int16_t> negotiate(int16_t key, int16_t min, int16_t max) const;
  // A request frame with its size placeholder and header written.
  protocol::writer begin(int16_t key, int16_t version);
  // Sends the frame, reads the response frame (size prefix removed) and checks its header;
  // sets _body_offset.
  std::vector<std::byte> round_trip(int16_t key, int16_t version, protocol::writer w);
  [[noreturn]] void fail_decode(std::string_view api, const std::string& why) const;
  bool read_api_versions(std::string& why);

  struct api_range {
    int16_t key, min, max;
  };
  std::string _address;
  int _fd = -1;
  int _timeout_ms = 0;
  int32_t _correlation = 0;
  size_t _body_offset = 0;  // where the last response's body starts in its frame
  std::vector<api_range> _apis;
};

}  // namespace vltava::cli
