#pragma once
// Queueing formulas for staffing a contact queue (docs: metrics guide, "Erlang C").
//
// Units: traffic in erlangs (A = arrivals x AHT / interval length), times in seconds,
// probabilities and service levels as fractions in [0, 1]. Agents (servers) are whole numbers.
//
// Erlang B and C use the stable Erlang B recurrence B_0 = 1, B_k = A*B_{k-1} / (k + A*B_{k-1})
// and C = N*B / ((N - A) + A*B); there are no factorials or powers, so they stay accurate
// (about 1e-12 relative) for N and A in the tens of thousands. A result too small for a double
// (e.g. P(wait) below 1e-308 when N is far above A) underflows to 0.
//
// Erlang A (M/M/N+M: exponential patience) is in the second half of this header.
//
// The low-level functions are total: for arguments outside their domain (negative or non-finite
// traffic, negative agents) they return NaN. Input from users is validated by the staffing layer
// (staffing.hpp), and the required-agent searches return an Error for a bad target.
//
// Cost (benchmarks live elsewhere: `make bench`). Measured at -O2 on one core of a 2-vCPU AMD EPYC
// VM: erlang_c(10000, 9000) about 55 us (a chain of 10,000 dependent divisions); the required-agent
// searches run the recurrence once up to floor(A) and then step N upwards one agent at a time, so
// a search at 9,000 erlangs costs about the same (50 us) and one at 10 erlangs 0.1 us. An Erlang A
// evaluation is a few adaptive quadratures, 30-90 us whatever N; its searches bisect (about
// 2*log2(N) evaluations: 1.6 ms at 9,000 erlangs).
#include <limits>

#include <rapport/base/error.hpp>

