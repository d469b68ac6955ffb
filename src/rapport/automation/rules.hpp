#pragma once
// Business rules as pure data and pure functions: Zendesk's condition and action vocabulary for
// triggers, automations and macros, parsed and validated from the API's JSON, evaluated against a
// ticket, and turned into the ticket update they make. No I/O here: the engine (engine.hpp) reads
// and writes the store, this file decides.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/records.hpp>

namespace rapport::automation {

using domain::Id;

enum class RuleKind { trigger, automation, macro };
std::string_view to_string(RuleKind k);  // "trigger" | "automation" | "macro"

struct Condition {
  std::string field, op;
  Json value;  // as given (string, number, bool or null), normalized where the field has a vocabulary
};
struct Conditions {
  std::vector<Condition> all, any;
  bool empty() const { return all.empty() && any.empty(); }
};
struct Action {
  std::string field;
  Json value;
};

// The business-hours conditions (`within_business_hours`, `within_schedule`). Calendars are another
// capability's; the app hands a view of them in (see BusinessHoursSource in business_rules.hpp).
// Without one both conditions are refused.
class BusinessHours {
 public:
  virtual ~BusinessHours() = default;
  // Whether `at` (epoch seconds) falls within the business hours of the schedule that applies to
  // `ticket`.
  virtual bool within(const domain::Ticket& ticket, int64_t at) const = 0;
  // Whether `at` falls within schedule `schedule_id`'s business hours; false when there is no such
  // schedule (it was deleted after the rule was saved).
  virtual bool within_schedule(Id schedule_id, int64_t at) const = 0;
  // Whether a schedule has that id: a rule naming another is refused.
  virtual bool has_schedule(Id schedule_id) const = 0;
};

// When things happened to a ticket, for the time conditions of automations (epoch seconds).
struct TicketTimes {
  int64_t status_at = 0;  // since the current status
  std::optional<int64_t> assigned_at, requester_updated_at, assignee_updated_at;
};

// What conditions are evaluated against.
struct Facts {
  const domain::Ticket* ticket = nullptr;  // the ticket as it is now (after earlier rules' changes)
  const domain::Ticket* before = nullptr;  // before the update that is being evaluated; null on create
  bool is_create = false;
  std::optional<domain::Comment> comment;  // the comment the update added
  std::string current_user_role;           // "end_user" | "agent" | "admin"; "" for automations
  Id current_user_id = 0;
  int64_t now = 0;
  TicketTimes times;
  const BusinessHours* hours = nullptr;
};

// Parses and validates `{all:[...], any:[...]}` for `kind`, collecting every problem into `v`
// under "conditions". Automations accept the time conditions; triggers do not, and vice versa.
// `hours` (null: none) admits the business-hours conditions and checks the schedules they name.
Conditions parse_conditions(const Json& in, RuleKind kind, const BusinessHours* hours, Validation& v);
// Parses and validates `[{field, value}, ...]` for `kind` (macros take fewer actions).
std::vector<Action> parse_actions(const Json& in, RuleKind kind, Validation& v);
// Zendesk's rule for automations: at least one condition that an action makes false (or a time
// condition with `is`, true for one hour only), so the automation acts once and not every hour.
bool has_nullifying_action(const Conditions& c, const std::vector<Action>& actions);

Json to_json(const Conditions& c);
Json to_json(const std::vector<Action>& a);

bool matches(const Condition& c, const Facts& f);
// True when every `all` condition holds and, if there are `any` conditions, at least one does.
bool matches(const Conditions& c, const Facts& f);

// A notification the rule sends by email.
struct Notification {
  std::string recipient;  // "requester_id" | "assignee_id" | "current_user" | "group" | "email" | a user id
  std::optional<Id> group_id;
  std::string address;    // recipient "email": the address
  std::string subject, body;  // templates, rendered by the engine
};
struct WebhookCall {
  Id webhook_id = 0;
  std::string body;  // template
};

// What a rule's actions do to a ticket: an update in update_ticket's input shape, plus the side
// effects the engine carries out.
struct Effect {
  Json update = Json::object();        // status, priority, type, group_id, assignee_id, tags, subject
  std::optional<std::string> comment;  // template (text or, with comment_html, HTML)
  bool comment_html = false;
  std::optional<bool> comment_public;  // comment_mode_is_public
  std::vector<Notification> notifications;
  std::vector<WebhookCall> webhooks;
  std::vector<Id> macros;              // macros to apply after these actions (triggers, automations)
};
// `current_user` is who made the update (assignee_id "current_user"); 0 when there is none.
Effect plan(const std::vector<Action>& actions, const domain::Ticket& t, Id current_user);
// The ticket as `update` (an Effect's) would leave it, for conditions and "did anything change".
domain::Ticket simulate(const domain::Ticket& t, const Json& update);
// Whether `update` changes anything on `t`.
bool changes_anything(const domain::Ticket& t, const Json& update);

// ---- Placeholders ----
enum class Escape { none, html, json };
// Replaces each {{name}} (spaces inside the braces allowed) with values[name], escaped for the
// target. Unknown placeholders are left as typed, so a typo shows in the preview instead of
// vanishing. Output is bounded by `max_len` bytes.
std::string render(std::string_view tmpl, const std::map<std::string, std::string>& values, Escape e,
                   std::size_t max_len = 1 << 20);
// The documented placeholder names, for the docs and the UI.
const std::vector<std::string>& placeholder_names();

}  // namespace rapport::automation
