#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapport/base/error.hpp>

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

// ---- The organization's time zone ----------------------------------------------------------------
// metrics.md: "a period is half-open [from, to) in the organization's time zone". Days in reports
// (a leaderboard's from/to, a summary by day, the daily digest) are the organization's calendar
// days, numbered like UTC days (days since 1970-01-01 of the local date), so "2026-11-30" is day
// 20422 in every zone and only where it starts and ends moves.
//
// One zone per process (Rapport serves one organization): set once at startup from the
// `organization.time_zone` setting, before other threads start; UTC until then. An IANA name
// ("Europe/Berlin"); the error names the value.
Status set_organization_time_zone(std::string_view iana_name);
// The zone's IANA name, "UTC" by default.
std::string organization_time_zone();
// The local day (days since 1970-01-01 of the local date) that contains `epoch_seconds`.
int64_t local_day(int64_t epoch_seconds);
// The first instant of local day `day`: its local midnight, or, where a DST change skips
// midnight, the first local time that exists that day.
int64_t local_day_start(int64_t day);
// "2026-11-30" for a day number (local or UTC alike).
std::string day_date(int64_t day);
// A day number from "2026-11-30"; nullopt for anything else.
std::optional<int64_t> parse_day(std::string_view text);
// A report period's bound: a bare date means that date's local midnight; a timestamp with an
// offset or Z is that instant.
std::optional<int64_t> parse_period_bound(std::string_view text);

}  // namespace rapport
