// In-process SLA benchmarks (Google Benchmark): business-time arithmetic, policy matching, the
// engine over one ticket's history, and the ticket read path with and without the `slas`
// sideload over a real SQLite store, in the same run. Run it with
//   build/release/bench/sla_bench
// (bench/sla.sh does, and writes the section of docs/benchmarks.md between the sla markers).
#include <benchmark/benchmark.h>

#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/consumer.hpp>
#include <rapport/http/codec.hpp>
#include <rapport/http/sla_json.hpp>
#include <rapport/sla/admin.hpp>
#include <rapport/sla/engine.hpp>
#include <rapport/sla/tracker.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace sla = rapport::sla;
using rapport::Json;

namespace {

template <typename T>
void sink(const T& value) {
  asm volatile("" : : "m"(value) : "memory");
}

int64_t at(const char* iso) {
  return rapport::parse_iso8601(iso).value();
}

sla::Calendar berlin_office() {
  std::vector<sla::WeeklyInterval> iv;
  for (int d = 1; d <= 5; ++d) iv.push_back({d * 1440 + 540, d * 1440 + 1020});
  std::vector<sla::Holiday> holidays;
  for (unsigned m = 1; m <= 12; ++m)
    holidays.push_back(
        {date::local_days{date::year{2024} / m / 15}, date::local_days{date::year{2024} / m / 15}});
  return sla::Calendar::make("Europe/Berlin", iv, holidays).value();
}

// Arg: the span in days (from a Friday afternoon, across weekends, holidays and the DST change).
void BM_BusinessSeconds(benchmark::State& state) {
  auto cal = berlin_office();
  const int64_t from = at("2024-03-08T15:30:00Z"), to = from + state.range(0) * 86400;
  for (auto _ : state) sink(cal.business_seconds(from, to));
}
BENCHMARK(BM_BusinessSeconds)->Arg(1)->Arg(7)->Arg(30);

// Arg: the target in business hours (8 h = one working day, 40 h = a week).
void BM_AddBusinessSeconds(benchmark::State& state) {
  auto cal = berlin_office();
  const int64_t from = at("2024-03-08T15:30:00Z");
  for (auto _ : state) sink(cal.add_business_seconds(from, state.range(0) * 3600));
}
BENCHMARK(BM_AddBusinessSeconds)->Arg(1)->Arg(8)->Arg(40);

// 50 policies of 3 conditions; the ticket matches only the last one (the worst case).
void BM_MatchPolicy(benchmark::State& state) {
  std::vector<sla::Policy> ps;
  for (int i = 0; i < 50; ++i) {
    sla::Policy p;
    p.id = i + 1;
    p.position = i + 1;
    p.all = {{"group_id", "is", i + 1},
             {"priority", "greater_than", "low"},
             {"current_tags", "not_includes", "spam"}};
    ps.push_back(p);
  }
  rapport::domain::Ticket t;
  t.group_id = 50;
  t.priority = "high";
  t.tags = Json::array({"vip", "billing"});
  for (auto _ : state) sink(sla::match_policy(ps, t));
}
BENCHMARK(BM_MatchPolicy);

// One ticket's instances: five business-hours metrics over a history of 20 events in a week.
void BM_ComputeInstances(benchmark::State& state) {
  auto cal = berlin_office();
  sla::Policy p;
  for (const char* m : {"first_reply_time", "next_reply_time", "periodic_update_time",
                        "requester_wait_time", "total_resolution_time"})
    p.targets.push_back({"normal", m, 8 * 3600, true});
  sla::History h{at("2024-03-11T08:00:00Z"), "new", false, {}};
  for (int i = 0; i < 20; ++i)
    h.events.push_back(
        {h.created_at + (i + 1) * 3 * 3600,
         i % 4 == 3 ? std::optional<std::string>("pending") : std::optional<std::string>("open"),
         true, i % 2 == 0});
  const int64_t now = at("2024-03-15T12:00:00Z");
  for (auto _ : state) sink(sla::compute_instances(h, p, std::nullopt, cal, now));
}
BENCHMARK(BM_ComputeInstances);

// ---- the read path: a page of 100 tickets, and one ticket, with and without `slas` ----------

struct Fixture {
  rapport::store::TempStore store;
  std::vector<int64_t> ids;
  Fixture() {
    auto admin = rapport::accounts::system_principal();
    rapport::ScopedClock clock(at("2024-03-11T08:00:00Z"));
    auto st = store->writer().run([&](rapport::store::Tx& tx) -> rapport::Status {
      rapport::ScopedClock c(at("2024-03-11T08:00:00Z"));
      auto cust =
          rapport::accounts::create_user(tx, {{"name", "C"}, {"email", "c@example.com"}}, admin);
      if (!cust) return rapport::fail(cust.error());
      auto s =
          sla::create_schedule(tx, {{"name", "Berlin"}, {"time_zone", "Europe/Berlin"}}, admin);
      if (!s) return rapport::fail(s.error());
      Json metrics = Json::array();
      for (const char* m : {"first_reply_time", "next_reply_time", "periodic_update_time",
                            "requester_wait_time", "total_resolution_time"})
        metrics.push_back(
            {{"priority", "normal"}, {"metric", m}, {"target", 480}, {"business_hours", true}});
      auto p = sla::create_policy(
          tx, {{"title", "All"}, {"filter", {{"all", Json::array()}}}, {"policy_metrics", metrics}},
          admin);
      if (!p) return rapport::fail(p.error());
      if (auto e = rapport::events::start_at_end(tx, sla::k_consumer); !e) return e;
      auto who = rapport::domain::Principal{};
      who.user_id = cust->id;
      for (int i = 0; i < 1000; ++i) {
        auto t = rapport::tickets::create_ticket(
            tx, {{"subject", "Help"}, {"comment", {{"body", "Please"}}}}, who);
        if (!t) return rapport::fail(t.error());
        ids.push_back(t->ticket.id);
      }
      return {};
    });
    if (!st) throw std::runtime_error(st.error().message);
    for (;;) {
      auto n = rapport::events::consume(
          *store, sla::k_consumer, sla::tracked_event_kinds(),
          [](rapport::store::Tx& tx, const rapport::events::StoredEvent& e) {
            rapport::ScopedClock c(at("2024-03-11T09:00:00Z"));
            return sla::on_event(tx, e);
          });
      if (!n) throw std::runtime_error(n.error().message);
      if (*n == 0) break;
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Arg 0: without slas, 1: with.
void BM_ListPage100(benchmark::State& state) {
  auto& f = fixture();
  auto admin = rapport::accounts::system_principal();
  rapport::domain::PageRequest pr;
  pr.per_page = 100;
  for (auto _ : state) {
    auto st = f.store->read([&](rapport::store::Conn& conn) -> rapport::Status {
      auto page = rapport::tickets::list_tickets(conn, {}, pr, admin);
      if (!page) return rapport::fail(page.error());
      Json items = Json::array();
      for (const auto& t : page->items) items.push_back(rapport::http::to_json(t, "http://x"));
      if (state.range(0)) {
        if (auto s = rapport::http::add_slas(conn, items); !s) return s;
      }
      sink(items.dump());
      return {};
    });
    if (!st) state.SkipWithError(st.error().message.c_str());
  }
  state.SetLabel(state.range(0) ? "include=slas" : "plain");
}
BENCHMARK(BM_ListPage100)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_ShowTicket(benchmark::State& state) {
  auto& f = fixture();
  auto admin = rapport::accounts::system_principal();
  std::size_t i = 0;
  for (auto _ : state) {
    auto id = f.ids[i++ % f.ids.size()];
    auto st = f.store->read([&](rapport::store::Conn& conn) -> rapport::Status {
      auto t = rapport::tickets::get_ticket(conn, id, admin);
      if (!t) return rapport::fail(t.error());
      Json one = Json::array({rapport::http::to_json(*t, "http://x")});
      if (state.range(0)) {
        if (auto s = rapport::http::add_slas(conn, one); !s) return s;
      }
      sink(one.dump());
      return {};
    });
    if (!st) state.SkipWithError(st.error().message.c_str());
  }
  state.SetLabel(state.range(0) ? "include=slas" : "plain");
}
BENCHMARK(BM_ShowTicket)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
