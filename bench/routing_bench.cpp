// Routing decisions in process (bench/routing.sh runs this; docs/benchmarks.md has the results).
//
// Target (issue #5): >= 100,000 decisions/s with 1,000 agents and 10,000 queued tickets.
// The engine holds 1,000 online agents in one routed group (each with up to 3 of 8 skills at
// levels 1..5 and room on the ticket's channel) and 10,000 waiting tickets that each require one
// skill at level 3 (not yet relaxed). The tickets wait only because nothing dispatched them, so
// each decision scans the whole group as a real one does.
//
//   BM_Decision/<method>  Engine::pick for the queued tickets in turn: one decision each
//   BM_NaiveDecision      the baseline: the same decision as a naive full scan would make it, over
//                         every agent (not the group's members), skills looked up by name in a
//                         std::map, group membership by a linear search and load from a std::map
//   BM_AssignAndSolve     a whole cycle: a ticket arrives, is dispatched (decision + applying it),
//                         and is solved again (the agent's capacity freed)
//   BM_Rebuild            what a change of skills or policies costs the router: a rebuild from a
//                         real store (SQLite in a temporary directory) with 200 online agents
//                         (3 skills each, capacity 10) in one routed group, 2,000 tickets assigned
//                         to them and 8,000 waiting: reads it all, rewrites routing_queue, finds
//                         nothing to assign (everyone is full) and commits. Wall time: the work
//                         runs on the store's writer thread.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/routing/config.hpp>
#include <rapport/routing/engine.hpp>
#include <rapport/routing/router.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace {

using namespace rapport::routing;

constexpr int k_agents = 1000;
constexpr int k_queued = 10000;
constexpr int k_skills = 8;
constexpr GroupId k_group = 1;
constexpr int64_t k_now = 10050;  // 50 s after the tickets came in

struct Fixture {
  Engine engine;
  std::vector<TicketId> tickets;
  std::vector<AgentInfo> agents;
  std::vector<TicketFacts> facts;
};

Fixture make(Method method) {
  Fixture f;
  std::mt19937 rng(42);
  Policy p;
  p.id = 1;
  p.group_id = k_group;
  p.method = method;
  for (int s = 0; s < k_skills; ++s)
    p.rules.push_back({{{"tag", "skill" + std::to_string(s)}}, s + 1, 3, {{120, 1}, {600, 0}}});
  f.engine.set_policy(p);
  for (int i = 0; i < k_agents; ++i) {
    AgentInfo a;
    a.id = 1000 + i;
    a.online = true;
    a.capacity = {{"email", 20}, {"chat", 3}};
    a.groups = {k_group, 2 + i % 10};
    for (int k = 0; k < 3; ++k) a.skills.emplace_back(1 + static_cast<int>(rng() % k_skills), 1 + static_cast<int>(rng() % 5));
    std::sort(a.skills.begin(), a.skills.end());
    a.skills.erase(std::unique(a.skills.begin(), a.skills.end(),
                               [](const auto& x, const auto& y) { return x.first == y.first; }),
                   a.skills.end());
    a.last_assigned_at = 1000 + static_cast<int64_t>(rng() % 5000);
    f.agents.push_back(a);
  }
  // Queue first, agents after, and no dispatch: the tickets stay queued for pick().
  for (int i = 0; i < k_queued; ++i) {
    TicketFacts t;
    t.id = 100000 + i;
    t.group_id = k_group;
    t.channel = "email";
    t.tags = {"skill" + std::to_string(rng() % k_skills)};
    f.engine.upsert_ticket(t, 10000);
    f.tickets.push_back(t.id);
    f.facts.push_back(t);
  }
  for (const auto& a : f.agents) f.engine.upsert_agent(a);
  return f;
}

