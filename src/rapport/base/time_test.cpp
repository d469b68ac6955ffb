#include <rapport/base/time.hpp>

#include <random>
#include <vector>

#include <date/date.h>
#include <gtest/gtest.h>

namespace rapport {
namespace {

// Restores UTC after each test: the zone is process-wide.
class OrganizationZone : public ::testing::Test {
 protected:
  void TearDown() override { ASSERT_TRUE(set_organization_time_zone("UTC")); }
  static int64_t at(const char* iso) { return *parse_iso8601(iso); }
};

TEST_F(OrganizationZone, UtcByDefault) {
  EXPECT_EQ(organization_time_zone(), "UTC");
  EXPECT_EQ(local_day(at("2026-11-30T23:59:59Z")), *parse_day("2026-11-30"));
  EXPECT_EQ(local_day(at("2026-12-01T00:00:00Z")), *parse_day("2026-12-01"));
  EXPECT_EQ(local_day_start(*parse_day("2026-11-30")), at("2026-11-30T00:00:00Z"));
  EXPECT_EQ(local_day(-1), -1);  // before 1970 rounds down, not toward zero
}

TEST_F(OrganizationZone, RejectsUnknownNamesAndKeepsTheZone) {
  ASSERT_TRUE(set_organization_time_zone("Europe/Berlin"));
  auto bad = set_organization_time_zone("Mars/Olympus_Mons");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("Mars/Olympus_Mons"), std::string::npos);
  EXPECT_EQ(organization_time_zone(), "Europe/Berlin");
}

TEST_F(OrganizationZone, DaysFollowTheLocalCalendar) {
  ASSERT_TRUE(set_organization_time_zone("America/New_York"));
  // 03:00 UTC on Dec 1 is still Nov 30 in New York (UTC-5).
  EXPECT_EQ(local_day(at("2026-12-01T03:00:00Z")), *parse_day("2026-11-30"));
  EXPECT_EQ(local_day(at("2026-12-01T05:00:00Z")), *parse_day("2026-12-01"));
  EXPECT_EQ(local_day_start(*parse_day("2026-12-01")), at("2026-12-01T05:00:00Z"));
  EXPECT_EQ(day_date(local_day(at("2026-12-01T04:59:59Z"))), "2026-11-30");
  ASSERT_TRUE(set_organization_time_zone("Asia/Kolkata"));  // UTC+5:30: not a whole hour
  EXPECT_EQ(local_day_start(*parse_day("2026-12-01")), at("2026-11-30T18:30:00Z"));
  EXPECT_EQ(local_day(at("2026-11-30T18:29:59Z")), *parse_day("2026-11-30"));
}

TEST_F(OrganizationZone, DaysAcrossDaylightSavingChanges) {
  ASSERT_TRUE(set_organization_time_zone("Europe/Berlin"));
  // 2026-03-29 springs forward (23 hours long), 2026-10-25 falls back (25 hours long).
  auto spring = *parse_day("2026-03-29"), fall = *parse_day("2026-10-25");
  EXPECT_EQ(local_day_start(spring + 1) - local_day_start(spring), 23 * 3600);
  EXPECT_EQ(local_day_start(fall + 1) - local_day_start(fall), 25 * 3600);
  EXPECT_EQ(local_day(local_day_start(fall + 1) - 1), fall);
  // America/Santiago skips midnight when it springs forward (2026-09-06 00:00 -> 01:00).
  ASSERT_TRUE(set_organization_time_zone("America/Santiago"));
  auto skipped = *parse_day("2026-09-06");
  EXPECT_EQ(local_day_start(skipped), at("2026-09-06T04:00:00Z"));
  EXPECT_EQ(local_day(local_day_start(skipped)), skipped);
  EXPECT_EQ(local_day(local_day_start(skipped) - 1), skipped - 1);
}

TEST_F(OrganizationZone, PeriodBounds) {
  ASSERT_TRUE(set_organization_time_zone("Europe/Berlin"));
  EXPECT_EQ(parse_period_bound("2026-12-01"), at("2026-11-30T23:00:00Z"));
  EXPECT_EQ(parse_period_bound("2026-12-01T10:00:00Z"), at("2026-12-01T10:00:00Z"));
  EXPECT_EQ(parse_period_bound("2026-12-01T10:00:00+02:00"), at("2026-12-01T08:00:00Z"));
  EXPECT_FALSE(parse_period_bound("yesterday"));
  EXPECT_FALSE(parse_day("2026-12-01T00:00:00Z"));
}

}  // namespace
TEST(Time, Iso8601FormatsEveryInstantAsDateFormatDoes) {
  std::mt19937_64 rng(7);
  std::vector<int64_t> instants = {0, -1, 86399, 86400, 951782400 /* 2000-02-29 */, 253402300799 /* 9999-12-31T23:59:59 */,
                                   253402300800, -62167219200 /* 0000-01-01 */, -62167219201};
  for (int i = 0; i < 2000; ++i) instants.push_back(static_cast<int64_t>(rng() % 8'000'000'000) - 1'000'000'000);
  for (auto t : instants) {
    auto want = date::format("%FT%TZ", date::sys_seconds{std::chrono::seconds{t}});
    EXPECT_EQ(iso8601(t), want) << t;
  }
}

}  // namespace rapport
