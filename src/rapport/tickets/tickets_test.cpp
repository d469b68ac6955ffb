#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/search.hpp>
#include <rapport/tickets/tickets.hpp>

#include <gtest/gtest.h>

namespace rapport::tickets {

namespace {

using accounts::system_principal;

class TicketsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      auto g1 = accounts::create_group(tx, {{"name", "Billing"}}, system_principal());
      auto g2 = accounts::create_group(tx, {{"name", "Security"}}, system_principal());
      billing = g1->id;
      security = g2->id;
      auto a = accounts::create_user(tx, {{"name", "Agent"}, {"email", "agent@x.io"}, {"role", "agent"}, {"group_ids", {billing}}},
                                     system_principal());
      if (!a) return fail(a.error());
      agent_id = a->id;
      auto c = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@x.io"}}, system_principal());
      customer_id = c->id;
      auto o = accounts::create_user(tx, {{"name", "Other"}, {"email", "other@x.io"}}, system_principal());
      other_id = o->id;
      return {};
    }));
    agent = principal(agent_id);
    customer = principal(customer_id);
    other = principal(other_id);
  }
  domain::Principal principal(int64_t id) {
    return s->read([&](store::Conn& c) { return accounts::load_principal(c, id); }).value();
  }
  Result<Change> create(const Json& in, const domain::Principal& who) {
    Change out;
    auto st = s->writer().run([&](store::Tx& tx) -> Status {
      auto r = create_ticket(tx, in, who);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    if (!st) return fail(st.error());
    return out;
  }
  Result<Change> update(int64_t id, const Json& in, const domain::Principal& who) {
    Change out;
    auto st = s->writer().run([&](store::Tx& tx) -> Status {
      auto r = update_ticket(tx, id, in, who);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    if (!st) return fail(st.error());
    return out;
  }
  store::TempStore s;
  int64_t billing = 0, security = 0, agent_id = 0, customer_id = 0, other_id = 0;
  domain::Principal agent, customer, other;
};

}  // namespace

TEST_F(TicketsTest, CreateRecordsTheFirstCommentAsDescriptionAndAuditsIt) {
  auto r = create({{"subject", "Refund"}, {"comment", {{"body", "Please refund <order> #12"}}},
                   {"requester_id", customer_id}, {"tags", {"VIP", "refund"}}},
                  system_principal());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ticket.status, "new");
  EXPECT_EQ(r->ticket.description, "Please refund <order> #12");
  EXPECT_EQ(r->ticket.tags, Json({"vip", "refund"}));
  EXPECT_EQ(r->audit.events.front()["type"], "Comment");
  EXPECT_NE(r->audit.events.front()["html_body"].get<std::string>().find("&lt;order&gt;"), std::string::npos);
}

TEST_F(TicketsTest, ATicketWithoutACommentIsInvalidOnBase) {
  auto r = create({{"subject", "No body"}, {"requester_id", customer_id}}, system_principal());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().details.at("base").front().description, "Description: cannot be blank");
  auto n = s->read([](store::Conn& c) { return c.scalar("SELECT COUNT(*) FROM tickets"); });
  EXPECT_EQ(n.value().value_or(-1), 0);
}

TEST_F(TicketsTest, SolvingAssignsTheSolverAndARequesterReplyReopens) {
  auto t = create({{"comment", {{"body", "Help"}}}, {"requester_id", customer_id}, {"group_id", billing}}, system_principal());
  ASSERT_TRUE(t);
  auto solved = update(t->ticket.id, {{"status", "solved"}, {"comment", {{"body", "Done"}}}}, agent);
  ASSERT_TRUE(solved) << solved.error().message;
  EXPECT_EQ(solved->ticket.assignee_id, std::optional<int64_t>(agent_id));
  EXPECT_TRUE(solved->ticket.solved_at.has_value());
  auto reply = update(t->ticket.id, {{"comment", {{"body", "Still broken"}}}}, customer);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->ticket.status, "open");
  bool saw_change = false;
  for (auto& e : reply->audit.events) {
    if (e["type"] == "Change" && e["field_name"] == "status") {
      EXPECT_EQ(e["previous_value"], "solved");
      saw_change = true;
    }
  }
  EXPECT_TRUE(saw_change);
}

TEST_F(TicketsTest, ClosedTicketsCannotBeUpdated) {
  auto t = create({{"comment", {{"body", "x"}}}, {"requester_id", customer_id}, {"status", "closed"}, {"assignee_id", agent_id}},
                  system_principal());
  ASSERT_TRUE(t);
  auto r = update(t->ticket.id, {{"subject", "again"}}, system_principal());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().details.at("status").front().description, "Status: closed prevents ticket update");
}

