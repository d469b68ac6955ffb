// HoursLookup against a real SQLite store: which schedule a ticket's business hours come from
// (its SLA policy's, else the default, else 24x7) and whether instants across a weekend, a holiday
// and DST changes (Europe 2024-03-31, United States 2024-03-10) are within them.
#include <rapport/sla/hours.hpp>

#include <gtest/gtest.h>

#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/sla/admin.hpp>
#include <rapport/store/testing.hpp>

namespace rapport::sla {
namespace {

using accounts::system_principal;
int64_t at(const char* iso) {
  return parse_iso8601(iso).value();
}

class Hours : public ::testing::Test {
 protected:
  Status write(const std::function<Status(store::Tx&)>& job) { return s->writer().run(job); }
  // Berlin office (the default, Monday to Friday 09:00-17:00, closed 25-26 December) and a New York
  // office named by the policy for tickets tagged "us".
  void two_offices() {
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto berlin = create_schedule(tx, {{"name", "Berlin"}, {"time_zone", "Europe/Berlin"}}, system_principal());
      if (!berlin) return fail(berlin.error());
      berlin_id = berlin->id;
      auto h = create_holiday(tx, berlin_id, {{"name", "Christmas"}, {"start_date", "2024-12-25"}, {"end_date", "2024-12-26"}},
                              system_principal());
      if (!h) return fail(h.error());
      auto ny = create_schedule(tx, {{"name", "New York"}, {"time_zone", "America/New_York"}}, system_principal());
      if (!ny) return fail(ny.error());
      new_york_id = ny->id;
      auto p = create_policy(tx,
                             {{"title", "US customers"},
                              {"filter", {{"all", {{{"field", "current_tags"}, {"operator", "includes"}, {"value", "us"}}}},
                                          {"any", Json::array()}}},
                              {"policy_metrics",
                               {{{"priority", "normal"}, {"metric", "first_reply_time"}, {"target", 60}, {"business_hours", true}}}},
                              {"schedule_id", new_york_id}},
                             system_principal());
      if (!p) return fail(p.error());
      return {};
    }));
  }
  // Whether `iso` is within the business hours that apply to `t`, read as a trigger would.
  bool within(const domain::Ticket& t, const char* iso) {
    return s->read([&](store::Conn& c) { return HoursLookup(c).within(t, at(iso)); }).value();
  }
  std::optional<bool> within_schedule(Id id, const char* iso) {
    return s->read([&](store::Conn& c) { return HoursLookup(c).within_schedule(id, at(iso)); }).value();
  }

  store::TempStore s;
  domain::Ticket plain, us = [] {
    domain::Ticket t;
    t.tags = Json::array({"us"});
    return t;
  }();
  Id berlin_id = 0, new_york_id = 0;
};

TEST_F(Hours, WithoutAnyScheduleEveryInstantIsWithinBusinessHours) {
  EXPECT_TRUE(within(plain, "2024-03-09T03:00:00Z"));  // Saturday night
  auto id = s->read([&](store::Conn& c) { return HoursLookup(c).schedule_for(plain); }).value();
  EXPECT_FALSE(id.has_value());
}

TEST_F(Hours, TheDefaultScheduleClosesOverTheWeekend) {
  two_offices();
  EXPECT_TRUE(within(plain, "2024-03-08T15:59:59Z"));   // Friday 16:59:59 CET
  EXPECT_FALSE(within(plain, "2024-03-08T16:00:00Z"));  // Friday 17:00 CET: closed
  EXPECT_FALSE(within(plain, "2024-03-09T11:00:00Z"));  // Saturday noon
  EXPECT_FALSE(within(plain, "2024-03-11T07:59:59Z"));  // Monday 08:59:59
  EXPECT_TRUE(within(plain, "2024-03-11T08:00:00Z"));   // Monday 09:00
}

TEST_F(Hours, AHolidayClosesWholeLocalDays) {
  two_offices();
  EXPECT_TRUE(within(plain, "2024-12-24T09:00:00Z"));   // Tuesday 10:00
  EXPECT_FALSE(within(plain, "2024-12-25T09:00:00Z"));  // Christmas Day
  EXPECT_FALSE(within(plain, "2024-12-26T15:59:00Z"));  // the holiday's second day, 16:59
  EXPECT_TRUE(within(plain, "2024-12-27T08:00:00Z"));   // Friday 09:00 again
}

TEST_F(Hours, OpeningFollowsTheLocalClockAcrossDaylightSavingTime) {
  two_offices();
  // 07:30 UTC is 08:30 in Berlin on the Friday before the change (closed) and 09:30 on the
  // Monday after it (open): a fixed offset would get one of them wrong.
  EXPECT_FALSE(within(plain, "2024-03-29T07:30:00Z"));
  EXPECT_TRUE(within(plain, "2024-04-01T07:30:00Z"));
  EXPECT_FALSE(within(plain, "2024-04-01T15:00:00Z"));  // 17:00 CEST
}

TEST_F(Hours, AnSlaPolicysScheduleAppliesToItsTickets) {
  two_offices();
  auto id = s->read([&](store::Conn& c) { return HoursLookup(c).schedule_for(us); }).value();
  EXPECT_EQ(id, std::optional<Id>(new_york_id));
  // Monday 2024-03-11 13:30 UTC: 09:30 in New York (already on EDT), 14:30 in Berlin (still CET).
  EXPECT_TRUE(within(us, "2024-03-11T13:30:00Z"));
  EXPECT_TRUE(within(plain, "2024-03-11T13:30:00Z"));
  // 12:30 UTC: 08:30 in New York, closed there; Berlin is open.
  EXPECT_FALSE(within(us, "2024-03-11T12:30:00Z"));
  EXPECT_TRUE(within(plain, "2024-03-11T12:30:00Z"));
  // 17:30 UTC: 13:30 in New York, 18:30 in Berlin. Christmas is Berlin's holiday only.
  EXPECT_TRUE(within(us, "2024-03-11T17:30:00Z"));
  EXPECT_FALSE(within(plain, "2024-03-11T17:30:00Z"));
  EXPECT_TRUE(within(us, "2024-12-25T15:00:00Z"));
}

TEST_F(Hours, ANamedScheduleIsAskedDirectlyAndAMissingOneIsSaid) {
  two_offices();
  EXPECT_EQ(within_schedule(new_york_id, "2024-03-11T12:30:00Z"), std::optional<bool>(false));
  EXPECT_EQ(within_schedule(berlin_id, "2024-03-11T12:30:00Z"), std::optional<bool>(true));
  ASSERT_TRUE(write([&](store::Tx& tx) { return delete_schedule(tx, new_york_id, system_principal()); }));
  EXPECT_FALSE(within_schedule(new_york_id, "2024-03-11T12:30:00Z").has_value());
  EXPECT_FALSE(s->read([&](store::Conn& c) { return HoursLookup(c).exists(new_york_id); }).value());
  // The policy's schedule became null with the delete: its tickets fall back to the default.
  EXPECT_FALSE(within(us, "2024-03-11T17:30:00Z"));
}

}  // namespace
}  // namespace rapport::sla
