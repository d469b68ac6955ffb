// Arrival history from real tickets in a real SQLite store, bucketed in the plan's time zone; a
// forecast and a plan over it; agent presence and its event.
#include <rapport/planning/people.hpp>
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
      auto a = accounts::create_user(
          tx, {{"name", "Ann Agent"}, {"email", "ann@x.io"}, {"role", "agent"}},
          system_principal());
      if (!a) return fail(a.error());
      agent_id = a->id;
      auto l = accounts::create_user(tx,
                                     {{"name", "Lee Lead"},
                                      {"email", "lee@x.io"},
                                      {"role", "agent"},
                                      {"rapport_role", "team_lead"}},
                                     system_principal());
      if (!l) return fail(l.error());
      lead_id = l->id;
      auto c = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@example.com"}},
                                     system_principal());
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
      Json body = {{"subject", "Help"},
                   {"comment", {{"body", "Please help"}}},
                   {"requester_id", customer_id}};
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
  ticket_at(parse_iso8601("2026-11-29T23:15:00Z").value());  // 00:15 today in Berlin: not history
  ticket_at(parse_iso8601("2026-11-15T22:59:00Z").value());  // 23:59 the day before: not history
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
  EXPECT_THAT(from({{"interval", "20m"}}).error().message,
              HasSubstr("interval must be 15m, 30m or 60m"));
  EXPECT_THAT(from({{"time_zone", "Mars/Olympus"}}).error().message,
              HasSubstr("unknown IANA zone 'Mars/Olympus'"));
  EXPECT_THAT(from({{"weeks", "27"}}).error().message,
              HasSubstr("weeks must be a whole number from 1 to 26"));
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
  EXPECT_THAT(e.error().message,
              HasSubstr("at least 14 days of history before the 2 held-out weeks"));
  q.holdout_weeks = 0;
  q.holidays = {{parse_local_date("2025-01-01").value(), 1, {}}};
  e = s->read([&](store::Conn& c) { return forecast(c, q, k_now); });
  ASSERT_FALSE(e);
  EXPECT_THAT(e.error().message,
              HasSubstr("holiday 2025-01-01 is outside the history and the forecast"));
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

  auto bad =
      plan_request(Json{{"target", {{"service_level", 0.8}, {"asa_s", 20}}}, {"shrinkage", "30%"}});
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
    return c.each(
        "SELECT entity, entity_id, actor_id, data FROM events WHERE kind = "
        "'agent.presence_changed' ORDER BY id",
        {}, [&](const store::Row& r) {
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
  auto page = s->read([&](store::Conn& c) {
    return list_presence(c, principal(lead_id), std::string("away"), pr);
  });
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, agent_id);
  EXPECT_EQ(page->items[0].name, "Ann Agent");
  auto denied = s->read(
      [&](store::Conn& c) { return list_presence(c, principal(agent_id), std::nullopt, pr); });
  EXPECT_EQ(denied.error().code, ErrorCode::forbidden);
}

// ---- people ----

int64_t at(const char* iso) {
  return parse_iso8601(iso).value();
}

