#include <rapport/workforce/plan.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include <rapport/workforce/erlang.hpp>
#include <rapport/workforce/erlang_detail.hpp>
#include <rapport/workforce/forecast.hpp>

namespace rapport::workforce {

namespace {

using detail::must_be;

Status check_target(const StaffingTarget& t) {
  if (t.service_level.has_value() == t.asa_s.has_value())
    return fail(Error::invalid(
        "target: give exactly one of a service level (e.g. 80% within 20 s) or an ASA"));
  if (t.service_level) {
    if (auto ok = detail::check_service_target(*t.service_level, t.threshold_s); !ok) return ok;
  } else if (auto ok = detail::check_asa_target(*t.asa_s); !ok) {
    return ok;
  }
  return {};
}

Status check_shrinkage(double s) {
  if (!std::isfinite(s) || s < 0 || s >= 1)
    return fail(must_be("shrinkage", "a fraction >= 0 and < 1", s));
  return {};
}

Status validate(const PlanInput& in) {
  if (in.intervals_per_day < 1 || in.intervals_per_day > k_max_intervals_per_day)
    return fail(must_be("intervals_per_day", "a whole number from 1 to 288", in.intervals_per_day));
  if (in.volume.size() > k_max_plan_intervals)
    return fail(Error::invalid("a plan is limited to " + std::to_string(k_max_plan_intervals) +
                               " intervals (got " + std::to_string(in.volume.size()) + ")"));
  if (in.volume.empty() || in.volume.size() % static_cast<std::size_t>(in.intervals_per_day))
    return fail(Error::invalid("volume must be one or more whole days of " +
                               std::to_string(in.intervals_per_day) + " intervals (got " +
                               std::to_string(in.volume.size()) + ")"));
  for (std::size_t i = 0; i < in.volume.size(); ++i)
    if (!std::isfinite(in.volume[i]) || in.volume[i] < 0)
      return fail(
          must_be("volume[" + std::to_string(i) + "]", "a finite count >= 0", in.volume[i]));
  if (auto ok = detail::check_aht(in.aht_s); !ok) return ok;
  if (auto ok = check_target(in.target); !ok) return ok;
  if (auto ok = check_shrinkage(in.shrinkage); !ok) return ok;
  if (!std::isfinite(in.hours_per_fte_week) || in.hours_per_fte_week <= 0 ||
      in.hours_per_fte_week > 168)
    return fail(
        must_be("hours per FTE week", "a number of hours > 0 and <= 168", in.hours_per_fte_week));
  return {};
}

}  // namespace

Result<Plan> staffing_plan(const PlanInput& in) {
  if (auto ok = validate(in); !ok) return fail(ok.error());
  const std::size_t n = in.volume.size();
  Plan p;
  p.interval_s = 86400.0 / in.intervals_per_day;
  p.traffic.resize(n);
  p.required.resize(n);
  p.scheduled.resize(n);
  const double hours = p.interval_s / 3600;
  const std::size_t per_week = static_cast<std::size_t>(in.intervals_per_day) * 7;
  std::vector<double> week_hours((n + per_week - 1) / per_week, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = traffic_erlangs(in.volume[i], p.interval_s, in.aht_s);
    auto req = in.target.service_level
                   ? required_agents_for_service_level(a, in.aht_s, *in.target.service_level,
                                                       in.target.threshold_s)
                   : required_agents_for_asa(a, in.aht_s, *in.target.asa_s);
    if (!req) return fail(req.error());
    auto sched = scheduled_agents(*req, in.shrinkage);
    if (!sched) return fail(sched.error());
    p.traffic[i] = a;
    p.required[i] = *req;
    p.scheduled[i] = *sched;
    p.required_agent_hours += *req * hours;
    p.scheduled_agent_hours += *sched * hours;
    week_hours[i / per_week] += *sched * hours;
    if (*sched > p.peak_scheduled) {
      p.peak_scheduled = *sched;
      p.peak_interval = i;
    }
    p.peak_required = std::max(p.peak_required, *req);
  }
  for (std::size_t w = 0; w < week_hours.size(); ++w) {
    const std::size_t len = std::min(per_week, n - w * per_week);
    p.fte_by_week.push_back(week_hours[w] * (static_cast<double>(per_week) / len) /
                            in.hours_per_fte_week);
  }
  const double weeks = static_cast<double>(n) / per_week;
  p.fte = p.scheduled_agent_hours / weeks / in.hours_per_fte_week;
  return p;
}

Result<PlanInput> apply_what_if(const PlanInput& in, const WhatIf& w) {
  if (!std::isfinite(w.volume_change) || w.volume_change <= -1 || w.volume_change > 10)
    return fail(
        must_be("volume change", "a fraction > -1 (-100 %) and <= 10 (+1000 %)", w.volume_change));
  if (!std::isfinite(w.aht_change_s))
    return fail(must_be("AHT change", "a finite number of seconds", w.aht_change_s));
  if (in.aht_s + w.aht_change_s <= 0)
    return fail(Error::invalid("AHT change of " + detail::format_number(w.aht_change_s) +
                               " s leaves no handle time (AHT is " +
                               detail::format_number(in.aht_s) + " s)"));
  PlanInput out = in;
  for (auto& v : out.volume) v *= 1 + w.volume_change;
  out.aht_s += w.aht_change_s;
  if (w.target) out.target = *w.target;
  if (w.shrinkage) out.shrinkage = *w.shrinkage;
  return out;
}

// ---- Peak planning ----

double ramp_target(const Ramp& ramp, int month) {
  if (month < 1) return 0;
  if (static_cast<std::size_t>(month) <= ramp.productivity.size())
    return ramp.productivity[static_cast<std::size_t>(month - 1)];
  return 1;
}

Result<PeakPlan> peak_plan(const PeakInput& in) {
  const auto& r = in.ramp;
  if (r.productivity.size() > 24)
    return fail(Error::invalid("ramp: at most 24 tenure months (got " +
                               std::to_string(r.productivity.size()) + ")"));
  for (std::size_t i = 0; i < r.productivity.size(); ++i)
    if (!std::isfinite(r.productivity[i]) || r.productivity[i] <= 0 || r.productivity[i] > 1)
      return fail(must_be("ramp month " + std::to_string(i + 1), "a fraction > 0 and <= 1",
                          r.productivity[i]));
  if (r.training_weeks < 0 || r.training_weeks > 52)
    return fail(
        must_be("training_weeks", "a whole number of weeks from 0 to 52", r.training_weeks));
  if (!std::isfinite(in.monthly_attrition) || in.monthly_attrition < 0 ||
      in.monthly_attrition > 0.5)
    return fail(must_be("monthly attrition", "a fraction from 0 to 0.5", in.monthly_attrition));
  if (!std::isfinite(in.current_agents) || in.current_agents < 0 || in.current_agents > 1e6)
    return fail(must_be("current agents", "a number from 0 to 1,000,000", in.current_agents));
  if (!std::isfinite(in.required_at_peak) || in.required_at_peak < 0 || in.required_at_peak > 1e6)
    return fail(must_be("required at peak", "a number from 0 to 1,000,000", in.required_at_peak));
  if (in.weeks_to_peak < 0 || in.weeks_to_peak > 104)
    return fail(must_be("weeks to peak", "a whole number from 0 to 104", in.weeks_to_peak));

  // Retention over w weeks at a monthly attrition a: (1 - a)^(w / weeks per month).
  auto retained = [&](double weeks) {
    return std::pow(1 - in.monthly_attrition, weeks / k_weeks_per_month);
  };
  PeakPlan out;
  out.current_at_peak = in.current_agents * retained(in.weeks_to_peak);
  out.gap = std::max(0.0, in.required_at_peak - out.current_at_peak);
  const double ramp_weeks = static_cast<double>(r.productivity.size()) * k_weeks_per_month;
  out.latest_full_ramp_start_week =
      static_cast<int>(std::floor(in.weeks_to_peak - r.training_weeks - ramp_weeks + 1e-9));
  out.late = out.latest_full_ramp_start_week < 0;

  // A hire starting at week s is in tenure month floor((peak - s - training) / weeks per month)
  // + 1 at the peak. Starts so late that training is not over by the peak are not options.
  for (int s = 0; s <= in.weeks_to_peak - r.training_weeks; ++s) {
    const double tenure_weeks = in.weeks_to_peak - s - r.training_weeks;
    HireOption o;
    o.start_week = s;
    o.productivity =
        ramp_target(r, static_cast<int>(std::floor(tenure_weeks / k_weeks_per_month + 1e-9)) + 1);
    o.retained = retained(in.weeks_to_peak - s);
    const double per_hire = o.productivity * o.retained;
    o.hires = out.gap <= 0 ? 0 : static_cast<int>(std::ceil(out.gap / per_hire - 1e-9));
    out.options.push_back(o);
  }
  if (out.options.empty()) {
    // The peak is sooner than training takes: nobody hired now helps.
    out.late = true;
    out.recommended = HireOption{0, 0, retained(in.weeks_to_peak), 0};
    return out;
  }
  const int pick = out.late ? 0 : out.latest_full_ramp_start_week;
  out.recommended = out.options[static_cast<std::size_t>(
      std::min<int>(pick, static_cast<int>(out.options.size()) - 1))];
  return out;
}

Json to_json(const Plan& p, int intervals_per_day) {
  Json totals = {{"required_agent_hours", p.required_agent_hours},
                 {"scheduled_agent_hours", p.scheduled_agent_hours},
                 {"fte", p.fte},
                 {"fte_by_week", p.fte_by_week},
                 {"peak_required", p.peak_required},
                 {"peak_scheduled", p.peak_scheduled},
                 {"peak_interval", p.peak_interval}};
  return {{"interval_minutes", static_cast<int>(p.interval_s / 60)},
          {"intervals_per_day", intervals_per_day},
          {"traffic_erlangs", p.traffic},
          {"required", p.required},
          {"scheduled", p.scheduled},
          {"totals", std::move(totals)}};
}

Json to_json(const PeakPlan& p) {
  auto option = [](const HireOption& o) {
    return Json{{"start_week", o.start_week},
                {"productivity", o.productivity},
                {"retained", o.retained},
                {"hires", o.hires}};
  };
  Json options = Json::array();
  for (const auto& o : p.options) options.push_back(option(o));
  return {{"current_at_peak", p.current_at_peak},
          {"gap", p.gap},
          {"latest_full_ramp_start_week", p.latest_full_ramp_start_week},
          {"late", p.late},
          {"recommended", option(p.recommended)},
          {"options", std::move(options)}};
}

}  // namespace rapport::workforce
