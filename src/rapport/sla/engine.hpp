#pragma once
// The SLA engine, pure: which policy a ticket falls under, and the metric instances its history
// gives under that policy and a calendar. docs/sla.md defines every rule implemented here.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/sla/calendar.hpp>

namespace rapport::sla {

using domain::Id;

// Zendesk's metric names, in the order tickets show them.
inline constexpr std::string_view k_metrics[] = {"first_reply_time", "next_reply_time",
                                                 "periodic_update_time", "requester_wait_time",
                                                 "total_resolution_time"};
bool valid_metric(std::string_view m);

// One condition of a policy's filter: {"field":"priority","operator":"is","value":"urgent"}.
struct Condition {
  std::string field, op;
  Json value;
};

// A target: tickets of `priority` must have `metric` fulfilled within `target_seconds` of
// business time (the schedule's open hours) or calendar time.
struct Target {
  std::string priority, metric;
  int64_t target_seconds = 0;
  bool business_hours = false;
};

// What a breach does to the ticket (Rapport's field; all optional).
struct Escalation {
  std::optional<std::string> priority;
  std::vector<std::string> add_tags;
  std::optional<Id> group_id;
  bool empty() const { return !priority && add_tags.empty() && !group_id; }
};

struct Policy {
  Id id = 0;
  std::string title, description;
  int64_t position = 0;
  std::vector<Condition> all, any;
  std::vector<Target> targets;
  // Statuses that stop every clock but total_resolution_time's (default pending and hold).
  std::vector<std::string> pause_statuses = {"pending", "hold"};
  std::optional<Id> schedule_id;  // null: the default schedule
  Escalation escalation;
  int64_t created_at = 0, updated_at = 0;
};

// The fields conditions may name, with their operators (GET /slas/policies/definitions).
Json condition_definitions();
// Checks one condition's field, operator and value; adds problems to `v` under `key`.
void validate_condition(const Condition& c, Validation& v, const std::string& key);
bool matches(const Policy& p, const domain::Ticket& t);
// The first policy by position (then id) whose filter the ticket matches, as Zendesk does.
const Policy* match_policy(const std::vector<Policy>& policies, const domain::Ticket& t);
// The target for the ticket's priority (a ticket without one counts as normal).
const Target* target_for(const Policy& p, const std::optional<std::string>& priority,
                         std::string_view metric);

// A ticket's history as the engine needs it: what happened when, in order.
struct HistoryEvent {
  int64_t at = 0;
  std::optional<std::string> status;  // the status after this event, when it changed
  bool public_comment = false;
  bool by_agent = false;  // the comment's author is an agent or admin and not the requester
};
struct History {
  int64_t created_at = 0;
  std::string initial_status = "new";
  // The ticket was opened by an agent with a public first comment: no first reply target, as in
  // Zendesk (the customer already has an answer to reply to).
  bool opened_by_agent_publicly = false;
  std::vector<HistoryEvent> events;  // after creation, ascending by time
};

// One metric instance: first_reply_time has one, next_reply_time and periodic_update_time one
// per cycle (numbered from 1).
struct Instance {
  std::string metric;
  int instance = 1;
  // active: the clock runs; paused: stopped by a pause status; achieved: fulfilled at or before
  // breach_at; breached: breach_at passed before fulfilment (or with none yet).
  std::string stage;
  int64_t started_at = 0;
  std::optional<int64_t>
      breach_at;  // when the target is (or was) used up; null while paused or achieved
  std::optional<int64_t> fulfilled_at;
  int64_t target_seconds = 0;
  bool business_hours = false;
  int64_t elapsed_seconds = 0;  // clock time used up to fulfilment or `now`
};

// Every instance the history gives under `policy` for a ticket of `priority`, as of `now`.
// `calendar` measures business-hours targets.
std::vector<Instance> compute_instances(const History& h, const Policy& policy,
                                        const std::optional<std::string>& priority,
                                        const Calendar& calendar, int64_t now);

}  // namespace rapport::sla
