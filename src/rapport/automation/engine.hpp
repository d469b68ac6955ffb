#pragma once
// The rule engine: triggers run inside every ticket write's transaction, automations run over the
// open tickets on a schedule, macros are previewed for an agent. Every automatic change goes
// through tickets::apply_rule_update, so it is audited and logged as an event naming its rule;
// emails wait in `outbox` and webhook calls in `webhook_invocations`, written in the same
// transaction as the change that caused them.
#include <optional>
#include <string>

#include <rapport/automation/business_rules.hpp>
#include <rapport/automation/rules.hpp>
#include <rapport/store/store.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::automation {

struct EngineOptions {
  std::string public_url;                // base of {{ticket.url}}; empty: the placeholder is empty
  int max_trigger_passes = 10;           // hard bound on passes over the trigger list per update
  const BusinessHoursSource* hours = nullptr;  // enables within_business_hours and within_schedule
};

// The tickets after-write hook: evaluates the active triggers in position order against the write
// and applies those that match. A pass runs the whole list; when a trigger changed the ticket,
// another pass follows, in which triggers that already fired are skipped; passes stop when one
// changes nothing or after `max_trigger_passes`. Each trigger fires at most once per update.
Status run_triggers(store::Tx& tx, const tickets::Written& written, tickets::Change& change, const EngineOptions& o);

struct AutomationReport {
  int64_t tickets = 0;  // tickets evaluated
  int64_t fired = 0;    // (automation, ticket) pairs that acted
};
// One run of every active automation over every open ticket (not closed, not deleted), in
// batches of `batch` tickets per transaction, as of now_epoch() on the writer thread (pass `at`
// to run as of another time, e.g. from the CLI). Idempotent: an automation acts on a ticket at
// most once per ticket state.
Result<AutomationReport> run_automations(store::Store& store, const EngineOptions& o,
                                         std::optional<int64_t> at = std::nullopt, int64_t batch = 200);

// GET /macros/{id}/apply and /tickets/{tid}/macros/{id}/apply: what applying the macro would do,
// without saving: {ticket: {id?, changed fields}, comment: {body, html_body, public}?}.
Result<Json> apply_macro(store::Conn& conn, Id macro_id, std::optional<Id> ticket_id, const Principal& p,
                         const EngineOptions& o);

// The placeholder values for `t` as seen by `current_user` (0: none), for render().
Result<std::map<std::string, std::string>> placeholder_values(store::Conn& conn, const domain::Ticket* t,
                                                              Id current_user, const EngineOptions& o);

}  // namespace rapport::automation
