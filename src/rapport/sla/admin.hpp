#pragma once
// Business-hours schedules (with holidays) and SLA policies: Zendesk's business_hours/schedules
// and slas/policies. Admins change them, staff read them; every change appends an event
// (business_schedule.* and sla_policy.*), which also makes the tracker recompute open tickets.
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/sla/calendar.hpp>
#include <rapport/sla/engine.hpp>
#include <rapport/store/store.hpp>

namespace rapport::sla {

using domain::Principal;

struct Schedule {
  Id id = 0;
  std::string name, time_zone;
  std::vector<WeeklyInterval> intervals;
  int64_t created_at = 0, updated_at = 0;
};

struct HolidayRecord {
  Id id = 0, schedule_id = 0;
  std::string name, start_date, end_date;  // YYYY-MM-DD, inclusive
  int64_t created_at = 0, updated_at = 0;
};

// Bounds: what one account may define.
constexpr std::size_t k_max_schedules = 100;
constexpr std::size_t k_max_intervals = 100;
constexpr std::size_t k_max_holidays = 1000;  // per schedule
constexpr int64_t k_max_holiday_days = 366;
constexpr std::size_t k_max_policies = 200;
constexpr std::size_t k_max_conditions = 50;      // per all/any list
constexpr int64_t k_max_target_minutes = 525600;  // one year

Result<std::vector<Schedule>> list_schedules(store::Conn& conn, const Principal& p);
Result<Schedule> get_schedule(store::Conn& conn, Id id, const Principal& p);
Result<Schedule> create_schedule(store::Tx& tx, const Json& in, const Principal& p);
Result<Schedule> update_schedule(store::Tx& tx, Id id, const Json& in, const Principal& p);
// PUT .../workweek: {"intervals":[...]} only.
Result<Schedule> update_workweek(store::Tx& tx, Id id, const Json& in, const Principal& p);
Status delete_schedule(store::Tx& tx, Id id, const Principal& p);

Result<std::vector<HolidayRecord>> list_holidays(store::Conn& conn, Id schedule_id,
                                                 const Principal& p);
Result<HolidayRecord> get_holiday(store::Conn& conn, Id schedule_id, Id id, const Principal& p);
Result<HolidayRecord> create_holiday(store::Tx& tx, Id schedule_id, const Json& in,
                                     const Principal& p);
Result<HolidayRecord> update_holiday(store::Tx& tx, Id schedule_id, Id id, const Json& in,
                                     const Principal& p);
Status delete_holiday(store::Tx& tx, Id schedule_id, Id id, const Principal& p);

// The calendar of schedule `id` (the default schedule when nullopt: the lowest id); open 24x7
// when there is no schedule at all.
Result<Calendar> load_calendar(store::Conn& conn, std::optional<Id> id);

Result<std::vector<Policy>> list_policies(store::Conn& conn, const Principal& p);
Result<Policy> get_policy(store::Conn& conn, Id id, const Principal& p);
Result<Policy> create_policy(store::Tx& tx, const Json& in, const Principal& p);
Result<Policy> update_policy(store::Tx& tx, Id id, const Json& in, const Principal& p);
Status delete_policy(store::Tx& tx, Id id, const Principal& p);
// {"sla_policy_ids":[...]}: every policy, once, in the new order.
Result<std::vector<Policy>> reorder_policies(store::Tx& tx, const Json& in, const Principal& p);
// Every policy in match order, without a permission check (the tracker's view).
Result<std::vector<Policy>> all_policies(store::Conn& conn);

}  // namespace rapport::sla
