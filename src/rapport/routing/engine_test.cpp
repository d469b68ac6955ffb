// The pure routing engine: each policy's order, capacity, skills with relaxation, wake-ups and
// the reasons a ticket waits. No store, no clock: every call takes `now`.
#include <gtest/gtest.h>

#include <rapport/routing/engine.hpp>

namespace rapport::routing {
namespace {

constexpr GroupId G = 10;
constexpr SkillId German = 1;

AgentInfo agent(AgentId id, int email_cap = 2, bool online = true) {
  AgentInfo a;
  a.id = id;
  a.online = online;
  a.capacity = {{"email", email_cap}, {"chat", 1}};
  a.groups = {G};
  return a;
}

TicketFacts ticket(TicketId id, std::vector<std::string> tags = {}, std::string channel = "email") {
  TicketFacts t;
  t.id = id;
  t.group_id = G;
  t.status = "new";
  t.channel = std::move(channel);
  t.tags = std::move(tags);
  return t;
}

Engine with_policy(Method m, Order o = Order::oldest) {
  Engine e;
  Policy p;
  p.id = 7;
  p.group_id = G;
  p.method = m;
  p.order = o;
  e.set_policy(p);
  return e;
}

std::vector<AgentId> assignees(const std::vector<Assignment>& as) {
  std::vector<AgentId> out;
  for (const auto& a : as) out.push_back(a.agent_id);
  return out;
}

TEST(RoutingEngine, RoundRobinTakesTurnsInIdOrderAndWraps) {
  auto e = with_policy(Method::round_robin);
  for (AgentId id : {3, 1, 2}) e.upsert_agent(agent(id, 10));
  std::vector<AgentId> got;
  for (TicketId t = 100; t < 105; ++t) {
    e.upsert_ticket(ticket(t), 1000 + t);
    auto as = e.dispatch(1000 + t);
    ASSERT_EQ(as.size(), 1u);
    got.push_back(as[0].agent_id);
  }
  EXPECT_EQ(got, (std::vector<AgentId>{1, 2, 3, 1, 2}));
}

TEST(RoutingEngine, LeastBusyPicksTheAgentWithFewestActiveTickets) {
  auto e = with_policy(Method::least_busy);
  e.upsert_agent(agent(1, 10));
  e.upsert_agent(agent(2, 10));
  // Agent 1 already works on two tickets assigned by hand.
  for (TicketId t : {1, 2}) {
    auto f = ticket(t);
    f.assignee_id = 1;
    f.status = "open";
    e.upsert_ticket(f, 0);
  }
  e.upsert_ticket(ticket(100), 10);
  e.upsert_ticket(ticket(101), 10);
  e.upsert_ticket(ticket(102), 10);
  auto as = e.dispatch(10);
  // 2 gets the first two (0 then 1 ticket vs 2), then they are even and the longer idle (1) wins.
  EXPECT_EQ(assignees(as), (std::vector<AgentId>{2, 2, 1}));
}

TEST(RoutingEngine, LongestIdleGoesToWhoWaitedLongestSinceTheirLastAssignment) {
  auto e = with_policy(Method::longest_idle);
  auto a1 = agent(1, 10), a2 = agent(2, 10), a3 = agent(3, 10);
  a1.last_assigned_at = 500;
  a2.last_assigned_at = 100;
  a3.last_assigned_at = 300;
  for (auto& a : {a1, a2, a3}) e.upsert_agent(a);
  std::vector<AgentId> got;
  for (TicketId t = 100; t < 104; ++t) {
    e.upsert_ticket(ticket(t), 1000);
    for (auto& a : e.dispatch(1000)) got.push_back(a.agent_id);
  }
  // Same second: the assignment sequence orders them.
  EXPECT_EQ(got, (std::vector<AgentId>{2, 3, 1, 2}));
}

TEST(RoutingEngine, NeverMoreThanCapacityAndTheNextWaitsUntilOneIsSolved) {
  auto e = with_policy(Method::round_robin);
  e.upsert_agent(agent(1, 2));
  for (TicketId t = 100; t < 103; ++t) e.upsert_ticket(ticket(t), 0);
  auto as = e.dispatch(0);
  ASSERT_EQ(as.size(), 2u);
  EXPECT_EQ(e.load(1, "email"), 2);
  EXPECT_TRUE(e.is_queued(102));
  EXPECT_EQ(e.why_waiting(102, 0), WaitReason::all_at_capacity);
  EXPECT_TRUE(e.dispatch(5).empty());
  // A chat is a different channel with its own capacity.
  e.upsert_ticket(ticket(200, {}, "chat"), 5);
  ASSERT_EQ(e.dispatch(5).size(), 1u);
  EXPECT_EQ(e.load(1, "chat"), 1);
  // Solving one frees a place: the waiting ticket goes.
  auto solved = ticket(100);
  solved.status = "solved";
  solved.assignee_id = 1;
  e.upsert_ticket(solved, 10);
  as = e.dispatch(10);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_EQ(as[0].ticket_id, 102);
  EXPECT_EQ(as[0].waited, 10);
  EXPECT_EQ(e.load(1, "email"), 2);
}

TEST(RoutingEngine, PendingTicketsDoNotCountTowardLoad) {
  auto e = with_policy(Method::round_robin);
  e.upsert_agent(agent(1, 1));
  auto t = ticket(1);
  t.assignee_id = 1;
  t.status = "pending";
  e.upsert_ticket(t, 0);
  EXPECT_EQ(e.load(1, "email"), 0);
  t.status = "open";
  e.upsert_ticket(t, 0);
  EXPECT_EQ(e.load(1, "email"), 1);
  e.upsert_ticket(t, 0);  // the same state again changes nothing
  EXPECT_EQ(e.load(1, "email"), 1);
}

TEST(RoutingEngine, OfflineAgentsAndOtherGroupsAreNotEligible) {
  auto e = with_policy(Method::round_robin);
  e.upsert_agent(agent(1, 5, false));
  auto other = agent(2, 5);
  other.groups = {99};
  e.upsert_agent(other);
  e.upsert_ticket(ticket(100), 0);
  EXPECT_TRUE(e.dispatch(0).empty());
  EXPECT_EQ(e.why_waiting(100, 0), WaitReason::no_agent_online);
  e.set_online(1, true);
  auto as = e.dispatch(1);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_EQ(as[0].agent_id, 1);
}

TEST(RoutingEngine, SkillsAreMatchedAndRelaxedAfterTheirWaits) {
  Engine e;
  Policy p;
  p.id = 1;
  p.group_id = G;
  p.rules.push_back({{{"tag", "german"}}, German, 4, {{120, 1}, {600, 0}}});
  e.set_policy(p);
  auto novice = agent(1);
  novice.skills = {{German, 1}};
  auto none = agent(2);
  e.upsert_agent(novice);
  e.upsert_agent(none);
  e.upsert_ticket(ticket(100, {"german"}), 1000);
  EXPECT_TRUE(e.dispatch(1000).empty());
  EXPECT_EQ(e.why_waiting(100, 1000), WaitReason::skill_not_met);
  EXPECT_EQ(e.next_wake(), 1120);
  EXPECT_FALSE(e.has_pending_work(1119));
  EXPECT_TRUE(e.has_pending_work(1120));
  auto as = e.dispatch(1120);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_EQ(as[0].agent_id, 1);
  EXPECT_EQ(as[0].waited, 120);
  // A ticket without the tag needs nothing: round robin continues with agent 2.
  e.upsert_ticket(ticket(101), 1130);
  as = e.dispatch(1130);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_EQ(as[0].agent_id, 2);
}

TEST(RoutingEngine, DroppingTheSkillLetsAnyoneTakeIt) {
  Engine e;
  Policy p;
  p.group_id = G;
  p.rules.push_back({{}, German, 5, {{600, 0}}});
  e.set_policy(p);
  e.upsert_agent(agent(2));
  e.upsert_ticket(ticket(100), 0);
  EXPECT_TRUE(e.dispatch(599).empty());
  ASSERT_EQ(e.dispatch(600).size(), 1u);
}

TEST(RoutingEngine, QueueOrderByPriorityAndBySla) {
  for (auto order : {Order::priority, Order::sla}) {
    auto e = with_policy(Method::round_robin, order);
    auto low = ticket(1), urgent = ticket(2), none = ticket(3);
    low.priority = "low";
    urgent.priority = "urgent";
    low.sla_due = 5000;
    urgent.sla_due = 9000;
    none.sla_due = 1000;
    e.upsert_ticket(low, 0);
    e.upsert_ticket(urgent, 1);
    e.upsert_ticket(none, 2);
    std::vector<TicketId> got;
    for (const auto& q : e.queue(std::nullopt, 10, 3)) got.push_back(q.ticket_id);
    if (order == Order::priority) EXPECT_EQ(got, (std::vector<TicketId>{2, 1, 3}));
    else EXPECT_EQ(got, (std::vector<TicketId>{3, 1, 2}));
    // One agent with room for one takes the head of the queue.
    e.upsert_agent(agent(1, 1));
    auto as = e.dispatch(3);
    ASSERT_EQ(as.size(), 1u);
    EXPECT_EQ(as[0].ticket_id, got[0]);
  }
}

TEST(RoutingEngine, ManualAssignmentLeavesTheQueueAndAGroupWithoutPolicyIsNotRouted) {
  auto e = with_policy(Method::round_robin);
  e.upsert_ticket(ticket(100), 0);
  EXPECT_TRUE(e.is_queued(100));
  auto t = ticket(100);
  t.assignee_id = 5;
  t.status = "open";
  e.upsert_ticket(t, 1);
  EXPECT_FALSE(e.is_queued(100));
  EXPECT_EQ(e.load(5, "email"), 1);
  auto elsewhere = ticket(101);
  elsewhere.group_id = 99;
  e.upsert_ticket(elsewhere, 1);
  EXPECT_FALSE(e.is_queued(101));
}

TEST(RoutingEngine, ARequeuedTicketKeepsItsEnqueueTime) {
  auto e = with_policy(Method::round_robin);
  auto t = ticket(100);
  t.enqueued_at = 50;
  e.upsert_ticket(t, 1000);
  auto q = e.queue(G, 10, 1000);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].enqueued_at, 50);
  t.enqueued_at.reset();
  t.priority = "high";  // an update keeps its place in time
  e.upsert_ticket(t, 2000);
  EXPECT_EQ(e.queue(G, 10, 2000)[0].enqueued_at, 50);
}

