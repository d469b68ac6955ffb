#pragma once
// Service recovery: a bad rating opens a case for the recovery group; the recovery agent contacts
// the customer and records the outcome; closing the case sends a follow-up survey whose stars,
// against the stars that opened the case, are the recovery uplift.
#include <optional>
#include <string>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/store/store.hpp>

namespace rapport::feedback {

struct RecoveryCase {
  int64_t id = 0, ticket_id = 0, rating_id = 0, requester_id = 0;
  std::optional<int64_t> agent_id, team_group_id, group_id, assignee_id, trigger_stars, follow_up_request_id;
  std::string status, trigger;
  std::optional<std::string> outcome;
  Json notes = Json::array();
  int64_t due_at = 0, created_at = 0, updated_at = 0;
  std::optional<int64_t> contacted_at, closed_at;
  // Filled in when read, so a case page needs nothing else: what it is about, and the follow-up.
  std::string ticket_subject, agent_name, requester_name, rating_comment;
  std::optional<int64_t> follow_up_stars;
  std::optional<std::string> follow_up_status;
};

// Inside the rating's transaction: opens a case when a survey rating is at or below the
// threshold or says "not resolved". Returns the new case id, if one was opened.
Result<std::optional<int64_t>> open_case_if_bad(store::Tx& tx, const Rating& rating, const Config& cfg);

Result<RecoveryCase> get_case(store::Conn& conn, int64_t id, const domain::Principal& actor);

struct CaseFilter {
  std::optional<std::string> status;  // open | contacted | closed | active (open or contacted)
  std::optional<int64_t> group_id, assignee_id, agent_id;
  bool overdue = false;
};
Result<domain::Page<RecoveryCase>> list_cases(store::Conn& conn, const CaseFilter& f, const domain::PageRequest& pr,
                                              const domain::Principal& actor);

// Fields: assignee_id, status (open → contacted → closed), outcome (required to close:
// recovered | not_recovered | unreachable), note (appended). Closing sends the follow-up survey,
// with links built on `base_url`.
Result<RecoveryCase> update_case(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& actor,
                                 const std::string& base_url);

// Per team (the rated ticket's group) over cases opened in [from, to): cases, closed, closed
// within their due time, outcomes, follow-ups sent and answered, and the recovery uplift.
Result<Json> recovery_report(store::Conn& conn, int64_t from, int64_t to, std::optional<int64_t> group_id,
                             const domain::Principal& actor);

Json to_json(const RecoveryCase& c);

}  // namespace rapport::feedback
