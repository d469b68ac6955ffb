// The router over a real store: assignments written as ticket updates with their event, capacity
// kept across writes, an offline agent's unstarted work returned, and a new Router (a restart)
// rebuilding the queue and continuing round robin where the last one stood. The process clock
// is fixed so enqueue times and relaxation are exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/routing/config.hpp>
#include <rapport/routing/router.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::routing {
namespace {

constexpr int64_t k_start = 1'900'000'000;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    set_process_clock(k_start);
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto g = accounts::create_group(tx, {{"name", "Support"}}, admin);
      if (!g) return fail(g.error());
      group = g->id;
      for (const char* name : {"Ann", "Ben"}) {
        auto u = accounts::create_user(
            tx, {{"name", name}, {"email", std::string(name) + "@x.io"}, {"role", "agent"}, {"group_ids", {group}}}, admin);
        if (!u) return fail(u.error());
        agents.push_back(u->id);
        auto c = set_agent_capacity(tx, u->id, {{"api", 2}}, admin);
        if (!c) return fail(c.error());
      }
      auto c = accounts::create_user(tx, {{"name", "Cara"}, {"email", "cara@example.com"}}, admin);
      if (!c) return fail(c.error());
      customer = c->id;
      auto p = create_policy(tx, {{"group_id", group}, {"method", "round_robin"}}, admin);
      if (!p) return fail(p.error());
      return {};
    }));
  }
  void TearDown() override { set_process_clock(0); }

  Status write(const std::function<Status(store::Tx&)>& job) { return s->writer().run(job); }

  void presence(int64_t agent, const std::string& status) {
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = tx.conn().run(
          "INSERT INTO agent_presence(user_id, status, since) VALUES (?, ?, ?) "
          "ON CONFLICT (user_id) DO UPDATE SET status = excluded.status",
          {agent, status, now_epoch()});
      if (!r) return fail(r.error());
      auto e = events::append(tx.conn(), {"agent.presence_changed", "user", agent, agent, std::nullopt, {{"status", status}}},
                              now_epoch());
      if (!e) return fail(e.error());
      return {};
    }));
  }
  int64_t ticket() {
    int64_t id = 0;
    auto st = write([&](store::Tx& tx) -> Status {
      auto t = tickets::create_ticket(
          tx, {{"subject", "Help"}, {"comment", {{"body", "Please"}}}, {"group_id", group}, {"requester_id", customer}}, admin);
      if (!t) return fail(t.error());
      id = t->ticket.id;
      return {};
    });
    EXPECT_TRUE(st) << st.error().message;
    return id;
  }
  std::optional<int64_t> assignee(int64_t id) {
    return s->read([&](store::Conn& c) { return c.scalar("SELECT assignee_id FROM tickets WHERE id = ?", {id}); }).value();
  }
  int64_t count(const std::string& sql) {
    return s->read([&](store::Conn& c) { return c.scalar(sql); }).value().value_or(-1);
  }
  void run(Router& r) {
    auto st = r.run();
    ASSERT_TRUE(st) << st.error().message;
  }

  store::TempStore s;
  domain::Principal admin = accounts::system_principal();
  int64_t group = 0, customer = 0;
  std::vector<int64_t> agents;
};

TEST_F(RouterTest, AssignsByPolicyWritesTheAuditAndEventAndKeepsCapacity) {
  Router router(*s);
  run(router);
  presence(agents[0], "online");
  presence(agents[1], "online");
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(ticket());
  run(router);
  EXPECT_EQ(assignee(ids[0]), agents[0]);
  EXPECT_EQ(assignee(ids[1]), agents[1]);
  EXPECT_EQ(assignee(ids[2]), agents[0]);
  EXPECT_EQ(assignee(ids[3]), agents[1]);
  EXPECT_EQ(assignee(ids[4]), std::nullopt) << "both are at capacity 2";
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'routing.assigned'"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audits WHERE json_extract(via, '$.source.rel') = 'routing'"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM routing_queue"), 1);
  auto q = router.queue(std::nullopt, 10, now_epoch());
  ASSERT_EQ(q.items.size(), 1u);
  EXPECT_EQ(q.items[0].reason, WaitReason::all_at_capacity);

  // Another run appends nothing (it only reads its own assignments' ticket updates).
  auto before = count("SELECT COUNT(*) FROM events");
  run(router);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events"), before);
}

