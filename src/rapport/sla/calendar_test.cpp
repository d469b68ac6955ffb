// Business-time arithmetic against hand-computed instants. Offsets used below:
// Europe/Berlin is UTC+1 (CET) and UTC+2 (CEST, from the last Sunday of March 02:00 to the last
// Sunday of October 03:00); America/New_York is UTC-5 (EST) and UTC-4 (EDT, from the second
// Sunday of March to the first Sunday of November, both at 02:00 local).
#include <rapport/sla/calendar.hpp>

#include <gtest/gtest.h>

#include <rapport/base/time.hpp>

namespace rapport::sla {
namespace {

int64_t at(const char* iso) {
  return parse_iso8601(iso).value();
}
constexpr int64_t k_hour = 3600;

// Monday to Friday 09:00-17:00 local time.
std::vector<WeeklyInterval> office_hours() {
  std::vector<WeeklyInterval> out;
  for (int d = 1; d <= 5; ++d) out.push_back({d * 1440 + 9 * 60, d * 1440 + 17 * 60});
  return out;
}

date::local_days day(int y, unsigned m, unsigned d) {
  return date::local_days{date::year{y} / m / d};
}

Calendar make(const char* zone, std::vector<WeeklyInterval> iv, std::vector<Holiday> h = {}) {
  auto c = Calendar::make(zone, iv, std::move(h));
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return *c;
}

TEST(Calendar, AWeekendIsClosed) {
  auto berlin = make("Europe/Berlin", office_hours());
  // Friday 2024-03-08 16:00 CET to Monday 2024-03-11 10:00 CET: 1 h on Friday, 1 h on Monday.
  EXPECT_EQ(berlin.business_seconds(at("2024-03-08T15:00:00Z"), at("2024-03-11T09:00:00Z")),
            2 * k_hour);
  EXPECT_EQ(berlin.add_business_seconds(at("2024-03-08T15:00:00Z"), 2 * k_hour),
            at("2024-03-11T09:00:00Z"));
  // Saturday noon: the next opening is Monday 09:00 CET.
  EXPECT_EQ(berlin.next_opening(at("2024-03-09T11:00:00Z")), at("2024-03-11T08:00:00Z"));
  EXPECT_FALSE(berlin.is_open(at("2024-03-09T11:00:00Z")));
  EXPECT_TRUE(berlin.is_open(at("2024-03-11T08:00:00Z")));
  EXPECT_FALSE(berlin.is_open(at("2024-03-11T16:00:00Z")));  // 17:00 is closing time
}

TEST(Calendar, TargetsEndingExactlyAtClosingTimeStayOnThatDay) {
  auto berlin = make("Europe/Berlin", office_hours());
  // Monday 09:00 + 8 business hours = Monday 17:00, not Tuesday 09:00.
  EXPECT_EQ(berlin.add_business_seconds(at("2024-03-11T08:00:00Z"), 8 * k_hour),
            at("2024-03-11T16:00:00Z"));
  EXPECT_EQ(berlin.add_business_seconds(at("2024-03-11T08:00:00Z"), 8 * k_hour + 1),
            at("2024-03-12T08:00:01Z"));
  // A start outside hours counts from the next opening.
  EXPECT_EQ(berlin.add_business_seconds(at("2024-03-11T05:00:00Z"), k_hour),
            at("2024-03-11T09:00:00Z"));
}

TEST(Calendar, HolidaysCloseWholeLocalDaysAcrossSeveralDays) {
  // 24-26 December 2024 are Tuesday to Thursday.
  auto berlin = make("Europe/Berlin", office_hours(), {{day(2024, 12, 24), day(2024, 12, 26)}});
  // Monday 23rd 16:00 CET + 2 h: 1 h on Monday, then nothing until Friday 27th 09:00, + 1 h.
  EXPECT_EQ(berlin.add_business_seconds(at("2024-12-23T15:00:00Z"), 2 * k_hour),
            at("2024-12-27T09:00:00Z"));
  EXPECT_EQ(berlin.business_seconds(at("2024-12-23T08:00:00Z"), at("2024-12-28T00:00:00Z")),
            16 * k_hour);
  EXPECT_EQ(berlin.next_opening(at("2024-12-24T10:00:00Z")), at("2024-12-27T08:00:00Z"));
}

TEST(Calendar, OverlappingAndAdjacentHolidaysMerge) {
  auto c = make("UTC", office_hours(),
                {{day(2024, 3, 12), day(2024, 3, 13)}, {day(2024, 3, 13), day(2024, 3, 14)}});
  // Monday 11th 17:00 UTC + 1 h: Tuesday to Thursday closed, Friday 15th 10:00.
  EXPECT_EQ(c.add_business_seconds(at("2024-03-11T16:00:00Z"), 2 * k_hour),
            at("2024-03-15T10:00:00Z"));
}

TEST(Calendar, OfficeHoursAcrossTheSpringDstWeekendInNewYork) {
  auto ny = make("America/New_York", office_hours());
  // Friday 2024-03-08 16:00 EST (21:00Z) + 2 h = Monday 2024-03-11 10:00 EDT (14:00Z).
  EXPECT_EQ(ny.add_business_seconds(at("2024-03-08T21:00:00Z"), 2 * k_hour),
            at("2024-03-11T14:00:00Z"));
  // Monday opens at 09:00 EDT = 13:00Z, an hour earlier in UTC than the Friday before.
  EXPECT_EQ(ny.next_opening(at("2024-03-09T12:00:00Z")), at("2024-03-11T13:00:00Z"));
}

TEST(Calendar, OfficeHoursAcrossTheAutumnDstWeekendInNewYork) {
  auto ny = make("America/New_York", office_hours());
  // Friday 2024-11-01 16:00 EDT (20:00Z) + 2 h = Monday 2024-11-04 10:00 EST (15:00Z).
  EXPECT_EQ(ny.add_business_seconds(at("2024-11-01T20:00:00Z"), 2 * k_hour),
            at("2024-11-04T15:00:00Z"));
  EXPECT_EQ(ny.business_seconds(at("2024-11-01T20:00:00Z"), at("2024-11-04T15:00:00Z")),
            2 * k_hour);
}

TEST(Calendar, AnIntervalSpanningTheSkippedHourIsShorter) {
  // Sunday 01:00-05:00 in Berlin. On 2024-03-31 clocks jump from 02:00 to 03:00: 3 real hours
  // (00:00Z to 03:00Z). On 2024-10-27 they fall back from 03:00 to 02:00: 5 real hours
  // (2024-10-26T23:00Z to 2024-10-27T04:00Z).
  auto c = make("Europe/Berlin", {{60, 300}});
  EXPECT_EQ(c.business_seconds(at("2024-03-30T12:00:00Z"), at("2024-03-31T12:00:00Z")), 3 * k_hour);
  EXPECT_EQ(c.next_opening(at("2024-03-30T12:00:00Z")), at("2024-03-31T00:00:00Z"));
  EXPECT_EQ(c.add_business_seconds(at("2024-03-30T12:00:00Z"), 3 * k_hour),
            at("2024-03-31T03:00:00Z"));
  EXPECT_EQ(c.business_seconds(at("2024-10-26T12:00:00Z"), at("2024-10-27T12:00:00Z")), 5 * k_hour);
  EXPECT_EQ(c.add_business_seconds(at("2024-10-26T12:00:00Z"), 5 * k_hour),
            at("2024-10-27T04:00:00Z"));
}

TEST(Calendar, BoundariesInsideTheSkippedOrRepeatedHour) {
  // Sunday 02:30-04:00 in Berlin. Spring: 02:30 does not exist, the interval starts at the jump
  // (03:00 CEST = 01:00Z) and ends 04:00 CEST = 02:00Z: 1 h. Autumn: 02:30 happens twice; the
  // start is the first (02:30 CEST = 00:30Z), the end 04:00 CET = 03:00Z: 2.5 h.
  auto c = make("Europe/Berlin", {{150, 240}});
  EXPECT_EQ(c.next_opening(at("2024-03-30T12:00:00Z")), at("2024-03-31T01:00:00Z"));
  EXPECT_EQ(c.business_seconds(at("2024-03-30T12:00:00Z"), at("2024-03-31T12:00:00Z")), k_hour);
  EXPECT_EQ(c.next_opening(at("2024-10-26T12:00:00Z")), at("2024-10-27T00:30:00Z"));
  EXPECT_EQ(c.business_seconds(at("2024-10-26T12:00:00Z"), at("2024-10-27T12:00:00Z")),
            2 * k_hour + 1800);
  // An interval that ends in the repeated hour ends at its second occurrence: Sunday 01:00-02:30
  // is 2024-10-26T23:00Z (01:00 CEST) to 01:30Z (02:30 CET), 2.5 h.
  auto d = make("Europe/Berlin", {{60, 150}});
  EXPECT_EQ(d.business_seconds(at("2024-10-26T12:00:00Z"), at("2024-10-27T12:00:00Z")),
            2 * k_hour + 1800);
}

TEST(Calendar, AnIntervalAcrossMidnightIsOneWindow) {
  // Monday 22:00 to Tuesday 06:00 (UTC).
  auto c = make("UTC", {{1440 + 22 * 60, 2 * 1440 + 6 * 60}});
  EXPECT_EQ(c.next_opening(at("2024-03-04T12:00:00Z")), at("2024-03-04T22:00:00Z"));
  EXPECT_TRUE(c.is_open(at("2024-03-05T00:00:00Z")));
  EXPECT_EQ(c.add_business_seconds(at("2024-03-04T21:00:00Z"), 3 * k_hour),
            at("2024-03-05T01:00:00Z"));
  EXPECT_EQ(c.business_seconds(at("2024-03-04T23:00:00Z"), at("2024-03-05T05:00:00Z")), 6 * k_hour);
  // The next window is a week later.
  EXPECT_EQ(c.add_business_seconds(at("2024-03-04T22:00:00Z"), 9 * k_hour),
            at("2024-03-11T23:00:00Z"));
}

TEST(Calendar, TwentyFourSevenIsCalendarTimeEvenOverDst) {
  auto always = Calendar::always_open();
  EXPECT_TRUE(always.is_always_open());
  EXPECT_EQ(always.business_seconds(100, 200), 100);
  EXPECT_EQ(always.add_business_seconds(100, 50), 150);
  // A schedule open all week in Berlin: the DST night is 23 real hours, and they all count.
  auto berlin = make("Europe/Berlin", {{0, k_minutes_per_week}});
  EXPECT_TRUE(berlin.is_always_open());
  EXPECT_EQ(berlin.business_seconds(at("2024-03-30T00:00:00Z"), at("2024-04-01T00:00:00Z")),
            48 * k_hour);
  // With a holiday it is no longer 24x7, but still counts real time on open days.
  auto with_holiday =
      make("Europe/Berlin", {{0, k_minutes_per_week}}, {{day(2024, 4, 1), day(2024, 4, 1)}});
  EXPECT_FALSE(with_holiday.is_always_open());
  // Saturday 00:00 CET to Monday 00:00 CEST is 47 h; Easter Monday is closed; Tuesday from
  // 00:00 CEST (2024-04-01T22:00Z) to 12:00Z is 14 h.
  EXPECT_EQ(with_holiday.business_seconds(at("2024-03-29T23:00:00Z"), at("2024-04-02T12:00:00Z")),
            47 * k_hour + 14 * k_hour);
}

TEST(Calendar, ACalendarThatNeverOpensHasNoBreach) {
  auto closed = make("UTC", {});
  EXPECT_EQ(closed.business_seconds(0, 1'000'000), 0);
  EXPECT_FALSE(closed.add_business_seconds(at("2024-01-01T00:00:00Z"), 60));
  EXPECT_FALSE(closed.next_opening(at("2024-01-01T00:00:00Z")));
}

TEST(Calendar, ZonesAcceptIanaAndZendeskNames) {
  EXPECT_NE(find_zone("Europe/Berlin"), nullptr);
  EXPECT_EQ(find_zone("Eastern Time (US & Canada)"), find_zone("America/New_York"));
  EXPECT_EQ(find_zone("Berlin"), find_zone("Europe/Berlin"));
  EXPECT_EQ(find_zone("Mars/Olympus_Mons"), nullptr);
  EXPECT_EQ(find_zone(""), nullptr);
}

TEST(Calendar, RejectsBadIntervals) {
  EXPECT_FALSE(Calendar::make("UTC", {{100, 50}}, {}));
  EXPECT_FALSE(Calendar::make("UTC", {{-1, 50}}, {}));
  EXPECT_FALSE(Calendar::make("UTC", {{0, k_minutes_per_week + 1}}, {}));
  auto overlap = Calendar::make("UTC", {{100, 200}, {150, 300}}, {});
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().details.count("intervals"), 1u);
  auto zone = Calendar::make("Nowhere/Special", office_hours(), {});
  ASSERT_FALSE(zone);
  EXPECT_EQ(zone.error().details.count("time_zone"), 1u);
  // Touching intervals are fine and join.
  auto touching = Calendar::make("UTC", {{1440 + 540, 1440 + 720}, {1440 + 720, 1440 + 1020}}, {});
  ASSERT_TRUE(touching);
  EXPECT_EQ(touching->business_seconds(at("2024-03-04T00:00:00Z"), at("2024-03-05T00:00:00Z")),
            8 * k_hour);
}

}  // namespace
}  // namespace rapport::sla
