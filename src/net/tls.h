#pragma once

// Asio's TLS streams (OpenSSL), included only where a connection may speak TLS.

#include <asio/ssl.hpp>

#include "net/asio.h"

namespace vltava::net {
// One per TLS listener, shared by its connections on every shard (an SSL_CTX is safe to share
// for creating connections).
using tls_context = asio::ssl::context;
// The connection keeps its socket; the TLS stream works on it by reference.
using tls_stream = asio::ssl::stream<tcp::socket&>;
}  // namespace vltava::net
