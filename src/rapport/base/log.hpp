#pragma once
#include <string_view>

namespace rapport::log {
// Sets up spdlog: one line per event, key=value fields. `level` is trace|debug|info|warn|error.
void setup(std::string_view level);
// Names the calling thread (at most 15 bytes) so `top -H`, perf and gdb tell the threads apart.
void name_thread(const char* name);
}  // namespace rapport::log
