#pragma once
// The feedback tests' fixture: a store with an agent, a lead, customers, and helpers that solve
// tickets and answer surveys under a fixed clock.
#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

#include <gtest/gtest.h>

namespace rapport::feedback {

using accounts::system_principal;
constexpr int64_t k_day = 86400;
constexpr int64_t k_start = 1'780'000'000;  // a fixed "now" so expiry and suppression are exact

class FeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto g = accounts::create_group(tx, {{"name", "Billing"}}, system_principal());
      if (!g) return fail(g.error());
      group_id = g->id;
      auto l = accounts::create_user(tx, {{"name", "Lead"}, {"email", "lead@x.io"}, {"role", "agent"}, {"rapport_role", "team_lead"}},
                                     system_principal());
      if (!l) return fail(l.error());
      lead_id = l->id;
      auto a = accounts::create_user(tx, {{"name", "Maria Lopez"}, {"team_lead_id", lead_id}, {"email", "maria@x.io"}, {"role", "agent"},
                                          {"group_ids", {group_id}}}, system_principal());
      if (!a) return fail(a.error());
      agent_id = a->id;
      auto b = accounts::create_user(tx, {{"name", "Sam Other"}, {"email", "sam@x.io"}, {"role", "agent"}, {"team_lead_id", lead_id}},
                                     system_principal());
      if (!b) return fail(b.error());
      other_agent_id = b->id;
      auto m = accounts::create_user(tx, {{"name", "Mona Manager"}, {"email", "mona@x.io"}, {"role", "agent"}, {"rapport_role", "manager"}},
                                     system_principal());
      if (!m) return fail(m.error());
      manager_id = m->id;
      auto c = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@example.com"}}, system_principal());
      if (!c) return fail(c.error());
      customer_id = c->id;
      auto n = accounts::create_user(tx, {{"name", "Robot"}, {"email", "noreply@shop.example"}}, system_principal());
      if (!n) return fail(n.error());
      noreply_id = n->id;
      auto sec = ensure_secret(tx);
      if (!sec) return fail(sec.error());
      secret = *sec;
      return events::start_at_end(tx, "feedback_requests");
    }));
  }

  Status write(const std::function<Status(store::Tx&)>& job) {
    return s->writer().run([&](store::Tx& tx) {
      ScopedClock clock(now);  // the writer thread has its own clock
      return job(tx);
    });
  }
  template <class F>
  auto read(F&& fn) {
    return s->read([&](store::Conn& c) {
      ScopedClock clock(now);
      return fn(c);
    });
  }
  domain::Principal principal(int64_t id) { return read([&](store::Conn& c) { return accounts::load_principal(c, id); }).value(); }

  // Creates a ticket from `requester` assigned to the agent, solves it, and runs the consumer.
  int64_t solved_ticket(int64_t requester, int64_t assignee, const std::string& channel = "email",
                        const Json& tags = Json::array()) {
    int64_t id = 0;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      tickets::CreateOptions opts;
      opts.channel = channel;
      auto t = tickets::create_ticket(tx, {{"subject", "Refund for order 12"}, {"comment", {{"body", "Where is my refund?"}}},
                                           {"requester_id", requester}, {"assignee_id", assignee}, {"group_id", group_id}, {"tags", tags}},
                                      system_principal(), opts);
      if (!t) return fail(t.error());
      id = t->ticket.id;
      auto u = tickets::update_ticket(tx, id, {{"status", "solved"}, {"comment", {{"body", "Refunded."}}}}, principal(assignee));
      if (!u) return fail(u.error());
      return {};
    }));
    drain();
    return id;
  }
  void drain() {
    auto n = events::consume(*s, "feedback_requests", {"ticket.updated"}, [&](store::Tx& tx, const events::StoredEvent& e) {
      ScopedClock clock(now);
      return on_ticket_event(tx, e, "https://help.example.com");
    });
    ASSERT_TRUE(n) << n.error().message;
  }
  std::vector<Request> requests(int64_t ticket) {
    return read([&](store::Conn& c) { return requests_for_ticket(c, ticket); }).value();
  }
  Result<Rating> answer(const std::string& token, Answer a) {
    Rating out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = submit(tx, secret, token, a);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    if (!st) return fail(st.error());
    return out;
  }
  Answer stars(int64_t n) {
    Answer a;
    a.stars = n;
    return a;
  }

  store::TempStore s;
  int64_t now = k_start;
  std::string secret;
  int64_t group_id = 0, manager_id = 0, agent_id = 0, other_agent_id = 0, lead_id = 0, customer_id = 0, noreply_id = 0;
};

}  // namespace rapport::feedback