TEST_F(RouterTest, OfflineReturnsUnstartedWorkWithItsEnqueueTime) {
  Router router(*s);
  presence(agents[0], "online");
  const int64_t t = ticket();
  run(router);
  ASSERT_EQ(assignee(t), agents[0]);
  set_process_clock(k_start + 300);
  presence(agents[0], "offline");
  run(router);
  EXPECT_EQ(assignee(t), std::nullopt);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'routing.returned'"), 1);
  auto q = router.queue(std::nullopt, 10, now_epoch());
  ASSERT_EQ(q.items.size(), 1u);
  EXPECT_EQ(q.items[0].enqueued_at, k_start);
  EXPECT_EQ(q.items[0].reason, WaitReason::no_agent_online);
  presence(agents[1], "online");
  run(router);
  EXPECT_EQ(assignee(t), agents[1]);
}

TEST_F(RouterTest, ARestartRebuildsTheQueueAndContinuesRoundRobin) {
  int64_t waiting = 0;
  {
    Router first(*s);
    presence(agents[0], "online");
    presence(agents[1], "online");
    for (int i = 0; i < 3; ++i) ticket();  // Ann, Ben, Ann
    run(first);
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto c = set_agent_capacity(tx, agents[0], {{"api", 2}}, admin);
      if (!c) return fail(c.error());
      c = set_agent_capacity(tx, agents[1], {{"api", 1}}, admin);
      if (!c) return fail(c.error());
      return {};
    }));
    waiting = ticket();
    run(first);
    ASSERT_EQ(assignee(waiting), std::nullopt);
  }
  set_process_clock(k_start + 60);
  Router second(*s);
  run(second);
  auto q = second.queue(std::nullopt, 10, now_epoch());
  ASSERT_EQ(q.items.size(), 1u);
  EXPECT_EQ(q.items[0].ticket_id, waiting);
  EXPECT_EQ(q.items[0].enqueued_at, k_start);
  EXPECT_EQ(q.items[0].reason, WaitReason::all_at_capacity);
  EXPECT_EQ(second.load(agents[0]).channels.size(), 1u);
  // Both get room, Ben first: round robin stood at Ann, so Ben takes the waiting ticket and Ann
  // the next.
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    for (auto a : {agents[1], agents[0]})
      if (auto c = set_agent_capacity(tx, a, {{"api", 5}}, admin); !c) return fail(c.error());
    return {};
  }));
  run(second);
  EXPECT_EQ(assignee(waiting), agents[1]);
  const int64_t next = ticket();
  run(second);
  EXPECT_EQ(assignee(next), agents[0]);
}

TEST_F(RouterTest, RelaxationStepsFireFromTheTimer) {
  int64_t skill = 0;
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto sk = create_skill(tx, {{"name", "de"}, {"type", "language"}}, admin);
    if (!sk) return fail(sk.error());
    skill = sk->id;
    auto as = set_agent_skills(tx, agents[1], Json::array({{{"skill_id", skill}, {"level", 2}}}), admin);
    if (!as) return fail(as.error());
    auto p = update_policy(tx, 1,
                           {{"requirements", Json::array({{{"skill_id", skill},
                                                           {"min_level", 5},
                                                           {"relaxation", Json::array({{{"after_seconds", 120}, {"min_level", 2}}})}}})}},
                           admin);
    if (!p) return fail(p.error());
    return {};
  }));
  Router router(*s);
  presence(agents[0], "online");
  presence(agents[1], "online");
  const int64_t t = ticket();
  auto wake = router.run();
  ASSERT_TRUE(wake);
  EXPECT_EQ(*wake, k_start + 120);
  EXPECT_EQ(assignee(t), std::nullopt);
  set_process_clock(k_start + 120);
  run(router);
  EXPECT_EQ(assignee(t), agents[1]);
}

// ---- deciding inside the create (Router::on_created as a create hook) ----

