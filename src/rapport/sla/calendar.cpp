#include <rapport/sla/calendar.hpp>

#include <algorithm>
#include <map>

namespace rapport::sla {

namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// Zendesk accounts name zones the Rails way. The common ones map here; any IANA name works too.
// (Rails' full table has ~150 entries; these cover the zones Zendesk's own docs and exports use.)
const std::map<std::string_view, std::string_view>& rails_zones() {
  static const std::map<std::string_view, std::string_view> k_map = {
      {"Pacific Time (US & Canada)", "America/Los_Angeles"},
      {"Mountain Time (US & Canada)", "America/Denver"},
      {"Central Time (US & Canada)", "America/Chicago"},
      {"Eastern Time (US & Canada)", "America/New_York"},
      {"Atlantic Time (Canada)", "America/Halifax"},
      {"Arizona", "America/Phoenix"},
      {"Alaska", "America/Juneau"},
      {"Hawaii", "Pacific/Honolulu"},
      {"Brasilia", "America/Sao_Paulo"},
      {"Buenos Aires", "America/Argentina/Buenos_Aires"},
      {"Mexico City", "America/Mexico_City"},
      {"UTC", "Etc/UTC"},
      {"London", "Europe/London"},
      {"Dublin", "Europe/Dublin"},
      {"Lisbon", "Europe/Lisbon"},
      {"Amsterdam", "Europe/Amsterdam"},
      {"Berlin", "Europe/Berlin"},
      {"Brussels", "Europe/Brussels"},
      {"Copenhagen", "Europe/Copenhagen"},
      {"Madrid", "Europe/Madrid"},
      {"Paris", "Europe/Paris"},
      {"Rome", "Europe/Rome"},
      {"Stockholm", "Europe/Stockholm"},
      {"Vienna", "Europe/Vienna"},
      {"Warsaw", "Europe/Warsaw"},
      {"Zurich", "Europe/Zurich"},
      {"Athens", "Europe/Athens"},
      {"Helsinki", "Europe/Helsinki"},
      {"Istanbul", "Europe/Istanbul"},
      {"Moscow", "Europe/Moscow"},
      {"Jerusalem", "Asia/Jerusalem"},
      {"Abu Dhabi", "Asia/Muscat"},
      {"Mumbai", "Asia/Kolkata"},
      {"New Delhi", "Asia/Kolkata"},
      {"Singapore", "Asia/Singapore"},
      {"Hong Kong", "Asia/Hong_Kong"},
      {"Beijing", "Asia/Shanghai"},
      {"Tokyo", "Asia/Tokyo"},
      {"Seoul", "Asia/Seoul"},
      {"Sydney", "Australia/Sydney"},
      {"Melbourne", "Australia/Melbourne"},
      {"Auckland", "Pacific/Auckland"},
  };
  return k_map;
}

int64_t epoch(date::sys_seconds t) {
  return t.time_since_epoch().count();
}

}  // namespace

const date::time_zone* find_zone(std::string_view name) {
  if (name.empty() || name.size() > 64) return nullptr;
  if (auto it = rails_zones().find(name); it != rails_zones().end()) name = it->second;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {  // the tz library reports an unknown name by throwing
    return nullptr;
  }
}

Calendar Calendar::always_open() {
  Calendar c;
  c.m_always = true;
  c.m_zone = date::locate_zone("Etc/UTC");
  for (auto& d : c.m_days) d = {{0, 1440}};
  return c;
}

