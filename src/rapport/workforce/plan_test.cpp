// Staffing plans (per interval, totals, FTE, what-ifs) and peak hiring plans, as a planner uses
// them: every interval agrees with the single-interval calculator, and the hiring answer follows
// from the ramp.
#include <rapport/workforce/plan.hpp>

#include <cmath>
#include <vector>

#include <rapport/workforce/erlang.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rapport::workforce {
namespace {

using ::testing::HasSubstr;

PlanInput textbook_week(double volume = 100) {
  PlanInput in;
  in.volume.assign(7 * 48, volume);  // 100 per 30 minutes, all week
  in.intervals_per_day = 48;
  in.aht_s = 180;
  in.target.service_level = 0.8;
  in.target.threshold_s = 20;
  in.shrinkage = 0.3;
  return in;
}

TEST(StaffingPlan, TextbookIntervalsAndFte) {
  const auto p = staffing_plan(textbook_week()).value();
  ASSERT_EQ(p.required.size(), 336u);
  EXPECT_EQ(p.required[0], 14);   // 10 erlangs, 80/20
  EXPECT_EQ(p.scheduled[0], 20);  // 14 / 0.7
  EXPECT_DOUBLE_EQ(p.traffic[0], 10);
  EXPECT_DOUBLE_EQ(p.required_agent_hours, 14 * 0.5 * 336);
  EXPECT_DOUBLE_EQ(p.scheduled_agent_hours, 20 * 0.5 * 336);
  EXPECT_DOUBLE_EQ(p.fte, 3360.0 / 40);
  ASSERT_EQ(p.fte_by_week.size(), 1u);
  EXPECT_DOUBLE_EQ(p.fte_by_week[0], 84);
  EXPECT_EQ(p.peak_scheduled, 20);
  EXPECT_EQ(p.peak_interval, 0u);
}

TEST(StaffingPlan, EveryIntervalMatchesTheCalculator) {
  auto in = textbook_week();
  for (std::size_t i = 0; i < in.volume.size(); ++i)
    in.volume[i] = static_cast<double>(i % 48) * 7.5;
  in.hours_per_fte_week = 37.5;
  const auto p = staffing_plan(in).value();
  double hours = 0;
  for (std::size_t i = 0; i < in.volume.size(); ++i) {
    StaffingInput one;
    one.volume = in.volume[i];
    one.interval_s = 1800;
    one.aht_s = 180;
    one.target = in.target;
    one.shrinkage = 0.3;
    const auto t = staffing_table(one).value();
    ASSERT_EQ(p.required[i], t.answer) << i;
    ASSERT_EQ(p.scheduled[i], t.scheduled) << i;
    hours += t.scheduled * 0.5;
  }
  EXPECT_EQ(p.required[47], required_agents_for_service_level(352.5 * 0.1, 180, 0.8, 20).value());
  EXPECT_EQ(p.required[0], 0);  // no contacts, no agents
  EXPECT_EQ(p.scheduled[0], 0);
  EXPECT_DOUBLE_EQ(p.fte, hours / 37.5);
  // The peak is the first interval with the most scheduled agents: 345 and 352.5 contacts
  // (intervals 46 and 47) both need 58.
  EXPECT_EQ(p.scheduled[46], p.scheduled[47]);
  EXPECT_EQ(p.peak_scheduled, 58);
  EXPECT_EQ(p.peak_interval, 46u);
}

TEST(StaffingPlan, AsaTargetAndPartialWeek) {
  auto in = textbook_week();
  in.volume.resize(10 * 48, 100);  // 10 days: a second, partial week
  in.target = StaffingTarget{};
  in.target.asa_s = 15;
  const auto p = staffing_plan(in).value();
  EXPECT_EQ(p.required[0], required_agents_for_asa(10, 180, 15).value());
  ASSERT_EQ(p.fte_by_week.size(), 2u);
  EXPECT_DOUBLE_EQ(p.fte_by_week[0], p.fte_by_week[1]);  // the 3 days are scaled to a week
  EXPECT_DOUBLE_EQ(p.fte, p.fte_by_week[0]);
}

TEST(StaffingPlan, WhatIfsChangeTheInputsAsStated) {
  const auto base = textbook_week();
  WhatIf w;
  w.volume_change = 0.2;
  auto more = staffing_plan(apply_what_if(base, w).value()).value();
  EXPECT_EQ(more.required[0], required_agents_for_service_level(12, 180, 0.8, 20).value());
  EXPECT_GT(more.fte, staffing_plan(base).value().fte);

  w = {};
  w.aht_change_s = -10;
  auto shorter = apply_what_if(base, w).value();
  EXPECT_DOUBLE_EQ(shorter.aht_s, 170);
  EXPECT_EQ(staffing_plan(shorter).value().required[0],
            required_agents_for_service_level(100 * 170 / 1800.0, 170, 0.8, 20).value());

  w = {};
  w.target = StaffingTarget{0.9, 20, {}};
  w.shrinkage = 0.35;
  auto stricter = staffing_plan(apply_what_if(base, w).value()).value();
  EXPECT_EQ(stricter.required[0], required_agents_for_service_level(10, 180, 0.9, 20).value());
  EXPECT_EQ(stricter.scheduled[0], scheduled_agents(stricter.required[0], 0.35).value());

  w = {};
  w.aht_change_s = -180;
  auto r = apply_what_if(base, w);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "AHT change of -180 s leaves no handle time (AHT is 180 s)");
  w = {};
  w.volume_change = -1;
  EXPECT_THAT(apply_what_if(base, w).error().message, HasSubstr("volume change"));
}