class RouterAtCreateTest : public RouterTest {
 protected:
  void TearDown() override {
    tickets::clear_create_hooks();
    RouterTest::TearDown();
  }
  void hook(Router& r) {
    tickets::add_create_hook([&r](store::Tx& tx, const domain::Ticket& t) { return r.on_created(tx, t); });
  }
  Json body(std::optional<int64_t> assignee = std::nullopt) {
    Json in = {{"subject", "Help"}, {"comment", {{"body", "Please"}}}, {"group_id", group}, {"requester_id", customer}};
    if (assignee) in["assignee_id"] = *assignee;
    return in;
  }
  // The ticket as the create answered it.
  domain::Ticket create(std::optional<int64_t> assignee = std::nullopt) {
    domain::Ticket out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto t = tickets::create_ticket(tx, body(assignee), admin);
      if (!t) return fail(t.error());
      out = t->ticket;
      return {};
    });
    EXPECT_TRUE(st) << st.error().message;
    return out;
  }
  int load(Router& r, int64_t agent) {
    for (const auto& [channel, load, cap] : r.load(agent).channels)
      if (channel == "api") return load;
    return 0;
  }
  int64_t at_create() {
    return count("SELECT COUNT(*) FROM events WHERE kind = 'routing.assigned' AND json_extract(data, '$.at_create') = 1");
  }
};

TEST_F(RouterAtCreateTest, AssignsInsideTheCreateWhenAnAgentIsFreeAndARestartAgrees) {
  Router router(*s);
  hook(router);
  presence(agents[0], "online");
  presence(agents[1], "online");
  run(router);
  std::vector<domain::Ticket> made;
  for (int i = 0; i < 5; ++i) made.push_back(create());
  // The create's own answer names the assignee: the decision and its writes were in its transaction.
  EXPECT_EQ(made[0].assignee_id, agents[0]);
  EXPECT_EQ(made[1].assignee_id, agents[1]);
  EXPECT_EQ(made[2].assignee_id, agents[0]);
  EXPECT_EQ(made[3].assignee_id, agents[1]);
  EXPECT_EQ(made[4].assignee_id, std::nullopt) << "both are at capacity 2";
  EXPECT_EQ(at_create(), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audits WHERE json_extract(via, '$.source.rel') = 'routing'"), 4);
  // The consumer reads those creates afterwards and changes nothing; the fifth waits in its queue.
  run(router);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'routing.assigned'"), 4);
  EXPECT_EQ(assignee(made[4].id), std::nullopt);
  EXPECT_EQ(count("SELECT COUNT(*) FROM routing_queue"), 1);
  EXPECT_EQ(load(router, agents[0]), 2);
  EXPECT_EQ(load(router, agents[1]), 2);
  // A restart rebuilds the same state from the store.
  Router second(*s);
  run(second);
  EXPECT_EQ(load(second, agents[0]), 2);
  EXPECT_EQ(load(second, agents[1]), 2);
  EXPECT_EQ(second.queue(std::nullopt, 10, now_epoch()).total, 1u);
}

TEST_F(RouterAtCreateTest, AWriteJobThatFailsAfterTheCreateGivesTheCapacityBack) {
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto c = set_agent_capacity(tx, agents[0], {{"api", 1}}, admin);
    return c ? Status{} : fail(c.error());
  }));
  Router router(*s);
  hook(router);
  presence(agents[0], "online");
  run(router);
  std::optional<int64_t> assigned_in_tx;
  auto st = write([&](store::Tx& tx) -> Status {
    auto t = tickets::create_ticket(tx, body(), admin);
    if (!t) return fail(t.error());
    assigned_in_tx = t->ticket.assignee_id;
    return fail(Error::internal("the request failed after the create"));
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(assigned_in_tx, agents[0]) << "it was assigned inside the transaction that rolled back";
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 0);
  EXPECT_EQ(load(router, agents[0]), 0) << "the capacity is free again at once";
  // Her one slot is really free: the next ticket gets it (after the rebuild the rollback asked for).
  run(router);
  auto t = create();
  run(router);
  EXPECT_EQ(assignee(t.id), agents[0]);
  EXPECT_EQ(load(router, agents[0]), 1);
  EXPECT_EQ(assignee(create().id), std::nullopt) << "and then she is full";
}

