#pragma once

// named_type<T, Tag>: a domain integer that cannot be mixed up with another one
// (an offset passed where a leader epoch is meant does not compile).

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>

namespace vltava {

template <typename T, typename Tag>
class named_type {
 public:
  using value_type = T;

  constexpr named_type() = default;
  constexpr explicit named_type(T v) : _value(v) {}

  constexpr T operator()() const { return _value; }
  constexpr T value() const { return _value; }

  constexpr auto operator<=>(const named_type&) const = default;

  constexpr named_type& operator++() {
    ++_value;
    return *this;
  }
  constexpr named_type operator++(int) {
    named_type old = *this;
    ++_value;
    return old;
  }
  constexpr named_type& operator+=(T d) {
    _value += d;
    return *this;
  }
  constexpr named_type& operator-=(T d) {
    _value -= d;
    return *this;
  }
  friend constexpr named_type operator+(named_type a, T d) { return named_type(a._value + d); }
  friend constexpr named_type operator-(named_type a, T d) { return named_type(a._value - d); }
  // The distance between two values of the same kind is a plain number.
  friend constexpr T operator-(named_type a, named_type b) { return a._value - b._value; }

  friend std::ostream& operator<<(std::ostream& os, named_type v) { return os << v._value; }

 private:
  T _value{};
};

}  // namespace vltava

template <typename T, typename Tag>
struct std::hash<vltava::named_type<T, Tag>> {
  std::size_t operator()(vltava::named_type<T, Tag> v) const noexcept {
    return std::hash<T>{}(v.value());
  }
};
