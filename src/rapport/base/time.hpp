#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rapport {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::sys_seconds;

// Seconds since the epoch, the unit the store keeps times in.
int64_t now_epoch();
// "2024-05-01T10:00:00Z"
std::string iso8601(int64_t epoch_seconds);
// Accepts "2024-05-01", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00+02:00", "...10:00:00.123Z".
std::optional<int64_t> parse_iso8601(std::string_view text);

}  // namespace rapport