void BM_Decision(benchmark::State& state) {
  auto method = static_cast<Method>(state.range(0));
  auto f = make(method);
  std::size_t i = 0, found = 0;
  for (auto _ : state) {
    auto agent = f.engine.pick(f.tickets[i], k_now);
    found += agent.has_value();
    benchmark::DoNotOptimize(agent);
    if (++i == f.tickets.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["agents"] = k_agents;
  state.counters["queued"] = static_cast<double>(f.engine.queued());
  state.counters["found_share"] = static_cast<double>(found) / static_cast<double>(state.iterations());
  state.SetLabel(std::string(to_string(method)));
}
BENCHMARK(BM_Decision)
    ->Arg(static_cast<int>(Method::round_robin))
    ->Arg(static_cast<int>(Method::least_busy))
    ->Arg(static_cast<int>(Method::longest_idle));

// The baseline: the least-busy decision made the obvious way, one full pass over every agent.
void BM_NaiveDecision(benchmark::State& state) {
  auto f = make(Method::least_busy);
  struct NaiveAgent {
    int64_t id;
    bool online;
    std::vector<int64_t> groups;
    std::map<std::string, int> skills;  // by name
    std::map<std::string, int> capacity;
    int64_t last_assigned_at;
  };
  std::vector<NaiveAgent> agents;
  std::map<int64_t, std::map<std::string, int>> load;
  for (const auto& a : f.agents) {
    NaiveAgent n{a.id, a.online, a.groups, {}, {}, a.last_assigned_at};
    for (const auto& [s, l] : a.skills) n.skills["skill" + std::to_string(s - 1)] = l;
    for (const auto& [c, cap] : a.capacity) n.capacity[c] = cap;
    agents.push_back(std::move(n));
    load[a.id]["email"] = 0;
  }
  std::size_t i = 0, found = 0;
  for (auto _ : state) {
    const auto& t = f.facts[i];
    const std::string& need = t.tags[0];
    const NaiveAgent* best = nullptr;
    int best_load = 0;
    for (const auto& a : agents) {
      if (!a.online || std::find(a.groups.begin(), a.groups.end(), *t.group_id) == a.groups.end()) continue;
      auto s = a.skills.find(need);
      if (s == a.skills.end() || s->second < 3) continue;
      int l = 0;
      for (const auto& [c, n] : load[a.id]) l += n;
      auto cap = a.capacity.find(t.channel);
      if (cap == a.capacity.end() || load[a.id][t.channel] >= cap->second) continue;
      if (!best || std::tie(l, a.last_assigned_at, a.id) < std::tie(best_load, best->last_assigned_at, best->id)) {
        best = &a;
        best_load = l;
      }
    }
    found += best != nullptr;
    benchmark::DoNotOptimize(best);
    if (++i == f.facts.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["found_share"] = static_cast<double>(found) / static_cast<double>(state.iterations());
  state.SetLabel("least_busy, naive full scan");
}
BENCHMARK(BM_NaiveDecision);

void BM_AssignAndSolve(benchmark::State& state) {
  auto f = make(Method::least_busy);
  f.engine.dispatch(k_now);  // everything that can go, goes: the queue left is what nobody can take
  TicketId next = 10'000'000;
  const int64_t now = k_now;  // within the first step: every requirement holds at level 3
  std::size_t assigned = 0;
  std::mt19937 rng(7);
  for (auto _ : state) {
    TicketFacts t;
    t.id = ++next;
    t.group_id = k_group;
    t.channel = "email";
    t.tags = {"skill" + std::to_string(rng() % k_skills)};
    f.engine.upsert_ticket(t, now);
    auto as = f.engine.dispatch(now);
    assigned += as.size();
    if (!as.empty()) {
      t.assignee_id = as[0].agent_id;
      t.status = "solved";
      f.engine.upsert_ticket(t, now);
    } else {
      f.engine.remove_ticket(t.id);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["assigned_share"] = static_cast<double>(assigned) / static_cast<double>(state.iterations());
  state.counters["queued"] = static_cast<double>(f.engine.queued());
}
BENCHMARK(BM_AssignAndSolve);

void BM_Rebuild(benchmark::State& state) {
  using namespace rapport;
  constexpr int agents = 200, capacity = 10, waiting = 8000;
  crypto::init();
  store::TempStore s;
  const auto admin = accounts::system_principal();
  auto st = s->writer().run([&](store::Tx& tx) -> Status {
    auto g = accounts::create_group(tx, {{"name", "Routed"}}, admin);
    if (!g) return fail(g.error());
    auto c = accounts::create_user(tx, {{"name", "Customer"}, {"email", "customer@example.com"}}, admin);
    if (!c) return fail(c.error());
    std::vector<int64_t> skills;
    for (int k = 0; k < k_skills; ++k) {
      auto sk = create_skill(tx, {{"name", "skill" + std::to_string(k)}}, admin);
      if (!sk) return fail(sk.error());
      skills.push_back(sk->id);
    }
    Json rules = Json::array();
    for (int k = 0; k < k_skills; ++k)
      rules.push_back({{"conditions", Json::array({{{"field", "tag"}, {"value", "skill" + std::to_string(k)}}})},
                       {"skill_id", skills[k]},
                       {"min_level", 1}});
    auto p = create_policy(tx, {{"group_id", g->id}, {"method", "least_busy"}, {"requirements", rules}}, admin);
    if (!p) return fail(p.error());
    std::mt19937 rng(3);
    std::vector<int64_t> ids;
    for (int i = 0; i < agents; ++i) {
      auto u = accounts::create_user(tx,
                                     {{"name", "Agent " + std::to_string(i)},
                                      {"email", "agent" + std::to_string(i) + "@example.com"},
                                      {"role", "agent"},
                                      {"group_ids", {g->id}}},
                                     admin);
      if (!u) return fail(u.error());
      ids.push_back(u->id);
      if (auto r = set_agent_capacity(tx, u->id, {{"api", capacity}}, admin); !r) return fail(r.error());
      Json mine = Json::array();
      for (int k = 0; k < 3; ++k) mine.push_back({{"skill_id", skills[(i + k) % k_skills]}, {"level", 1 + static_cast<int>(rng() % 5)}});
      if (auto r = set_agent_skills(tx, u->id, mine, admin); !r) return fail(r.error());
      if (auto r = tx.conn().run("INSERT INTO agent_presence(user_id, status, since) VALUES (?, 'online', ?)",
                                 {u->id, now_epoch()});
          !r)
        return fail(r.error());
    }
    for (int i = 0; i < agents * capacity + waiting; ++i) {
      Json in = {{"subject", "Help"},
                 {"comment", {{"body", "Please"}}},
                 {"group_id", g->id},
                 {"requester_id", c->id},
                 {"tags", {"skill" + std::to_string(rng() % k_skills)}}};
      if (i < agents * capacity) in["assignee_id"] = ids[static_cast<std::size_t>(i / capacity)];
      auto t = tickets::create_ticket(tx, in, admin);
      if (!t) return fail(t.error());
    }
    return {};
  });
  if (!st) {
    state.SkipWithError(st.error().message.c_str());
    return;
  }
  std::size_t queued = 0;
  for (auto _ : state) {
    routing::Router router(*s);  // a new engine: its first tick() rebuilds, as after a change
    auto r = router.tick();
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    queued = router.queue(std::nullopt, 1, now_epoch()).total;
  }
  state.counters["agents"] = agents;
  state.counters["tickets"] = agents * capacity + waiting;
  state.counters["queued"] = static_cast<double>(queued);
}
BENCHMARK(BM_Rebuild)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
