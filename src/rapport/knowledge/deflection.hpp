#pragma once
// Self-service deflection: the web form's contact attempts, the article suggestions shown to
// customers before they submit ("Did this answer your question?") and to agents on the ticket
// page, Zendesk's end-user requests API that turns a form into a ticket, and the report.
//
// Definitions (docs/knowledge.md):
//   contact attempt   one use of the web form, from the first suggestion step to its outcome
//   contact avoided   an attempt whose customer answered "yes, this solved it" (outcome deflected)
//   submitted         an attempt that became a ticket (outcome submitted); a request made
//                     through the requests API without the form counts as a submitted attempt
//   deflection rate   avoided / (avoided + submitted), over attempts decided in [from, to)
//   auto-answered     new contacts answered by a known incident (linked in [from, to))
//   auto-answer rate  auto-answered / tickets created in [from, to)
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/knowledge/knowledge.hpp>
#include <rapport/store/store.hpp>

namespace rapport::knowledge {

struct ContactForm {
  std::string name, email, subject, description;
  std::optional<std::string> region;  // what the customer chose on the form, if asked
};

struct Attempt {
  Id id = 0;
  std::string token, outcome;  // pending | deflected | submitted
  std::string email, subject, description;
  std::optional<std::string> region;
  std::optional<Id> article_id, section_id, category_id, ticket_id;
  int64_t created_at = 0;
  std::optional<int64_t> decided_at;
};

// Validates the form (all four fields; email well-formed; bounded sizes) and collects every error.
Status validate_form(const ContactForm& f);

// Step one of the web form: records the attempt and the articles suggested for what the customer
// typed (one `shown` deflection row each), as an anonymous reader sees them.
struct Started {
  Attempt attempt;
  std::vector<SearchHit> suggestions;
};
Result<Started> start_attempt(store::Tx& tx, const ContactForm& f, int64_t limit = 3);
Result<Attempt> get_attempt(store::Conn& conn, const std::string& token);

// The customer opened a suggested article from the form.
Status record_click(store::Tx& tx, const std::string& token, Id article_id);
// "Yes, this solved it": the attempt ends as a contact avoided. Only a suggested article can be
// accepted, and only while the attempt is pending (a second answer is a conflict).
Result<Attempt> accept_suggestion(store::Tx& tx, const std::string& token, Id article_id);

// Zendesk's POST /api/v2/requests: `in` is the "request" object (subject, comment.body,
// requester {name, email} for anonymous requests), plus Rapport's `region` and `attempt` (the form
// token). `actor` is the signed-in user or nullopt for an anonymous request. Creates the ticket
// with channel `web` and closes the attempt as submitted.
Result<domain::Ticket> submit_request(store::Tx& tx, const Json& in, const std::optional<Principal>& actor);

// Articles for an agent's ticket page: matching the ticket's subject and description, as the
// agent may see them. not_found when the agent may not see the ticket.
Result<std::vector<SearchHit>> suggestions_for_ticket(store::Conn& conn, Id ticket_id, const Principal& agent,
                                                      int64_t limit = 5);
// An agent clicked (opened) or inserted a suggested article's link into a reply.
Status record_agent_action(store::Tx& tx, Id ticket_id, Id article_id, const std::string& action, const Principal& agent);

struct Ratio {
  int64_t numerator = 0, denominator = 0;
  Json to_json() const;  // {numerator, denominator, value: null when the denominator is 0}
};
struct CategoryRow {
  std::optional<Id> category_id;  // nullopt: attempts with no suggestion
  std::string name;
  int64_t avoided = 0, submitted = 0;
};
struct ServiceRow {
  std::string service;
  int64_t auto_answered = 0;
};
struct Report {
  int64_t start_time = 0, end_time = 0;
  int64_t avoided = 0, submitted = 0, auto_answered = 0, contacts = 0;
  int64_t shown = 0, clicked = 0, accepted = 0, inserted = 0;
  std::vector<CategoryRow> by_category;
  std::vector<ServiceRow> by_service;
};
// Staff with a Rapport role (team lead, QA, manager) and admins. Half-open [start, end).
Result<Report> deflection_report(store::Conn& conn, int64_t start, int64_t end, const Principal& actor);
Json to_json(const Report& r);

}  // namespace rapport::knowledge
