#include <rapport/accounts/auth.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/demo/seed.hpp>
#include <rapport/knowledge/knowledge.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/feedback/recognition.hpp>
#include <rapport/feedback/recovery.hpp>
#include <rapport/store/testing.hpp>

#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

namespace rapport::demo {

namespace {

constexpr int64_t k_day = 86400;
constexpr int64_t k_end = 1742169600;  // Monday 2025-03-17 00:00 UTC: two full weeks before it

SeedOptions small_demo() {
  SeedOptions o;
  o.seed = 7;
  o.scale = 0.01;
  o.days = 14;
  o.end_epoch = k_end;
  return o;
}

int64_t count(store::Store& s, const std::string& sql, const store::Params& params = {}) {
  auto r = s.read([&](store::Conn& c) { return c.scalar(sql, params); });
  EXPECT_TRUE(r) << sql << ": " << (r ? "" : r.error().message);
  return r && *r ? **r : 0;
}

using TicketRow = std::tuple<int64_t, std::string, int64_t, std::string, int64_t>;
std::vector<TicketRow> ticket_rows(store::Store& s) {
  std::vector<TicketRow> rows;
  auto st = s.read([&](store::Conn& c) {
    return c.each(
        "SELECT id, subject, requester_id, status, COALESCE(assignee_id, 0) FROM tickets ORDER BY "
        "id",
        {}, [&](const store::Row& r) {
          rows.emplace_back(r.i64(0), r.text(1), r.i64(2), r.text(3), r.i64(4));
        });
  });
  EXPECT_TRUE(st);
  return rows;
}

// One small organization, seeded once per test process (seeding is the slow part).
class DemoSeedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    crypto::init();
    s_store = std::make_unique<store::TempStore>();
    auto r = seed_demo(**s_store, small_demo());
    ASSERT_TRUE(r) << r.error().message;
    s_summary = *r;
  }
  static void TearDownTestSuite() { s_store.reset(); }
  static store::Store& db() { return **s_store; }

  static std::unique_ptr<store::TempStore> s_store;
  static SeedSummary s_summary;
};
std::unique_ptr<store::TempStore> DemoSeedTest::s_store;
SeedSummary DemoSeedTest::s_summary;

}  // namespace

TEST_F(DemoSeedTest, TheOrganizationIsWhatTheSummarySays) {
  {
    SCOPED_TRACE("counts");
    EXPECT_EQ(s_summary.sites, count(db(), "SELECT COUNT(*) FROM sites"));
    EXPECT_EQ(s_summary.groups, count(db(), "SELECT COUNT(*) FROM groups WHERE deleted = 0"));
    EXPECT_EQ(s_summary.agents, count(db(), "SELECT COUNT(*) FROM users WHERE role = 'agent'"));
    EXPECT_EQ(s_summary.customers,
              count(db(), "SELECT COUNT(*) FROM users WHERE role = 'end-user'"));
    EXPECT_EQ(s_summary.organizations, count(db(), "SELECT COUNT(*) FROM organizations"));
    EXPECT_EQ(s_summary.tickets, count(db(), "SELECT COUNT(*) FROM tickets"));
    EXPECT_EQ(s_summary.comments, count(db(), "SELECT COUNT(*) FROM comments"));
    // At this scale: every team staffed (and Customer Recovery), ~200 customers, ~230 tickets
    // over two weeks.
    EXPECT_EQ(s_summary.groups, 9);
    EXPECT_GE(s_summary.agents, 16);
    EXPECT_EQ(s_summary.customers, 200);
    EXPECT_GT(s_summary.tickets, 150);
    EXPECT_LT(s_summary.tickets, 330);
    EXPECT_GT(s_summary.comments, 2 * s_summary.tickets);
    EXPECT_EQ(s_summary.end_epoch, k_end);
    EXPECT_EQ(s_summary.start_epoch, k_end - 14 * k_day);
  }
  {
    SCOPED_TRACE("sites");
    EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM sites"), 3);
    EXPECT_EQ(
        count(db(), "SELECT COUNT(*) FROM sites WHERE kind = 'vendor' AND vendor IS NOT NULL"), 1);
    EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM sites WHERE kind = 'in_house'"), 2);
    EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM groups WHERE site_id IS NULL"), 0);
  }
  {
    SCOPED_TRACE("agents");
    EXPECT_EQ(count(db(),
                    "SELECT COUNT(*) FROM users WHERE role = 'agent' AND id NOT IN "
                    "(SELECT user_id FROM group_memberships)"),
              0);
    EXPECT_EQ(count(db(),
                    "SELECT COUNT(*) FROM users WHERE role = 'agent' AND (site_id IS NULL OR "
                    "hired_at IS NULL "
                    "OR skills = '[]' OR bio = '')"),
              0);
    EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM users WHERE rapport_role = 'team_lead'"), 8);
    EXPECT_GE(count(db(), "SELECT COUNT(*) FROM users WHERE rapport_role = 'qa'"), 1);
    EXPECT_GE(count(db(), "SELECT COUNT(*) FROM users WHERE rapport_role = 'manager'"), 1);
    // Ordinary agents report to a team lead.
    EXPECT_EQ(count(db(),
                    "SELECT COUNT(*) FROM users u WHERE u.role = 'agent' AND u.rapport_role IS "
                    "NULL AND NOT "
                    "EXISTS (SELECT 1 FROM users l WHERE l.id = u.team_lead_id AND l.rapport_role "
                    "= 'team_lead')"),
              0);
    // Outsourced staff stay out of the sensitive team.
    EXPECT_EQ(count(db(),
                    "SELECT COUNT(*) FROM group_memberships m JOIN groups g ON g.id = m.group_id "
                    "JOIN users u ON u.id = m.user_id JOIN sites s ON s.id = u.site_id "
                    "WHERE g.name = 'Account Security' AND s.kind = 'vendor'"),
              0);
  }
}

