#pragma once
// Deterministic randomness for the demo generator. Only the engine comes from the standard
// library (std::mt19937_64 is fully specified); the distributions are written here because the
// standard's are implementation-defined, and the same seed must give the same data everywhere.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace rapport::demo {

// SplitMix64: derives independent seeds for the generator's streams, so changing how one part
// draws numbers does not reshuffle the others.
inline uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : m_engine(seed) {}

  uint64_t next() { return m_engine(); }
  // [0, 1)
  double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // [lo, hi], both inclusive.
  int64_t range(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    auto span = static_cast<uint64_t>(hi - lo) + 1;
    return lo + static_cast<int64_t>(m_engine() % span);
  }
  std::size_t index(std::size_t n) { return n ? static_cast<std::size_t>(m_engine() % n) : 0; }
  bool chance(double p) { return uniform() < p; }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  double normal() {
    // Box-Muller; u1 in (0, 1] so the log is finite.
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  // A log-normal value with the given median: right-skewed like real waiting times.
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
  int poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda > 40) {
      double v = std::round(normal(lambda, std::sqrt(lambda)));
      return v < 0 ? 0 : static_cast<int>(v);
    }
    double limit = std::exp(-lambda), p = uniform();
    int k = 0;
    while (p > limit) {
      p *= uniform();
      ++k;
    }
    return k;
  }
  // An index drawn with probability proportional to `weights`.
  std::size_t weighted(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = uniform() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.empty() ? 0 : weights.size() - 1;
  }
  template <typename T>
  const T& pick(std::span<const T> items) {
    return items[index(items.size())];
  }
  template <typename T>
  const T& pick(const std::vector<T>& items) {
    return items[index(items.size())];
  }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[index(N)];
  }

 private:
  std::mt19937_64 m_engine;
};

// Draws from a fixed set of weights many times: cumulative sums and a binary search.
class WeightedTable {
 public:
  WeightedTable() = default;
  explicit WeightedTable(std::span<const double> weights) {
    double sum = 0;
    m_cumulative.reserve(weights.size());
    for (double w : weights) m_cumulative.push_back(sum += (w > 0 ? w : 0));
  }
  bool empty() const { return m_cumulative.empty() || m_cumulative.back() <= 0; }
  std::size_t draw(Rng& rng) const {
    double x = rng.uniform() * m_cumulative.back();
    std::size_t lo = 0, hi = m_cumulative.size() - 1;
    while (lo < hi) {
      std::size_t mid = (lo + hi) / 2;
      if (m_cumulative[mid] > x)
        hi = mid;
      else
        lo = mid + 1;
    }
    return lo;
  }

 private:
  std::vector<double> m_cumulative;
};

}  // namespace rapport::demo
