// Arrival history from real tickets in a real SQLite store, bucketed in the plan's time zone; a
// forecast and a plan over it; agent presence and its event.
#include <rapport/planning/planning.hpp>
#include <rapport/planning/presence.hpp>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rapport::planning {
namespace {

using accounts::system_principal;
using ::testing::HasSubstr;

// 2026-11-30 12:00 UTC, a Monday. Berlin is UTC+1 in winter.
constexpr int64_t k_now = 1'796'040'000;

class PlanningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      ScopedClock clock(k_now);
      auto g = accounts::create_group(tx, {{"name", "Billing"}}, system_principal());
      if (!g) return fail(g.error());
      group_id = g->id;
      auto a = accounts::create_user(tx, {{"name", "Ann Agent"}, {"email", "ann@x.io"}, {"role", "agent"}},
                                     system_principal());
      if (!a) return fail(a.error());
      agent_id = a->id;
      auto l = accounts::create_user(tx, {{"name", "Lee Lead"}, {"email", "lee@x.io"}, {"role", "agent"},
                                          {"rapport_role", "team_lead"}},
                                     system_principal());
      if (!l) return fail(l.error());
      lead_id = l->id;
      auto c = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@example.com"}}, system_principal());
      if (!c) return fail(c.error());
      customer_id = c->id;
      return {};
    }));
  }

  // A ticket created at `at` (UTC epoch seconds) on `channel`, in the group or not.
  void ticket_at(int64_t at, const std::string& channel = "email", bool in_group = true) {
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      ScopedClock clock(at);
      tickets::CreateOptions opts;
      opts.channel = channel;
      Json body = {{"subject", "Help"}, {"comment", {{"body", "Please help"}}}, {"requester_id", customer_id}};
      if (in_group) body["group_id"] = group_id;
      auto t = tickets::create_ticket(tx, body, system_principal(), opts);
      if (!t) return fail(t.error());
      return {};
    }));
  }

  domain::Principal principal(int64_t id) {
    return s->read([&](store::Conn& c) { return accounts::load_principal(c, id); }).value();
  }

  store::TempStore s;
  int64_t group_id = 0, agent_id = 0, lead_id = 0, customer_id = 0;
};

TEST_F(PlanningTest, HistoryBucketsArrivalsOnTheZonesWallClock) {
  // Berlin, 30-minute intervals, 2 weeks before today (2026-11-30): 2026-11-16 .. 2026-11-29.
  ticket_at(parse_iso8601("2026-11-16T09:10:00+01:00").value());  // day 0, 09:00-09:30
  ticket_at(parse_iso8601("2026-11-16T09:29:59+01:00").value());  // same interval
  ticket_at(parse_iso8601("2026-11-29T23:45:00+01:00").value());  // the last day's last interval
  ticket_at(parse_iso8601("2026-11-29T23:15:00Z").value());       // 00:15 today in Berlin: not history
  ticket_at(parse_iso8601("2026-11-15T22:59:00Z").value());       // 23:59 the day before: not history
  ticket_at(parse_iso8601("2026-11-20T12:00:00+01:00").value(), "web");
  ticket_at(parse_iso8601("2026-11-20T12:00:00+01:00").value(), "email", false);
  ForecastQuery q;
  q.time_zone = "Europe/Berlin";
  q.history_weeks = 2;
  auto h = s->read([&](store::Conn& c) { return arrival_history(c, q, k_now); }).value();
  EXPECT_EQ(local_date(h.first_local_day), "2026-11-16");
  EXPECT_EQ(h.first_weekday, 0);  // Monday
  ASSERT_EQ(h.volume.size(), 14u * 48);
  EXPECT_EQ(h.volume[18], 2);  // 09:00
  EXPECT_EQ(h.volume[13 * 48 + 47], 1);
  EXPECT_EQ(h.volume[4 * 48 + 24], 2);  // Friday 12:00, both channels, any group
  double total = 0;
  for (double v : h.volume) total += v;
  EXPECT_EQ(total, 5);

  q.channel = "web";
  h = s->read([&](store::Conn& c) { return arrival_history(c, q, k_now); }).value();
  EXPECT_EQ(h.volume[4 * 48 + 24], 1);
  q.channel.reset();
  q.group_id = group_id;
  h = s->read([&](store::Conn& c) { return arrival_history(c, q, k_now); }).value();
  EXPECT_EQ(h.volume[4 * 48 + 24], 1);  // the one without a group is left out
}

