// The tracker against a real SQLite store: tickets changed through the tickets service, the
// consumer recomputing ticket_slas from their audits, and the breach timer.
#include <rapport/sla/tracker.hpp>

#include <gtest/gtest.h>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/consumer.hpp>
#include <rapport/sla/admin.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::sla {
namespace {

using accounts::system_principal;
int64_t at(const char* iso) {
  return parse_iso8601(iso).value();
}

class Tracker : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto g = accounts::create_group(tx, {{"name", "Escalations"}}, system_principal());
      if (!g) return fail(g.error());
      escalation_group = g->id;
      auto a = accounts::create_user(
          tx, {{"name", "Agent"}, {"email", "agent@x.io"}, {"role", "agent"}}, system_principal());
      if (!a) return fail(a.error());
      agent = accounts::load_principal(tx.conn(), a->id).value();
      auto c = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@example.com"}},
                                     system_principal());
      if (!c) return fail(c.error());
      customer = accounts::load_principal(tx.conn(), c->id).value();
      auto s = create_schedule(tx, {{"name", "Berlin office"}, {"time_zone", "Europe/Berlin"}},
                               system_principal());
      if (!s) return fail(s.error());
      auto p = create_policy(tx,
                             {{"title", "Standard"},
                              {"filter", {{"all", Json::array()}, {"any", Json::array()}}},
                              {"policy_metrics",
                               {{{"priority", "normal"},
                                 {"metric", "first_reply_time"},
                                 {"target", 60},
                                 {"business_hours", true}},
                                {{"priority", "urgent"},
                                 {"metric", "first_reply_time"},
                                 {"target", 30},
                                 {"business_hours", true}}}},
                              {"escalation",
                               {{"priority", "urgent"},
                                {"add_tags", {"sla_breached"}},
                                {"group_id", escalation_group}}}},
                             system_principal());
      if (!p) return fail(p.error());
      policy_id = p->id;
      return events::start_at_end(tx, k_consumer);
    }));
  }
  Status write(const std::function<Status(store::Tx&)>& job) {
    return s->writer().run([&](store::Tx& tx) {
      ScopedClock clock(now);
      return job(tx);
    });
  }
  void drain() {
    for (;;) {
      auto n = events::consume(*s, k_consumer, tracked_event_kinds(),
                               [&](store::Tx& tx, const events::StoredEvent& e) {
                                 ScopedClock clock(now);
                                 return on_event(tx, e);
                               });
      ASSERT_TRUE(n) << n.error().message;
      if (*n == 0) return;
    }
  }
  Id new_ticket() {
    Id id = 0;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto t = tickets::create_ticket(
          tx, {{"subject", "Broken"}, {"comment", {{"body", "It broke"}}}}, customer);
      if (!t) return fail(t.error());
      id = t->ticket.id;
      return {};
    }));
    drain();
    return id;
  }
  std::vector<TicketSla> rows(Id ticket) {
    auto r = s->read([&](store::Conn& c) { return slas_for_tickets(c, {ticket}); });
    EXPECT_TRUE(r);
    return (*r)[ticket];
  }
  int64_t count_events(const char* kind, Id ticket) {
    return s
        ->read([&](store::Conn& c) {
          return c.scalar("SELECT COUNT(*) FROM events WHERE kind = ? AND entity_id = ?",
                          {kind, ticket});
        })
        .value()
        .value_or(0);
  }
  int breaches() {
    int n = 0;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = emit_due_breaches(tx, now);
      if (!r) return fail(r.error());
      n = *r;
      return {};
    }));
    drain();
    return n;
  }

  store::TempStore s;
  int64_t now = at("2024-03-08T15:30:00Z");  // Friday 16:30 in Berlin
  domain::Principal agent, customer;
  Id escalation_group = 0, policy_id = 0;
};

TEST_F(Tracker, ANewTicketGetsItsFirstReplyClockOnTheDefaultSchedule) {
  auto id = new_ticket();
  auto r = rows(id);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].metric, "first_reply_time");
  EXPECT_EQ(r[0].policy_id, policy_id);
  EXPECT_EQ(r[0].stage, "active");
  EXPECT_EQ(r[0].breach_at, at("2024-03-11T08:30:00Z"));  // Monday 09:30 CET
  auto next = s->read([](store::Conn& c) { return next_breach(c); });
  EXPECT_EQ(next.value(), at("2024-03-11T08:30:00Z"));
}