Result<Calendar> Calendar::make(std::string_view zone, const std::vector<WeeklyInterval>& intervals,
                                std::vector<Holiday> holidays) {
  Calendar c;
  c.m_zone = find_zone(zone);
  if (!c.m_zone)
    return fail(Error::field("time_zone", "InvalidValue", "Time zone: is not a known time zone"));
  std::vector<WeeklyInterval> sorted = intervals;
  std::sort(sorted.begin(), sorted.end(),
            [](auto& a, auto& b) { return a.start_minute < b.start_minute; });
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const auto& iv = sorted[i];
    if (iv.start_minute < 0 || iv.end_minute > k_minutes_per_week ||
        iv.start_minute >= iv.end_minute)
      return fail(Error::field(
          "intervals", "InvalidValue",
          "Intervals: each needs 0 <= start_time < end_time <= 10080 (minutes from Sunday 00:00)"));
    if (i > 0 && sorted[i - 1].end_minute > iv.start_minute)
      return fail(Error::field("intervals", "InvalidValue", "Intervals: must not overlap"));
    // Split at local midnights into per-weekday ranges.
    for (int day = iv.start_minute / 1440; day * 1440 < iv.end_minute; ++day) {
      int a = std::max(iv.start_minute, day * 1440) - day * 1440;
      int b = std::min(iv.end_minute, (day + 1) * 1440) - day * 1440;
      if (a < b) c.m_days[static_cast<std::size_t>(day)].emplace_back(a, b);
    }
  }
  int open_days = 0;
  for (auto& d : c.m_days) {
    std::vector<std::pair<int, int>> merged;
    for (auto r : d) {
      if (!merged.empty() && merged.back().second >= r.first)
        merged.back().second = std::max(merged.back().second, r.second);
      else
        merged.push_back(r);
    }
    d = std::move(merged);
    if (d.size() == 1 && d[0] == std::pair<int, int>{0, 1440}) ++open_days;
  }
  for (const auto& h : holidays) {
    if (h.last < h.first)
      return fail(
          Error::field("end_date", "InvalidValue", "End date: must not be before the start date"));
  }
  std::sort(holidays.begin(), holidays.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (const auto& h : holidays) {
    if (!c.m_holidays.empty() && c.m_holidays.back().last + date::days{1} >= h.first)
      c.m_holidays.back().last = std::max(c.m_holidays.back().last, h.last);
    else
      c.m_holidays.push_back(h);
  }
  c.m_always = open_days == 7 && c.m_holidays.empty();
  return c;
}

bool Calendar::is_holiday(date::local_days d) const {
  // The last holiday starting on or before d.
  auto it = std::upper_bound(m_holidays.begin(), m_holidays.end(), d,
                             [](auto day, const Holiday& h) { return day < h.first; });
  if (it == m_holidays.begin()) return false;
  return d <= std::prev(it)->last;
}

template <typename F>
bool Calendar::each_window(int64_t from, F&& fn) const {
  auto local = m_zone->to_local(date::sys_seconds{seconds{from}});
  // Start a day early: a window of the previous local day can still be open at `from` only
  // through an odd offset change at midnight, but it costs one day to be sure.
  auto day = date::floor<date::days>(local) - date::days{1};
  int64_t last_end = INT64_MIN;
  // Open windows are built per local day; consecutive ones that touch are joined, so a
  // caller sees 22:00-06:00 as one window.
  std::optional<std::pair<int64_t, int64_t>> pending;
  for (int64_t i = 0; i <= k_horizon_days + 1; ++i, day += date::days{1}) {
    if (is_holiday(day)) continue;
    const auto& ranges = m_days[date::weekday{day}.c_encoding()];
    for (auto [a, b] : ranges) {
      int64_t s = epoch(m_zone->to_sys(day + minutes{a}, date::choose::earliest));
      int64_t e = epoch(m_zone->to_sys(day + minutes{b}, date::choose::latest));
      s = std::max(s, last_end);  // a repeated hour must not count twice
      if (e <= s || e <= from) continue;
      last_end = e;
      if (pending && pending->second >= s) {
        pending->second = e;
        continue;
      }
      if (pending && !fn(pending->first, pending->second)) return true;
      pending = std::pair{s, e};
    }
  }
  if (pending && !fn(pending->first, pending->second)) return true;
  return false;
}

int64_t Calendar::business_seconds(int64_t from, int64_t to) const {
  if (to <= from) return 0;
  if (m_always) return to - from;
  int64_t total = 0;
  each_window(from, [&](int64_t s, int64_t e) {
    if (s >= to) return false;
    total += std::min(e, to) - std::max(s, from);
    return true;
  });
  return total;
}

std::optional<int64_t> Calendar::add_business_seconds(int64_t start, int64_t secs) const {
  if (secs <= 0) return start;
  if (m_always) return start + secs;
  std::optional<int64_t> out;
  int64_t left = secs;
  each_window(start, [&](int64_t s, int64_t e) {
    s = std::max(s, start);
    if (e - s >= left) {
      out = s + left;
      return false;
    }
    left -= e - s;
    return true;
  });
  return out;
}

std::optional<int64_t> Calendar::next_opening(int64_t t) const {
  if (m_always) return t;
  std::optional<int64_t> out;
  each_window(t, [&](int64_t s, int64_t) {
    out = std::max(s, t);
    return false;
  });
  return out;
}

bool Calendar::is_open(int64_t t) const {
  return next_opening(t) == t;
}

}  // namespace rapport::sla
