#include <rapport/accounts/auth.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/demo/seed.hpp>
#include <rapport/store/testing.hpp>

#include <memory>
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
    // At this scale: every team staffed, ~200 customers, ~230 tickets over two weeks.
    EXPECT_EQ(s_summary.groups, 8);
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
