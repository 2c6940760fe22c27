#pragma once

// An allocator whose value-initialization (`std::vector<T, A> v(n)`, `resize(n)`) leaves trivial
// elements uninitialized. For buffers that are read or written over right away: a 1 MiB
// request frame was zero-filled only to be overwritten by the socket read.

#include <memory>
#include <type_traits>
#include <utility>

namespace vltava {

template <typename T>
class default_init_allocator : public std::allocator<T> {
 public:
  template <typename U>
  struct rebind {
    using other = default_init_allocator<U>;
  };
  using std::allocator<T>::allocator;

  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;  // default-initialization: nothing for trivial types
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    std::allocator_traits<std::allocator<T>>::construct(static_cast<std::allocator<T>&>(*this), p,
                                                        std::forward<Args>(args)...);
  }
};

}  // namespace vltava
