#pragma once
// Shared by erlang.cpp and erlang_a.cpp; not part of the public API.
#include <string>

#include <rapport/base/error.hpp>

namespace rapport::workforce::detail {

// Erlang B by the recurrence B_0 = 1, B_k = A*B_{k-1} / (k + A*B_{k-1}). Every operation is on
// positive numbers and 1/B_k = 1 + (k/A) / B_{k-1} does not amplify relative error, so B_N is
// accurate to about N * 1e-16 relative. Advancing step by step lets a search move N upwards
// without starting again from 0.
class ErlangBRecurrence {
 public:
  explicit ErlangBRecurrence(double traffic) : m_a(traffic) {}
  int n() const { return m_n; }
  double b() const { return m_b; }
  void advance_to(int n) {
    for (; m_n < n; ++m_n) {
      const double ab = m_a * m_b;
      m_b = ab / (m_n + 1 + ab);
    }
  }

 private:
  double m_a;
  int m_n = 0;
  double m_b = 1;
};

// Error::invalid("<what> must be <rule> (got <got>)").
Error must_be(const std::string& what, const std::string& rule, double got);
Status check_traffic(double traffic);  // also below k_max_servers erlangs
Status check_aht(double aht_s);
Status check_threshold(double threshold_s);
Status check_service_target(double target_fraction, double threshold_s);
Status check_asa_target(double target_asa_s);
std::string format_number(double v);

}  // namespace rapport::workforce::detail
