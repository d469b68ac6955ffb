// In-process benchmark of the agent leaderboard (Google Benchmark). Run by bench/feedback.sh,
// which reads the JSON output; run it alone with
//   build/release/bench/feedback_bench
//
// Target (issue): the leaderboard of 1,000 agents over 90 days in < 20 ms.
//
// The fixture is a migrated temporary store (the same schema and pragmas as the server) with
// 1,000 agents in 20 groups of 50, one customer and one ticket, and 5 survey ratings per agent
// per day for 90 days (450,000 rows in `ratings`). `rating_daily` is built from those ratings by
// one GROUP BY, so it holds exactly what the server's per-rating upsert would have left there
// (90,000 rows), and `rating_running`/`rating_keys` from it as migration V012 does. Both paths are
// then checked to give the same ranking before anything is timed.
//
//   BM_Leaderboard/rollup          feedback::leaderboard, 90-day window, every agent (the target)
//   BM_Leaderboard/rollup_group    the same, group_id filter (50 agents)
//   BM_Leaderboard/raw             baseline: the same ranking from a GROUP BY over `ratings`
//   BM_Leaderboard/raw_group       baseline, group-filtered
//
// Each timed call is what GET /api/v2/feedback/leaderboard does inside its read: the query, the
// settings read, the ranking and the JSON (not its serialization or the HTTP round trip).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/feedback/recognition.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace fb = rapport::feedback;
namespace store = rapport::store;
using rapport::Json;
using rapport::Result;
using rapport::Status;

namespace {

constexpr int k_agents = 1000;
constexpr int k_groups = 20;
constexpr int k_days = 90;
constexpr int k_per_agent_day = 5;
constexpr int64_t k_first_day = 20'400;  // 2025-11-08 (UTC days since the epoch)

double pct(int64_t a, int64_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; }

// The baseline: what feedback::leaderboard would have to do without the rollup. The aggregate
// runs over the raw ratings (survey ratings with stars, as add_to_daily counts them); ranking and
// JSON are the same code as feedback::leaderboard's.
Result<Json> leaderboard_from_ratings(store::Conn& conn, const fb::LeaderboardQuery& q) {
  auto cfg = fb::load_config(conn);
  if (!cfg) return rapport::fail(cfg.error());
  std::string where = "kind = 'survey' AND stars IS NOT NULL AND agent_id IS NOT NULL AND created_at >= ? AND created_at < ?";
  store::Params params{q.from_day * 86400, q.to_day * 86400};
  if (q.group_id) {
    where += " AND COALESCE(group_id, 0) = ?";
    params.push_back(*q.group_id);
  }
  if (q.site_id) {
    where += " AND COALESCE(site_id, 0) = ?";
    params.push_back(*q.site_id);
  }
  struct Sums {
    int64_t agent = 0, answers = 0, stars = 0, csat = 0, dsat = 0, res_n = 0, res_yes = 0, nps_n = 0, pro = 0, det = 0;
    std::string name;
    std::optional<std::string> photo;
    std::optional<int64_t> site;
    double score = 0;
  };
  std::vector<Sums> rows;
  auto st = conn.each(
      "SELECT d.agent_id, d.n, d.s, d.c, d.ds, d.rn, d.ry, d.nn, d.p, d.dt, u.name, u.photo_url, u.site_id FROM "
      "(SELECT agent_id, COUNT(*) n, SUM(stars) s, SUM(stars >= 4) c, SUM(stars <= 2) ds, SUM(resolved IS NOT NULL) rn, "
      "SUM(resolved = 1) ry, SUM(nps IS NOT NULL) nn, SUM(nps >= 9) p, SUM(nps <= 6) dt FROM ratings WHERE " +
          where + " GROUP BY agent_id) d JOIN users u ON u.id = d.agent_id",
      params, [&](const store::Row& r) {
        rows.push_back({r.i64(0), r.i64(1), r.i64(2), r.i64(3), r.i64(4), r.i64(5), r.i64(6), r.i64(7), r.i64(8), r.i64(9),
                        r.text(10), r.opt_text(11), r.opt_i64(12), 0.0});
      });
  if (!st) return rapport::fail(st.error());
  int64_t all_n = 0, all_s = 0;
  for (const auto& x : rows) {
    all_n += x.answers;
    all_s += x.stars;
  }
  const double m = all_n ? static_cast<double>(all_s) / static_cast<double>(all_n) : 0.0;
  const double c = cfg->leaderboard_prior_weight;
  for (auto& x : rows) x.score = (c * m + static_cast<double>(x.stars)) / (c + static_cast<double>(x.answers));
  std::sort(rows.begin(), rows.end(), [](const Sums& a, const Sums& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.answers != b.answers) return a.answers > b.answers;
    return a.agent < b.agent;
  });
  Json agents = Json::array();
  int rank = 0;
  for (const auto& x : rows) {
    ++rank;
    agents.push_back({{"rank", rank},
                      {"agent_id", x.agent},
                      {"name", x.name},
                      {"photo_url", x.photo ? Json(*x.photo) : Json(nullptr)},
                      {"site_id", x.site ? Json(*x.site) : Json(nullptr)},
                      {"responses", x.answers},
                      {"ranking_score", x.score},
                      {"average_stars", static_cast<double>(x.stars) / static_cast<double>(x.answers)},
                      {"csat", pct(x.csat, x.answers)},
                      {"dsat", pct(x.dsat, x.answers)},
                      {"fcr", x.res_n ? Json(pct(x.res_yes, x.res_n)) : Json(nullptr)},
                      {"nps", x.nps_n ? Json(pct(x.pro, x.nps_n) - pct(x.det, x.nps_n)) : Json(nullptr)}});
  }
  return Json{{"from", rapport::iso8601(q.from_day * 86400)},
              {"to", rapport::iso8601(q.to_day * 86400)},
              {"time_zone", rapport::organization_time_zone()},
              {"group_id", q.group_id ? Json(*q.group_id) : Json(nullptr)},
              {"site_id", q.site_id ? Json(*q.site_id) : Json(nullptr)},
              {"team_mean_stars", all_n ? Json(m) : Json(nullptr)},
              {"prior_weight", cfg->leaderboard_prior_weight},
              {"responses", all_n},
              {"agents", agents}};
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "feedback_bench: %s\n", what.c_str());
  std::exit(1);
}

