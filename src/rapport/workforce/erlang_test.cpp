// Erlang B and C: the textbook case, agreement with exact arithmetic, edge cases, large systems.
#include <rapport/workforce/erlang.hpp>

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/cpp_int.hpp>

namespace rapport::workforce {
namespace {

namespace mp = boost::multiprecision;
using Rational = mp::cpp_rational;
using Float = mp::cpp_bin_float_50;

// The definition, with exact rationals: terms A^k/k! built one from the other (no overflow issue
// since nothing is rounded).
Rational exact_erlang_c(int n, const Rational& a) {
  Rational term = 1, below = 0;
  for (int k = 0; k < n; ++k) {
    below += term;
    term = term * a / (k + 1);
  }
  const Rational top = term * n / (n - a);
  return top / (below + top);
}

// The same definition in 50-digit floating point (with a huge exponent range), for N in the
// thousands where exact rationals get slow.
Float float_erlang_c(int n, const Float& a) {
  Float term = 1, below = 0;
  for (int k = 0; k < n; ++k) {
    below += term;
    term = term * a / (k + 1);
  }
  const Float top = term * n / (n - a);
  return top / (below + top);
}

double relative_error(double got, double want) {
  return want == 0 ? std::fabs(got) : std::fabs(got - want) / std::fabs(want);
}

// The figures ("10 erlangs: 13 agents give about 79.6 % in 20 s, 14 give about 88.8 %") are
// exactly the case 100 calls per 30 minutes with an AHT of 180 s and T = 20 s. The reference
// digits come from exact rational arithmetic for C and 40-digit decimals for the exponential.
TEST(ErlangC, TextbookTenErlangs) {
  const double a = traffic_erlangs(100, 1800, 180);
  EXPECT_DOUBLE_EQ(a, 10.0);

  EXPECT_NEAR(erlang_c(13, a), 0.28527045303649293634, 1e-15);
  EXPECT_NEAR(erlang_c(14, a), 0.17413193359504984264, 1e-15);
  EXPECT_NEAR(service_level(12, a, 180, 20), 0.64015804037400657413, 1e-14);
  EXPECT_NEAR(service_level(13, a, 180, 20), 0.79559478841778311910, 1e-14);  // 79.6 %
  EXPECT_NEAR(service_level(14, a, 180, 20), 0.88835001917946688425, 1e-14);  // 88.8 %
  EXPECT_NEAR(service_level(15, a, 180, 20), 0.94145284286902232567, 1e-14);
  EXPECT_NEAR(asa_seconds(13, a, 180), 17.116227182189576180, 1e-12);
  EXPECT_NEAR(asa_seconds(14, a, 180), 7.8359370117772429190, 1e-12);
  EXPECT_DOUBLE_EQ(occupancy(14, a), 10.0 / 14);

  // 13 agents just miss 80/20, so the answer is 14; with 30 % shrinkage schedule 20.
  EXPECT_EQ(required_agents_for_service_level(a, 180, 0.80, 20).value(), 14);
  EXPECT_EQ(required_agents_for_service_level(a, 180, 0.795, 20).value(), 13);
  EXPECT_EQ(scheduled_agents(14, 0.30).value(), 20);
  // ASA target 20 s: 12 agents give 40.4 s, 13 give 17.1 s.
  EXPECT_EQ(required_agents_for_asa(a, 180, 20).value(), 13);
  EXPECT_EQ(required_agents_for_asa(a, 180, 17.11).value(), 14);

  const auto m = erlang_c_metrics(14, a, 180, 20);
  EXPECT_EQ(m.servers, 14);
  EXPECT_DOUBLE_EQ(m.p_wait, erlang_c(14, a));
  EXPECT_DOUBLE_EQ(m.service_level, service_level(14, a, 180, 20));
  EXPECT_DOUBLE_EQ(m.asa_s, asa_seconds(14, a, 180));
  EXPECT_DOUBLE_EQ(m.occupancy, occupancy(14, a));
}

TEST(ErlangB, MatchesExactValues) {
  // B(N, A) = (A^N / N!) / sum_{k<=N} A^k / k!
  const std::vector<std::pair<int, Rational>> grid = {{1, Rational(1, 2)},   {5, 3},   {10, 10},
                                                      {20, Rational(35, 2)}, {60, 45}, {80, 100}};
  for (const auto& [n, a] : grid) {
    Rational term = 1, sum = 1;
    for (int k = 1; k <= n; ++k) {
      term = term * a / k;
      sum += term;
    }
    const double want = static_cast<double>(term / sum);
    EXPECT_LT(relative_error(erlang_b(n, static_cast<double>(a)), want), 1e-13)
        << "N=" << n << " A=" << static_cast<double>(a);
  }
  EXPECT_EQ(erlang_b(0, 5), 1);
  EXPECT_EQ(erlang_b(3, 0), 0);
}

// P(wait), service level and ASA agree with the factorial-sum definition to 1e-9 relative (the
// recurrence in fact gets about 1e-13) over a grid of loads and agent counts.
TEST(ErlangC, AgreesWithExactRationalArithmetic) {
  const std::vector<Rational> loads = {
      Rational(1, 10), Rational(1, 2),    1,  Rational(5, 2),    7, 10,
      Rational(79, 4), Rational(333, 10), 50, Rational(1201, 10)};
  int checked = 0;
  for (const Rational& a_exact : loads) {
    const double a = static_cast<double>(a_exact);
    const int first = static_cast<int>(std::floor(a)) + 1;
    for (int n = first; n <= first + 30; n += (n < first + 6 ? 1 : 4)) {
      const Rational c_exact = exact_erlang_c(n, a_exact);
      const Float c(c_exact);
      const double h = 240, t = 30;
      const Float sl = 1 - c * mp::exp(-(Float(n) - Float(a_exact)) * t / h);
      const Float asa = c * h / (Float(n) - Float(a_exact));
      const double want_c = static_cast<double>(c), want_sl = static_cast<double>(sl),
                   want_asa = static_cast<double>(asa);
      if (want_c < 1e-250) continue;  // near the double underflow; nothing to compare
      EXPECT_LT(relative_error(erlang_c(n, a), want_c), 1e-9) << "N=" << n << " A=" << a;
      EXPECT_LT(relative_error(service_level(n, a, h, t), want_sl), 1e-9)
          << "N=" << n << " A=" << a;
      EXPECT_LT(relative_error(asa_seconds(n, a, h), want_asa), 1e-9) << "N=" << n << " A=" << a;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(ErlangC, AgreesWithHighPrecisionForLargeSystems) {
  struct Case {
    int n;
    double a;
  };
  for (const Case& c : {Case{520, 500.0}, Case{2100, 2000.5}, Case{9050, 9000.0},
                        Case{9100, 9000.0}, Case{10000, 9000.0}, Case{10001, 9999.75}}) {
    const double want = static_cast<double>(float_erlang_c(c.n, Float(c.a)));
    EXPECT_LT(relative_error(erlang_c(c.n, c.a), want), 1e-9) << "N=" << c.n << " A=" << c.a;
  }
}

TEST(ErlangC, AtOrBelowTheLoadTheQueueHasNoSteadyState) {
  for (int n : {0, 1, 9, 10}) {
    EXPECT_EQ(erlang_c(n, 10), 1) << n;
    EXPECT_EQ(service_level(n, 10, 180, 20), 0) << n;
    EXPECT_EQ(asa_seconds(n, 10, 180), k_infinity) << n;
    EXPECT_TRUE(std::isinf(asa_seconds(n, 10, 180)));
    EXPECT_EQ(occupancy(n, 10), 1) << n;
  }
  // Just above the load it is defined, and close to saturation.
  EXPECT_GT(erlang_c(10, 9.999), 0.99);
  EXPECT_LT(erlang_c(10, 9.999), 1);
  EXPECT_TRUE(std::isfinite(asa_seconds(10, 9.999, 180)));
}

TEST(ErlangC, ZeroTrafficNeedsNobody) {
  EXPECT_EQ(traffic_erlangs(0, 1800, 180), 0);
  EXPECT_EQ(erlang_c(0, 0), 0);
  EXPECT_EQ(erlang_c(3, 0), 0);
  EXPECT_EQ(service_level(0, 0, 180, 20), 1);
  EXPECT_EQ(asa_seconds(0, 0, 180), 0);
  EXPECT_EQ(occupancy(0, 0), 0);
  EXPECT_EQ(required_agents_for_service_level(0, 180, 0.8, 20).value(), 0);
  EXPECT_EQ(required_agents_for_asa(0, 180, 30).value(), 0);
  EXPECT_EQ(scheduled_agents(0, 0.35).value(), 0);
}

// 10,000 agents at 9,000 erlangs: everything finite, in range, and monotone in N.
TEST(ErlangC, HugeSystemsStayFiniteAndMonotone) {
  const double a = 9000, h = 180, t = 20;
  double previous_c = 1, previous_sl = 0, previous_asa = k_infinity;
  for (int n = 9001; n <= 10000; ++n) {
    const auto m = erlang_c_metrics(n, a, h, t);
    ASSERT_TRUE(std::isfinite(m.p_wait) && std::isfinite(m.service_level) && std::isfinite(m.asa_s))
        << n;
    ASSERT_GE(m.p_wait, 0);
    ASSERT_LE(m.p_wait, 1);
    ASSERT_GE(m.service_level, 0);
    ASSERT_LE(m.service_level, 1);
    ASSERT_LE(m.p_wait, previous_c) << n;
    ASSERT_GE(m.service_level, previous_sl) << n;
    ASSERT_LE(m.asa_s, previous_asa) << n;
    previous_c = m.p_wait;
    previous_sl = m.service_level;
    previous_asa = m.asa_s;
  }
  // 10.5 standard deviations of spare capacity: waiting is about a 1-in-5e24 event, and the value
  // is still a normal double (checked to 1e-9 against 50 digits in the test above).
  EXPECT_GT(erlang_c(10000, 9000), 1e-25);
  EXPECT_LT(erlang_c(10000, 9000), 1e-24);
  EXPECT_EQ(service_level(10000, 9000, h, t), 1);
  // Far above the load, P(wait) underflows to exactly 0 instead of becoming NaN.
  EXPECT_EQ(erlang_c(2000, 10), 0);
  EXPECT_EQ(service_level(2000, 10, h, t), 1);
  EXPECT_EQ(asa_seconds(2000, 10, h), 0);

  // The search from floor(A) + 1 gives the smallest N meeting the target.
  const int n = required_agents_for_service_level(a, h, 0.8, t).value();
  EXPECT_GE(service_level(n, a, h, t), 0.8);
  EXPECT_LT(service_level(n - 1, a, h, t), 0.8);
  EXPECT_GT(n, 9000);
  EXPECT_LT(n, 9200);
  const int m = required_agents_for_asa(a, h, 5).value();
  EXPECT_LE(asa_seconds(m, a, h), 5);
  EXPECT_GT(asa_seconds(m - 1, a, h), 5);
}

TEST(ErlangC, RequiredAgentsIsTheSmallestMeetingTheTarget) {
  for (double a : {0.2, 1.0, 2.5, 10.0, 47.3, 230.0}) {
    for (double target : {0.5, 0.8, 0.9, 0.99}) {
      for (double t : {0.0, 10.0, 60.0}) {
        const int n = required_agents_for_service_level(a, 300, target, t).value();
        EXPECT_GT(n, a);
        EXPECT_GE(service_level(n, a, 300, t), target);
        if (n - 1 > a) {
          EXPECT_LT(service_level(n - 1, a, 300, t), target);
        }
      }
    }
  }
}

TEST(ErlangC, ScheduledAgentsRoundUpButNotOnRoundingNoise) {
  EXPECT_EQ(scheduled_agents(14, 0.3).value(), 20);  // 14 / 0.7 = 20.000000000000004 in doubles
  EXPECT_EQ(scheduled_agents(13, 0.3).value(), 19);  // 18.57
  EXPECT_EQ(scheduled_agents(10, 0).value(), 10);
  EXPECT_EQ(scheduled_agents(7, 0.5).value(), 14);
  EXPECT_EQ(scheduled_agents(100, 0.35).value(), 154);  // 153.85
  EXPECT_FALSE(scheduled_agents(10, 1));
  EXPECT_FALSE(scheduled_agents(10, -0.1));
  EXPECT_FALSE(scheduled_agents(-1, 0.2));
  EXPECT_EQ(scheduled_agents(10, 1).error().code, ErrorCode::invalid);
}

TEST(ErlangC, BadArgumentsAreNaNOrErrors) {
  EXPECT_TRUE(std::isnan(erlang_c(-1, 5)));
  EXPECT_TRUE(std::isnan(erlang_c(5, -1)));
  EXPECT_TRUE(std::isnan(erlang_b(5, std::nan(""))));
  EXPECT_TRUE(std::isnan(service_level(5, 2, 0, 20)));
  EXPECT_TRUE(std::isnan(service_level(5, 2, 180, -1)));
  EXPECT_TRUE(std::isnan(traffic_erlangs(10, 0, 180)));

  auto bad_target = required_agents_for_service_level(10, 180, 1.0, 20);
  ASSERT_FALSE(bad_target);
  EXPECT_EQ(bad_target.error().code, ErrorCode::invalid);
  EXPECT_NE(bad_target.error().message.find("service level target"), std::string::npos);
  EXPECT_FALSE(required_agents_for_service_level(10, 180, 0, 20));
  EXPECT_FALSE(required_agents_for_service_level(10, 0, 0.8, 20));
  EXPECT_FALSE(required_agents_for_service_level(-3, 180, 0.8, 20));
  EXPECT_FALSE(required_agents_for_service_level(10, 180, 0.8, -5));
  EXPECT_FALSE(required_agents_for_service_level(2e6, 180, 0.8, 20));
  EXPECT_FALSE(required_agents_for_asa(10, 180, 0));
  EXPECT_NE(required_agents_for_asa(10, 180, 0).error().message.find("ASA"), std::string::npos);
}

}  // namespace
}  // namespace rapport::workforce
