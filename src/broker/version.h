#pragma once

namespace vltava::broker {
inline constexpr const char* version = "0.1.0";
}  // namespace vltava::broker