TEST_F(DemoSeedTest, TicketsLiveRealisticLives) {
  {
    SCOPED_TRACE("arrivals");
    int64_t start = k_end - 14 * k_day;
    EXPECT_LT(count(db(), "SELECT MIN(created_at) FROM tickets"), start + k_day);
    EXPECT_GE(count(db(), "SELECT MIN(created_at) FROM tickets"), start);
    EXPECT_GT(count(db(), "SELECT MAX(created_at) FROM tickets"), k_end - k_day);
    // Nothing happens after the end of the period.
    EXPECT_LT(count(db(), "SELECT MAX(at) FROM events"), k_end);
    EXPECT_LT(count(db(), "SELECT MAX(updated_at) FROM tickets"), k_end);
    // The period is two whole weeks: ten weekdays, four weekend days (UTC).
    double weekend = static_cast<double>(count(db(),
                                               "SELECT COUNT(*) FROM tickets WHERE strftime('%w', "
                                               "created_at, 'unixepoch') IN ('0', '6')"));
    double weekday = static_cast<double>(count(db(), "SELECT COUNT(*) FROM tickets")) - weekend;
    EXPECT_GT(weekday / 10, 1.5 * (weekend / 4));
    // Every channel of the mix shows up, email the most.
    EXPECT_GT(count(db(), "SELECT COUNT(*) FROM tickets WHERE channel = 'email'"),
              count(db(), "SELECT COUNT(*) FROM tickets WHERE channel = 'chat'"));
    EXPECT_GT(count(db(), "SELECT COUNT(*) FROM tickets WHERE channel = 'web'"), 0);
    EXPECT_GT(count(db(), "SELECT COUNT(*) FROM tickets WHERE channel = 'chat'"), 0);
  }
  {
    SCOPED_TRACE("solved");
    EXPECT_GT(count(db(), "SELECT COUNT(*) FROM tickets WHERE status = 'solved'"), 0);
    EXPECT_EQ(count(db(),
                    "SELECT COUNT(*) FROM tickets t WHERE t.status = 'solved' AND (t.assignee_id "
                    "IS NULL OR "
                    "NOT EXISTS (SELECT 1 FROM comments c JOIN users u ON u.id = c.author_id WHERE "
                    "c.ticket_id = t.id AND c.public = 1 AND u.role = 'agent'))"),
              0);
    // The assignee is a member of the ticket's team.
    EXPECT_EQ(count(db(),
                    "SELECT COUNT(*) FROM tickets t WHERE t.assignee_id IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM group_memberships m WHERE m.user_id = t.assignee_id AND "
                    "m.group_id = t.group_id)"),
              0);
  }
  {
    SCOPED_TRACE("backlog");
    int64_t old =
        count(db(), "SELECT COUNT(*) FROM tickets WHERE created_at < ?", {k_end - 4 * k_day});
    int64_t old_solved =
        count(db(), "SELECT COUNT(*) FROM tickets WHERE created_at < ? AND status = 'solved'",
              {k_end - 4 * k_day});
    EXPECT_GT(old_solved, old * 85 / 100);
    EXPECT_GT(
        count(db(), "SELECT COUNT(*) FROM tickets WHERE created_at >= ? AND status <> 'solved'",
              {k_end - k_day}),
        0);
    EXPECT_GT(
        count(db(),
              "SELECT COUNT(*) FROM tickets WHERE status IN ('new', 'open', 'pending', 'hold')"),
        0);
  }
  {
    SCOPED_TRACE("repeats");
    EXPECT_GT(
        count(
            db(),
            "SELECT COUNT(*) FROM tickets a JOIN tickets b ON b.requester_id = a.requester_id "
            "AND b.id > a.id AND b.created_at - a.created_at <= 7 * 86400 "
            "JOIN ticket_tags ta ON ta.ticket_id = a.id JOIN ticket_tags tb ON tb.ticket_id = b.id "
            "AND tb.tag = ta.tag WHERE ta.tag NOT IN ('business', 'plus_member', 'escalated')"),
        0);
    // Some customers reopen a solved ticket with a reply.
    EXPECT_GT(count(db(),
                    "SELECT COUNT(*) FROM events WHERE kind = 'ticket.updated' AND "
                    "json_extract(data, '$.changes.status[0]') = 'solved' AND "
                    "json_extract(data, '$.changes.status[1]') = 'open' AND "
                    "json_extract(data, '$.comment.by_requester') = 1"),
              0);
  }
}

