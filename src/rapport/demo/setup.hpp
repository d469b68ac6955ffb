#pragma once
// The demo organization's support setup: what Larkspur's admins configured in their first weeks
// on Rapport. Business hours with holidays, SLA policies per team and priority, triggers, macros
// and time-based automations, a help center with categories, sections and articles (published,
// draft and internal), and a past known incident. All of it is made through the same services
// the API calls, after the history is replayed, so it shapes what happens from now on (new
// tickets get SLA clocks and triggers; the open backlog gets its clocks at once) and leaves the
// replayed past as it was.
#include <cstdint>

#include <rapport/base/error.hpp>
#include <rapport/store/store.hpp>

namespace rapport::demo {

struct SetupSummary {
  int64_t schedules = 0, sla_policies = 0, triggers = 0, macros = 0, automations = 0, articles = 0, incidents = 0;
  int64_t tickets_with_clocks = 0;  // open tickets whose SLA clocks were computed
};

// Made by the admin `admin_id` (the audit and events name them). Needs the demo's groups (by
// name). `now` is the end of the replayed period.
Result<SetupSummary> setup_operation(store::Tx& tx, int64_t admin_id, int64_t now);

}  // namespace rapport::demo
