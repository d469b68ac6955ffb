// In-process benchmarks of the workforce math (Google Benchmark). Run by bench/run.sh, which
// reads the JSON output; run it alone with
//   build/release/bench/erlang_bench --benchmark_filter=.
//
// Targets (issue): Erlang C >= 1,000,000 evaluations/s; a 4-week plan at 15-minute intervals for
// 20 queues (4*7*96*20 = 53,760 interval evaluations) in < 100 ms.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include <rapport/workforce/erlang.hpp>
#include <rapport/workforce/forecast.hpp>
#include <rapport/workforce/plan.hpp>
#include <rapport/workforce/staffing.hpp>

namespace wf = rapport::workforce;

namespace {

// Google Benchmark 1.7.1 (Debian 12) implements DoNotOptimize with an asm "+m,r" constraint; GCC
// at -O2 may pick the register alternative for a double and the value comes back as garbage
// (seen here: 10.0 became 2.96e-322). These use a memory operand only.
template <typename T>
T opaque(T value) {
  asm volatile("" : "+m"(value));
  return value;
}
template <typename T>
void sink(const T& value) {
  asm volatile("" : : "m"(value) : "memory");
}

// ---- Erlang C: one evaluation = erlang_c(N, A) for the N a queue of A erlangs would need --------

// Arg: the offered traffic in erlangs. N is the required agents for 80/20 at 180 s AHT, the
// point a staffing search lands on, so the evaluation is the realistic one (N a little above A).
void BM_ErlangC(benchmark::State& state) {
  const double traffic = static_cast<double>(state.range(0));
  const int servers = wf::required_agents_for_service_level(traffic, 180, 0.8, 20).value();
  // Vary the traffic a little each call so the compiler cannot hoist the evaluation.
  double jitter = 0;
  for (auto _ : state) {
    double c = wf::erlang_c(servers, opaque(traffic + jitter));
    sink(c);
    jitter = jitter < 0.5 ? jitter + 1e-6 : 0;
  }
  state.counters["servers"] = servers;
  state.counters["evals_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ErlangC)->Arg(1)->Arg(10)->Arg(50)->Arg(100)->Arg(500)->Arg(1000);

// The full metrics for one agent count (C, service level, ASA, occupancy): what one row of a
// staffing table costs.
void BM_ErlangCMetrics(benchmark::State& state) {
  const double traffic = static_cast<double>(state.range(0));
  const int servers = wf::required_agents_for_service_level(traffic, 180, 0.8, 20).value();
  for (auto _ : state) {
    auto m = wf::erlang_c_metrics(servers, opaque(traffic), 180, 20);
    sink(m);
  }
  state.counters["evals_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ErlangCMetrics)->Arg(10)->Arg(100)->Arg(1000);

// The required-agent search alone (one recurrence up to floor(A), then one step per agent).
void BM_RequiredAgents(benchmark::State& state) {
  const double traffic = static_cast<double>(state.range(0));
  for (auto _ : state) {
    auto n = wf::required_agents_for_service_level(opaque(traffic), 180, 0.8, 20);
    sink(n);
  }
  state.counters["evals_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RequiredAgents)->Arg(10)->Arg(100)->Arg(1000);

// ---- The 4-week staffing plan ------------------------------------------------------------------

constexpr int k_weeks = 4, k_days = 7 * k_weeks, k_intervals_per_day = 96, k_queues = 20;
constexpr double k_interval_s = 900;                                       // 15 minutes
constexpr int k_plan_intervals = k_days * k_intervals_per_day * k_queues;  // 53,760

struct Queue {
  double peak_volume;  // contacts offered in the busiest 15 minutes
  double aht_s;
  double target;  // service level fraction within threshold_s
  double threshold_s;
  double shrinkage;
};

// 20 queues of a mid-sized contact centre: peak volumes from 12 to 430 contacts per 15 minutes
// (peak traffic about 2.4 to 150 erlangs), handle times 3 to 10 minutes.
std::array<Queue, k_queues> make_queues() {
  std::array<Queue, k_queues> qs{};
  for (int q = 0; q < k_queues; ++q) {
    qs[q].peak_volume = 12.0 + 22.0 * q;
    qs[q].aht_s = 180.0 + 21.0 * ((q * 7) % 20);
    qs[q].target = (q % 3 == 0) ? 0.9 : 0.8;
    qs[q].threshold_s = (q % 2 == 0) ? 20 : 30;
    qs[q].shrinkage = 0.25 + 0.01 * (q % 10);
  }
  return qs;
}

// The forecast volume for (day, interval, queue): a two-humped intraday curve (peaks at 10:00 and
// 15:00, near zero at night), weekends at 40%, and a small deterministic wobble by day.
std::vector<double> make_forecast(const std::array<Queue, k_queues>& qs) {
  std::vector<double> v(static_cast<std::size_t>(k_plan_intervals));
  std::size_t i = 0;
  for (int d = 0; d < k_days; ++d) {
    const double day_factor = ((d % 7) >= 5 ? 0.4 : 1.0) * (0.9 + 0.2 * ((d * 37) % 11) / 10.0);
    for (int k = 0; k < k_intervals_per_day; ++k) {
      const double h = k / 4.0;
      const double curve = 0.02 + std::exp(-0.5 * std::pow((h - 10) / 2.0, 2)) +
                           0.8 * std::exp(-0.5 * std::pow((h - 15) / 2.5, 2));
      for (int q = 0; q < k_queues; ++q) v[i++] = qs[q].peak_volume * day_factor * curve;
    }
  }
  return v;
}

// One plan: for every interval of every queue, the required agents for the service-level target
// and the agents to schedule after shrinkage. The counter "plan_ms" is the time of one whole plan.
void BM_StaffingPlan4Weeks(benchmark::State& state) {
  const auto qs = make_queues();
  const auto forecast = make_forecast(qs);
  int64_t total_scheduled = 0;
  for (auto _ : state) {
    total_scheduled = 0;
    std::size_t i = 0;
    for (int d = 0; d < k_days; ++d)
      for (int k = 0; k < k_intervals_per_day; ++k)
        for (int q = 0; q < k_queues; ++q) {
          const Queue& queue = qs[q];
          const double a = wf::traffic_erlangs(forecast[i++], k_interval_s, queue.aht_s);
          auto req = wf::required_agents_for_service_level(a, queue.aht_s, queue.target,
                                                           queue.threshold_s);
          auto sched = wf::scheduled_agents(req.value(), queue.shrinkage);
          total_scheduled += sched.value();
        }
    sink(total_scheduled);
  }
  state.counters["intervals"] = k_plan_intervals;
  state.counters["scheduled_agent_intervals"] = static_cast<double>(total_scheduled);
  state.counters["intervals_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * k_plan_intervals, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StaffingPlan4Weeks)->Unit(benchmark::kMillisecond);

// The same plan through staffing_table (validation, the model choice and 3 rows each side of the
// answer, 7 rows of metrics per interval): what the /staffing API does per interval.
void BM_StaffingPlan4WeeksTables(benchmark::State& state) {
  const auto qs = make_queues();
  const auto forecast = make_forecast(qs);
  int64_t total_scheduled = 0;
  for (auto _ : state) {
    total_scheduled = 0;
    std::size_t i = 0;
    for (int d = 0; d < k_days; ++d)
      for (int k = 0; k < k_intervals_per_day; ++k)
        for (int q = 0; q < k_queues; ++q) {
          const Queue& queue = qs[q];
          wf::StaffingInput in;
          in.volume = forecast[i++];
          in.interval_s = k_interval_s;
          in.aht_s = queue.aht_s;
          in.target.service_level = queue.target;
          in.target.threshold_s = queue.threshold_s;
          in.shrinkage = queue.shrinkage;
          auto table = wf::staffing_table(in);
          total_scheduled += table.value().scheduled;
        }
    sink(total_scheduled);
  }
  state.counters["intervals"] = k_plan_intervals;
  state.counters["scheduled_agent_intervals"] = static_cast<double>(total_scheduled);
  state.counters["intervals_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * k_plan_intervals, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StaffingPlan4WeeksTables)->Unit(benchmark::kMillisecond);

// The same plan through workforce::staffing_plan, one call per queue (validation, per-interval
// Erlang C solve, shrinkage, agent-hours, FTE per week): what POST /api/v2/workforce/plans computes.
// Compare with BM_StaffingPlan4Weeks, the bare solve loop over the same 53,760 intervals.
void BM_WorkforcePlan4Weeks20Queues(benchmark::State& state) {
  const auto qs = make_queues();
  const auto forecast = make_forecast(qs);
  std::vector<wf::PlanInput> inputs(k_queues);
  for (int q = 0; q < k_queues; ++q) {
    auto& in = inputs[q];
    in.intervals_per_day = k_intervals_per_day;
    in.aht_s = qs[q].aht_s;
    in.target.service_level = qs[q].target;
    in.target.threshold_s = qs[q].threshold_s;
    in.shrinkage = qs[q].shrinkage;
    for (std::size_t i = q; i < forecast.size(); i += k_queues) in.volume.push_back(forecast[i]);
  }
  double fte = 0;
  for (auto _ : state) {
    fte = 0;
    for (const auto& in : inputs) fte += wf::staffing_plan(in).value().fte;
    sink(fte);
  }
  state.counters["intervals"] = k_plan_intervals;
  state.counters["fte"] = fte;
  state.counters["intervals_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * k_plan_intervals, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WorkforcePlan4Weeks20Queues)->Unit(benchmark::kMillisecond);

// One forecast: 12 weeks of 15-minute history (8,064 intervals, Poisson-like wobble), 4 weeks
// ahead, 2 weeks held out for accuracy: two grid fits of 960 parameter sets each.
void BM_Forecast12Weeks15Min(benchmark::State& state) {
  wf::ForecastInput in;
  in.intervals_per_day = k_intervals_per_day;
  in.horizon_days = 28;
  in.holdout_weeks = 2;
  for (int d = 0; d < 84; ++d)
    for (int k = 0; k < k_intervals_per_day; ++k) {
      const double h = k / 4.0;
      const double curve = 0.02 + std::exp(-0.5 * std::pow((h - 10) / 2.0, 2));
      in.history.push_back(std::floor(40 * curve * ((d % 7) >= 5 ? 0.4 : 1.0) + ((d * 31 + k * 17) % 7)));
    }
  for (auto _ : state) {
    auto f = wf::forecast_volume(in);
    sink(f.value().volume[0]);
  }
}
BENCHMARK(BM_Forecast12Weeks15Min)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
