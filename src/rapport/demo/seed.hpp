#pragma once
// The demo organization: deterministic, realistic data for `make demo`, benchmarks and tests.
#include <cstdint>
#include <string>

#include <rapport/base/error.hpp>
#include <rapport/store/store.hpp>

namespace rapport::demo {

struct SeedOptions {
  uint64_t seed = 42;
  double scale = 1.0;  // 1.0: ~120 agents, 20,000 customers, ~150,000 tickets over 90 days
  int days = 90;
  int64_t end_epoch = 0;  // 0: now; fixed in tests so output is reproducible
};

struct SeedSummary {
  int64_t sites = 0, groups = 0, agents = 0, customers = 0, organizations = 0, tickets = 0, comments = 0;
  std::string admin_email, admin_password;
};

Result<SeedSummary> seed_demo(store::Store& store, const SeedOptions& options);

}  // namespace rapport::demo