namespace rapport::workforce {

// The largest number of servers any search or table considers; beyond it a target is reported as
// unreachable rather than searched for ever.
inline constexpr int k_max_servers = 1'000'000;

// +infinity, used for an ASA that does not exist (N <= A in Erlang C: the queue grows without
// bound). JSON renderers write it as null.
inline constexpr double k_infinity = std::numeric_limits<double>::infinity();

// Offered load A = volume x aht / interval, in erlangs.
double traffic_erlangs(double volume, double interval_s, double aht_s);

// ---- Erlang B (loss system M/M/N/N) ----

// Blocking probability with `servers` servers and `traffic` erlangs. erlang_b(0, A) = 1;
// erlang_b(N, 0) = 0 for N >= 1.
double erlang_b(int servers, double traffic);

// ---- Erlang C (M/M/N, infinite patience) ----

// Probability that an arriving contact waits, C(N, A). 1 when N <= A (no steady state: the queue
// grows without bound); 0 when A = 0.
double erlang_c(int servers, double traffic);

// Fraction answered within `threshold_s`: 1 - C * exp(-(N - A) * T / aht). 0 when N <= A and
// A > 0; 1 when A = 0.
double service_level(int servers, double traffic, double aht_s, double threshold_s);

// Average speed of answer in seconds over all contacts: C * aht / (N - A). +infinity (k_infinity)
// when N <= A and A > 0; 0 when A = 0.
double asa_seconds(int servers, double traffic, double aht_s);

// A / N, capped at 1 (N <= A means the agents are never idle); 0 when A = 0.
double occupancy(int servers, double traffic);

struct ErlangCMetrics {
  int servers = 0;
  double p_wait = 0;         // C(N, A)
  double service_level = 0;  // fraction answered within threshold_s
  double asa_s = 0;          // +infinity when N <= A
  double occupancy = 0;      // A / N, at most 1
};

ErlangCMetrics erlang_c_metrics(int servers, double traffic, double aht_s, double threshold_s);

// The smallest N with service_level(N) >= target_fraction. 0 when traffic is 0. Starts the scan at
// floor(A) + 1 and advances the Erlang B recurrence one agent at a time. Errors: traffic negative
// or not finite, aht <= 0, target outside (0, 1), threshold negative, or more than k_max_servers
// needed.
Result<int> required_agents_for_service_level(double traffic, double aht_s, double target_fraction,
                                              double threshold_s);

// The smallest N with asa_seconds(N) <= target_asa_s (> 0). 0 when traffic is 0.
Result<int> required_agents_for_asa(double traffic, double aht_s, double target_asa_s);

// Agents to schedule so that `required` are available after shrinkage s in [0, 1):
// ceil(required / (1 - s)), where a quotient within 1e-9 of an integer counts as that integer
// (14 / (1 - 0.3) is 20.000000000000004 in doubles and must give 20, not 21).
Result<int> scheduled_agents(int required, double shrinkage);

// ---- Erlang A (M/M/N+M: exponential patience with mean patience_s) ----
//
// Method. Measure time in units of the AHT: arrival rate a = A, service rate 1 per agent,
// abandonment rate r = aht / patience per waiting contact. The number in system is a birth-death
// chain (births a, deaths min(k, N) + max(0, k - N) * r). Its probability that all N agents are
// busy is P(wait) = B * I / (1 - B + B * I), where B = Erlang B(N, A) from the recurrence above and
// I = 1 + sum_{j>=1} prod_{i=1..j} a / (N + i r) is the queue part of the chain relative to state
// N. Instead of summing that series (which overflows for long patience and A > N), we use the
// offered-wait density: the time V a contact would wait if it had infinite patience has an atom
// 1 - P(wait) at 0 and, for x > 0, density proportional to
//     g(x) = exp(phi(x)),   phi(x) = (a / r) * (1 - exp(-r x)) - N x,
// and I = N * integral_0^inf g. (Proof sketch: a contact finding j others queued waits a sum of
// exponentials with rates N + m r, m = 0..j; the Laplace transform of the mixture over the chain's
// stationary law equals that of N * pi_N * g.) A contact with patience tau is answered iff
// tau > V, so
//     answered within T = 1 - P(wait) + P(wait) * E[exp(-r V) 1{V <= T} | V > 0]
//     abandonment       = P(wait) * E[1 - exp(-r V) | V > 0]
//     ASA (answered)    = P(wait) * E[V exp(-r V) | V > 0] / (1 - abandonment)
// phi is concave with its peak at x* = max(0, ln(a / N) / r). The integrals are taken by adaptive
// Gauss-Kronrod (7/15) to a relative tolerance of 1e-12, over the range where g is above e^-50 of
// its peak (from x = 0 for "within T"), in the offset d = x - x* and relative to the peak, with
// phi(x* + d) - phi(x*) written so that nothing cancels (no overflow for long patience, no loss of
// digits when a / r is huge). The tests check the results to 1e-9 relative against an independent
// long-double solution of the birth-death chain (uniformization for the waiting-time law).
//
// Service level here is the fraction of ALL offered contacts answered within T (abandoned contacts
// count as misses). The platform's measured service level (metrics guide) leaves out contacts that
// abandon within T; that figure is service_level_excluding_early_abandons and is never lower.

struct ErlangAMetrics {
  int servers = 0;
  double p_wait = 0;         // probability that all agents are busy on arrival
  double service_level = 0;  // fraction of offered contacts answered within threshold_s
  // answered within T / (offered - abandoned within T): the metrics guide's definition
  double service_level_excluding_early_abandons = 0;
  double asa_s = 0;        // mean wait of answered contacts, seconds
  double abandonment = 0;  // fraction of offered contacts that abandon
  double occupancy = 0;    // carried load A * (1 - abandonment) / N
};

// Errors: servers < 1 with traffic > 0, traffic negative or not finite, aht or patience <= 0 or not
// finite, threshold negative. Defined for any N >= 1, also N <= A (abandonment keeps it stable).
Result<ErlangAMetrics> erlang_a_metrics(int servers, double traffic, double aht_s,
                                        double patience_s, double threshold_s);

// Smallest N >= 1 (0 when traffic is 0) meeting the target, found by bisection (the service level
// rises and the ASA falls as N grows).
Result<int> erlang_a_required_agents_for_service_level(double traffic, double aht_s,
                                                       double patience_s, double target_fraction,
                                                       double threshold_s);
Result<int> erlang_a_required_agents_for_asa(double traffic, double aht_s, double patience_s,
                                             double target_asa_s);

}  // namespace rapport::workforce
