// Coroutine lambdas with a capture list: each marked line is reported.
#include <utility>

#include "task.h"

struct widget {
  int value = 0;
  task start() {
    auto by_this = [this]() -> task {  // LINT-ERROR
      value++;
      co_return;
    };
    return by_this();
  }
};

void captures(int x, int& y) {
  auto by_copy = [x]() -> task { co_await std::suspend_never{}; (void)x; };  // LINT-ERROR
  auto by_ref = [&y]() -> task {  // LINT-ERROR
    y++;
    co_return;
  };
  auto by_default_ref = [&]() -> task { co_return; };  // LINT-ERROR
  auto by_default_copy = [=]() -> int_task { co_return 1; };  // LINT-ERROR
  auto init_capture = [z = std::move(x)]() mutable -> generator {  // LINT-ERROR
    co_yield z;
  };
  auto split_capture_list = [x,  // LINT-ERROR
                             &y]() -> task {
    (void)x, (void)y;
    co_return;
  };
  by_copy();
  by_ref();
  by_default_ref();
  by_default_copy();
  init_capture();
  split_capture_list();
}

// A generic lambda in a template: checked as written, before any instantiation.
template <typename T>
void generic(T t) {
  auto f = [t](auto u) -> task {  // LINT-ERROR
    co_await std::suspend_never{};
    (void)u;
  };
  f(t);
}
