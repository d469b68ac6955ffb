// Erlang A (M/M/N+M) by the offered-wait density; the method is described in erlang.hpp.
#include <rapport/workforce/erlang.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <queue>
#include <string>
#include <vector>

#include <rapport/workforce/erlang_detail.hpp>

namespace rapport::workforce {

namespace {

// ---- Adaptive Gauss-Kronrod 7/15 quadrature (global subdivision of the worst segment) ----

constexpr std::array<double, 8> k_xgk = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000};
constexpr std::array<double, 8> k_wgk = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
// Gauss 7-point weights for the nodes k_xgk[1], [3], [5] and [7].
constexpr std::array<double, 4> k_wg = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

struct Segment {
  double a, b, value, error;
  bool operator<(const Segment& o) const { return error < o.error; }
};

template <typename F>
Segment gauss_kronrod(const F& f, double a, double b) {
  const double c = 0.5 * (a + b), h = 0.5 * (b - a);
  const double fc = f(c);
  double kronrod = fc * k_wgk[7], gauss = fc * k_wg[3];
  for (int i = 0; i < 7; ++i) {
    const double x = h * k_xgk[i];
    const double s = f(c - x) + f(c + x);
    kronrod += k_wgk[i] * s;
    if (i % 2 == 1) gauss += k_wg[i / 2] * s;
  }
  return {a, b, kronrod * h, std::fabs((kronrod - gauss) * h)};
}

constexpr double k_rel_tol = 1e-12;
constexpr int k_max_segments = 4000;

// Integral of f over consecutive breakpoints (sorted, duplicates allowed). f must be >= 0 and
// finite, so the relative tolerance is against a sum without cancellation.
template <typename F>
double integrate(const F& f, const std::vector<double>& breaks) {
  std::priority_queue<Segment> heap;
  double total = 0, error = 0;
  for (std::size_t i = 0; i + 1 < breaks.size(); ++i) {
    if (!(breaks[i + 1] > breaks[i])) continue;
    // Start each piece in 4 parts, so a narrow peak inside is seen by some node.
    const double w = (breaks[i + 1] - breaks[i]) / 4;
    for (int j = 0; j < 4; ++j) {
      const double a = breaks[i] + j * w, b = j == 3 ? breaks[i + 1] : breaks[i] + (j + 1) * w;
      Segment s = gauss_kronrod(f, a, b);
      total += s.value;
      error += s.error;
      heap.push(s);
    }
  }
  while (!heap.empty() && error > k_rel_tol * total &&
         static_cast<int>(heap.size()) < k_max_segments) {
    Segment worst = heap.top();
    heap.pop();
    const double mid = 0.5 * (worst.a + worst.b);
    if (!(mid > worst.a && mid < worst.b)) break;  // cannot split further in doubles
    Segment left = gauss_kronrod(f, worst.a, mid), right = gauss_kronrod(f, mid, worst.b);
    total += left.value + right.value - worst.value;
    error += left.error + right.error - worst.error;
    heap.push(left);
    heap.push(right);
  }
  // Re-add in one pass to shed the rounding of the running updates.
  double sum = 0;
  while (!heap.empty()) {
    sum += heap.top().value;
    heap.pop();
  }
  return sum;
}

// ---- The offered-wait density, in units of the AHT ----

// u + expm1(-u) = u^2/2 - u^3/6 + ... >= 0, by its series where the subtraction would cancel.
double u_plus_expm1_neg(double u) {
  if (std::fabs(u) > 0.1) return u + std::expm1(-u);
  double term = u * u / 2, sum = 0;
  for (int k = 2; k < 40 && term != 0; ++k) {
    sum += term;
    term *= -u / (k + 1);
  }
  return sum;
}

// log g(x) = phi(x) = (a / r) * (1 - exp(-r x)) - n x is concave with its maximum at
// x* = max(0, ln(a / n) / r). Everything is computed in the offset d = x - x* from the peak:
//   phi(x* + d) - phi(x*) = (s - n) d - (s / r) * (u + expm1(-u)),  u = r d,  s = a exp(-r x*),
// which has no cancellation (both terms <= 0). Computing phi(x) - phi(x*) directly would subtract
// numbers near a / r, which for long patience (r -> 0) and A > N loses every digit. Integrals run
// over [lo, hi] (offsets), outside of which g is below e^-k_log_cutoff of its peak.
constexpr double k_log_cutoff = 50;

struct OfferedWait {
  double a, n, r;
  double x_star = 0, s = 0, phi_star = 0, lo = 0, hi = 0, width = 0;