TEST_F(Tracker, AnAgentsPublicReplyAchievesFirstReplyAndSaysSo) {
  auto id = new_ticket();
  now = at("2024-03-11T08:10:00Z");
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto u =
        tickets::update_ticket(tx, id, {{"comment", {{"body", "On it"}, {"public", true}}}}, agent);
    if (!u) return fail(u.error());
    return {};
  }));
  drain();
  auto r = rows(id);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].stage, "achieved");
  EXPECT_EQ(r[0].fulfilled_at, now);
  EXPECT_EQ(count_events("sla.achieved", id), 1);
  EXPECT_EQ(breaches(), 0);
  // An internal note would not have counted: a second ticket stays active after one.
  auto other = new_ticket();
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto u = tickets::update_ticket(tx, other, {{"comment", {{"body", "note"}, {"public", false}}}},
                                    agent);
    if (!u) return fail(u.error());
    return {};
  }));
  drain();
  EXPECT_EQ(rows(other)[0].stage, "active");
}

TEST_F(Tracker, ABreachIsAnnouncedOnceAndEscalatesTheTicket) {
  auto id = new_ticket();
  now = at("2024-03-11T08:29:59Z");
  EXPECT_EQ(breaches(), 0);
  now = at("2024-03-11T08:30:00Z");
  EXPECT_EQ(breaches(), 1);
  EXPECT_EQ(count_events("sla.breached", id), 1);
  auto t = s->read([&](store::Conn& c) {
              return tickets::get_ticket(c, id, system_principal());
            }).value();
  EXPECT_EQ(t.priority.value_or(""), "urgent");
  EXPECT_EQ(t.group_id, escalation_group);
  EXPECT_NE(std::find(t.tags.begin(), t.tags.end(), Json("sla_breached")), t.tags.end());
  // The escalation's audit names the policy.
  auto via = s->read([&](store::Conn& c) {
                return c.scalar_text(
                    "SELECT via FROM audits WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", {id});
              })
                 .value()
                 .value_or("");
  auto v = Json::parse(via);
  EXPECT_EQ(v["channel"], "rule");
  EXPECT_EQ(v["source"]["from"]["id"], policy_id);
  // The priority change recomputed the clock under the urgent target; still breached, and no
  // second announcement however often the timer runs.
  auto r = rows(id);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].stage, "breached");
  EXPECT_TRUE(r[0].breach_event_id);
  now += 3600;
  EXPECT_EQ(breaches(), 0);
  EXPECT_EQ(count_events("sla.breached", id), 1);
}

TEST_F(Tracker, APolicyChangeRecomputesOpenTickets) {
  auto id = new_ticket();
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto p = update_policy(tx, policy_id,
                           {{"policy_metrics",
                             {{{"priority", "normal"},
                               {"metric", "first_reply_time"},
                               {"target", 120},
                               {"business_hours", false}}}}},
                           system_principal());
    if (!p) return fail(p.error());
    return {};
  }));
  drain();
  auto r = rows(id);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].breach_at, at("2024-03-08T17:30:00Z"));  // two calendar hours
  EXPECT_FALSE(r[0].business_hours);
  // A deleted policy takes the unannounced clocks with it.
  ASSERT_TRUE(
      write([&](store::Tx& tx) { return delete_policy(tx, policy_id, system_principal()); }));
  drain();
  EXPECT_TRUE(rows(id).empty());
}

TEST_F(Tracker, OnlyAdminsChangePoliciesAndAgentsReadThem) {
  auto denied = write([&](store::Tx& tx) -> Status {
    auto p = create_policy(tx, {{"title", "Mine"}, {"filter", {{"all", Json::array()}}}}, agent);
    if (!p) return fail(p.error());
    return {};
  });
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::forbidden);
  auto listed = s->read([&](store::Conn& c) { return list_policies(c, agent); });
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
  auto customer_list = s->read([&](store::Conn& c) { return list_policies(c, customer); });
  EXPECT_FALSE(customer_list);
}

TEST_F(Tracker, HolidaysMoveTheBreach) {
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto schedules = list_schedules(tx.conn(), system_principal());
    if (!schedules) return fail(schedules.error());
    auto h = create_holiday(tx, schedules->front().id,
                            {{"name", "Closed Monday"}, {"start_date", "2024-03-11"}},
                            system_principal());
    if (!h) return fail(h.error());
    return {};
  }));
  auto id = new_ticket();
  EXPECT_EQ(rows(id)[0].breach_at, at("2024-03-12T08:30:00Z"));  // Tuesday 09:30 CET
}

}  // namespace
}  // namespace rapport::sla
