// Capturing lambdas that are not coroutines: they return what a coroutine returns, or do no
// co_await at all. None is reported, though "co_await" appears in this comment and below.
#include <string>

#include "task.h"

task wrap(int x) {
  auto returns_task = [x]() { return make_task(x); };
  auto by_ref = [&]() -> task { return make_task(x); };
  auto plain = [x](int y) { return x + y; };
  std::string words = "co_await co_return co_yield";  // a string is no coroutine
  (void)plain;
  (void)words;
  by_ref();
  return returns_task();
}
