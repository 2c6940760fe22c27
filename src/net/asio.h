#pragma once

// The one include for Asio (standalone 1.22, C++20 coroutines) and the names we use from it.

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

namespace vltava::net {
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
}  // namespace vltava::net
