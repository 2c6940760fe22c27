#pragma once

// One-line operator logs on stderr: "2026-11-22T02:50:01.123Z INFO net: message". Not for hot
// loops: a line per event an operator should see (start, stop, a refused connection).

#include <fmt/format.h>

#include <string_view>

namespace vltava::log {

enum class level { debug, info, warn, error };

void set_min_level(level l);
bool enabled(level l);
void write(level l, std::string_view module, std::string_view message);

template <typename... Args>
void info(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::info)) write(level::info, module, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::warn)) write(level::warn, module, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::error)) {
    write(level::error, module, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void debug(std::string_view module, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level::debug)) {
    write(level::debug, module, fmt::format(f, std::forward<Args>(args)...));
  }
}

}  // namespace vltava::log
