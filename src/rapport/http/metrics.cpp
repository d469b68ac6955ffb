#include <rapport/http/metrics.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace rapport::http {

std::size_t Metrics::add_route(const std::string& method, const std::string& pattern) {
  if (m_routes.empty()) {
    auto other = std::make_unique<RouteStats>();
    other->method = "ANY";
    other->pattern = "unmatched";
    m_routes.push_back(std::move(other));
  }
  auto r = std::make_unique<RouteStats>();
  r->method = method;
  r->pattern = pattern;
  m_routes.push_back(std::move(r));
  return m_routes.size() - 1;
}

void Metrics::observe(std::size_t route, unsigned status, double seconds) {
  if (route >= m_routes.size()) return;
  auto& r = *m_routes[route];
  r.count++;
  r.sum_us += static_cast<uint64_t>(seconds * 1e6);
  unsigned cls = status / 100;
  if (cls >= 1 && cls <= 5) r.by_class[cls]++;
  // One counter per request: the first bucket that holds it. render() adds them up into
  // Prometheus's cumulative buckets. (Incrementing every bucket the request fits was a dozen
  // atomic writes to lines every I/O thread shares.)
  for (std::size_t i = 0; i < k_buckets.size(); ++i) {
    if (seconds <= k_buckets[i]) {
      r.bucket[i]++;
      break;
    }
  }
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP rapport_http_requests_total HTTP requests by route and status class.\n";
  out += "# TYPE rapport_http_requests_total counter\n";
  for (const auto& r : m_routes) {
    for (unsigned cls = 1; cls <= 5; ++cls) {
      if (auto n = r->by_class[cls].load())
        out += fmt::format("rapport_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}xx\"}} {}\n", r->method,
                           r->pattern, cls, n);
    }
  }
  out += "# HELP rapport_http_request_duration_seconds Request latency by route.\n";
  out += "# TYPE rapport_http_request_duration_seconds histogram\n";
  for (const auto& r : m_routes) {
    auto count = r->count.load();
    if (!count) continue;
    uint64_t cumulative = 0;
    for (std::size_t i = 0; i < k_buckets.size(); ++i) {
      cumulative += r->bucket[i].load();
      // Requests finishing while this renders may be in a bucket but not yet in `count`.
      out += fmt::format("rapport_http_request_duration_seconds_bucket{{method=\"{}\",route=\"{}\",le=\"{}\"}} {}\n",
                         r->method, r->pattern, k_buckets[i], std::min(cumulative, count));
    }
    out += fmt::format("rapport_http_request_duration_seconds_bucket{{method=\"{}\",route=\"{}\",le=\"+Inf\"}} {}\n",
                       r->method, r->pattern, count);
    out += fmt::format("rapport_http_request_duration_seconds_sum{{method=\"{}\",route=\"{}\"}} {:.6f}\n", r->method,
                       r->pattern, static_cast<double>(r->sum_us.load()) / 1e6);
    out += fmt::format("rapport_http_request_duration_seconds_count{{method=\"{}\",route=\"{}\"}} {}\n", r->method,
                       r->pattern, count);
  }
  return out;
}

}  // namespace rapport::http
