#include <rapport/app/business_hours.hpp>

#include <spdlog/spdlog.h>

#include <rapport/sla/hours.hpp>

namespace rapport::app {

namespace {

// One transaction's view. A condition cannot return an error, so a failed read is logged and
// counts as open: the rule then behaves as on a server without a schedule (24x7), rather than
// sending "we're closed" because the database was busy.
class View final : public automation::BusinessHours {
 public:
  explicit View(store::Conn& conn) : m_lookup(conn) {}
  bool within(const domain::Ticket& t, int64_t at) const override {
    auto r = m_lookup.within(t, at);
    if (r) return *r;
    spdlog::error("event=business_hours_failed ticket_id={} error=\"{}\"", t.id, r.error().message);
    return true;
  }
  bool within_schedule(domain::Id id, int64_t at) const override {
    auto r = m_lookup.within_schedule(id, at);
    if (r) return r->value_or(false);
    spdlog::error("event=business_hours_failed schedule_id={} error=\"{}\"", id, r.error().message);
    return true;
  }
  bool has_schedule(domain::Id id) const override {
    auto r = m_lookup.exists(id);
    if (r) return *r;
    spdlog::error("event=business_hours_failed schedule_id={} error=\"{}\"", id, r.error().message);
    return false;
  }

 private:
  mutable sla::HoursLookup m_lookup;  // caches what it read; the interface's questions are const
};

}  // namespace

std::unique_ptr<automation::BusinessHours> ScheduleHours::open(store::Conn& conn) const {
  return std::make_unique<View>(conn);
}

const ScheduleHours& ScheduleHours::instance() {
  static const ScheduleHours hours;
  return hours;
}

}  // namespace rapport::app
