#pragma once
// The demo organization: deterministic, realistic data for `make demo`, benchmarks and tests.
//
// Larkspur, an online retailer, runs support on Rapport: three sites (two in-house, one
// outsourced vendor), eight teams, ~120 agents with shifts, skills and tenure, 20,000 customers in
// ~1,500 organizations, and 90 days of tickets replayed through the ordinary services, so events,
// audits, comments, tags and the search index look exactly as real use leaves them. The customer
// feedback comes the same way (surveys.hpp): survey requests from the real consumer, answers,
// recovery cases worked by the Customer Recovery group, rewards, kudos and team leads' reactions.
//
// The same options give the same data (same ids, texts and times) in a fresh database. Seed a
// fresh file: a database that already holds the demo organization is refused, and a failure
// part-way leaves what was written so far. Scale 1 takes about 2 minutes on an idle 2-core
// machine, nearly all of it inside the services (~470,000 ticket writes, ~3 per ticket, and
// ~160,000 survey requests, ~30,000 ratings and ~7,000 recovery cases); the feedback adds ~25-30 %.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/demo/setup.hpp>
#include <rapport/store/store.hpp>

namespace rapport::demo {

struct SeedOptions {
  uint64_t seed = 42;
  double scale = 1.0;  // 1.0: ~120 agents, 20,000 customers, ~150,000 tickets over 90 days
  int days = 90;
  int64_t end_epoch = 0;  // 0: now; fixed in tests so output is reproducible
  // Called now and then from the calling thread while the history is written (fraction 0..1).
  std::function<void(const std::string& stage, double fraction)> progress;
};

// The hidden traits an agent was generated with: what feedback features should discover.
struct AgentProfile {
  std::string email;
  double speed = 1.0;         // multiplies response times: < 1 faster than the median agent
  double quality = 0.8;       // 0..1: how often their answers settle the issue for good
  double rating_skill = 0.0;  // how their customers rate them: > 0 better than the median agent
  bool recovery = false;      // a member of the Customer Recovery group
};

struct SeedSummary {
  int64_t sites = 0, groups = 0, agents = 0, customers = 0, organizations = 0, tickets = 0,
          comments = 0;
  std::string admin_email, admin_password;
  std::string agent_email, agent_password;  // an ordinary agent (Billing) one can sign in as
  int64_t start_epoch = 0, end_epoch = 0;   // the simulated period [start, end)
  // Customer feedback over the period: survey requests made, delivered (not suppressed, the
  // email sent), answered; response rate = answered / delivered; recovery cases opened.
  int64_t feedback_requests = 0, feedback_delivered = 0, ratings = 0, recovery_cases = 0,
          follow_ups_answered = 0, rewards = 0, reactions = 0;
  double response_rate = 0;
  std::vector<AgentProfile> agent_profiles;
  SetupSummary setup;  // the support setup made after the history (setup.hpp)
};

Result<SeedSummary> seed_demo(store::Store& store, const SeedOptions& options);

}  // namespace rapport::demo