TEST(RoutingEngine, RoundRobinContinuesFromARestoredPosition) {
  auto e = with_policy(Method::round_robin);
  for (AgentId id : {1, 2, 3}) e.upsert_agent(agent(id, 10));
  e.set_round_robin_last(G, 2);
  e.upsert_ticket(ticket(100), 0);
  auto as = e.dispatch(0);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_EQ(as[0].agent_id, 3);
}

TEST(RoutingEngine, DerivesRequirementsFromConditions) {
  Policy p;
  p.rules.push_back({{{"language", "de"}}, 1, 3, {}});
  p.rules.push_back({{{"priority", "urgent"}, {"tag", "vip"}}, 2, 2, {}});
  p.rules.push_back({{{"organization_id", "42"}}, 3, 1, {}});
  TicketFacts t;
  t.language = "de";
  t.priority = "urgent";
  t.tags = {"vip"};
  t.organization_id = 41;
  auto rs = derive_requirements(p, t);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].skill_id, 1);
  EXPECT_EQ(rs[1].skill_id, 2);
  EXPECT_EQ(rs[1].level_at(0), 2);
}

// ---- deciding at create: assign_new and release ----

TEST(RoutingEngine, AssignNewTakesAFreeAgentAtOnceAndNeverMoreThanCapacity) {
  auto e = with_policy(Method::round_robin);
  e.upsert_agent(agent(1, 1));
  e.upsert_agent(agent(2, 1));
  EXPECT_TRUE(e.dispatch(0).empty());
  auto a = e.assign_new(ticket(100), 10);
  auto b = e.assign_new(ticket(101), 10);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->agent_id, 1);
  EXPECT_EQ(b->agent_id, 2);
  EXPECT_EQ(a->waited, 0);
  // Both are full: the third is refused and the engine does not hold it (the consumer queues it).
  EXPECT_FALSE(e.assign_new(ticket(102), 10));
  EXPECT_FALSE(e.is_queued(102));
  EXPECT_EQ(e.load(1, "email"), 1);
  EXPECT_EQ(e.load(2, "email"), 1);
  EXPECT_EQ(e.assignee_of(100), 1);
  // A ticket the engine already knows, one assigned by hand, or one not new or open is not its to take.
  e.upsert_agent(agent(3, 5));
  e.dispatch(10);
  EXPECT_FALSE(e.assign_new(ticket(100), 10));
  auto manual = ticket(103);
  manual.assignee_id = 3;
  EXPECT_FALSE(e.assign_new(manual, 10));
  auto pending = ticket(104);
  pending.status = "pending";
  EXPECT_FALSE(e.assign_new(pending, 10));
  auto other = ticket(105);
  other.group_id = G + 1;
  EXPECT_FALSE(e.assign_new(other, 10));
  EXPECT_EQ(e.load(3, "email"), 0);
}

