#pragma once
// Local time for the demo generator: customers write during their waking hours and agents work
// shifts in their site's time zone, daylight saving included.
#include <cstdint>
#include <string>
#include <vector>

namespace rapport::demo {

inline constexpr int64_t k_minute = 60;
inline constexpr int64_t k_hour = 3600;
inline constexpr int64_t k_day = 86400;

// UTC offsets of one IANA zone, tabulated hourly over a span (DST changes fall on the hour).
// Falls back to a fixed offset when the system has no time-zone database.
class ZoneClock {
 public:
  ZoneClock(const std::string& name, int fallback_offset_minutes, int64_t from, int64_t to);
  const std::string& name() const { return m_name; }
  int64_t offset(int64_t t) const;
  int64_t local(int64_t t) const { return t + offset(t); }
  // 0 = Monday ... 6 = Sunday, in local time.
  int weekday(int64_t t) const;
  // Hour of the local day, 0..23.
  int hour(int64_t t) const;
  // Local midnight at or before `t`, in UTC.
  int64_t local_midnight(int64_t t) const;

 private:
  std::string m_name;
  int64_t m_from = 0;
  int64_t m_fallback = 0;
  std::vector<int32_t> m_offsets;
};

// 0 = Monday for a count of days since the epoch (1970-01-01 was a Thursday).
inline int weekday_of_day(int64_t days) {
  return static_cast<int>(((days % 7) + 7 + 3) % 7);
}
inline int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// A weekly working pattern in a site's local time: `start_minute` after local midnight for
// `length` seconds on the days in `days` (bit 0 = Monday).
struct Shift {
  int start_minute = 9 * 60;
  int64_t length = 8 * k_hour;
  uint8_t days = 0x1F;
};

// Whether someone on `shift` in `zone` is working at `t`.
bool on_shift(const ZoneClock& zone, const Shift& shift, int64_t t);
// The first moment at or after `t` when they are working (searches two weeks ahead).
int64_t next_on_shift(const ZoneClock& zone, const Shift& shift, int64_t t);

// "March 3" for the day containing `t`.
std::string month_day(int64_t t);
// "2024-05-01"
std::string iso_date(int64_t t);

}  // namespace rapport::demo
