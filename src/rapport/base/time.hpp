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

// Makes now_epoch() on this thread return `at` while alive: the demo generator replays 90 days
// of history through the ordinary services this way, so its data has the shape real use makes.
class ScopedClock {
 public:
  explicit ScopedClock(int64_t at);
  ~ScopedClock();
  void set(int64_t at);
  ScopedClock(const ScopedClock&) = delete;
  ScopedClock& operator=(const ScopedClock&) = delete;

 private:
  int64_t m_previous;
};
// Test-only: makes now_epoch() return `at` on every thread that has no ScopedClock (0 restores the
// real clock). The server calls it only when `testing.clock_control` is on, so black-box tests
// can move time past an SLA breach without waiting for it.
void set_process_clock(int64_t at);

// "2024-05-01T10:00:00Z"
std::string iso8601(int64_t epoch_seconds);
// Accepts "2024-05-01", "2024-05-01T10:00:00Z", "2024-05-01T10:00:00+02:00", "...10:00:00.123Z".
std::optional<int64_t> parse_iso8601(std::string_view text);

}  // namespace rapport
