#pragma once
// Business-time arithmetic: a calendar is an IANA time zone, weekly open intervals and holidays.
// Pure (no I/O): times are UTC epoch seconds, the local wall clock comes from the tz database.
//
// Local times become instants as the tz database says. On a DST change an interval covers the
// real time between its two ends: an 08:00-17:00 day is 9 hours on either side of a change at
// 02:00, a 00:00-06:00 interval is 5 hours on the spring day and 7 hours on the autumn day. An
// end that falls in the skipped hour is the moment of the change; in the repeated hour a start
// is its first occurrence and an end its second (the interval covers all of it).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <date/tz.h>

#include <rapport/base/error.hpp>

namespace rapport::sla {

constexpr int k_minutes_per_week = 7 * 24 * 60;

// Minutes from Sunday 00:00 local time, [start, end), 0 <= start < end <= 10080 (Zendesk's unit).
// One interval may cross midnight (Monday 22:00 to Tuesday 06:00 is {2760, 3240}).
struct WeeklyInterval {
  int start_minute = 0;
  int end_minute = 0;
};

// Closed local dates, inclusive: {2024-12-24, 2024-12-26} closes three whole days.
struct Holiday {
  date::local_days first;
  date::local_days last;
};

// The IANA zone for `name`: an IANA name ("Europe/Berlin") or one of Zendesk's Rails names
// ("Eastern Time (US & Canada)"). Null when unknown.
const date::time_zone* find_zone(std::string_view name);

class Calendar {
 public:
  // Open all week, every day (24x7): business time is calendar time.
  static Calendar always_open();
  // Validates the intervals (in range, not overlapping) and holidays (first <= last).
  static Result<Calendar> make(std::string_view zone, const std::vector<WeeklyInterval>& intervals,
                               std::vector<Holiday> holidays);

  // Open seconds in [from, to); 0 when to <= from.
  int64_t business_seconds(int64_t from, int64_t to) const;
  // The earliest instant t >= start with business_seconds(start, t) == seconds. Nullopt when the
  // calendar has not accumulated that much open time within k_horizon_days of `start`.
  std::optional<int64_t> add_business_seconds(int64_t start, int64_t seconds) const;
  // `t` itself when open at t, else the start of the next open period; nullopt as above.
  std::optional<int64_t> next_opening(int64_t t) const;
  bool is_open(int64_t t) const;

  bool is_always_open() const { return m_always; }
  const date::time_zone* zone() const { return m_zone; }

  // How far the search for open time goes (20 years): a calendar of holidays only never opens.
  static constexpr int64_t k_horizon_days = 20 * 366;

 private:
  Calendar() = default;
  bool is_holiday(date::local_days d) const;
  // Calls fn(open_start, open_end) for each open window (UTC, ascending, non-overlapping) that
  // ends after `from`, until fn returns false or the horizon is reached. Returns whether fn
  // stopped it.
  template <typename F>
  bool each_window(int64_t from, F&& fn) const;

  bool m_always = false;
  const date::time_zone* m_zone = nullptr;
  // Open minute ranges of the local day, per weekday (0 = Sunday), sorted and merged.
  std::array<std::vector<std::pair<int, int>>, 7> m_days;
  std::vector<Holiday> m_holidays;  // sorted by first, merged
};

}  // namespace rapport::sla