  double dphi(double d) const { return (s - n) * d - (s / r) * u_plus_expm1_neg(r * d); }
  double x(double d) const { return x_star + d; }
  // g(x) / g(x*)
  double rel(double d) const { return std::exp(dphi(d)); }
  // exp(-r x) g(x) / g(x*), with exp(-r x) = (s / a) exp(-r d) folded into the exponent.
  double rel_answered(double d) const { return (s / a) * std::exp(dphi(d) - r * d); }

  OfferedWait(double a_, double n_, double r_) : a(a_), n(n_), r(r_) {
    if (a > n) {
      x_star = std::log1p((a - n) / n) / r;
      s = n;
      phi_star = (n / r) * u_plus_expm1_neg(-r * x_star);  // (n / r) (a/n - 1 - ln(a/n))
    } else {
      x_star = 0;
      s = a;
      phi_star = 0;
    }
    // Upper end. For d > 0, -phi'' <= c = s r, so dphi(d) >= -c d^2 / 2: the cutoff is at
    // d >= sqrt(2K / c); and dphi(d) <= (s - n) d, so at d <= K / (n - s).
    const double c = s * r, slope = n - s;
    double d = k_log_cutoff / slope;  // +inf when the slope is 0
    if (c > 0) d = std::min(d, std::sqrt(2 * k_log_cutoff / c));
    width = std::min(1 / slope, std::sqrt(2 / c));  // where dphi is about -1
    while (dphi(d) > -k_log_cutoff) d *= 2;
    // Tighten to within 1 %.
    double below = d / 2, above = d;
    while (above - below > 0.01 * below) {
      const double mid = 0.5 * (below + above);
      (dphi(mid) > -k_log_cutoff ? below : above) = mid;
    }
    hi = above;
    // Lower end: phi rises on [0, x*]; skip the part that is negligible.
    lo = -x_star;
    if (x_star > 0 && dphi(-x_star) < -k_log_cutoff) {
      double l = -x_star, u = 0;
      while (u - l > 0.01 * -l) {
        const double mid = 0.5 * (l + u);
        (dphi(mid) < -k_log_cutoff ? l : u) = mid;
      }
      lo = l;
    }
  }