TEST_F(DemoSeedTest, TheHistoryWasWrittenThroughTheServices) {
  int64_t tickets = s_summary.tickets;
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM events WHERE kind = 'ticket.created'"), tickets);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM ticket_fts"), tickets);
  EXPECT_EQ(count(db(), "SELECT COUNT(DISTINCT ticket_id) FROM audits"), tickets);
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM audits a WHERE "
                  "a.id = c.audit_id)"),
            0);
  // Every ticket is tagged with its contact reason; internal notes exist and only staff write them.
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM tickets WHERE tags = '[]'"), 0);
  EXPECT_GT(count(db(), "SELECT COUNT(*) FROM comments WHERE public = 0"), 0);
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM comments c JOIN users u ON u.id = c.author_id "
                  "WHERE c.public = 0 AND u.role = 'end-user'"),
            0);
  // Customers reply as themselves.
  EXPECT_GT(count(db(),
                  "SELECT COUNT(*) FROM events e JOIN tickets t ON t.id = e.entity_id WHERE "
                  "e.kind = 'ticket.updated' AND e.actor_id = t.requester_id"),
            0);
  // Full-text search finds what customers wrote.
  EXPECT_GT(
      count(db(),
            "SELECT COUNT(*) FROM ticket_fts WHERE ticket_fts MATCH 'refund OR order OR password'"),
      0);
}

TEST_F(DemoSeedTest, TheDemoLoginsWorkAndReseedingIsRefused) {
  {
    SCOPED_TRACE("sign in");
    auto admin = db().read([&](store::Conn& c) {
      return accounts::authenticate_password(c, s_summary.admin_email, s_summary.admin_password);
    });
    ASSERT_TRUE(admin) << admin.error().message;
    EXPECT_TRUE(admin->is_admin());
    auto agent = db().read([&](store::Conn& c) {
      return accounts::authenticate_password(c, s_summary.agent_email, s_summary.agent_password);
    });
    ASSERT_TRUE(agent) << agent.error().message;
    EXPECT_EQ(agent->role, domain::Role::agent);
    EXPECT_FALSE(agent->group_ids.empty());
  }
  {
    SCOPED_TRACE("reseed");
    int64_t before = count(db(), "SELECT COUNT(*) FROM tickets");
    auto again = seed_demo(db(), small_demo());
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::conflict);
    EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM tickets"), before);
  }
}