TEST_F(PlanningTest, TheDayThatEndsSummerTimeHasTwentyFiveHoursInItsIntervals) {
  // 2026-10-25 in Berlin: 02:00-03:00 happens twice. Both 02:30s land in interval 5 (02:30).
  ticket_at(parse_iso8601("2026-10-25T02:30:00+02:00").value());
  ticket_at(parse_iso8601("2026-10-25T02:30:00+01:00").value());
  ForecastQuery q;
  q.time_zone = "Europe/Berlin";
  q.history_weeks = 6;
  auto h = s->read([&](store::Conn& c) { return arrival_history(c, q, k_now); }).value();
  const int64_t day = parse_local_date("2026-10-25").value() - h.first_local_day;
  EXPECT_EQ(h.volume[day * 48 + 5], 2);
}

TEST_F(PlanningTest, QueryParsingNamesTheBadParameter) {
  auto from = [](std::map<std::string, std::string> m) {
    return forecast_query([m](const std::string& k) -> std::optional<std::string> {
      auto it = m.find(k);
      if (it == m.end()) return std::nullopt;
      return it->second;
    });
  };
  EXPECT_THAT(from({{"interval", "20m"}}).error().message, HasSubstr("interval must be 15m, 30m or 60m"));
  EXPECT_THAT(from({{"time_zone", "Mars/Olympus"}}).error().message, HasSubstr("unknown IANA zone 'Mars/Olympus'"));
  EXPECT_THAT(from({{"weeks", "27"}}).error().message, HasSubstr("weeks must be a whole number from 1 to 26"));
  EXPECT_THAT(from({{"holidays", "2026-12-25:x"}}).error().message, HasSubstr("factor"));
  auto q = from({{"interval", "15m"}, {"holidays", "2026-12-25:0.3:sun,2027-01-01"}}).value();
  EXPECT_EQ(q.interval_minutes, 15);
  ASSERT_EQ(q.holidays.size(), 2u);
  EXPECT_EQ(local_date(q.holidays[0].local_day), "2026-12-25");
  EXPECT_EQ(q.holidays[0].factor, 0.3);
  EXPECT_EQ(q.holidays[0].like_weekday, 6);
  EXPECT_EQ(q.holidays[1].factor, 1);
}

TEST_F(PlanningTest, ForecastFromTicketsAndTooLittleHistory) {
  // 3 weeks of one ticket every weekday at 10:00 UTC; forecast without a holdout.
  for (int d = 1; d <= 21; ++d) {
    const int64_t day_start = (k_now / 86400 - d) * 86400;
    if ((d % 7) != 6 && (d % 7) != 0) ticket_at(day_start + 10 * 3600);  // skip two days a week
  }
  ForecastQuery q;
  q.history_weeks = 3;
  q.holdout_weeks = 0;
  q.weeks = 1;
  auto r = s->read([&](store::Conn& c) { return forecast(c, q, k_now); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(local_date(r->first_forecast_day), "2026-11-30");
  double total = 0;
  for (double v : r->forecast.volume) total += v;
  EXPECT_NEAR(total, 5, 0.5);  // about one a day on five days of the week
  const Json j = to_json(*r);
  EXPECT_EQ(j["start"], "2026-11-30");
  EXPECT_EQ(j["volume"].size(), 7u * 48);
  EXPECT_TRUE(j["accuracy"].is_null());

  q.holdout_weeks = 2;
  auto e = s->read([&](store::Conn& c) { return forecast(c, q, k_now); });
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error().message, HasSubstr("at least 14 days of history before the 2 held-out weeks"));
  q.holdout_weeks = 0;
  q.holidays = {{parse_local_date("2025-01-01").value(), 1, {}}};
  e = s->read([&](store::Conn& c) { return forecast(c, q, k_now); });
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error().message, HasSubstr("holiday 2025-01-01 is outside the history and the forecast"));
}

