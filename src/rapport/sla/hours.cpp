#include <rapport/sla/hours.hpp>

#include <rapport/sla/admin.hpp>

namespace rapport::sla {

Result<const Calendar*> HoursLookup::calendar(std::optional<Id> id) {
  if (!id) {
    if (!m_default) {
      auto d = m_conn.scalar("SELECT id FROM business_schedules ORDER BY id LIMIT 1");
      if (!d) return fail(d.error());
      m_default.emplace(*d);
    }
    if (!*m_default) {
      if (!m_always) m_always = std::make_unique<Calendar>(Calendar::always_open());
      return m_always.get();
    }
    id = **m_default;
  }
  auto it = m_calendars.find(*id);
  if (it == m_calendars.end()) {
    auto found = m_conn.scalar("SELECT 1 FROM business_schedules WHERE id = ?", {*id});
    if (!found) return fail(found.error());
    std::unique_ptr<Calendar> cal;
    if (*found) {
      auto c = load_calendar(m_conn, *id);
      if (!c) return fail(c.error());
      cal = std::make_unique<Calendar>(std::move(*c));
    }
    it = m_calendars.emplace(*id, std::move(cal)).first;
  }
  return it->second.get();
}

Result<std::optional<Id>> HoursLookup::schedule_for(const domain::Ticket& t) {
  if (!m_policies) {
    auto p = all_policies(m_conn);
    if (!p) return fail(p.error());
    m_policies = std::move(*p);
  }
  if (const Policy* p = match_policy(*m_policies, t); p && p->schedule_id) {
    // A policy's schedule is set to null when the schedule is deleted, so it exists.
    return std::optional<Id>(*p->schedule_id);
  }
  if (!m_default) {
    if (auto c = calendar(std::nullopt); !c) return fail(c.error());
  }
  return *m_default;
}

Result<bool> HoursLookup::within(const domain::Ticket& t, int64_t at) {
  auto id = schedule_for(t);
  if (!id) return fail(id.error());
  auto cal = calendar(*id);
  if (!cal) return fail(cal.error());
  // A schedule deleted between the two reads of this lookup cannot happen (one transaction);
  // without one the hours are 24x7.
  return !*cal || (*cal)->is_open(at);
}

Result<std::optional<bool>> HoursLookup::within_schedule(Id schedule_id, int64_t at) {
  auto cal = calendar(schedule_id);
  if (!cal) return fail(cal.error());
  if (!*cal) return std::optional<bool>();
  return std::optional<bool>((*cal)->is_open(at));
}

Result<bool> HoursLookup::exists(Id schedule_id) {
  auto cal = calendar(schedule_id);
  if (!cal) return fail(cal.error());
  return *cal != nullptr;
}

}  // namespace rapport::sla
