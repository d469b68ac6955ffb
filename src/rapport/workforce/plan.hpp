#pragma once
// Staffing plans and peak (hiring) plans. Pure: no I/O.
//
// A staffing plan turns a volume forecast per interval into the agents required for a target
// (Erlang C, the solver in erlang.hpp) and the agents to schedule after shrinkage,
// ceil(required / (1 - shrinkage)), per interval, with totals:
//   agent-hours = sum over intervals of agents x interval length;
//   FTE of a week = scheduled agent-hours in that week / hours_per_fte_week (default 40): the
//   number of full-time contracts whose paid hours equal the scheduled hours. It assumes shifts
//   can follow the interval curve exactly; real shift patterns need somewhat more.
// What-ifs change the inputs (volume x (1 + change), AHT + seconds, another target or shrinkage)
// and the plan is computed again.
//
// A peak plan answers "when must hiring start, and how many, to be staffed for a forecast peak":
// a hire is unproductive during training_weeks, then works at ramp[0] of a tenured agent in tenure
// month 1, ramp[1] in month 2, ... and 100 % after the ramp (a month is 365.25 / 12 / 7 weeks);
// agents (current and hired) leave at monthly_attrition, compounded per week.
#include <optional>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/workforce/staffing.hpp>

namespace rapport::workforce {

inline constexpr std::size_t k_max_plan_intervals = 200'000;  // e.g. 26 weeks of 5 minutes x 20
inline constexpr double k_weeks_per_month = 365.25 / 12 / 7;

struct PlanInput {
  std::vector<double> volume;  // contacts offered per interval, >= 0, whole days
  int intervals_per_day = 48;
  double aht_s = 0;                // > 0
  StaffingTarget target;           // a service level or an ASA (exactly one)
  double shrinkage = 0;            // in [0, 1)
  double hours_per_fte_week = 40;  // (0, 168]
};

struct WhatIf {
  double volume_change = 0;  // fraction: 0.2 is +20 %; > -1
  double aht_change_s = 0;   // seconds added to the AHT (-10 is 10 s shorter); the AHT stays > 0
  std::optional<StaffingTarget> target;
  std::optional<double> shrinkage;
  bool any() const { return volume_change != 0 || aht_change_s != 0 || target || shrinkage; }
};

struct Plan {
  double interval_s = 0;
  std::vector<double> traffic;  // erlangs per interval
  std::vector<int> required;    // agents per interval
  std::vector<int> scheduled;   // after shrinkage
  double required_agent_hours = 0;
  double scheduled_agent_hours = 0;
  std::vector<double> fte_by_week;  // per 7-day week from the first day; a last partial week is
                                    // scaled to 7 days
  double fte = 0;                   // scheduled agent-hours per week on average / hours per FTE
  int peak_required = 0, peak_scheduled = 0;
  std::size_t peak_interval = 0;  // first interval with the peak scheduled count
};

// Errors: Error::invalid naming the field (volume index, aht, target, shrinkage, hours per FTE),
// or more than k_max_plan_intervals intervals.
Result<Plan> staffing_plan(const PlanInput& input);

// The input with the what-if applied (the volume scaled, the AHT moved, the target or shrinkage
// replaced). Errors: a change that leaves the AHT <= 0 or the volume change <= -100 %.
Result<PlanInput> apply_what_if(const PlanInput& input, const WhatIf& what_if);

// ---- Peak planning ----

struct Ramp {
  std::vector<double> productivity = {0.6, 0.7, 0.8};  // tenure months 1..n, each in (0, 1]
  int training_weeks = 4;                              // 0..52, unproductive
};

// The ramp target for tenure month `month` (1 = the first month after training); 1 after the
// ramp, 0 for month < 1 (still in training).
double ramp_target(const Ramp& ramp, int month);

struct PeakInput {
  Ramp ramp;
  double monthly_attrition = 0;  // fraction leaving per month, [0, 0.5]
  double current_agents = 0;     // productive agents (FTE) today, >= 0
  double required_at_peak = 0;   // agents (FTE) needed at the peak, >= 0
  int weeks_to_peak = 0;         // from now to the start of the peak, 0..104
};

struct HireOption {
  int start_week = 0;       // weeks from now when the new hires start (training begins)
  double productivity = 0;  // of each hire at the peak, from the ramp
  double retained = 1;      // share of the hires still there at the peak
  int hires = 0;            // to close the gap
};

struct PeakPlan {
  double current_at_peak = 0;  // today's agents still there at the peak (attrition)
  double gap = 0;              // required_at_peak - current_at_peak, at least 0
  // The latest week to start so that hires are past the ramp at the peak; negative when that
  // week has passed (then `late` and the recommendation is to start now).
  int latest_full_ramp_start_week = 0;
  bool late = false;
  HireOption recommended;           // start at the latest full-ramp week (or now, when late)
  std::vector<HireOption> options;  // every start week from now to the last useful one
};

Result<PeakPlan> peak_plan(const PeakInput& input);

Json to_json(const Plan& plan, int intervals_per_day);
Json to_json(const PeakPlan& plan);

}  // namespace rapport::workforce