TEST_F(PlanningTest, PlanOnAGivenVolumeWithAWhatIf) {
  Json body = {{"volume", std::vector<double>(48, 100.0)},
               {"start", "2026-12-07"},
               {"aht_s", 180},
               {"target", {{"service_level", 0.8}, {"threshold_s", 20}}},
               {"shrinkage", 0.3},
               {"what_if", {{"volume_change", 0.2}}}};
  auto req = plan_request(body);
  ASSERT_TRUE(req) << req.error().message;
  auto r = s->read([&](store::Conn& c) { return plan(c, *req, k_now); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->base.required[0], 14);
  EXPECT_EQ(r->base.scheduled[0], 20);
  ASSERT_TRUE(r->what_if);
  EXPECT_GT(r->what_if->required[0], 14);
  const Json j = to_json(*r);
  EXPECT_EQ(j["start"], "2026-12-07");
  EXPECT_EQ(j["source"], "given");
  EXPECT_EQ(j["base"]["totals"]["fte"], 20 * 24 / 40.0 * 7);  // one day scaled to a week
  EXPECT_GT(j["what_if"]["fte_change"].get<double>(), 0);

  auto bad = plan_request(Json{{"target", {{"service_level", 0.8}, {"asa_s", 20}}}, {"shrinkage", "30%"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::validation);
  EXPECT_TRUE(bad.error().details.count("aht_s"));
  EXPECT_TRUE(bad.error().details.count("shrinkage"));
  EXPECT_TRUE(bad.error().details.count("target.service_level"));
}

TEST_F(PlanningTest, PresenceChangesAppendOneEventEach) {
  auto set = [&](int64_t who, const std::string& status) {
    Presence out;
    auto st = s->writer().run([&](store::Tx& tx) -> Status {
      ScopedClock clock(k_now);
      auto p = set_presence(tx, principal(who), status);
      if (!p) return fail(p.error());
      out = *p;
      return {};
    });
    return st ? Result<Presence>(out) : fail(st.error());
  };
  auto p = set(agent_id, "online").value();
  EXPECT_TRUE(p.changed);
  EXPECT_EQ(p.since, k_now);
  EXPECT_FALSE(set(agent_id, "online").value().changed);  // no change, no event
  EXPECT_TRUE(set(agent_id, "away").value().changed);
  auto bad = set(agent_id, "busy");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::validation);
  EXPECT_EQ(set(customer_id, "online").error().code, ErrorCode::forbidden);

  std::vector<Json> data;
  ASSERT_TRUE(s->read([&](store::Conn& c) {
    return c.each("SELECT entity, entity_id, actor_id, data FROM events WHERE kind = 'agent.presence_changed' ORDER BY id", {},
                  [&](const store::Row& r) {
                    EXPECT_EQ(r.text(0), "user");
                    EXPECT_EQ(r.i64(1), agent_id);
                    EXPECT_EQ(r.i64(2), agent_id);
                    data.push_back(Json::parse(r.text(3)));
                  });
  }));
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0], (Json{{"status", "online"}, {"previous", "offline"}}));
  EXPECT_EQ(data[1], (Json{{"status", "away"}, {"previous", "online"}}));

  domain::PageRequest pr;
  auto page = s->read([&](store::Conn& c) { return list_presence(c, principal(lead_id), std::string("away"), pr); });
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, agent_id);
  EXPECT_EQ(page->items[0].name, "Ann Agent");
  auto denied = s->read([&](store::Conn& c) { return list_presence(c, principal(agent_id), std::nullopt, pr); });
  EXPECT_EQ(denied.error().code, ErrorCode::forbidden);
}

}  // namespace
}  // namespace rapport::planning
