#include <rapport/demo/calendar.hpp>

#include <chrono>
#include <exception>

#include <date/date.h>
#include <date/tz.h>

namespace rapport::demo {

ZoneClock::ZoneClock(const std::string& name, int fallback_offset_minutes, int64_t from, int64_t to)
    : m_name(name),
      m_from(floor_div(from, k_hour) * k_hour),
      m_fallback(int64_t{fallback_offset_minutes} * k_minute) {
  if (to < from) to = from;
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(name);
  } catch (const std::exception&) {
    zone = nullptr;  // no tz database on this machine: a fixed offset is close enough for a demo
  }
  auto hours = static_cast<std::size_t>((to - m_from) / k_hour + 2);
  m_offsets.assign(hours, static_cast<int32_t>(m_fallback));
  if (!zone) return;
  for (std::size_t i = 0; i < hours; ++i) {
    auto at = date::sys_seconds{std::chrono::seconds{m_from + static_cast<int64_t>(i) * k_hour}};
    try {
      m_offsets[i] = static_cast<int32_t>(zone->get_info(at).offset.count());
    } catch (const std::exception&) {
      return;
    }
  }
}

int64_t ZoneClock::offset(int64_t t) const {
  if (m_offsets.empty()) return m_fallback;
  int64_t i = floor_div(t - m_from, k_hour);
  if (i < 0) i = 0;
  if (i >= static_cast<int64_t>(m_offsets.size())) i = static_cast<int64_t>(m_offsets.size()) - 1;
  return m_offsets[static_cast<std::size_t>(i)];
}

int ZoneClock::weekday(int64_t t) const {
  return weekday_of_day(floor_div(local(t), k_day));
}

int ZoneClock::hour(int64_t t) const {
  int64_t l = local(t);
  return static_cast<int>((l - floor_div(l, k_day) * k_day) / k_hour);
}

int64_t ZoneClock::local_midnight(int64_t t) const {
  int64_t l = local(t);
  int64_t midnight_local = floor_div(l, k_day) * k_day;
  return midnight_local - offset(t);
}

namespace {

// Start of the shift that began on the local day `day` (days since the epoch), in UTC.
int64_t shift_start(const ZoneClock& zone, const Shift& shift, int64_t day, int64_t near) {
  int64_t local_start = day * k_day + int64_t{shift.start_minute} * k_minute;
  return local_start - zone.offset(near);
}

bool works_on(const Shift& shift, int64_t day) {
  return (shift.days >> weekday_of_day(day)) & 1;
}

}  // namespace

bool on_shift(const ZoneClock& zone, const Shift& shift, int64_t t) {
  int64_t today = floor_div(zone.local(t), k_day);
  for (int64_t day = today - 1; day <= today; ++day) {
    if (!works_on(shift, day)) continue;
    int64_t start = shift_start(zone, shift, day, t);
    if (t >= start && t < start + shift.length) return true;
  }
  return false;
}

int64_t next_on_shift(const ZoneClock& zone, const Shift& shift, int64_t t) {
  if (on_shift(zone, shift, t)) return t;
  int64_t today = floor_div(zone.local(t), k_day);
  for (int64_t day = today; day <= today + 14; ++day) {
    if (!works_on(shift, day)) continue;
    int64_t start = shift_start(zone, shift, day, t + (day - today) * k_day);
    if (start >= t) return start;
  }
  return t + 14 * k_day;
}

std::string month_day(int64_t t) {
  static const char* const k_months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
  date::year_month_day ymd{date::floor<date::days>(date::sys_seconds{std::chrono::seconds{t}})};
  return std::string(k_months[static_cast<unsigned>(ymd.month()) - 1]) + " " +
         std::to_string(static_cast<unsigned>(ymd.day()));
}

std::string iso_date(int64_t t) {
  return date::format("%F", date::floor<date::days>(date::sys_seconds{std::chrono::seconds{t}}));
}

}  // namespace rapport::demo