TEST_F(PlanningTest, ScheduleImportNamesEveryBadLineAndImportsNothing) {
  const std::string bad =
      "email,starts_at,ends_at,activity\n"
      "ann@x.io,2026-11-23T09:00:00Z,2026-11-23T12:00:00Z,work\n"
      "nobody@x.io,2026-11-23T09:00:00Z,2026-11-23T12:00:00Z,work\n"
      "ann@x.io,2026-11-23T13:00:00Z,2026-11-23T12:00:00Z,work\n"
      "ann@x.io,Monday 9am,2026-11-23T12:00:00Z,nap\n"
      "ann@x.io,2026-11-23T11:00:00Z,2026-11-23T12:30:00Z,break\n"
      "ann@x.io,2026-11-24T09:00:00Z\n";
  auto r = s->read([&](store::Conn& c) { return parse_schedule_csv(c, bad); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::validation);
  EXPECT_EQ(r.error().message, "The schedule has errors; nothing was imported");
  const auto& d = r.error().details;
  std::vector<std::string> lines;
  for (const auto& [k, v] : d) lines.push_back(k);
  EXPECT_EQ(lines, (std::vector<std::string>{"line 3", "line 4", "line 5", "line 6", "line 7"}));
  EXPECT_THAT(d.at("line 3")[0].description,
              HasSubstr("no active agent has the email 'nobody@x.io'"));
  EXPECT_THAT(d.at("line 4")[0].description, HasSubstr("ends_at must be after starts_at"));
  EXPECT_THAT(d.at("line 5")[0].description,
              HasSubstr("starts_at 'Monday 9am' is not an ISO-8601 time"));
  EXPECT_THAT(d.at("line 6")[0].description, HasSubstr("overlaps line 2"));
  EXPECT_THAT(d.at("line 7")[0].description, HasSubstr("has 2 fields, the header has 4"));
  auto count = s->read([&](store::Conn& c) { return c.scalar("SELECT COUNT(*) FROM shifts"); });
  EXPECT_EQ(count.value(), 0);

  const std::string good =
      "email,starts_at,ends_at,activity\r\n"
      "ANN@x.io,2026-11-23T09:00:00Z,2026-11-23T12:00:00Z,work\r\n"
      "\"ann@x.io\",2026-11-23T12:00:00Z,2026-11-23T12:30:00Z,break\r\n";
  auto shifts = s->read([&](store::Conn& c) { return parse_schedule_csv(c, good); });
  ASSERT_TRUE(shifts) << shifts.error().message;
  ASSERT_EQ(shifts->size(), 2u);
  auto admin = accounts::system_principal();
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    ScopedClock clock(k_now);
    auto n = import_shifts(tx, admin, *shifts);
    if (!n) return fail(n.error());
    EXPECT_EQ(*n, 2);
    return {};
  }));
  // The same file again overlaps what is there: a conflict, and still 2 shifts.
  auto again = s->writer().run([&](store::Tx& tx) -> Status {
    auto n = import_shifts(tx, admin, *shifts);
    return n ? Status{} : fail(n.error());
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  EXPECT_EQ(
      s->read([&](store::Conn& c) { return c.scalar("SELECT COUNT(*) FROM shifts"); }).value(), 2);
  EXPECT_EQ(s->read([&](store::Conn& c) {
               return c.scalar("SELECT COUNT(*) FROM events WHERE kind = 'schedule.imported'");
             }).value(),
            1);
}

TEST_F(PlanningTest, PeopleReportFromShiftsAbsencesPresenceAndSolvedTickets) {
  // Bo: hired 2026-10-01 (tenure month 2 on 2026-11-23), led by Lee.
  int64_t bo = 0;
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    ScopedClock clock(k_now);
    auto u = accounts::create_user(tx,
                                   {{"name", "Bo Berg"},
                                    {"email", "bo@x.io"},
                                    {"role", "agent"},
                                    {"team_lead_id", lead_id},
                                    {"hired_at", "2026-10-01T00:00:00Z"},
                                    {"group_ids", {group_id}}},
                                   system_principal());
    if (!u) return fail(u.error());
    bo = u->id;
    return {};
  }));
  const auto admin = accounts::system_principal();
  auto write_at = [&](int64_t when, const std::function<Status(store::Tx&)>& job) {
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) {
      ScopedClock clock(when);
      return job(tx);
    }));
  };
  // Monday: work 09-12, break 12-12:30, work 12:30-17 (paid 8 h, work 7.5 h).
  write_at(k_now, [&](store::Tx& tx) -> Status {
    auto n =
        import_shifts(tx, admin,
                      {{0, bo, at("2026-11-23T09:00:00Z"), at("2026-11-23T12:00:00Z"), "work"},
                       {0, bo, at("2026-11-23T12:00:00Z"), at("2026-11-23T12:30:00Z"), "break"},
                       {0, bo, at("2026-11-23T12:30:00Z"), at("2026-11-23T17:00:00Z"), "work"}});
    return n ? Status{} : fail(n.error());
  });
  // Sick from 15:00: 2 h of unplanned absence.
  write_at(k_now, [&](store::Tx& tx) -> Status {
    auto a = record_absence(tx, admin,
                            {{"user_id", bo},
                             {"starts_at", "2026-11-23T15:00:00Z"},
                             {"ends_at", "2026-11-23T17:00:00Z"},
                             {"planned", false},
                             {"reason", "sick"}});
    return a ? Status{} : fail(a.error());
  });
  // Online 09:00-11:00 and 11:30-18:00.
  const auto bo_p = principal(bo);
  for (auto [when, status] :
       {std::pair{"2026-11-23T09:00:00Z", "online"}, std::pair{"2026-11-23T11:00:00Z", "away"},
        std::pair{"2026-11-23T11:30:00Z", "online"}, std::pair{"2026-11-23T18:00:00Z", "offline"}})
    write_at(at(when), [&](store::Tx& tx) -> Status {
      auto p = set_presence(tx, bo_p, status);
      return p ? Status{} : fail(p.error());
    });
  // 3 tickets solved by Bo that Monday.
  for (int i = 0; i < 3; ++i)
    write_at(at("2026-11-23T10:00:00Z") + i * 600, [&](store::Tx& tx) -> Status {
      auto t = tickets::create_ticket(tx,
                                      {{"subject", "Q"},
                                       {"comment", {{"body", "?"}}},
                                       {"requester_id", customer_id},
                                       {"assignee_id", bo}},
                                      system_principal());
      if (!t) return fail(t.error());
      auto u = tickets::update_ticket(
          tx, t->ticket.id, {{"status", "solved"}, {"comment", {{"body", "Done."}}}}, bo_p);
      return u ? Status{} : fail(u.error());
    });

  PeopleQuery q;
  q.from = at("2026-11-23T00:00:00Z");
  q.to = at("2026-11-24T00:00:00Z");
  auto rows = s->read([&](store::Conn& c) { return people_report(c, admin, q); });
  ASSERT_TRUE(rows) << rows.error().message;
  auto row =
      std::find_if(rows->begin(), rows->end(), [&](const PeopleRow& r) { return r.id == bo; });
  ASSERT_NE(row, rows->end());
  const Json j = to_json(*row, 600);
  EXPECT_EQ(j["paid_hours"], 8);
  EXPECT_EQ(j["available_hours"], 5.5);
  EXPECT_DOUBLE_EQ(j["absenteeism"].get<double>(), 2.0 / 8);
  EXPECT_DOUBLE_EQ(j["shrinkage"].get<double>(), 2.5 / 8);
  EXPECT_DOUBLE_EQ(j["adherence"].get<double>(), 5.0 / 5.5);  // 9-11, 11:30-12, 12:30-15
  EXPECT_EQ(j["handled"], 3);
  EXPECT_DOUBLE_EQ(j["utilization"].get<double>(), 3 * 600.0 / (8 * 3600));
  EXPECT_EQ(j["tenure_month"], 2);
  EXPECT_EQ(j["ramp_target"], 0.7);

  // By team lead: Lee leads Bo (span 1); the sums are Bo's.
  q.by = "team_lead";
  rows = s->read([&](store::Conn& c) { return people_report(c, admin, q); });
  ASSERT_TRUE(rows);
  auto lee =
      std::find_if(rows->begin(), rows->end(), [&](const PeopleRow& r) { return r.id == lead_id; });
  ASSERT_NE(lee, rows->end());
  EXPECT_EQ(lee->span_of_control, 1);
  EXPECT_EQ(lee->name, "Lee Lead");
  EXPECT_DOUBLE_EQ(to_json(*lee, 600)["absenteeism"].get<double>(), 0.25);

  // A team lead sees only their own agents; an agent sees nothing.
  q.by = "agent";
  rows = s->read([&](store::Conn& c) { return people_report(c, principal(lead_id), q); });
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].id, bo);
  EXPECT_EQ(s->read([&](store::Conn& c) { return people_report(c, principal(agent_id), q); })
                .error()
                .code,
            ErrorCode::forbidden);
}

}  // namespace
}  // namespace rapport::planning