TEST(StaffingPlan, BadInputIsNamed) {
  auto in = textbook_week();
  in.volume.pop_back();
  EXPECT_THAT(staffing_plan(in).error().message, HasSubstr("whole days of 48 intervals"));
  in = textbook_week();
  in.volume[7] = -2;
  EXPECT_THAT(staffing_plan(in).error().message, HasSubstr("volume[7]"));
  in = textbook_week();
  in.shrinkage = 1;
  EXPECT_THAT(staffing_plan(in).error().message, HasSubstr("shrinkage"));
  in = textbook_week();
  in.target.asa_s = 10;  // both a service level and an ASA
  EXPECT_THAT(staffing_plan(in).error().message, HasSubstr("exactly one"));
  in = textbook_week();
  in.hours_per_fte_week = 0;
  EXPECT_THAT(staffing_plan(in).error().message, HasSubstr("hours per FTE week"));
  in = textbook_week();
  in.volume.assign(k_max_plan_intervals + 48, 1);
  EXPECT_THAT(staffing_plan(in).error().message, HasSubstr("limited to 200000 intervals"));
}

TEST(Ramp, TargetByTenureMonth) {
  const Ramp r;
  EXPECT_EQ(ramp_target(r, 0), 0);  // still in training
  EXPECT_EQ(ramp_target(r, 1), 0.6);
  EXPECT_EQ(ramp_target(r, 2), 0.7);
  EXPECT_EQ(ramp_target(r, 3), 0.8);
  EXPECT_EQ(ramp_target(r, 4), 1);
}

PeakInput peak(int weeks, double attrition = 0) {
  PeakInput in;
  in.current_agents = 100;
  in.required_at_peak = 130;
  in.weeks_to_peak = weeks;
  in.monthly_attrition = attrition;
  return in;  // ramp 60/70/80 %, 4 weeks of training
}

TEST(PeakPlan, HireAtTheLatestWeekThatFinishesTheRamp) {
  const auto p = peak_plan(peak(26)).value();
  // 4 weeks of training + 3 months (13.04 weeks) of ramp before week 26: start by week 8.
  EXPECT_EQ(p.latest_full_ramp_start_week, 8);
  EXPECT_FALSE(p.late);
  EXPECT_DOUBLE_EQ(p.gap, 30);
  EXPECT_EQ(p.recommended.start_week, 8);
  EXPECT_EQ(p.recommended.productivity, 1);
  EXPECT_EQ(p.recommended.hires, 30);
  ASSERT_EQ(p.options.size(), 23u);           // weeks 0 .. 22 (training ends by the peak)
  EXPECT_EQ(p.options[9].productivity, 0.8);  // a week later: still in tenure month 3
  EXPECT_EQ(p.options[9].hires, 38);          // ceil(30 / 0.8)
  EXPECT_EQ(p.options[22].productivity, 0.6);
  EXPECT_EQ(p.options[22].hires, 50);
  for (std::size_t i = 1; i < p.options.size(); ++i)
    EXPECT_GE(p.options[i].hires, p.options[i - 1].hires);  // later costs more hires
}

TEST(PeakPlan, AttritionWidensTheGapAndThinsTheHires) {
  const auto p = peak_plan(peak(26, 0.02)).value();
  const double keep_current = std::pow(0.98, 26 / k_weeks_per_month);
  EXPECT_NEAR(p.current_at_peak, 100 * keep_current, 1e-9);
  const double keep_hire = std::pow(0.98, 18 / k_weeks_per_month);
  EXPECT_NEAR(p.recommended.retained, keep_hire, 1e-12);
  EXPECT_EQ(p.recommended.hires,
            static_cast<int>(std::ceil((130 - 100 * keep_current) / keep_hire)));
  EXPECT_EQ(p.recommended.hires, 45);
}

TEST(PeakPlan, TooLateToFinishTheRampMeansStartNowAndHireMore) {
  const auto p = peak_plan(peak(10)).value();
  EXPECT_TRUE(p.late);
  EXPECT_EQ(p.latest_full_ramp_start_week, -8);
  EXPECT_EQ(p.recommended.start_week, 0);
  EXPECT_EQ(p.recommended.productivity, 0.7);  // 6 weeks after training: tenure month 2
  EXPECT_EQ(p.recommended.hires, 43);          // ceil(30 / 0.7)
  ASSERT_EQ(p.options.size(), 7u);

  const auto none = peak_plan(peak(3)).value();  // training alone outlasts the peak
  EXPECT_TRUE(none.late);
  EXPECT_TRUE(none.options.empty());
  EXPECT_EQ(none.recommended.hires, 0);
}

TEST(PeakPlan, NoGapNoHiresAndBadInputIsNamed) {
  auto in = peak(26);
  in.required_at_peak = 90;
  EXPECT_EQ(peak_plan(in).value().recommended.hires, 0);
  in.ramp.productivity = {0.6, 1.2};
  EXPECT_THAT(peak_plan(in).error().message, HasSubstr("ramp month 2"));
  in = peak(26);
  in.monthly_attrition = 0.9;
  EXPECT_THAT(peak_plan(in).error().message, HasSubstr("monthly attrition"));
  in = peak(200);
  EXPECT_THAT(peak_plan(in).error().message, HasSubstr("weeks to peak"));
}

}  // namespace
}  // namespace rapport::workforce