TEST_F(DemoSeedTest, TheSameSeedGivesTheSameOrganization) {
  store::TempStore other;
  auto r = seed_demo(*other, small_demo());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tickets, s_summary.tickets);
  EXPECT_EQ(r->comments, s_summary.comments);
  EXPECT_EQ(r->admin_password, s_summary.admin_password);
  auto mine = ticket_rows(db()), theirs = ticket_rows(*other);
  ASSERT_EQ(mine.size(), theirs.size());
  EXPECT_TRUE(mine == theirs);
  // The conversations too: the same texts at the same moments.
  for (const char* sql : {"SELECT COUNT(*) FROM events", "SELECT SUM(at) FROM events",
                          "SELECT SUM(length(body) * (id % 7 + 1)) FROM comments",
                          "SELECT SUM(created_at) FROM comments"})
    EXPECT_EQ(count(db(), sql), count(*other, sql)) << sql;
  // And the feedback: the same requests, answers, cases, rewards and reactions.
  EXPECT_EQ(r->ratings, s_summary.ratings);
  EXPECT_EQ(r->recovery_cases, s_summary.recovery_cases);
  for (const char* sql :
       {"SELECT SUM(id * 3 + created_at) + SUM(COALESCE(delivered_at, 0)) FROM feedback_requests",
        "SELECT SUM(COALESCE(opened_at, 0) + COALESCE(answered_at, 0)) FROM feedback_requests",
        "SELECT SUM(stars * id + created_at + COALESCE(nps, 0) + COALESCE(resolved, 7)) FROM "
        "ratings",
        "SELECT SUM(length(comment) * id + length(tags)) FROM ratings",
        "SELECT SUM(COALESCE(closed_at, 0) + COALESCE(contacted_at, 0) + id + length(outcome)) "
        "FROM recovery_cases",
        "SELECT SUM(points * id + created_at + COALESCE(fulfilled_at, 0)) FROM rewards",
        "SELECT COUNT(*) + SUM(length(body) + created_at) FROM rating_reactions",
        "SELECT SUM(answers * day + stars_sum) FROM rating_daily"})
    EXPECT_EQ(count(db(), sql), count(*other, sql)) << sql;
}

TEST_F(DemoSeedTest, CustomersRateTheAgentsWhoHelpedThem) {
  // Requests come from the real consumer: one per solve, suppressed when the customer was
  // surveyed in the last week; the emailed ones were sent.
  int64_t requests = count(db(), "SELECT COUNT(*) FROM feedback_requests WHERE kind = 'survey'");
  int64_t delivered = count(db(),
                            "SELECT COUNT(*) FROM feedback_requests WHERE kind = 'survey' AND "
                            "delivered_at IS NOT NULL");
  int64_t answered = count(db(), "SELECT COUNT(*) FROM ratings WHERE kind = 'survey'");
  EXPECT_EQ(s_summary.feedback_requests, requests);
  EXPECT_EQ(s_summary.feedback_delivered, delivered);
  EXPECT_EQ(s_summary.ratings, answered);
  EXPECT_GT(requests, s_summary.tickets / 2);
  EXPECT_GT(count(db(), "SELECT COUNT(*) FROM feedback_requests WHERE status = 'suppressed'"), 0);
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM outbox WHERE kind = 'feedback_request' AND "
                  "status = 'queued' AND created_at < ?",
                  {k_end - 3600}),
            0);
  // About a third answer.
  double rate = static_cast<double>(answered) / static_cast<double>(delivered);
  EXPECT_GE(rate, 0.30);
  EXPECT_LE(rate, 0.40);
  EXPECT_NEAR(s_summary.response_rate, rate, 1e-9);
  // Mostly happy, not all: the J shape, CSAT between 65 and 90 %.
  double csat = static_cast<double>(count(
                    db(), "SELECT COUNT(*) FROM ratings WHERE kind = 'survey' AND stars >= 4")) /
                static_cast<double>(answered);
  EXPECT_GT(csat, 0.6);
  EXPECT_LT(csat, 0.90);
  EXPECT_GT(count(db(), "SELECT COUNT(*) FROM ratings WHERE stars = 1"), 0);
  // Stars, NPS and "resolved?" agree with each other.
  EXPECT_GT(count(db(), "SELECT AVG(nps) * 100 FROM ratings WHERE stars = 5"),
            count(db(), "SELECT AVG(nps) * 100 FROM ratings WHERE stars <= 2"));
  EXPECT_GT(count(db(), "SELECT AVG(resolved) * 100 FROM ratings WHERE stars >= 4"),
            count(db(), "SELECT AVG(resolved) * 100 FROM ratings WHERE stars <= 2"));
  // Comments and tags fit the stars: excellence tags with 4-5, improvement tags with 1-3.
  EXPECT_GT(count(db(), "SELECT COUNT(*) FROM ratings WHERE comment <> ''"), 0);
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM ratings, json_each(ratings.tags) t WHERE "
                  "(stars >= 4 AND t.value IN ('clarity', 'follow_up')) OR "
                  "(stars <= 3 AND t.value IN ('friendliness', 'went_the_extra_mile'))"),
            0);
  // The leaderboard's rollup holds every survey answer.
  EXPECT_EQ(count(db(), "SELECT SUM(answers) FROM rating_daily"), answered);
  // `rapport serve` does not survey the history again: its consumer starts at the end.
  EXPECT_EQ(count(db(), "SELECT last_id FROM event_cursors WHERE name = 'feedback_requests'"),
            count(db(), "SELECT MAX(id) FROM events"));
  // Nothing after the end of the period.
  EXPECT_LT(count(db(), "SELECT MAX(at) FROM events"), k_end);
}