TEST(RoutingEngine, AssignNewWaitsWhileAChangeIsPendingSoOlderTicketsGoFirst) {
  auto e = with_policy(Method::round_robin);
  e.upsert_agent(agent(1, 1, /*online=*/false));
  e.upsert_ticket(ticket(100), 0);  // waits: nobody is online
  EXPECT_TRUE(e.dispatch(0).empty());
  e.set_online(1, true);
  // The agent is free, but ticket 100 has waited longer: the hook must leave the new one.
  EXPECT_FALSE(e.assign_new(ticket(101), 5));
  auto as = e.dispatch(5);
  ASSERT_EQ(as.size(), 1u);
  EXPECT_EQ(as[0].ticket_id, 100);
  EXPECT_FALSE(e.assign_new(ticket(101), 5)) << "at capacity now";
}

TEST(RoutingEngine, ReleaseGivesTheCapacityBackAndRestoresTheLatestAssignmentExactly) {
  auto e = with_policy(Method::round_robin);
  e.upsert_agent(agent(1, 1));
  e.upsert_agent(agent(2, 1));
  e.dispatch(0);
  auto a = e.assign_new(ticket(100), 10);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->agent_id, 1);
  // Its transaction rolled back: agent 1 is free again, and round robin stands where it stood.
  EXPECT_TRUE(e.release(*a));
  EXPECT_EQ(e.load(1, "email"), 0);
  EXPECT_EQ(e.assignee_of(100), std::nullopt);
  EXPECT_FALSE(e.release(*a)) << "never twice";
  EXPECT_EQ(e.load(1, "email"), 0);
  e.dispatch(10);  // the freed capacity is a change; nothing waits
  auto again = e.assign_new(ticket(101), 10);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->agent_id, 1);
  EXPECT_EQ(again->seq, a->seq) << "the sequence was given back too";
}

TEST(RoutingEngine, ReleasingAnOlderAssignmentFreesItsLoadAndAsksForARebuild) {
  auto e = with_policy(Method::round_robin);
  e.upsert_agent(agent(1, 2));
  e.dispatch(0);
  auto a = e.assign_new(ticket(100), 10);
  auto b = e.assign_new(ticket(101), 10);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(e.load(1, "email"), 2);
  // a rolled back but b (made after it) did not: the load is exact, idle time and position are
  // b's, which a rebuild confirms.
  EXPECT_FALSE(e.release(*a));
  EXPECT_EQ(e.load(1, "email"), 1);
  EXPECT_EQ(e.assignee_of(101), 1);
}

}  // namespace
}  // namespace rapport::routing
