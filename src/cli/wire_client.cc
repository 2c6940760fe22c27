#include "cli/wire_client.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/assert.h"
#include "protocol/api_table.h"
#include "protocol/generated/api_versions.h"

namespace vltava::cli {

namespace {

// A response larger than this is not one of the small admin answers this client asks for.
constexpr int32_t response_bytes_max = 64 << 20;
constexpr std::string_view client_id = "vltava-cli";

bool send_all(int fd, std::span<const std::byte> data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data = data.subspan(static_cast<size_t>(n));
  }
  return true;
}

bool recv_all(int fd, std::span<std::byte> out) {
  while (!out.empty()) {
    ssize_t n = ::recv(fd, out.data(), out.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out = out.subspan(static_cast<size_t>(n));
  }
  return true;
}

// A connected socket whose sends and receives (and the connect itself) give up after
// `timeout_ms`; -1 with `why` set when no address of the host accepts.
int connect_to(const host_port& hp, int timeout_ms, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(hp.port);
  if (int rc = ::getaddrinfo(hp.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    why = ::gai_strerror(rc);
    return -1;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

std::optional<host_port> parse_host_port(std::string_view address) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return std::nullopt;
  uint32_t port = 0;
  for (char c : address.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  if (port == 0) return std::nullopt;
  return host_port{std::string(host), static_cast<uint16_t>(port)};
}

bool wants_security(const common_options& common) {
  for (const auto& [key, value] : common.properties) {
    if (key != "security.protocol") continue;
    std::string v = value;
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v != "plaintext") return true;
  }
  return false;
}

wire_client::wire_client(std::string address, int fd, int timeout_ms)
    : _address(std::move(address)), _fd(fd), _timeout_ms(timeout_ms) {}

wire_client::wire_client(wire_client&& other) noexcept
    : _address(std::move(other._address)),
      _fd(std::exchange(other._fd, -1)),
      _timeout_ms(other._timeout_ms),
      _correlation(other._correlation),
      _body_offset(other._body_offset),
      _apis(std::move(other._apis)) {}

wire_client::~wire_client() {
  if (_fd >= 0) ::close(_fd);
}

std::optional<wire_client> wire_client::open(const std::string& address, int timeout_ms,
                                             std::string& why) {
  auto hp = parse_host_port(address);
  if (!hp) {
    why = "not host:port";
    return std::nullopt;
  }
  int fd = connect_to(*hp, timeout_ms, why);
  if (fd < 0) return std::nullopt;
  wire_client c(address, fd, timeout_ms);
  if (!c.read_api_versions(why)) return std::nullopt;
  return c;
}

wire_client wire_client::open_any(const common_options& common) {
  if (wants_security(common)) {
    throw cli_error(exit_code::usage,
                    "this command speaks PLAINTEXT only (librdkafka 2.0 lacks its request): "
                    "point -b at a PLAINTEXT listener and drop -X security.protocol");
  }
  std::string failures;
  for (const std::string& address : split_list(common.brokers)) {
    std::string why;
    if (auto c = open(address, common.timeout_ms, why)) return std::move(*c);
    failures += fmt::format("\n  {}: {}", address, why);
  }
  throw cli_error(exit_code::unreachable,
                  fmt::format("cannot reach broker {} — is `vltava serve` running? (set the "
                              "address with -b or VLTAVA_BROKERS){}",
                              common.brokers, failures));
}

bool wire_client::read_api_versions(std::string& why) {
  try {
    auto response = call<protocol::api_versions_api>(protocol::api_versions_request{}, 0);
    if (response.error_code != protocol::error_code::none) {
      why = fmt::format("ApiVersions: {}", protocol::error_name(response.error_code));
      return false;
    }
    for (const auto& k : response.api_keys) {
      _apis.push_back({k.api_key, k.min_version, k.max_version});
    }
    return true;
  } catch (const cli_error& e) {
    why = e.what();
    return false;
  }
}

std::optional<int16_t> wire_client::negotiate(int16_t key, int16_t min, int16_t max) const {
  for (const api_range& a : _apis) {
    if (a.key != key) continue;
    int16_t v = std::min(a.max, max);
    if (v < std::max(a.min, min)) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

protocol::writer wire_client::begin(int16_t key, int16_t version) {
  int16_t header_version = protocol::request_header_version(key, version);
  VLTAVA_ASSERT(header_version >= 0, "request for an API the codec does not know");
  protocol::writer w;
  w.write_fixed(int32_t{0});  // size, patched in round_trip
  w.write_fixed(key);
  w.write_fixed(version);
  w.write_fixed(++_correlation);
  if (header_version >= 1) {
    w.write_nullable_string(std::string(client_id), /*compact=*/false, /*nullable=*/true);
  }
  if (header_version >= 2) w.write_tagged_fields(std::vector<protocol::tagged_field>{});
  return w;
}

std::vector<std::byte> wire_client::round_trip(int16_t key, int16_t version, protocol::writer w) {
  w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
  std::vector<std::byte> request = std::move(w).take();
  auto broken = [&](std::string_view what) {
    return cli_error(exit_code::unreachable,
                     fmt::format("{} {} (within {} ms)", _address, what, _timeout_ms));
  };
  if (!send_all(_fd, request)) throw broken("closed the connection or did not take the request");
  std::byte size_bytes[4];
  if (!recv_all(_fd, size_bytes)) throw broken("did not answer");
  protocol::reader size_reader(size_bytes);
  int32_t size = 0;
  size_reader.read_fixed(size);
  if (size < 4 || size > response_bytes_max)
    throw broken(fmt::format("sent a frame of {} bytes", size));
  std::vector<std::byte> frame(static_cast<size_t>(size));
  if (!recv_all(_fd, frame)) throw broken("closed the connection mid-response");
  protocol::reader r(frame);
  int32_t correlation = 0;
  r.read_fixed(correlation);
  if (correlation != _correlation) {
    throw cli_error(exit_code::failed, fmt::format("{} answered correlation id {} to request {}",
                                                   _address, correlation, _correlation));
  }
  if (protocol::response_header_version(key, version) >= 1) {
    uint32_t tags = 0;
    bool ok = r.read_tag_count(tags);
    for (uint32_t i = 0; ok && i < tags; ++i) {
      uint32_t tag = 0;
      std::span<const std::byte> value;
      ok = r.read_tagged_field(tag, value);
    }
    if (!ok) fail_decode("response header", r.message());
  }
  _body_offset = r.position();
  return frame;
}

void wire_client::fail_decode(std::string_view api, const std::string& why) const {
  throw cli_error(exit_code::failed, fmt::format("{} sent a {} response that does not decode: {}",
                                                 _address, api, why));
}

}  // namespace vltava::cli