  // Sorted breakpoints (offsets) within [from, to]: the ends, the peak, `extra`, offsets growing
  // by 4x from the peak's width, and the scales 1/r, 4/r, 16/r, ... of the factor exp(-r x).
  std::vector<double> breaks(double from, double to, double extra) const {
    std::vector<double> v = {from, to};
    auto add = [&](double p) {
      if (p > from && p < to) v.push_back(p);
    };
    add(0);
    add(extra);
    for (double w = width; w < hi - lo && v.size() < 40; w *= 4) {
      add(w);
      add(-w);
    }
    for (double xs = 1 / r; xs - x_star < to && v.size() < 60; xs *= 4) add(xs - x_star);
    std::sort(v.begin(), v.end());
    return v;
  }
};

Status check_patience(double patience_s) {
  if (!std::isfinite(patience_s) || patience_s <= 0)
    return fail(detail::must_be("patience", "a finite number of seconds > 0", patience_s));
  return {};
}

ErlangAMetrics erlang_a_unchecked(int servers, double traffic, double aht_s, double patience_s,
                                  double threshold_s) {
  ErlangAMetrics m;
  m.servers = servers;
  if (traffic == 0) {
    m.service_level = m.service_level_excluding_early_abandons = 1;
    return m;
  }
  const double n = servers, r = aht_s / patience_s, t = threshold_s / aht_s;
  const OfferedWait w(traffic, n, r);
  const double t_offset = t - w.x_star;  // T as an offset from the peak
  const auto all = w.breaks(w.lo, w.hi, t_offset);

  // All conditional on V > 0, in units of g(x*).
  const double j0 = integrate([&](double d) { return w.rel(d); }, all);
  // Answered within T is integrated from x = 0, not from w.lo: when T is short of the peak, the
  // part below w.lo is all there is, and it matters when nearly every contact waits.
  const double t_end = std::min(t_offset, w.hi);
  const double j_answered_t = t <= 0 ? 0
                                     : integrate([&](double d) { return w.rel_answered(d); },
                                                 w.breaks(-w.x_star, t_end, t_end));
  const double j_abandon =
      integrate([&](double d) { return -std::expm1(-r * w.x(d)) * w.rel(d); }, all);
  const double j_abandon_t =
      integrate([&](double d) { return -std::expm1(-r * std::min(w.x(d), t)) * w.rel(d); }, all);
  const double j_wait_answered =
      integrate([&](double d) { return w.x(d) * w.rel_answered(d); }, all);

  // P(wait) = B I / (1 - B + B I) with I = n * exp(phi*) * j0, written to survive B -> 0 and
  // I -> infinity.
  detail::ErlangBRecurrence rec(traffic);
  rec.advance_to(servers);
  const double b = rec.b();
  const double log_i = std::log(n) + w.phi_star + std::log(j0);
  // P(wait) = 1 / (1 + q) and P(no wait) = q / (1 + q), without the cancellation of 1 - P(wait).
  const double q = std::exp(std::log1p(-b) - std::log(b) - log_i);
  const double p_wait = 1 / (1 + q);
  const double p_no_wait = std::isinf(q) ? 1 : q / (1 + q);

  m.p_wait = p_wait;
  m.abandonment = p_wait * (j_abandon / j0);
  const double answered = 1 - m.abandonment;
  m.service_level = p_no_wait + p_wait * (j_answered_t / j0);
  const double abandoned_within_t = p_wait * (j_abandon_t / j0);
  m.service_level_excluding_early_abandons =
      abandoned_within_t >= 1 ? 1 : std::min(1.0, m.service_level / (1 - abandoned_within_t));
  m.asa_s = answered > 0 ? p_wait * (j_wait_answered / j0) * aht_s / answered : 0;
  m.occupancy = std::min(1.0, traffic * answered / n);
  return m;
}

Status check_a_inputs(double traffic, double aht_s, double patience_s) {
  if (auto s = detail::check_traffic(traffic); !s) return s;
  if (auto s = detail::check_aht(aht_s); !s) return s;
  return check_patience(patience_s);
}

// Smallest N >= 1 with meets(N), assuming meets is monotone: grow an upper bound from ceil(A) by
// doubling, then bisect.
template <typename Meets>
Result<int> bisect_agents(double traffic, Meets meets) {
  if (traffic == 0) return 0;
  int lo = 0;  // never meets (with traffic, N = 0 answers nobody)
  int hi = std::max(1, static_cast<int>(std::ceil(traffic)));
  while (!meets(hi)) {
    if (hi >= k_max_servers)
      return fail(Error::invalid("target not reachable with at most " +
                                 std::to_string(k_max_servers) + " agents"));
    lo = hi;
    hi = std::min(k_max_servers, 2 * hi);
  }
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    (meets(mid) ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

Result<ErlangAMetrics> erlang_a_metrics(int servers, double traffic, double aht_s,
                                        double patience_s, double threshold_s) {
  if (auto s = check_a_inputs(traffic, aht_s, patience_s); !s) return fail(s.error());
  if (auto s = detail::check_threshold(threshold_s); !s) return fail(s.error());
  if (servers < 0 || servers > k_max_servers)
    return fail(Error::invalid("agents must be between 0 and " + std::to_string(k_max_servers) +
                               " (got " + std::to_string(servers) + ")"));
  if (servers == 0 && traffic > 0)
    return fail(Error::invalid("Erlang A needs at least 1 agent when there is traffic"));
  return erlang_a_unchecked(servers, traffic, aht_s, patience_s, threshold_s);
}

Result<int> erlang_a_required_agents_for_service_level(double traffic, double aht_s,
                                                       double patience_s, double target_fraction,
                                                       double threshold_s) {
  if (auto s = check_a_inputs(traffic, aht_s, patience_s); !s) return fail(s.error());
  if (auto s = detail::check_service_target(target_fraction, threshold_s); !s)
    return fail(s.error());
  return bisect_agents(traffic, [&](int n) {
    return erlang_a_unchecked(n, traffic, aht_s, patience_s, threshold_s).service_level >=
           target_fraction;
  });
}

Result<int> erlang_a_required_agents_for_asa(double traffic, double aht_s, double patience_s,
                                             double target_asa_s) {
  if (auto s = check_a_inputs(traffic, aht_s, patience_s); !s) return fail(s.error());
  if (auto s = detail::check_asa_target(target_asa_s); !s) return fail(s.error());
  return bisect_agents(traffic, [&](int n) {
    return erlang_a_unchecked(n, traffic, aht_s, patience_s, 0).asa_s <= target_asa_s;
  });
}

}  // namespace rapport::workforce
