#pragma once
#include <string_view>

namespace rapport::log {
// Sets up spdlog: one line per event, key=value fields. `level` is trace|debug|info|warn|error.
void setup(std::string_view level);
}  // namespace rapport::log