TEST_F(TicketsTest, VisibilityFollowsRoleGroupsAndOwnership) {
  auto mine = create({{"comment", {{"body", "a"}}}, {"requester_id", customer_id}, {"group_id", billing}}, system_principal());
  auto theirs = create({{"comment", {{"body", "b"}}}, {"requester_id", other_id}, {"group_id", security}}, system_principal());
  ASSERT_TRUE(mine && theirs);
  auto get = [&](int64_t id, const domain::Principal& p) {
    return s->read([&](store::Conn& c) { return get_ticket(c, id, p); });
  };
  EXPECT_TRUE(get(mine->ticket.id, customer));
  auto denied = get(theirs->ticket.id, customer);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::not_found);  // never 403: existence is not revealed
  EXPECT_TRUE(get(mine->ticket.id, agent));
  EXPECT_FALSE(get(theirs->ticket.id, agent));  // Security is not the agent's group
  auto listed = s->read([&](store::Conn& c) { return list_tickets(c, {}, {}, agent); });
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].id, mine->ticket.id);
}

TEST_F(TicketsTest, EndUsersCannotWriteInternalNotesOrStaffFields) {
  auto t = create({{"comment", {{"body", "a"}}}}, customer);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->ticket.requester_id, customer_id);
  auto note = update(t->ticket.id, {{"comment", {{"body", "psst"}, {"public", false}}}}, customer);
  EXPECT_FALSE(note);
  auto assign = update(t->ticket.id, {{"assignee_id", agent_id}}, customer);
  ASSERT_FALSE(assign);
  EXPECT_EQ(assign.error().code, ErrorCode::forbidden);
}

TEST_F(TicketsTest, CursorPagesWalkEveryTicketOnceInBothDirections) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(create({{"comment", {{"body", "t" + std::to_string(i)}}}, {"requester_id", customer_id}}, system_principal()));
  domain::PageRequest pr;
  pr.cursor = true;
  pr.size = 3;
  std::vector<int64_t> seen;
  std::optional<domain::Cursor> last;
  for (int page = 0; page < 5; ++page) {
    pr.after = last;
    auto p = s->read([&](store::Conn& c) { return list_tickets(c, {}, pr, system_principal()); }).value();
    for (auto& t : p.items) seen.push_back(t.id);
    if (!p.has_more) break;
    last = domain::Cursor{p.items.back().id, p.items.back().id};
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  pr.after.reset();
  pr.before = domain::Cursor{5, 5};
  auto back = s->read([&](store::Conn& c) { return list_tickets(c, {}, pr, system_principal()); }).value();
  ASSERT_EQ(back.items.size(), 3u);
  EXPECT_EQ(back.items.front().id, 2);
  EXPECT_EQ(back.items.back().id, 4);
}

TEST(SearchParse, ReadsFieldsOperatorsNegationPhrasesAndText) {
  auto q = parse_search(R"(type:ticket status<solved -tags:spam requester:me "printer on fire" refund)");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->type, std::optional<std::string>("ticket"));
  ASSERT_EQ(q->terms.size(), 5u);
  EXPECT_EQ(q->terms[0].field, "status");
  EXPECT_EQ(q->terms[0].op, "<");
  EXPECT_TRUE(q->terms[1].negated);
  EXPECT_EQ(q->terms[3].value, "printer on fire");
  EXPECT_TRUE(q->terms[3].phrase);
  EXPECT_EQ(q->terms[4].value, "refund");
  EXPECT_FALSE(parse_search("type:banana"));
}

TEST_F(TicketsTest, SearchCombinesFiltersFullTextAndVisibility) {
  ASSERT_TRUE(create({{"subject", "Printer on fire"}, {"comment", {{"body", "smoke everywhere"}}}, {"requester_id", customer_id},
                      {"group_id", billing}, {"tags", {"hardware"}}},
                     system_principal()));
  ASSERT_TRUE(create({{"subject", "Refund please"}, {"comment", {{"body", "printer was broken"}}}, {"requester_id", other_id},
                      {"group_id", security}, {"tags", {"refund"}}},
                     system_principal()));
  auto run = [&](const std::string& text, const domain::Principal& p) {
    auto q = parse_search(text).value();
    return s->read([&](store::Conn& c) { return search_tickets(c, q, p, {}, 0, 25); }).value().count;
  };
  EXPECT_EQ(run("printer", system_principal()), 2);
  EXPECT_EQ(run("\"printer on fire\"", system_principal()), 1);
  EXPECT_EQ(run("printer -tags:refund", system_principal()), 1);
  EXPECT_EQ(run("status<solved tags:hardware", system_principal()), 1);
  EXPECT_EQ(run("printer", agent), 1);  // the Security ticket is not the agent's
  EXPECT_EQ(run("requester:cust@x.io", system_principal()), 1);
  EXPECT_EQ(run("assignee:none", system_principal()), 2);
}

}  // namespace rapport::tickets
