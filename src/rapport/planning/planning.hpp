#pragma once
// Workforce planning over the store: contact arrivals from tickets, bucketed per interval in the
// plan's IANA time zone, turned into a forecast (workforce/forecast.hpp) and a staffing plan
// (workforce/plan.hpp). Reads only; nothing here writes.
//
// Arrivals are tickets by `created_at` (deleted tickets left out: most are spam), optionally of one
// channel (`tickets.channel`) and one group. A local day is midnight to midnight on the zone's
// wall clock, and an interval is a slice of the wall clock: the 25-hour day that ends summer time
// puts its repeated hour's arrivals into the same intervals, the 23-hour day has an empty hour.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/db.hpp>
#include <rapport/workforce/forecast.hpp>
#include <rapport/workforce/plan.hpp>

namespace rapport::planning {

inline constexpr int k_max_history_weeks = 104;
inline constexpr int k_max_forecast_weeks = 26;
inline constexpr int k_chart_history_days = 28;  // history days returned beside a forecast

// Managers and admins plan; team leads may read forecasts.
bool can_plan(const domain::Principal& who);
bool can_read_forecasts(const domain::Principal& who);

struct HolidaySpec {
  int64_t local_day = 0;  // days since 1970-01-01 on the zone's calendar
  double factor = 1;
  std::optional<int> like_weekday;  // 0 = Monday
};

struct ForecastQuery {
  std::optional<std::string> channel;
  std::optional<int64_t> group_id;
  int interval_minutes = 30;  // 15, 30 or 60
  std::string time_zone = "UTC";
  int history_weeks = 12;  // 2 + holdout_weeks .. 104
  int weeks = 4;           // forecast horizon, 1..26
  int holdout_weeks = 2;   // 0..8
  double level = 0.8;      // prediction interval coverage
  std::vector<HolidaySpec> holidays;
};

// Parses the query-string form: channel, group_id, interval (15m|30m|60m|1h), time_zone,
// history_weeks, weeks, holdout_weeks, level, holidays ("2026-12-25:0.3:sun,2027-01-01").
// `param` returns a parameter's value if present.
Result<ForecastQuery> forecast_query(
    const std::function<std::optional<std::string>(const std::string&)>& param);
// The same fields from a JSON object (numbers as numbers; holidays as
// [{"date": "2026-12-25", "factor": 0.3, "like": "sunday"}]).
Result<ForecastQuery> forecast_query(const Json& object);

struct History {
  int64_t first_local_day = 0;  // days since 1970-01-01 in the zone
  int days = 0;
  int intervals_per_day = 48;
  int first_weekday = 0;       // 0 = Monday
  std::vector<double> volume;  // days x intervals_per_day
};

// Arrivals per interval for the `history_weeks` whole local days before the local day of `now`.
Result<History> arrival_history(store::Conn& conn, const ForecastQuery& q, int64_t now);

struct ForecastResult {
  ForecastQuery query;
  History history;
  workforce::Forecast forecast;
  int64_t first_forecast_day = 0;  // local day of the first forecast interval (today)
};

Result<ForecastResult> forecast(store::Conn& conn, const ForecastQuery& q, int64_t now);

// {"forecast": {...}} body (docs/api.md).
Json to_json(const ForecastResult& r);

// A plan request: a forecast (or a given volume series) plus staffing inputs and a what-if.
struct PlanRequest {
  ForecastQuery forecast;
  std::optional<std::vector<double>> volume;  // given instead of a forecast from history
  std::optional<std::string> start;           // the given volume's first day, YYYY-MM-DD
  workforce::PlanInput input;  // aht, target, shrinkage, hours per FTE (volume set later)
  workforce::WhatIf what_if;
};

// From the body's "plan" object; every bad field is reported at once (422) or as a 400 for a bad
// shape. Units: seconds and fractions (aht_s, target.service_level, target.threshold_s,
// target.asa_s, shrinkage, what_if.volume_change, what_if.aht_change_s).
Result<PlanRequest> plan_request(const Json& plan);

struct PlanResult {
  PlanRequest request;
  std::optional<ForecastResult> forecast;  // when the volume came from history
  int64_t first_day = 0;                   // local day of the first interval
  workforce::Plan base;
  std::optional<workforce::Plan> what_if;
};

Result<PlanResult> plan(store::Conn& conn, const PlanRequest& req, int64_t now);
Json to_json(const PlanResult& r);

// Peak planning from {"peak": {...}} (pure, but parsed here with the same rules).
Result<workforce::PeakInput> peak_request(const Json& peak);

// "2026-12-25" for a local day number, and back.
std::string local_date(int64_t local_day);
std::optional<int64_t> parse_local_date(const std::string& text);

}  // namespace rapport::planning
