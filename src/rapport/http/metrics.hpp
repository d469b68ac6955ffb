#pragma once
// Prometheus counters and latency histograms per route, rendered in the text format.
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rapport::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> k_buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
  // Routes are registered at start-up; index 0 is "unmatched".
  std::size_t add_route(const std::string& method, const std::string& pattern);
  void observe(std::size_t route, unsigned status, double seconds);
  std::string render() const;

 private:
  struct RouteStats {
    std::string method, pattern;
    std::array<std::atomic<uint64_t>, 6> by_class{};  // 1xx..5xx, index 1..5
    std::array<std::atomic<uint64_t>, k_buckets.size()> bucket{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_us{0};
  };
  std::vector<std::unique_ptr<RouteStats>> m_routes;
};

}  // namespace rapport::http
