// Coroutine lambdas that capture nothing: what they need comes in as parameters. None is
// reported.
#include "task.h"

void no_captures(int x, int& y) {
  auto by_param = [](int v) -> task {
    co_await std::suspend_never{};
    (void)v;
  };
  auto by_ref_param = [](int& v) -> task {
    v++;
    co_return;
  };
  auto yields = [](int v) -> generator { co_yield v; };
  by_param(x);
  by_ref_param(y);
  yields(x);
}
