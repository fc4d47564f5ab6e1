#pragma once
namespace harvest_connect {
// The library's version, as the CMake package and the wheel give it.
inline constexpr const char* version = "0.1.0";
}  // namespace harvest_connect