TEST_F(DemoSeedTest, TheLeaderboardTellsAgentsApart) {
  auto admin = db().read([&](store::Conn& c) {
    return accounts::authenticate_password(c, s_summary.admin_email, s_summary.admin_password);
  });
  ASSERT_TRUE(admin);
  feedback::LeaderboardQuery q;
  q.from_day = (k_end - 14 * k_day) / k_day;
  q.to_day = k_end / k_day;
  auto board = db().read([&](store::Conn& c) { return feedback::leaderboard(c, q, *admin); });
  ASSERT_TRUE(board) << board.error().message;
  const auto& agents = (*board)["agents"];
  ASSERT_GE(agents.size(), 5u);
  double best = agents.front()["ranking_score"], worst = agents.back()["ranking_score"];
  EXPECT_GT(best, worst);
  std::set<int64_t> ids;
  for (const auto& a : agents) ids.insert(a["agent_id"].get<int64_t>());
  EXPECT_EQ(ids.size(), agents.size());
  // Every agent reports to someone, so every rated agent's lead gets a digest.
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM users WHERE role = 'agent' AND team_lead_id IS NULL"),
            0);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM users WHERE role = 'agent' AND bio = ''"), 0);
  // The hidden traits are there to be discovered.
  int standouts = 0;
  for (const auto& p : s_summary.agent_profiles) standouts += p.rating_skill > 0.4;
  EXPECT_GT(standouts, 0);
}

TEST_F(DemoSeedTest, BadRatingsAreRecovered) {
  auto cfg = db().read([](store::Conn& c) { return feedback::load_config(c); });
  ASSERT_TRUE(cfg);
  ASSERT_TRUE(cfg->recovery_group_id);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM groups WHERE id = ? AND name = 'Customer Recovery'",
                  {*cfg->recovery_group_id}),
            1);
  EXPECT_GE(count(db(), "SELECT COUNT(*) FROM group_memberships WHERE group_id = ?",
                  {*cfg->recovery_group_id}),
            1);
  EXPECT_GE(cfg->reward_catalog.size(), 3u);
  // Every bad survey rating opened a case for the recovery group.
  int64_t cases = count(db(), "SELECT COUNT(*) FROM recovery_cases");
  EXPECT_EQ(s_summary.recovery_cases, cases);
  EXPECT_GT(cases, 0);
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM ratings r WHERE r.kind = 'survey' AND r.stars <= 2 AND NOT "
                  "EXISTS (SELECT 1 FROM recovery_cases c WHERE c.rating_id = r.id)"),
            0);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM recovery_cases WHERE group_id IS NOT ?",
                  {*cfg->recovery_group_id}),
            0);
  // Most are worked by the group's members; closed ones have an outcome and sent a follow-up.
  int64_t closed = count(db(), "SELECT COUNT(*) FROM recovery_cases WHERE status = 'closed'");
  EXPECT_GT(closed, cases / 2);
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM recovery_cases c WHERE c.assignee_id IS NOT NULL AND NOT "
                  "EXISTS (SELECT 1 FROM group_memberships m WHERE m.user_id = c.assignee_id AND "
                  "m.group_id = c.group_id)"),
            0);
  EXPECT_EQ(
      count(db(),
            "SELECT COUNT(*) FROM recovery_cases WHERE status = 'closed' AND (outcome IS NULL "
            "OR (outcome <> 'unreachable' AND follow_up_request_id IS NULL))"),
      0);
  // Follow-ups come back, and better: the recovery report's uplift is above 1.
  auto admin = db().read([&](store::Conn& c) {
    return accounts::authenticate_password(c, s_summary.admin_email, s_summary.admin_password);
  });
  ASSERT_TRUE(admin);
  auto report = db().read([&](store::Conn& c) {
    return feedback::recovery_report(c, k_end - 14 * k_day, k_end, std::nullopt, *admin);
  });
  ASSERT_TRUE(report) << report.error().message;
  const auto& total = (*report)["total"];
  EXPECT_GT(total["follow_ups_answered"].get<int64_t>(), 0);
  ASSERT_FALSE(total["uplift"].is_null());
  EXPECT_GT(total["uplift"].get<double>(), 1.0);
  EXPECT_GT(total["closed_within_due"].get<int64_t>(), 0);
  // Customers hear from the group within the due time, mostly.
  EXPECT_GT(
      count(db(), "SELECT COUNT(*) FROM recovery_cases WHERE contacted_at <= due_at"),
      count(db(), "SELECT COUNT(*) FROM recovery_cases WHERE contacted_at IS NOT NULL") * 2 / 3);
}

