#pragma once
// Keeps `ticket_slas` true and acts on breaches. An event consumer ("sla") recomputes a ticket's
// instances from its audits whenever the ticket changes, and every open ticket's when a policy or
// schedule changes; the breach timer emits sla.breached once per instance at its breach_at and
// applies the policy's escalation. See ARCHITECTURE.md for why a consumer and not a hook.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/events/consumer.hpp>
#include <rapport/sla/engine.hpp>
#include <rapport/store/store.hpp>

namespace rapport::sla {

// The event kinds the consumer reads.
const std::vector<std::string>& tracked_event_kinds();
constexpr const char* k_consumer = "sla";

// A stored metric instance.
struct TicketSla {
  Id ticket_id = 0, policy_id = 0;
  std::string metric;
  int instance = 1;
  std::string stage;
  int64_t target_seconds = 0;
  bool business_hours = false;
  int64_t started_at = 0, elapsed_seconds = 0;
  std::optional<int64_t> breach_at, fulfilled_at;
  std::optional<int64_t> breach_event_id;
};

// The ticket's history from its audits, as the engine reads it.
Result<History> ticket_history(store::Conn& conn, Id ticket_id);
// Recomputes one ticket's rows as of `now`, in `tx`. Appends sla.achieved when an instance
// becomes achieved.
Status recompute_ticket(store::Tx& tx, Id ticket_id, int64_t now);
// Recomputes every unsolved ticket (after a policy or schedule change). Returns how many.
Result<int64_t> recompute_open_tickets(store::Tx& tx, int64_t now);
// The consumer's handler.
Status on_event(store::Tx& tx, const events::StoredEvent& e);

// Emits sla.breached for every instance whose notify_at <= now (at most `limit`), each once, and
// applies the escalation of its policy to tickets still waiting. Returns how many.
Result<int> emit_due_breaches(store::Tx& tx, int64_t now, int limit = 200);
// The earliest pending notify_at, for the timer.
Result<std::optional<int64_t>> next_breach(store::Conn& conn);

// Every stored instance of these tickets (no permission check: callers pass visible ids).
Result<std::map<Id, std::vector<TicketSla>>> slas_for_tickets(store::Conn& conn,
                                                              const std::vector<Id>& ids);
// The stage as of `now`: an active instance past its breach_at shows as breached.
std::string stage_at(const TicketSla& s, int64_t now);

// GET /slas/report: counts per policy, group or metric over instances started in [start, end).
struct ReportRow {
  std::string key;    // policy id, group id ("" for none) or metric
  std::string label;  // policy title, group name or metric
  int64_t achieved = 0, breached = 0, active = 0, paused = 0;
};
Result<std::vector<ReportRow>> report(store::Conn& conn, int64_t start, int64_t end,
                                      const std::string& group_by, int64_t now,
                                      const domain::Principal& p);

// GET /slas/queue: unsolved tickets the caller may see with a running or paused clock, nearest
// breach first (paused last). Returns ticket ids in order.
Result<std::vector<Id>> queue(store::Conn& conn, std::optional<Id> group_id, int64_t limit,
                              const domain::Principal& p);

}  // namespace rapport::sla
