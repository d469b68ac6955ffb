// The SLA engine as a pure function: histories in, metric instances out, with hand-computed
// instants. Europe/Berlin is UTC+1 in March before the 31st; America/New_York switches from
// UTC-5 to UTC-4 on 2024-03-10.
#include <rapport/sla/engine.hpp>

#include <gtest/gtest.h>

#include <rapport/base/time.hpp>

namespace rapport::sla {
namespace {

int64_t at(const char* iso) {
  return parse_iso8601(iso).value();
}
constexpr int64_t k_min = 60;

std::vector<WeeklyInterval> office_hours() {
  std::vector<WeeklyInterval> out;
  for (int d = 1; d <= 5; ++d) out.push_back({d * 1440 + 9 * 60, d * 1440 + 17 * 60});
  return out;
}

Policy standard_policy() {
  Policy p;
  p.id = 7;
  p.targets = {{"normal", "first_reply_time", 60 * k_min, true},
               {"normal", "next_reply_time", 30 * k_min, false},
               {"normal", "periodic_update_time", 120 * k_min, false},
               {"normal", "requester_wait_time", 480 * k_min, true},
               {"normal", "total_resolution_time", 2 * 1440 * k_min, false},
               {"urgent", "first_reply_time", 10 * k_min, false}};
  return p;
}

// A copy, so it may be taken from a temporary result.
std::optional<Instance> find(const std::vector<Instance>& v, const std::string& metric, int n = 1) {
  for (const auto& i : v)
    if (i.metric == metric && i.instance == n) return i;
  return std::nullopt;
}

HistoryEvent agent_reply(const char* when, std::optional<std::string> status = std::nullopt) {
  return {at(when), std::move(status), true, true};
}
HistoryEvent customer_reply(const char* when, std::optional<std::string> status = std::nullopt) {
  return {at(when), std::move(status), true, false};
}
HistoryEvent status_change(const char* when, const char* status) {
  return {at(when), std::string(status), false, false};
}

class Engine : public ::testing::Test {
 protected:
  Calendar berlin = Calendar::make("Europe/Berlin", office_hours(), {}).value();
  Policy policy = standard_policy();
  std::vector<Instance> run(const History& h, const char* now,
                            std::optional<std::string> priority = std::nullopt) {
    return compute_instances(h, policy, priority, berlin, at(now));
  }
};

TEST_F(Engine, FirstReplyWithinTargetIsAchieved) {
  // Monday 2024-03-11 09:00 CET = 08:00Z; the agent replies 40 minutes later.
  History h{
      at("2024-03-11T08:00:00Z"), "new", false, {agent_reply("2024-03-11T08:40:00Z", "open")}};
  auto v = run(h, "2024-03-11T12:00:00Z");
  auto frt = find(v, "first_reply_time");
  ASSERT_TRUE(frt);
  EXPECT_EQ(frt->stage, "achieved");
  EXPECT_EQ(frt->fulfilled_at, at("2024-03-11T08:40:00Z"));
  EXPECT_EQ(frt->elapsed_seconds, 40 * k_min);
  EXPECT_FALSE(frt->breach_at);
}

TEST_F(Engine, FirstReplyClockStopsOverTheWeekend) {
  // Friday 2024-03-08 16:30 CET (15:30Z): 30 business minutes on Friday, 30 on Monday.
  History h{at("2024-03-08T15:30:00Z"), "new", false, {}};
  auto v = run(h, "2024-03-09T12:00:00Z");
  auto frt = find(v, "first_reply_time");
  ASSERT_TRUE(frt);
  EXPECT_EQ(frt->stage, "active");
  EXPECT_EQ(frt->breach_at, at("2024-03-11T08:30:00Z"));  // Monday 09:30 CET
  EXPECT_EQ(frt->elapsed_seconds, 30 * k_min);
  // Past the breach it shows as breached; a reply after it is a late fulfilment.
  EXPECT_EQ(find(run(h, "2024-03-11T09:00:00Z"), "first_reply_time")->stage, "breached");
  h.events.push_back(agent_reply("2024-03-11T09:00:00Z", "open"));
  auto late = find(run(h, "2024-03-11T10:00:00Z"), "first_reply_time");
  EXPECT_EQ(late->stage, "breached");
  EXPECT_EQ(late->breach_at, at("2024-03-11T08:30:00Z"));
  EXPECT_EQ(late->fulfilled_at, at("2024-03-11T09:00:00Z"));
}

TEST_F(Engine, FirstReplyAcrossTheNewYorkDstWeekend) {
  auto ny = Calendar::make("America/New_York", office_hours(), {}).value();
  // Friday 2024-03-08 16:30 EST (21:30Z) + 60 business minutes = Monday 09:30 EDT (13:30Z).
  History h{at("2024-03-08T21:30:00Z"), "new", false, {}};
  auto v = compute_instances(h, policy, std::nullopt, ny, at("2024-03-09T00:00:00Z"));
  EXPECT_EQ(find(v, "first_reply_time")->breach_at, at("2024-03-11T13:30:00Z"));
}

TEST_F(Engine, UrgentTicketsUseTheirOwnTargetsAndNoPriorityMeansNormal) {
  History h{at("2024-03-11T08:00:00Z"), "new", false, {}};
  auto urgent = run(h, "2024-03-11T08:01:00Z", "urgent");
  ASSERT_EQ(urgent.size(), 1u);  // only first reply has an urgent target
  EXPECT_EQ(urgent[0].breach_at, at("2024-03-11T08:10:00Z"));
  EXPECT_EQ(run(h, "2024-03-11T08:01:00Z", "normal").size(), run(h, "2024-03-11T08:01:00Z").size());
  EXPECT_TRUE(run(h, "2024-03-11T08:01:00Z", "low").empty());
}

TEST_F(Engine, PendingPausesTheRequesterWaitAndAReplyResumesIt) {
  // Monday 09:00 CET created; 09:10 the agent replies and sets pending; 13:00 the customer answers.
  History h{
      at("2024-03-11T08:00:00Z"), "new", false, {agent_reply("2024-03-11T08:10:00Z", "pending")}};
  auto paused = find(run(h, "2024-03-11T11:00:00Z"), "requester_wait_time");
  EXPECT_EQ(paused->stage, "paused");
  EXPECT_FALSE(paused->breach_at);
  EXPECT_EQ(paused->elapsed_seconds, 10 * k_min);
  // total_resolution_time does not pause.
  auto total = find(run(h, "2024-03-11T11:00:00Z"), "total_resolution_time");
  EXPECT_EQ(total->stage, "active");
  EXPECT_EQ(total->breach_at, at("2024-03-13T08:00:00Z"));

  h.events.push_back(customer_reply("2024-03-11T12:00:00Z", "open"));
  auto v = run(h, "2024-03-11T12:05:00Z");
  // 470 business minutes left from Monday 13:00 CET: 240 on Monday, 230 on Tuesday -> 12:50 CET.
  auto rwt = find(v, "requester_wait_time");
  EXPECT_EQ(rwt->stage, "active");
  EXPECT_EQ(rwt->breach_at, at("2024-03-12T11:50:00Z"));
  // The customer's answer starts the first next-reply cycle: 30 calendar minutes.
  auto nrt = find(v, "next_reply_time", 1);
  ASSERT_TRUE(nrt);
  EXPECT_EQ(nrt->breach_at, at("2024-03-11T12:30:00Z"));
}

TEST_F(Engine, HoldPausesByDefaultButNotWhenThePolicySaysOtherwise) {
  History h{
      at("2024-03-11T08:00:00Z"), "new", false, {status_change("2024-03-11T08:20:00Z", "hold")}};
  EXPECT_EQ(find(run(h, "2024-03-11T10:00:00Z"), "first_reply_time")->stage, "paused");
  policy.pause_statuses = {"pending"};
  auto frt = find(run(h, "2024-03-11T10:00:00Z"), "first_reply_time");
  EXPECT_EQ(frt->stage, "breached");
  EXPECT_EQ(frt->breach_at, at("2024-03-11T09:00:00Z"));
}

TEST_F(Engine, NextReplyCyclesAreNumberedAndJudgedSeparately) {
  History h{at("2024-03-11T08:00:00Z"),
            "new",
            false,
            {agent_reply("2024-03-11T08:10:00Z", "open"), customer_reply("2024-03-11T09:00:00Z"),
             agent_reply("2024-03-11T09:20:00Z"), customer_reply("2024-03-11T10:00:00Z"),
             customer_reply("2024-03-11T10:05:00Z"),  // a second message does not restart the cycle
             agent_reply("2024-03-11T10:45:00Z")}};
  auto v = run(h, "2024-03-11T11:00:00Z");
  auto first = find(v, "next_reply_time", 1), second = find(v, "next_reply_time", 2);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(find(v, "next_reply_time", 3));
  EXPECT_EQ(first->stage, "achieved");
  EXPECT_EQ(first->elapsed_seconds, 20 * k_min);
  EXPECT_EQ(second->stage, "breached");
  EXPECT_EQ(second->started_at, at("2024-03-11T10:00:00Z"));
  EXPECT_EQ(second->breach_at, at("2024-03-11T10:30:00Z"));
}

TEST_F(Engine, PeriodicUpdatesRunFromEachAgentReply) {
  History h{at("2024-03-11T08:00:00Z"),
            "new",
            false,
            {agent_reply("2024-03-11T08:10:00Z", "open"), agent_reply("2024-03-11T09:00:00Z")}};
  auto v = run(h, "2024-03-11T09:30:00Z");
  EXPECT_EQ(find(v, "periodic_update_time", 1)->stage, "achieved");
  auto current = find(v, "periodic_update_time", 2);
  EXPECT_EQ(current->stage, "active");
  EXPECT_EQ(current->breach_at, at("2024-03-11T11:00:00Z"));
}

TEST_F(Engine, SolvingFulfilsAndAReopenResumesResolution) {
  // Solved at 10:00 CET after 60 business minutes; reopened Tuesday 09:30 CET; solved 10:00.
  History h{at("2024-03-11T08:00:00Z"),
            "new",
            false,
            {agent_reply("2024-03-11T08:30:00Z", "open"),
             status_change("2024-03-11T09:00:00Z", "solved")}};
  auto solved = find(run(h, "2024-03-11T12:00:00Z"), "requester_wait_time");
  EXPECT_EQ(solved->stage, "achieved");
  EXPECT_EQ(solved->fulfilled_at, at("2024-03-11T09:00:00Z"));
  EXPECT_EQ(solved->elapsed_seconds, 60 * k_min);
  EXPECT_EQ(find(run(h, "2024-03-11T12:00:00Z"), "periodic_update_time")->fulfilled_at,
            at("2024-03-11T09:00:00Z"));

  h.events.push_back(customer_reply("2024-03-12T08:30:00Z", "open"));
  auto reopened = find(run(h, "2024-03-12T08:40:00Z"), "requester_wait_time");
  EXPECT_EQ(reopened->stage, "active");
  EXPECT_FALSE(reopened->fulfilled_at);
  EXPECT_EQ(reopened->elapsed_seconds, 70 * k_min);  // the solved night did not count
  h.events.push_back(status_change("2024-03-12T09:00:00Z", "solved"));
  auto again = find(run(h, "2024-03-12T12:00:00Z"), "requester_wait_time");
  EXPECT_EQ(again->fulfilled_at, at("2024-03-12T09:00:00Z"));
  EXPECT_EQ(again->elapsed_seconds, 90 * k_min);
}

TEST_F(Engine, ATicketOpenedByAnAgentPubliclyHasNoFirstReplyTarget) {
  History h{at("2024-03-11T08:00:00Z"), "open", true, {customer_reply("2024-03-11T08:30:00Z")}};
  auto v = run(h, "2024-03-11T08:40:00Z");
  EXPECT_FALSE(find(v, "first_reply_time"));
  EXPECT_TRUE(find(v, "next_reply_time", 1));
  EXPECT_EQ(find(v, "periodic_update_time", 1)->started_at, at("2024-03-11T08:00:00Z"));
}

domain::Ticket ticket(std::optional<std::string> priority, std::optional<Id> group,
                      std::vector<std::string> tags, std::string channel = "email") {
  domain::Ticket t;
  t.priority = std::move(priority);
  t.group_id = group;
  t.tags = tags;
  t.channel = std::move(channel);
  return t;
}

TEST(PolicyMatching, FirstMatchingPolicyByPositionWins) {
  Policy vip;
  vip.id = 1;
  vip.position = 2;
  vip.all = {{"current_tags", "includes", "vip enterprise"}};
  Policy billing;
  billing.id = 2;
  billing.position = 1;
  billing.all = {{"group_id", "is", 5}};
  billing.any = {{"priority", "greater_than", "normal"}, {"via", "is", "chat"}};
  Policy fallback;
  fallback.id = 3;
  fallback.position = 3;
  std::vector<Policy> ps{vip, billing, fallback};

  EXPECT_EQ(match_policy(ps, ticket("high", 5, {"vip"}))->id, 2);        // billing is first
  EXPECT_EQ(match_policy(ps, ticket("normal", 5, {"vip"}))->id, 1);      // any-list fails: next
  EXPECT_EQ(match_policy(ps, ticket("normal", 5, {}, "chat"))->id, 2);   // chat satisfies any
  EXPECT_EQ(match_policy(ps, ticket("low", 6, {"enterprise"}))->id, 1);  // either tag
  EXPECT_EQ(match_policy(ps, ticket(std::nullopt, std::nullopt, {}))->id, 3);
  fallback.all = {{"current_tags", "not_includes", "spam"}};
  ps = {fallback};
  EXPECT_EQ(match_policy(ps, ticket("low", 6, {"spam"})), nullptr);
}

TEST(PolicyMatching, ConditionsAreValidated) {
  Validation v;
  validate_condition({"priority", "is", "extreme"}, v, "filter");
  validate_condition({"color", "is", "red"}, v, "filter");
  validate_condition({"group_id", "includes", 4}, v, "filter");
  validate_condition({"current_tags", "includes", ""}, v, "filter");
  validate_condition({"via", "is", "pigeon"}, v, "filter");
  EXPECT_EQ(v.error().details.at("filter").size(), 5u);
  Validation ok;
  validate_condition({"group_id", "is", nullptr}, ok, "filter");
  validate_condition({"type", "is_not", "incident"}, ok, "filter");
  validate_condition({"current_tags", "not_includes", Json::array({"a", "b"})}, ok, "filter");
  EXPECT_TRUE(ok.ok());
}

}  // namespace
}  // namespace rapport::sla
