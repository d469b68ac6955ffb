#include <rapport/base/time.hpp>

#include <atomic>
#include <cstdio>
#include <sstream>

#include <date/date.h>
#include <date/tz.h>

namespace rapport {

namespace {
thread_local int64_t t_clock_override = 0;
std::atomic<int64_t> g_process_clock{0};
// nullptr: UTC (the fast path: a day is epoch / 86400). Zones live as long as the tz database.
std::atomic<const date::time_zone*> g_zone{nullptr};

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
}  // namespace

void set_process_clock(int64_t at) { g_process_clock.store(at); }

ScopedClock::ScopedClock(int64_t at) : m_previous(t_clock_override) { t_clock_override = at; }
ScopedClock::~ScopedClock() { t_clock_override = m_previous; }
void ScopedClock::set(int64_t at) { t_clock_override = at; }

int64_t now_epoch() {
  if (t_clock_override) return t_clock_override;
  if (int64_t p = g_process_clock.load(std::memory_order_relaxed)) return p;
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

std::string iso8601(int64_t epoch_seconds) {
  // Every ticket in a page has two or three of these: date::format builds a stream with its
  // locale each time (6% of a page's CPU), so the usual four-digit years are formatted here.
  auto days = date::floor<date::days>(TimePoint{std::chrono::seconds{epoch_seconds}});
  date::year_month_day ymd{days};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) return date::format("%FT%TZ", TimePoint{std::chrono::seconds{epoch_seconds}});
  int64_t secs = epoch_seconds - std::chrono::duration_cast<std::chrono::seconds>(days.time_since_epoch()).count();
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", year, static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

std::optional<int64_t> parse_iso8601(std::string_view text) {
  std::string s(text);
  if (s.size() == 10) {  // a bare date means midnight UTC
    std::istringstream in(s);
    date::sys_days d;
    in >> date::parse("%F", d);
    if (in.fail()) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::seconds>(d.time_since_epoch()).count();
  }
  for (const char* fmt : {"%FT%T%Ez", "%FT%TZ", "%FT%T%z", "%F %T"}) {
    std::istringstream in(s);
    date::sys_time<std::chrono::milliseconds> tp;
    in >> date::parse(fmt, tp);
    if (!in.fail()) {
      return std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch()).count();
    }
  }
  return std::nullopt;
}

Status set_organization_time_zone(std::string_view iana_name) {
  if (iana_name.empty() || iana_name == "UTC" || iana_name == "Etc/UTC") {
    g_zone.store(nullptr);
    return {};
  }
  try {
    g_zone.store(date::locate_zone(iana_name));
    return {};
  } catch (const std::exception&) {
    return fail(Error::invalid("unknown time zone \"" + std::string(iana_name) +
                               "\": use an IANA name such as Europe/Berlin or America/New_York"));
  }
}

std::string organization_time_zone() {
  const auto* z = g_zone.load();
  return z ? std::string(z->name()) : std::string("UTC");
}

int64_t local_day(int64_t epoch_seconds) {
  const auto* z = g_zone.load(std::memory_order_relaxed);
  if (!z) return floor_div(epoch_seconds, 86400);
  auto local = z->to_local(date::sys_seconds{std::chrono::seconds{epoch_seconds}});
  return date::floor<date::days>(local).time_since_epoch().count();
}

int64_t local_day_start(int64_t day) {
  const auto* z = g_zone.load(std::memory_order_relaxed);
  if (!z) return day * 86400;
  date::local_seconds midnight{date::days{day}};
  auto info = z->get_info(midnight);
  // Midnight skipped by a DST change (e.g. America/Santiago): the day starts when the gap ends.
  if (info.result == date::local_info::nonexistent) return info.second.begin.time_since_epoch().count();
  // Midnight repeated (a change back across it): the day starts at the first of the two.
  return (midnight - info.first.offset).time_since_epoch().count();
}

std::string day_date(int64_t day) { return date::format("%F", date::sys_days{date::days{day}}); }

std::optional<int64_t> parse_day(std::string_view text) {
  if (text.size() != 10) return std::nullopt;
  auto t = parse_iso8601(text);
  if (!t) return std::nullopt;
  return floor_div(*t, 86400);
}

std::optional<int64_t> parse_period_bound(std::string_view text) {
  if (auto d = parse_day(text)) return local_day_start(*d);
  return parse_iso8601(text);
}

}  // namespace rapport
