#pragma once
// People: shifts (schedules) per agent, planned and unplanned absences, and the reports built on
// them (metrics guide, Workforce): absenteeism, shrinkage, schedule adherence, utilization against
// the ramp target for the agent's tenure, span of control.
//
// A shift row is a paid block of one activity: `work` (available for contacts) or `break`,
// `training`, `coaching`, `meeting` (paid, not available). Over a period, per agent:
//   paid      = the union of the agent's shift blocks
//   available = work blocks minus absences
//   absenteeism % = unplanned absence time within paid time / paid time
//   shrinkage %   = (paid - available) / paid
//   adherence %   = time online (agent.presence_changed events) within available time / available
//   utilization % = handled contacts x AHT / paid time, where handled contacts are the agent's
//                   tickets solved in the period (tickets.assignee_id, tickets.solved_at) and AHT
//                   is the planner's figure (Rapport does not time handling yet); compared with
//                   the ramp target for the tenure month at the period's start (users.hired_at)
// Teams (group, team lead, site) sum the agents' numerators and denominators; rates are never
// averages of averages.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>
#include <rapport/workforce/plan.hpp>

namespace rapport::planning {

inline constexpr std::size_t k_max_import_rows = 20'000;
inline constexpr int64_t k_max_shift_seconds = 16 * 3600;
inline constexpr int64_t k_max_report_days = 93;

bool manages_people(const domain::Principal& who);  // managers and admins write; leads read

struct Shift {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t starts_at = 0, ends_at = 0;
  std::string activity = "work";
};

// Parses and validates a schedule CSV (header `email,starts_at,ends_at,activity`; times ISO-8601
// with an offset; activity optional, default work). Every bad row is named: the error's details
// map "line N" to its reasons. Agents are looked up by email (must be an active agent or admin).
Result<std::vector<Shift>> parse_schedule_csv(store::Conn& conn, const std::string& csv);

// Validates JSON shifts [{user_id, starts_at, ends_at, activity}] the same way ("shifts[i]").
Result<std::vector<Shift>> parse_shifts_json(store::Conn& conn, const Json& shifts);

// Inserts all of them (or, on any failure, nothing: the caller's transaction rolls back) and
// appends one `schedule.imported` event {shifts, agents, from, to}. Overlapping an existing shift
// of the same agent is a conflict naming both.
Result<int> import_shifts(store::Tx& tx, const domain::Principal& who,
                          const std::vector<Shift>& shifts);

Result<std::vector<Shift>> list_shifts(store::Conn& conn, std::optional<int64_t> user_id,
                                       int64_t from, int64_t to);

struct Absence {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t starts_at = 0, ends_at = 0;
  bool planned = false;
  std::string reason;
};

// {user_id, starts_at, ends_at, planned, reason}; appends `absence.recorded`.
Result<Absence> record_absence(store::Tx& tx, const domain::Principal& who, const Json& in);
Result<std::vector<Absence>> list_absences(store::Conn& conn, std::optional<int64_t> user_id,
                                           int64_t from, int64_t to);

struct PeopleQuery {
  int64_t from = 0, to = 0;  // [from, to), at most k_max_report_days
  std::string by = "agent";  // agent | team_lead | group | site
  double aht_s = 600;
  workforce::Ramp ramp;
};

struct PeopleRow {
  std::string key;  // "agent", "team_lead", "group", "site"
  int64_t id = 0;   // 0: none (agents without a lead, group or site)
  std::string name;
  int agents = 0;
  double paid_s = 0, available_s = 0, unplanned_absence_s = 0, planned_absence_s = 0, online_s = 0;
  int64_t handled = 0;
  std::optional<int> tenure_month;     // agent rows with hired_at
  std::optional<double> ramp_target;   // agent rows with hired_at
  std::optional<int> span_of_control;  // team_lead rows: active agents with this lead
};

Result<std::vector<PeopleRow>> people_report(store::Conn& conn, const domain::Principal& who,
                                             const PeopleQuery& q);
Json to_json(const PeopleRow& r, double aht_s);
Json to_json(const Shift& s);
Json to_json(const Absence& a);

}  // namespace rapport::planning
