// Nested lambdas: a lambda is a coroutine by its own body only.
#include "task.h"

void nested(int x) {
  // A capturing outer lambda that is not a coroutine, around a non-capturing coroutine.
  auto outer_plain = [x]() {
    auto inner = [](int v) -> task {
      co_await std::suspend_never{};
      (void)v;
    };
    return inner(x);
  };
  // A capturing outer lambda that is not a coroutine, around a capturing coroutine: only the
  // inner one is reported.
  auto outer_plain_inner_bad = [x]() {
    auto inner = [x]() -> task {  // LINT-ERROR
      (void)x;
      co_return;
    };
    return inner();
  };
  // A non-capturing coroutine around a capturing lambda that is not a coroutine.
  auto outer_coro = [](int v) -> int_task {
    auto add = [v](int w) { return v + w; };
    co_return add(1);
  };
  // A capturing coroutine around a non-capturing coroutine: the outer one is reported.
  auto outer_bad = [&]() -> task {  // LINT-ERROR
    auto inner = []() -> task { co_return; };
    inner();
    co_return;
  };
  // A capturing lambda holding a local class whose member function is a coroutine.
  auto local_class = [x]() {
    struct helper {
      task run() { co_return; }
    };
    (void)x;
    return helper{}.run();
  };
  outer_plain();
  outer_plain_inner_bad();
  outer_coro(x);
  outer_bad();
  local_class();
}