struct Fixture {
  store::TempStore s;
  int64_t first_group = 0;
  int64_t ratings = 0, daily_rows = 0;

  Fixture() {
    rapport::crypto::init();
    auto st = s->writer().run([&](store::Tx& tx) -> Status {
      auto& c = tx.conn();
      const int64_t now = k_first_day * 86400 + k_days * 86400;
      // 20 groups, 1,000 agents (agent i in group i % 20), one customer and one ticket.
      for (int g = 0; g < k_groups; ++g) {
        auto r = c.run("INSERT INTO groups(name, created_at, updated_at) VALUES (?, ?, ?)",
                       {"Team " + std::to_string(g + 1), now, now});
        if (!r) return rapport::fail(r.error());
        if (g == 0) first_group = c.last_insert_id();
      }
      auto a = c.run(
          "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1) "
          "INSERT INTO users(name, email, email_key, role, created_at, updated_at) "
          "SELECT 'Agent ' || i, 'agent' || i || '@bench.example', 'agent' || i || '@bench.example', 'agent', ?, ? FROM n",
          {int64_t{k_agents}, now, now});
      if (!a) return rapport::fail(a.error());
      const int64_t first_agent = c.last_insert_id() - k_agents + 1;
      auto cu = c.run("INSERT INTO users(name, email, email_key, role, created_at, updated_at) "
                      "VALUES ('Cara Customer', 'cara@bench.example', 'cara@bench.example', 'end-user', ?, ?)",
                      {now, now});
      if (!cu) return rapport::fail(cu.error());
      const int64_t customer = c.last_insert_id();
      auto t = rapport::tickets::create_ticket(
          tx, {{"subject", "Refund for order 12"}, {"comment", {{"body", "Where is my refund?"}}}, {"requester_id", customer}},
          rapport::accounts::system_principal());
      if (!t) return rapport::fail(t.error());
      const int64_t ticket = t->ticket.id;
      // 5 ratings per agent per day. i = (k * 90 + day) * 1000 + agent. Stars, resolved and NPS
      // from a multiplicative hash of i; every third agent gets a star more (capped at 5), so the
      // ranking has a real spread.
      const int64_t n = int64_t{k_agents} * k_days * k_per_agent_day;
      auto r = c.run(
          "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1), "
          "h(i, agent, day, hash) AS (SELECT i, i % ?, ? + (i / ?) % ?, (i * 2654435761) % 1000003 FROM n), "
          "v(i, agent, day, hash, stars) AS (SELECT i, agent, day, hash, "
          "  MIN(5, 1 + hash % 5 + (agent % 3 = 0)) FROM h) "
          "INSERT INTO ratings(kind, ticket_id, agent_id, group_id, requester_id, stars, score, resolved, nps, comment, "
          "created_at, updated_at) "
          "SELECT 'survey', ?, ? + agent, ? + agent % ?, ?, stars, "
          "  CASE WHEN stars >= 4 THEN 'good' WHEN stars <= 2 THEN 'bad' ELSE 'neither' END, "
          "  CASE (hash / 5) % 4 WHEN 0 THEN 0 WHEN 3 THEN NULL ELSE 1 END, "
          "  CASE WHEN (hash / 20) % 3 = 0 THEN NULL ELSE (hash / 60) % 11 END, "
          "  CASE WHEN hash % 4 = 0 THEN 'Thanks for the quick help' ELSE '' END, "
          "  day * 86400 + (i * 7919) % 86400, day * 86400 + (i * 7919) % 86400 FROM v",
          {n, int64_t{k_agents}, k_first_day, int64_t{k_agents}, int64_t{k_days}, ticket, first_agent, first_group,
           int64_t{k_groups}, customer});
      if (!r) return rapport::fail(r.error());
      ratings = *r;
      // The rollup, exactly as add_to_daily sums it per rating.
      auto d = c.run(
          "INSERT INTO rating_daily(agent_id, day, group_id, site_id, answers, stars_sum, csat, dsat, resolved_answers, "
          "resolved_yes, nps_answers, promoters, detractors) "
          "SELECT agent_id, created_at / 86400, COALESCE(group_id, 0), COALESCE(site_id, 0), COUNT(*), SUM(stars), "
          "SUM(stars >= 4), SUM(stars <= 2), SUM(resolved IS NOT NULL), SUM(resolved = 1), SUM(nps IS NOT NULL), "
          "SUM(nps >= 9), SUM(nps <= 6) FROM ratings WHERE kind = 'survey' AND stars IS NOT NULL AND agent_id IS NOT NULL "
          "GROUP BY agent_id, created_at / 86400, COALESCE(group_id, 0), COALESCE(site_id, 0)");
      if (!d) return rapport::fail(d.error());
      daily_rows = *d;
      // The running totals and their keys, as V012 builds them from rating_daily.
      auto k = c.run("INSERT INTO rating_keys(agent_id, group_id, site_id) SELECT DISTINCT agent_id, group_id, site_id FROM rating_daily");
      if (!k) return rapport::fail(k.error());
      auto w = c.run(
          "INSERT INTO rating_running SELECT agent_id, group_id, site_id, day, SUM(answers) OVER w, SUM(stars_sum) OVER w, "
          "SUM(csat) OVER w, SUM(dsat) OVER w, SUM(resolved_answers) OVER w, SUM(resolved_yes) OVER w, "
          "SUM(nps_answers) OVER w, SUM(promoters) OVER w, SUM(detractors) OVER w FROM rating_daily "
          "WINDOW w AS (PARTITION BY agent_id, group_id, site_id ORDER BY day ROWS UNBOUNDED PRECEDING)");
      if (!w) return rapport::fail(w.error());
      return {};
    });
    if (!st) die("fill: " + st.error().message);
  }

