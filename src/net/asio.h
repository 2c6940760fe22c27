#pragma once

// The one include for Asio (standalone 1.22, C++20 coroutines) and the names we use from it.

// Asio 1.22 recognises clang's coroutines only through the pre-C++20 __cpp_coroutines macro,
// which clang 14 no longer defines in C++20 mode; its std::coroutine support is complete.
#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(ASIO_HAS_CO_AWAIT)
#define ASIO_HAS_CO_AWAIT 1
#endif

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

namespace vltava::net {
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
}  // namespace vltava::net
