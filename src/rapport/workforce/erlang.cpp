// Erlang B and C, and the required-agent searches over them. Erlang A is in erlang_a.cpp.
#include <rapport/workforce/erlang.hpp>

#include <cmath>
#include <cstdio>
#include <string>

#include <rapport/workforce/erlang_detail.hpp>

namespace rapport::workforce {

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

bool valid_traffic(double traffic) {
  return std::isfinite(traffic) && traffic >= 0;
}

// C from B without cancellation: N - A*(1 - B) = (N - A) + A*B, both terms positive when N > A.
double erlang_c_from_b(int servers, double traffic, double b) {
  if (traffic == 0) return 0;
  if (servers <= traffic) return 1;
  const double n = servers;
  return n * b / ((n - traffic) + traffic * b);
}

double service_level_from_c(int servers, double traffic, double c, double aht_s,
                            double threshold_s) {
  if (traffic == 0) return 1;
  if (servers <= traffic) return 0;
  return 1 - c * std::exp(-(servers - traffic) * threshold_s / aht_s);
}

double asa_from_c(int servers, double traffic, double c, double aht_s) {
  if (traffic == 0) return 0;
  if (servers <= traffic) return k_infinity;
  return c * aht_s / (servers - traffic);
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

namespace detail {

Error must_be(const std::string& what, const std::string& rule, double got) {
  return Error::invalid(what + " must be " + rule + " (got " + num(got) + ")");
}

Status check_traffic(double traffic) {
  if (!valid_traffic(traffic))
    return fail(must_be("traffic", "a finite number of erlangs >= 0", traffic));
  if (traffic >= k_max_servers)
    return fail(must_be("traffic", "below " + std::to_string(k_max_servers) + " erlangs", traffic));
  return {};
}

Status check_aht(double aht_s) {
  if (!std::isfinite(aht_s) || aht_s <= 0)
    return fail(must_be("aht", "a finite number of seconds > 0", aht_s));
  return {};
}

Status check_threshold(double threshold_s) {
  if (!std::isfinite(threshold_s) || threshold_s < 0)
    return fail(must_be("service level threshold", "a finite number of seconds >= 0", threshold_s));
  return {};
}

Status check_service_target(double target_fraction, double threshold_s) {
  if (!std::isfinite(target_fraction) || target_fraction <= 0 || target_fraction >= 1)
    return fail(
        must_be("service level target", "a fraction strictly between 0 and 1", target_fraction));
  return check_threshold(threshold_s);
}

Status check_asa_target(double target_asa_s) {
  if (!std::isfinite(target_asa_s) || target_asa_s <= 0)
    return fail(must_be("ASA target", "a finite number of seconds > 0", target_asa_s));
  return {};
}

std::string format_number(double v) {
  return num(v);
}

}  // namespace detail

double traffic_erlangs(double volume, double interval_s, double aht_s) {
  if (!std::isfinite(volume) || volume < 0 || !std::isfinite(interval_s) || interval_s <= 0 ||
      !std::isfinite(aht_s) || aht_s < 0)
    return k_nan;
  return volume * aht_s / interval_s;
}

double erlang_b(int servers, double traffic) {
  if (servers < 0 || !valid_traffic(traffic)) return k_nan;
  detail::ErlangBRecurrence rec(traffic);
  rec.advance_to(servers);
  return rec.b();
}

double erlang_c(int servers, double traffic) {
  if (servers < 0 || !valid_traffic(traffic)) return k_nan;
  if (traffic == 0) return 0;
  if (servers <= traffic) return 1;
  return erlang_c_from_b(servers, traffic, erlang_b(servers, traffic));
}

double service_level(int servers, double traffic, double aht_s, double threshold_s) {
  if (!(aht_s > 0) || !(threshold_s >= 0)) return k_nan;
  double c = erlang_c(servers, traffic);
  if (std::isnan(c)) return k_nan;
  return service_level_from_c(servers, traffic, c, aht_s, threshold_s);
}

double asa_seconds(int servers, double traffic, double aht_s) {
  if (!(aht_s > 0)) return k_nan;
  double c = erlang_c(servers, traffic);
  if (std::isnan(c)) return k_nan;
  return asa_from_c(servers, traffic, c, aht_s);
}

double occupancy(int servers, double traffic) {
  if (servers < 0 || !valid_traffic(traffic)) return k_nan;
  if (traffic == 0) return 0;
  if (servers <= traffic) return 1;
  return traffic / servers;
}

ErlangCMetrics erlang_c_metrics(int servers, double traffic, double aht_s, double threshold_s) {
  ErlangCMetrics m;
  m.servers = servers;
  m.p_wait = erlang_c(servers, traffic);
  m.service_level = std::isnan(m.p_wait) || !(aht_s > 0) || !(threshold_s >= 0)
                        ? k_nan
                        : service_level_from_c(servers, traffic, m.p_wait, aht_s, threshold_s);
  m.asa_s =
      std::isnan(m.p_wait) || !(aht_s > 0) ? k_nan : asa_from_c(servers, traffic, m.p_wait, aht_s);
  m.occupancy = occupancy(servers, traffic);
  return m;
}

namespace {

// Scans N = floor(A) + 1, floor(A) + 2, ... advancing Erlang B one step per agent, and returns the
// first N for which `meets(C, N)` holds.
template <typename Meets>
Result<int> scan_erlang_c(double traffic, Meets meets) {
  if (traffic == 0) return 0;
  const int first = static_cast<int>(std::floor(traffic)) + 1;
  detail::ErlangBRecurrence rec(traffic);
  rec.advance_to(first);
  for (int n = first; n <= k_max_servers; ++n) {
    if (n > rec.n()) rec.advance_to(n);
    if (meets(erlang_c_from_b(n, traffic, rec.b()), n)) return n;
  }
  return fail(Error::invalid("target not reachable with at most " + std::to_string(k_max_servers) +
                             " agents"));
}

}  // namespace

Result<int> required_agents_for_service_level(double traffic, double aht_s, double target_fraction,
                                              double threshold_s) {
  if (auto s = detail::check_traffic(traffic); !s) return fail(s.error());
  if (auto s = detail::check_aht(aht_s); !s) return fail(s.error());
  if (auto s = detail::check_service_target(target_fraction, threshold_s); !s)
    return fail(s.error());
  return scan_erlang_c(traffic, [&](double c, int n) {
    return service_level_from_c(n, traffic, c, aht_s, threshold_s) >= target_fraction;
  });
}

Result<int> required_agents_for_asa(double traffic, double aht_s, double target_asa_s) {
  if (auto s = detail::check_traffic(traffic); !s) return fail(s.error());
  if (auto s = detail::check_aht(aht_s); !s) return fail(s.error());
  if (auto s = detail::check_asa_target(target_asa_s); !s) return fail(s.error());
  return scan_erlang_c(
      traffic, [&](double c, int n) { return asa_from_c(n, traffic, c, aht_s) <= target_asa_s; });
}

Result<int> scheduled_agents(int required, double shrinkage) {
  if (required < 0)
    return fail(
        Error::invalid("required agents must be >= 0 (got " + std::to_string(required) + ")"));
  if (!std::isfinite(shrinkage) || shrinkage < 0 || shrinkage >= 1)
    return fail(detail::must_be("shrinkage", "a fraction >= 0 and < 1", shrinkage));
  const double q = required / (1 - shrinkage);
  const double nearest = std::nearbyint(q);
  const double scheduled =
      std::fabs(q - nearest) <= 1e-9 * std::fmax(1.0, q) ? nearest : std::ceil(q);
  if (scheduled > static_cast<double>(std::numeric_limits<int>::max()))
    return fail(Error::invalid("scheduled agents overflow: " + std::to_string(required) +
                               " agents at shrinkage " + detail::format_number(shrinkage)));
  return static_cast<int>(scheduled);
}

}  // namespace rapport::workforce
