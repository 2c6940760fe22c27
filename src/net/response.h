#pragma once

// What a request handler gives the connection to send: byte buffers and file ranges. File
// ranges go out with sendfile (zero copy) on plaintext sockets; `keep_alive` holds whatever
// keeps the file descriptor open until the bytes are on the wire.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

namespace vltava::net {

struct file_range {
  std::shared_ptr<const void> keep_alive;
  int fd = -1;
  int64_t position = 0;
  size_t length = 0;
};

using response_part = std::variant<std::vector<std::byte>, file_range>;

struct response {
  std::vector<response_part> parts;

  size_t size_bytes() const {
    size_t n = 0;
    for (const auto& p : parts) {
      n += std::holds_alternative<file_range>(p) ? std::get<file_range>(p).length
                                                 : std::get<std::vector<std::byte>>(p).size();
    }
    return n;
  }
};

// The outcome of one request: a response to send (none for Produce with acks=0), and whether
// the connection must close after it (a protocol violation that leaves the stream unusable).
struct handler_result {
  std::optional<response> reply;
  bool close_after = false;
  // KIP-219: the client is over a quota; no further request of the connection is read until
  // this long after the reply was sent (or, without a reply, after the request was served).
  std::chrono::milliseconds mute_for{0};
};

}  // namespace vltava::net
