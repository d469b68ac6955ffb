// Erlang A (M/M/N+M) against an independent long-double solution of the birth-death chain, its
// limits (Erlang C for endless patience, Erlang B for none) and monotonicity.
#include <rapport/workforce/erlang.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace rapport::workforce {
namespace {

struct Reference {
  double p_wait, service_level, service_level_excluding_early_abandons, asa_s, abandonment;
};

// The chain itself, nothing shared with the library: stationary law by products (in long double,
// so A^k / k! does not overflow for these sizes), truncated where the queue states are below 1e-30
// of the total. A contact arriving with j others queued moves up at rate N + m r while m are ahead
// of it and abandons at rate r; "answered (or abandoned) within T" is the absorption probability of
// that small chain by time T, by uniformization (a Poisson mixture of matrix powers, all terms
// positive). ASA uses the exact E[V exp(-r V)] of a sum of exponentials.
Reference birth_death_reference(int n, double a_in, double aht, double patience, double threshold) {
  using LD = long double;
  const LD a = a_in, r = static_cast<LD>(aht) / patience, t = static_cast<LD>(threshold) / aht;
  std::vector<LD> below(n);  // p_k, k < n (relative to p_0 = 1)
  LD p = 1;
  for (int k = 0; k < n; ++k) {
    below[k] = p;
    p = p * a / (k + 1);
  }
  std::vector<LD> queue = {p};  // q_j = p_{n+j}
  LD total = 0;
  for (LD x : below) total += x;
  total += p;
  for (int j = 1; j < 400000; ++j) {
    const LD next = queue.back() * a / (n + j * r);
    queue.push_back(next);
    total += next;
    if (next < 1e-30L * total && n + j * r > a) break;
  }
  const int queue_states = static_cast<int>(queue.size());

  LD waiting = 0, queued = 0, answered_wait = 0, inner = 0;
  for (int j = 0; j < queue_states; ++j) {
    waiting += queue[j];
    queued += j * queue[j];
    inner += 1 / (n + (j + 1) * r);
    answered_wait += queue[j] * n / (n + (j + 1) * r) * inner;
  }
  LD answered_now = 0;
  for (LD x : below) answered_now += x;

  // Uniformized chain of the tagged contact's position m (contacts ahead of it).
  const LD rate = n + (queue_states + 1) * r;
  const LD mean_jumps = rate * t;
  std::vector<LD> served(queue_states, 0), abandoned(queue_states, 0);
  std::vector<LD> served_by_t(queue_states, 0), abandoned_by_t(queue_states, 0);
  LD weight = std::exp(-mean_jumps);  // Poisson(k; rate t)
  const int max_jumps = static_cast<int>(mean_jumps + 15 * std::sqrt(mean_jumps) + 40);
  for (int k = 0; k <= max_jumps; ++k) {
    for (int m = 0; m < queue_states; ++m) {
      served_by_t[m] += weight * served[m];
      abandoned_by_t[m] += weight * abandoned[m];
    }
    for (int m = queue_states - 1; m >= 0; --m) {  // descending: m - 1 still holds step k
      const LD advance = (n + m * r) / rate, quit = r / rate, stay = 1 - advance - quit;
      served[m] = advance * (m == 0 ? 1 : served[m - 1]) + stay * served[m];
      abandoned[m] = quit + advance * (m == 0 ? 0 : abandoned[m - 1]) + stay * abandoned[m];
    }
    weight = weight * mean_jumps / (k + 1);
  }
  LD answered_in_t = answered_now, abandoned_in_t = 0;
  for (int j = 0; j < queue_states; ++j) {
    answered_in_t += queue[j] * served_by_t[j];
    abandoned_in_t += queue[j] * abandoned_by_t[j];
  }
  Reference ref;
  ref.p_wait = static_cast<double>(waiting / total);
  ref.abandonment = static_cast<double>(r * queued / (a * total));
  ref.service_level = static_cast<double>(answered_in_t / total);
  ref.service_level_excluding_early_abandons =
      static_cast<double>(answered_in_t / (total - abandoned_in_t));
  ref.asa_s = static_cast<double>(answered_wait / total / (1 - r * queued / (a * total)) * aht);
  return ref;
}

double relative_error(double got, double want) {
  return want == 0 ? std::fabs(got) : std::fabs(got - want) / std::fabs(want);
}

TEST(ErlangA, AgreesWithTheBirthDeathChain) {
  struct Case {
    int n;
    double a, aht, patience, threshold;
  };
  const std::vector<Case> cases = {
      {13, 10, 180, 120, 20},     {8, 10, 180, 60, 20},      {11, 10, 180, 600, 30},
      {1, 0.5, 300, 100, 10},     {3, 5, 300, 900, 60},      {45, 50, 240, 2400, 20},
      {90, 100, 300, 30000, 150}, {40, 30, 60, 6, 3},        {25, 20, 180, 180, 0},
      {60, 55, 200, 100, 1000},   {120, 100, 180, 300, 20},  {2, 1.7, 600, 45, 15},
      {5, 10, 180, 120, 20},      {11, 10, 180, 120, 20},    {12, 10, 180, 120, 20},
      {70, 100, 300, 30000, 10},  {100, 100, 180, 3600, 20},
  };
  for (const Case& c : cases) {
    const auto ref = birth_death_reference(c.n, c.a, c.aht, c.patience, c.threshold);
    const auto m = erlang_a_metrics(c.n, c.a, c.aht, c.patience, c.threshold).value();
    const auto where = ::testing::Message() << "N=" << c.n << " A=" << c.a << " aht=" << c.aht
                                            << " patience=" << c.patience << " T=" << c.threshold;
    EXPECT_LT(relative_error(m.p_wait, ref.p_wait), 1e-9) << where;
    EXPECT_LT(relative_error(m.service_level, ref.service_level), 1e-9) << where;
    EXPECT_LT(relative_error(m.service_level_excluding_early_abandons,
                             ref.service_level_excluding_early_abandons),
              1e-9)
        << where;
    EXPECT_LT(relative_error(m.asa_s, ref.asa_s), 1e-9) << where;
    EXPECT_LT(relative_error(m.abandonment, ref.abandonment), 1e-9) << where;
    // Carried load: the agents' busy fraction is what the answered contacts bring.
    EXPECT_NEAR(m.occupancy * c.n, c.a * (1 - m.abandonment), 1e-9 * c.a) << where;
    EXPECT_GE(m.service_level_excluding_early_abandons, m.service_level) << where;
  }
}

TEST(ErlangA, EndlessPatienceIsErlangC) {
  for (int n : {11, 13, 16}) {
    const auto m = erlang_a_metrics(n, 10, 180, 1e9, 20).value();
    const auto c = erlang_c_metrics(n, 10, 180, 20);
    EXPECT_NEAR(m.p_wait, c.p_wait, 1e-5) << n;
    EXPECT_NEAR(m.service_level, c.service_level, 1e-5) << n;
    EXPECT_NEAR(m.asa_s, c.asa_s, 1e-3) << n;
    EXPECT_LT(m.abandonment, 1e-5) << n;
  }
}

TEST(ErlangA, NoPatienceIsErlangBLoss) {
  // Patience of a microsecond: whoever finds all agents busy leaves, so P(wait), abandonment and
  // 1 - service level all tend to the Erlang B blocking probability, also when N < A.
  for (int n : {5, 10, 13}) {
    const double b = erlang_b(n, 10);
    const auto m = erlang_a_metrics(n, 10, 180, 1e-6, 20).value();
    EXPECT_NEAR(m.p_wait, b, 1e-6) << n;
    EXPECT_NEAR(m.abandonment, b, 1e-6) << n;
    EXPECT_NEAR(m.service_level, 1 - b, 1e-6) << n;
    EXPECT_LT(m.asa_s, 1e-3) << n;
  }
}

TEST(ErlangA, MonotoneInAgents) {
  double previous_sl = 0, previous_ab = 1, previous_asa = 1e300, previous_wait = 1;
  for (int n = 1; n <= 40; ++n) {
    const auto m = erlang_a_metrics(n, 10, 180, 60, 20).value();
    EXPECT_GT(m.service_level, previous_sl) << n;
    EXPECT_LT(m.abandonment, previous_ab) << n;
    EXPECT_LT(m.asa_s, previous_asa) << n;
    EXPECT_LT(m.p_wait, previous_wait) << n;
    EXPECT_LE(m.occupancy, 1) << n;
    previous_sl = m.service_level;
    previous_ab = m.abandonment;
    previous_asa = m.asa_s;
    previous_wait = m.p_wait;
  }
  // And in patience: more patient callers abandon less but wait longer when answered.
  const auto impatient = erlang_a_metrics(11, 10, 180, 30, 20).value();
  const auto patient = erlang_a_metrics(11, 10, 180, 600, 20).value();
  EXPECT_GT(impatient.abandonment, patient.abandonment);
  EXPECT_LT(impatient.asa_s, patient.asa_s);
}

TEST(ErlangA, UnderstaffedQueuesAreStableButLoseContacts) {
  // 5 agents for 10 erlangs: at most 5 erlangs can be carried, so at least half abandon.
  const auto m = erlang_a_metrics(5, 10, 180, 120, 20).value();
  EXPECT_GE(m.abandonment, 0.5);
  EXPECT_LT(m.abandonment, 1);
  EXPECT_LE(m.occupancy, 1);
  EXPECT_TRUE(std::isfinite(m.asa_s));
  EXPECT_GT(m.p_wait, 0.9);
}

TEST(ErlangA, HugeSystemsStayFinite) {
  struct Case {
    int n;
    double a, patience;
  };
  for (const Case& c : {Case{10000, 9000, 120}, Case{9000, 9000, 120}, Case{8000, 9000, 300},
                        Case{10000, 9000, 1e7}, Case{2, 9000, 60}}) {
    const auto m = erlang_a_metrics(c.n, c.a, 180, c.patience, 20).value();
    for (double v : {m.p_wait, m.service_level, m.abandonment, m.occupancy}) {
      EXPECT_TRUE(std::isfinite(v)) << c.n;
      EXPECT_GE(v, 0) << c.n;
      EXPECT_LE(v, 1) << c.n;
    }
    EXPECT_TRUE(std::isfinite(m.asa_s)) << c.n;
    EXPECT_GE(m.abandonment, std::max(0.0, 1 - c.n / c.a) - 1e-12) << c.n;
  }
  // Endless patience at N > A: close to Erlang C even at this size.
  const auto m = erlang_a_metrics(9050, 9000, 180, 1e9, 20).value();
  EXPECT_NEAR(m.service_level, service_level(9050, 9000, 180, 20), 1e-4);
}

TEST(ErlangA, RequiredAgentsIsTheSmallestMeetingTheTarget) {
  for (double patience : {30.0, 120.0, 600.0}) {
    for (double target : {0.5, 0.8, 0.95}) {
      const int n =
          erlang_a_required_agents_for_service_level(10, 180, patience, target, 20).value();
      EXPECT_GE(erlang_a_metrics(n, 10, 180, patience, 20)->service_level, target);
      if (n > 1) {
        EXPECT_LT(erlang_a_metrics(n - 1, 10, 180, patience, 20)->service_level, target);
      }
    }
    const int m = erlang_a_required_agents_for_asa(10, 180, patience, 10).value();
    EXPECT_LE(erlang_a_metrics(m, 10, 180, patience, 0)->asa_s, 10);
    EXPECT_GT(erlang_a_metrics(m - 1, 10, 180, patience, 0)->asa_s, 10);
  }
  // The textbook queue with 2-minute patience: abandonment shortens the queue, and 12 agents reach
  // 80/20 where Erlang C needs 14 (values checked against the chain in
  // AgreesWithTheBirthDeathChain).
  EXPECT_EQ(erlang_a_required_agents_for_service_level(10, 180, 120, 0.8, 20).value(), 12);
  // A big one finishes and is consistent.
  const int big = erlang_a_required_agents_for_service_level(9000, 180, 120, 0.8, 20).value();
  EXPECT_GE(erlang_a_metrics(big, 9000, 180, 120, 20)->service_level, 0.8);
  EXPECT_LT(erlang_a_metrics(big - 1, 9000, 180, 120, 20)->service_level, 0.8);
}

TEST(ErlangA, ZeroTrafficAndBadArguments) {
  const auto idle = erlang_a_metrics(0, 0, 180, 60, 20).value();
  EXPECT_EQ(idle.p_wait, 0);
  EXPECT_EQ(idle.service_level, 1);
  EXPECT_EQ(idle.abandonment, 0);
  EXPECT_EQ(erlang_a_required_agents_for_service_level(0, 180, 60, 0.8, 20).value(), 0);

  EXPECT_FALSE(erlang_a_metrics(0, 5, 180, 60, 20));
  EXPECT_FALSE(erlang_a_metrics(5, 5, 180, 0, 20));
  EXPECT_FALSE(erlang_a_metrics(5, 5, 180, -1, 20));
  EXPECT_FALSE(erlang_a_metrics(5, 5, 0, 60, 20));
  EXPECT_FALSE(erlang_a_metrics(5, 5, 180, 60, -1));
  EXPECT_FALSE(erlang_a_metrics(5, -5, 180, 60, 20));
  auto e = erlang_a_required_agents_for_service_level(10, 180, 0, 0.8, 20);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::invalid);
  EXPECT_NE(e.error().message.find("patience"), std::string::npos);
  EXPECT_FALSE(erlang_a_required_agents_for_service_level(10, 180, 60, 1.5, 20));
  EXPECT_FALSE(erlang_a_required_agents_for_asa(10, 180, 60, -2));
}

}  // namespace
}  // namespace rapport::workforce
