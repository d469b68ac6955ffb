#pragma once
// Contact triage: admin-defined categories route each new customer contact to an outcome, as in
// the volume x touch matrix. docs/triage.md states the rules.
//
//   self_service   high volume, low touch: answered at once from a knowledge-base article or a
//                  macro, left pending or solved; counted as an auto-answered deflection
//   skilled_team   high touch: group, priority and tags set, so routing can match skills
//   sensitive      fraud, account takeover: a specialist group, the ticket made private (agent
//                  replies are not mailed and are hidden from the requester's views until the
//                  requester proves the address), and a signed single-use verification link sent
//
// Categories are evaluated in position order inside the new ticket's own transaction (a tickets
// create hook, before the triggers run); the first whose conditions match decides. Conditions use
// the triggers' vocabulary (automation::Conditions). Every change is a rule update attributed to
// the category: via {channel: "rule", source: {rel: "triage_category", from: {id, title}}}.
#include <optional>
#include <string>
#include <vector>

#include <rapport/automation/business_rules.hpp>
#include <rapport/automation/engine.hpp>
#include <rapport/automation/rules.hpp>
#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::triage {

using domain::Id;
using domain::Principal;

inline constexpr std::string_view k_outcomes[] = {"self_service", "skilled_team", "sensitive"};

struct Category {
  Id id = 0;
  std::string name, description;
  int64_t position = 0;
  bool active = true;
  automation::Conditions conditions;
  std::string outcome;
  // self_service: {article_id | macro_id, status: pending|solved}
  // skilled_team: {group_id?, priority?, tags?}   sensitive: {group_id, priority?, tags?}
  Json settings = Json::object();
  int64_t created_at = 0, updated_at = 0;
};

constexpr std::size_t k_max_categories = 200;
constexpr int64_t k_verification_ttl = 7 * 86400;
constexpr int64_t k_max_released = 200;  // held replies mailed when the requester verifies

// Admins write; admins and staff with a Rapport role (team lead, QA, manager) read.
bool can_read(const Principal& p);

Result<std::vector<Category>> list_categories(store::Conn& conn, const Principal& p);
Result<Category> get_category(store::Conn& conn, Id id, const Principal& p);
// `in`: name, description?, position?, active?, conditions, outcome, settings. Every problem is
// reported at once; settings are checked against the outcome (the group, article, macro exist).
Result<Category> create_category(store::Tx& tx, const Json& in, const Principal& p,
                                 const automation::RuleOptions& o = {});
Result<Category> update_category(store::Tx& tx, Id id, const Json& in, const Principal& p,
                                 const automation::RuleOptions& o = {});
Status delete_category(store::Tx& tx, Id id, const Principal& p);
Json to_json(const Category& c);

// What the create hook needs from the app.
struct Options {
  std::string public_url;                          // base of article and verification links
  automation::EngineOptions engine;                // for macro answers and business-hours conditions
};
// The tickets create hook: triages `t` (a customer's unsolved contact) by the first matching
// active category. Install once at wiring time.
Status on_ticket_created(store::Tx& tx, const domain::Ticket& t, const Options& o);

// Sensitive tickets. Whether agent replies on ticket `id` must wait: it is private and its
// requester has not verified yet.
Result<bool> withholds_replies(store::Conn& conn, Id ticket_id);

// The signed link token: "<verification id>.<expires>.<hmac>".
// One public comment as the requester's page shows it after verifying.
struct ConversationEntry {
  std::string author, body;  // plain text: the page escapes it
  int64_t created_at = 0;
};
struct VerificationView {
  Id ticket_id = 0;
  std::string subject;
  bool used = false, expired = false;
  int64_t expires_at = 0;
  std::vector<ConversationEntry> conversation;  // verify() only: the public comments, the latest 50, oldest first
  int replies_released = 0;                      // verify() only: held replies queued for mail now
};
// What the link shows before it is used (no change: link scanners open links too). A bad
// signature and an unknown id are both not_found.
Result<VerificationView> open_verification(store::Conn& conn, const std::string& token);
// Uses the link: the requester is verified, the ticket's replies are no longer withheld. Single
// use: a second use is a conflict; an expired link is invalid. In the same transaction the public
// replies held back so far (at most 200, oldest first) go to the requester through the tickets
// comment hook (the outbox), each exactly once, and the view carries the conversation.
Result<VerificationView> verify(store::Tx& tx, const std::string& token);

// GET /api/v2/triage/report: contacts per category and outcome in [start, end).
struct ReportRow {
  std::optional<Id> category_id;
  std::string name, outcome;
  int64_t contacts = 0, auto_answered = 0, verified = 0;
};
struct Report {
  int64_t start_time = 0, end_time = 0;
  int64_t contacts = 0;      // tickets created in the range (triaged or not)
  int64_t triaged = 0;
  std::vector<ReportRow> by_category;  // by contacts, descending
};
Result<Report> report(store::Conn& conn, int64_t start, int64_t end, const Principal& p);
Json to_json(const Report& r);

}  // namespace rapport::triage
