#include <rapport/base/time.hpp>

#include <atomic>
#include <sstream>

#include <date/date.h>

namespace rapport {

namespace {
thread_local int64_t t_clock_override = 0;
std::atomic<int64_t> g_process_clock{0};
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
  return date::format("%FT%TZ", TimePoint{std::chrono::seconds{epoch_seconds}});
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

}  // namespace rapport
