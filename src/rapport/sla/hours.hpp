#pragma once
// Business hours as business rules ask about them (automation's `within_business_hours` and
// `within_schedule` conditions): which schedule applies to a ticket, and whether an instant falls
// inside a schedule's open hours. docs/sla.md ("Business hours in rules") states the rule.
//
// A lookup reads through one connection and keeps what it loaded, so one trigger pass over many
// rules loads each calendar and the policy list at most once. It is meant to live for one
// transaction: a schedule changed by a later transaction is read by the next lookup.
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/sla/calendar.hpp>
#include <rapport/sla/engine.hpp>
#include <rapport/store/store.hpp>

namespace rapport::sla {

class HoursLookup {
 public:
  explicit HoursLookup(store::Conn& conn) : m_conn(conn) {}

  // The schedule that applies to `t`: the one named by the SLA policy the ticket falls under
  // (so rules and the ticket's SLA clocks agree on when the team works), else the default
  // schedule (the lowest id). Nullopt when there is no schedule at all: then every instant is
  // within business hours (24x7), as Zendesk without a schedule.
  Result<std::optional<Id>> schedule_for(const domain::Ticket& t);
  // Whether `at` (epoch seconds) is within the business hours that apply to `t`.
  Result<bool> within(const domain::Ticket& t, int64_t at);
  // Whether `at` is within schedule `schedule_id`'s business hours; nullopt when no schedule has
  // that id (it was deleted after the rule was saved).
  Result<std::optional<bool>> within_schedule(Id schedule_id, int64_t at);
  Result<bool> exists(Id schedule_id);

 private:
  // The calendar of schedule `id` (nullopt: the default one); null when `id` names no schedule.
  Result<const Calendar*> calendar(std::optional<Id> id);

  store::Conn& m_conn;
  std::optional<std::vector<Policy>> m_policies;
  std::optional<std::optional<Id>> m_default;               // loaded once: the lowest id, if any
  std::map<Id, std::unique_ptr<Calendar>> m_calendars;      // null entry: no such schedule
  std::unique_ptr<Calendar> m_always;                       // 24x7, when there is no schedule
};

}  // namespace rapport::sla
