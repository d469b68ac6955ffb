#pragma once
// Agent-level customer feedback: after an interaction the customer rates the agent who helped,
// by name, through a signed single-use link. Requests are created by a background consumer of
// ticket events; ratings feed Zendesk's satisfaction_ratings and Rapport's own metrics.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/events/consumer.hpp>
#include <rapport/store/store.hpp>

namespace rapport::feedback {

struct RewardItem {
  std::string id, label;
  int64_t points = 0;
};

// An extra survey question: a scale (min..max) or one choice among options. Answers are optional.
struct Question {
  std::string id, label, type;  // type: scale | choice
  int64_t min = 1, max = 5;
  std::vector<std::string> options;
};

struct Config {
  bool enabled = true;
  bool first_solve_only = false;
  std::vector<int64_t> group_ids;        // empty: every group
  std::vector<std::string> channels;     // empty: every channel
  int suppression_days = 7;              // at most one request per customer per N days
  int expiry_days = 14;
  bool ask_nps = true;
  std::vector<std::string> improvement_tags = {"product_knowledge", "speed", "clarity", "empathy", "follow_up"};
  std::vector<std::string> excellence_tags = {"product_knowledge", "speed", "friendliness", "empathy",
                                              "went_the_extra_mile"};
  int recovery_threshold = 2;            // stars at or below open a recovery case
  std::optional<int64_t> recovery_group_id;  // the group that works recovery cases
  int recovery_due_hours = 24;
  // What a customer may give the agent after a 4-5 star answer.
  std::vector<RewardItem> reward_catalog = {{"coffee", "Buy them a coffee", 50},
                                            {"high_five", "A high five", 10},
                                            {"lunch", "Treat them to lunch", 150}};
  int leaderboard_prior_weight = 10;     // C in the Bayesian ranking score
  std::vector<Question> questions;       // at most 5
};

Result<Config> load_config(store::Conn& conn);
Json to_json(const Config& c);
// Applies the fields present in `in` over the current configuration (admins only).
Result<Config> update_config(store::Tx& tx, const Json& in, const domain::Principal& actor);

// The server secret that signs survey links; created on first use.
Result<std::string> ensure_secret(store::Tx& tx);
Result<std::string> load_secret(store::Conn& conn);

// The leaderboard's rollups (`rating_daily`, `rating_running`) are keyed by the organization's
// calendar days (base/time.hpp). When the configured time zone is not the one they were built in
// (settings key `rollup_time_zone`; UTC when absent), rebuilds them from the ratings, in this
// transaction, and records the zone. Returns whether it rebuilt. The server calls it at start.
Result<bool> align_rollups_to_time_zone(store::Tx& tx);

struct Request {
  int64_t id = 0;
  std::string kind, channel, status;
  std::optional<std::string> suppressed_reason;
  int64_t ticket_id = 0, agent_id = 0, requester_id = 0;
  std::optional<int64_t> group_id, site_id, recovery_case_id;
  std::string nonce;
  int64_t created_at = 0, expires_at = 0;
  std::optional<int64_t> delivered_at, opened_at, answered_at;
};

struct Rating {
  int64_t id = 0;
  std::optional<int64_t> request_id, agent_id, group_id, site_id, stars, nps, reason_code;
  std::string kind, score, comment;
  int64_t ticket_id = 0, requester_id = 0;
  std::optional<bool> resolved;
  Json tags = Json::array(), answers = Json::object();
  bool public_kudos = false;
  int64_t created_at = 0, updated_at = 0;
};

// The signed link token for a request: "<id>.<expires>.<hmac>". Unguessable without the secret.
std::string link_token(const std::string& secret, const Request& r);
std::string survey_url(const std::string& base_url, const std::string& secret, const Request& r);

// The consumer that creates requests when tickets are solved (event kind ticket.updated).
// `base_url` builds the links put in emails.
Status on_ticket_event(store::Tx& tx, const events::StoredEvent& e, const std::string& base_url);

// Stores a request drafted by the caller (kind, ticket, agent, requester, group, site, channel,
// suppressed_reason, recovery_case_id) with a fresh link; queues the email when it goes by email.
Result<Request> issue_request(store::Tx& tx, Request draft, const Config& cfg, const std::optional<std::string>& email,
                              const std::string& agent_name, const std::string& subject, const std::string& base_url);

Result<std::vector<Request>> requests_for_ticket(store::Conn& conn, int64_t ticket_id);

// Checks a link token's signature and names its request; a bad signature, a changed expiry and
// an unknown id are all not_found. Does not look at expiry or status.
Result<Request> verify_link(store::Conn& conn, const std::string& secret, const std::string& token);

// What the survey page shows.
struct Survey {
  Request request;
  std::string agent_name, agent_first_name, agent_bio;
  std::optional<std::string> agent_photo;
  std::string ticket_subject;
  Config config;
  std::optional<Rating> rating;  // set once answered
};
// Verifies the token (signature, expiry); a bad signature and an unknown id are both not_found.
Result<Survey> open_survey(store::Conn& conn, const std::string& secret, const std::string& token);
// Records that the page was seen by a person (a script beacon; link scanners do not run it).
Status mark_opened(store::Tx& tx, const std::string& secret, const std::string& token);

struct Answer {
  std::optional<int64_t> stars, nps;
  std::optional<bool> resolved;
  std::string comment;
  std::vector<std::string> tags;
  std::map<std::string, std::string> custom;  // question id -> the answer as sent
};
// Records the customer's answer. Single use: a second submit is a conflict; an expired link is
// invalid with a message saying so.
Result<Rating> submit(store::Tx& tx, const std::string& secret, const std::string& token, const Answer& a);

// Zendesk's POST /tickets/{id}/satisfaction_rating: only the requester, only once solved.
Result<Rating> rate_ticket(store::Tx& tx, int64_t ticket_id, const Json& in, const domain::Principal& actor);
Result<Rating> get_rating(store::Conn& conn, int64_t id, const domain::Principal& actor);
struct RatingFilter {
  std::optional<std::string> score;  // Zendesk's filter values
  std::optional<int64_t> start_time, end_time;
  std::optional<int64_t> agent_id, group_id, site_id;  // Rapport's filters
  std::optional<std::string> kind;                      // survey | follow_up | zendesk
};
Result<domain::Page<Rating>> list_ratings(store::Conn& conn, const RatingFilter& f, const domain::PageRequest& pr,
                                          const domain::Principal& actor);

// 4-5 stars good, 1-2 bad, 3 neither.
std::string score_for_stars(int64_t stars);

}  // namespace rapport::feedback
