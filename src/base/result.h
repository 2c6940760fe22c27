#pragma once

// result<T, E>: a value or an error, for hot paths where exceptions are the wrong tool.
// (std::expected is C++23; g++ 12 does not ship it.)

#include <type_traits>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace vltava {

template <typename E>
struct failure {
  E error;
};
template <typename E>
failure(E) -> failure<E>;

// Makes an error value that converts to any result<T, E>.
template <typename E>
failure<std::decay_t<E>> fail(E&& e) {
  return {std::forward<E>(e)};
}

template <typename T, typename E>
class [[nodiscard]] result {
 public:
  result(T value) : _v(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <typename F>
  requires std::is_convertible_v<F, E> result(failure<F> f)
      : _v(std::in_place_index<1>, E(std::move(f.error))) {}  // NOLINT

  bool has_value() const { return _v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    VLTAVA_ASSERT(has_value(), "result holds an error");
    return std::get<0>(_v);
  }
  const T& value() const& {
    VLTAVA_ASSERT(has_value(), "result holds an error");
    return std::get<0>(_v);
  }
  T&& value() && {
    VLTAVA_ASSERT(has_value(), "result holds an error");
    return std::get<0>(std::move(_v));
  }
  const E& error() const {
    VLTAVA_ASSERT(!has_value(), "result holds a value");
    return std::get<1>(_v);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> _v;
};

template <typename E>
class [[nodiscard]] result<void, E> {
 public:
  result() = default;
  template <typename F>
  requires std::is_convertible_v<F, E> result(failure<F> f)
      : _error(E(std::move(f.error))), _failed(true) {}  // NOLINT

  bool has_value() const { return !_failed; }
  explicit operator bool() const { return has_value(); }
  const E& error() const {
    VLTAVA_ASSERT(_failed, "result holds no error");
    return _error;
  }

 private:
  E _error{};
  bool _failed = false;
};

}  // namespace vltava