TEST_F(DemoSeedTest, HappyCustomersSendRewards) {
  EXPECT_GT(s_summary.rewards, 0);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM rewards"), s_summary.rewards);
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM rewards w JOIN ratings r ON r.id = w.rating_id WHERE "
                  "r.stars < 4 OR w.agent_id IS NOT r.agent_id"),
            0);
  // Whoever fulfilled one is a manager.
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM rewards w LEFT JOIN users u ON u.id = w.fulfilled_by WHERE "
                  "w.status = 'fulfilled' AND u.rapport_role IS NOT 'manager'"),
            0);
  // Leads react to recent ratings only, as leads (or managers).
  EXPECT_EQ(count(db(),
                  "SELECT COUNT(*) FROM rating_reactions x JOIN users u ON u.id = x.author_id "
                  "WHERE u.rapport_role NOT IN ('team_lead', 'manager')"),
            0);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM rating_reactions WHERE created_at < ?",
                  {k_end - 21 * k_day}),
            0);
}

TEST_F(DemoSeedTest, TheSupportSetupIsInPlaceForWhatHappensNext) {
  const auto& su = s_summary.setup;
  EXPECT_EQ(su.schedules, 1);
  EXPECT_EQ(su.sla_policies, 3);
  EXPECT_GE(su.triggers, 3);
  EXPECT_GE(su.macros, 4);
  EXPECT_EQ(su.automations, 2);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM business_schedules"), 1);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM sla_policies"), 3);
  // The open backlog is on the clock: every unsolved ticket has at least one SLA instance, and
  // the policy follows its team (Enterprise tickets under the Enterprise policy).
  const int64_t open = count(db(), "SELECT COUNT(*) FROM tickets WHERE status_rank < 4 AND deleted_at IS NULL");
  ASSERT_GT(open, 0);
  EXPECT_EQ(su.tickets_with_clocks, open);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM tickets t WHERE t.status_rank < 4 AND t.deleted_at IS NULL AND NOT EXISTS "
                        "(SELECT 1 FROM ticket_slas s WHERE s.ticket_id = t.id)"),
            0);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM ticket_slas s JOIN tickets t ON t.id = s.ticket_id JOIN groups g ON "
                        "g.id = t.group_id JOIN sla_policies p ON p.id = s.policy_id WHERE g.name = 'Enterprise' AND "
                        "p.title <> 'Enterprise accounts'"),
            0);
  // The help center answers customers with published public articles only.
  auto hits = db().read([](store::Conn& c) {
    return knowledge::search_articles(c, {"refund"}, domain::Principal{});
  });
  ASSERT_TRUE(hits) << hits.error().message;
  ASSERT_FALSE(hits->hits.empty());
  for (const auto& h : hits->hits) {
    EXPECT_FALSE(h.article.draft) << h.article.title;
    EXPECT_EQ(h.article.visibility, "public") << h.article.title;
  }
  EXPECT_GT(count(db(), "SELECT COUNT(*) FROM kb_articles WHERE visibility = 'internal'"), 0);
  EXPECT_GT(count(db(), "SELECT COUNT(*) FROM kb_articles WHERE draft = 1"), 0);
  // The past incident is resolved and answers no new contact.
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM incidents WHERE status = 'resolved'"), 1);
  EXPECT_EQ(count(db(), "SELECT COUNT(*) FROM incidents WHERE status = 'open'"), 0);
}

TEST(DemoSeedOptions, NonsenseOptionsAreRejected) {
  store::TempStore s;
  SeedOptions o = small_demo();
  o.scale = 0;
  auto r = seed_demo(*s, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid);
  o = small_demo();
  o.days = 0;
  EXPECT_FALSE(seed_demo(*s, o));
}

}  // namespace rapport::demo