TEST_F(RouterAtCreateTest, AFailedCommitGivesTheCapacityBack) {
  Router router(*s);
  hook(router);
  presence(agents[0], "online");
  run(router);
  // The job succeeds but its batch cannot commit: a deferred foreign key fails at COMMIT.
  auto st = write([&](store::Tx& tx) -> Status {
    auto t = tickets::create_ticket(tx, body(), admin);
    if (!t) return fail(t.error());
    EXPECT_EQ(t->ticket.assignee_id, agents[0]);
    if (auto r = tx.conn().exec("PRAGMA defer_foreign_keys = ON"); !r) return r;
    auto r = tx.conn().run("UPDATE tickets SET requester_id = 999999 WHERE id = ?", {t->ticket.id});
    return r ? Status{} : fail(r.error());
  });
  ASSERT_FALSE(st) << "the commit should fail";
  // The writer answers a failed batch before it drops the batch's callbacks (whose destructors
  // give the capacity back); the next job runs only after that.
  ASSERT_TRUE(write([](store::Tx&) { return Status{}; }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 0);
  EXPECT_EQ(load(router, agents[0]), 0);
  run(router);
  EXPECT_EQ(load(router, agents[0]), 0);
}

TEST_F(RouterAtCreateTest, ACreateRolledBackToASavepointInsideACommittedJobIsNoticed) {
  Router router(*s);
  hook(router);
  presence(agents[0], "online");
  run(router);
  // Like a bulk create's failed item: the create is undone, the job goes on and commits, so the
  // on_commit callback runs for an assignment that is not in the store.
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    if (auto r = tx.conn().exec("SAVEPOINT item"); !r) return r;
    auto t = tickets::create_ticket(tx, body(), admin);
    if (!t) return fail(t.error());
    EXPECT_EQ(t->ticket.assignee_id, agents[0]);
    return tx.conn().exec("ROLLBACK TO item; RELEASE item");
  }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM routing_assignments"), 0);
  // The next create (or consumer run) checks the newest assignment's row and gives the load back.
  auto t = create();
  run(router);
  EXPECT_EQ(assignee(t.id), agents[0]);
  EXPECT_EQ(load(router, agents[0]), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM routing_assignments"), 1);
}

TEST_F(RouterAtCreateTest, ConcurrentCreatesInOneGroupCommitNeverExceedCapacity) {
  Router router(*s);
  hook(router);
  presence(agents[0], "online");
  presence(agents[1], "online");
  run(router);
  // Ten creates queued at once: the writer runs them in one or a few group commits.
  std::atomic<int> ok{0};
  std::vector<int64_t> answered(10, 0);
  for (int i = 0; i < 10; ++i)
    s->writer().submit(
        [&, i](store::Tx& tx) -> Status {
          auto t = tickets::create_ticket(tx, body(), admin);
          if (!t) return fail(t.error());
          answered[i] = t->ticket.assignee_id.value_or(0);
          return {};
        },
        [&](Status st) { ok += st ? 1 : 0; });
  ASSERT_TRUE(write([](store::Tx&) { return Status{}; }));  // after every job queued before it
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(std::count(answered.begin(), answered.end(), agents[0]), 2);
  EXPECT_EQ(std::count(answered.begin(), answered.end(), agents[1]), 2);
  EXPECT_EQ(std::count(answered.begin(), answered.end(), 0), 6);
  run(router);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets WHERE assignee_id IS NOT NULL"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM routing_queue"), 6);
}

TEST_F(RouterAtCreateTest, AChangeTheConsumerHasNotReadYetLeavesTheNewTicketToIt) {
  Router router(*s);
  hook(router);
  presence(agents[0], "online");
  presence(agents[1], "online");
  run(router);
  // Ann goes offline; the consumer has not read it yet, so the engine still thinks she is online.
  presence(agents[0], "offline");
  auto t = create();
  EXPECT_EQ(t.assignee_id, std::nullopt) << "not decided on a stale engine";
  run(router);
  EXPECT_EQ(assignee(t.id), agents[1]);
  // A ticket created with an assignee counts toward her load before the consumer sees it: Ben
  // has 1 routed, gets 1 by hand, and then is full for the next one.
  auto manual = create(agents[1]);
  EXPECT_EQ(manual.assignee_id, agents[1]);
  auto next = create();
  EXPECT_EQ(next.assignee_id, std::nullopt);
  run(router);
  EXPECT_EQ(assignee(next.id), std::nullopt);
  EXPECT_EQ(load(router, agents[1]), 2);
  // Caught up again: the next decision is made at create. Ann is back; she takes the waiting
  // one, and the new one goes to whoever is free at its create.
  presence(agents[0], "online");
  run(router);
  EXPECT_EQ(assignee(next.id), agents[0]);
  auto last = create();
  EXPECT_EQ(last.assignee_id, agents[0]);
  EXPECT_EQ(at_create(), 1);
}

}  // namespace
}  // namespace rapport::routing
