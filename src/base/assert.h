#pragma once

// Assertions are always on (release builds too): a failed one is a programmer error, and
// continuing would risk writing wrong data. Errors that input can cause are values, not asserts.

#include <cstdio>
#include <cstdlib>

namespace vltava::detail {
[[noreturn]] inline void assert_failed(const char* expr, const char* msg, const char* file,
                                       int line) {
  std::fprintf(stderr, "vltava: assertion failed at %s:%d: %s (%s)\n", file, line, expr, msg);
  std::abort();
}
}  // namespace vltava::detail

#define VLTAVA_ASSERT(cond, msg)                                         \
  do {                                                                   \
    if (!(cond)) [[unlikely]]                                            \
      ::vltava::detail::assert_failed(#cond, (msg), __FILE__, __LINE__); \
  } while (0)

#define VLTAVA_UNREACHABLE(msg) \
  ::vltava::detail::assert_failed("unreachable", (msg), __FILE__, __LINE__)