  fb::LeaderboardQuery query(bool group) const {
    fb::LeaderboardQuery q;
    q.from_day = k_first_day;
    q.to_day = k_first_day + k_days;
    if (group) q.group_id = first_group + 3;
    return q;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

rapport::domain::Principal admin() { return rapport::accounts::system_principal(); }

// Both paths must rank the same agents the same way with the same numbers.
void check_same(bool group) {
  auto& f = fixture();
  auto lease = f.s->reads().acquire();
  if (!lease) die(lease.error().message);
  auto a = fb::leaderboard(**lease, f.query(group), admin());
  auto b = leaderboard_from_ratings(**lease, f.query(group));
  if (!a || !b) die("leaderboard failed: " + (!a ? a.error() : b.error()).message);
  const std::size_t want = group ? k_agents / k_groups : k_agents;
  if ((*a)["agents"].size() != want) die("the rollup ranked " + std::to_string((*a)["agents"].size()) + " agents");
  if (*a != *b) die(std::string("the rollup and the raw ratings disagree") + (group ? " (group filter)" : ""));
}

void run(benchmark::State& state, bool raw, bool group) {
  auto& f = fixture();
  static bool checked = false;
  if (!checked) {
    check_same(false);
    check_same(true);
    checked = true;
  }
  auto lease = f.s->reads().acquire();
  if (!lease) die(lease.error().message);
  const auto q = f.query(group);
  const auto who = admin();
  std::size_t agents = 0;
  for (auto _ : state) {
    auto r = raw ? leaderboard_from_ratings(**lease, q) : fb::leaderboard(**lease, q, who);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      break;
    }
    agents = (*r)["agents"].size();
    benchmark::DoNotOptimize(agents);
  }
  state.counters["agents"] = static_cast<double>(agents);
  state.counters["days"] = k_days;
  state.counters["ratings"] = static_cast<double>(f.ratings);
  state.counters["rollup_rows"] = static_cast<double>(f.daily_rows);
}

void BM_Leaderboard_rollup(benchmark::State& s) { run(s, false, false); }
void BM_Leaderboard_rollup_group(benchmark::State& s) { run(s, false, true); }
void BM_Leaderboard_raw(benchmark::State& s) { run(s, true, false); }
void BM_Leaderboard_raw_group(benchmark::State& s) { run(s, true, true); }
BENCHMARK(BM_Leaderboard_rollup)->Name("BM_Leaderboard/rollup")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Leaderboard_rollup_group)->Name("BM_Leaderboard/rollup_group")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Leaderboard_raw)->Name("BM_Leaderboard/raw")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Leaderboard_raw_group)->Name("BM_Leaderboard/raw_group")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
