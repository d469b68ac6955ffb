#pragma once
// Plain records as the services return them. The HTTP layer turns them into the wire format.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/json.hpp>

namespace rapport::domain {

using Id = int64_t;
using OptId = std::optional<int64_t>;

struct User {
  Id id = 0;
  std::string name;
  std::optional<std::string> email;
  std::string role = "end-user";
  std::string rapport_role;
  bool verified = false, active = true, suspended = false;
  OptId organization_id;
  std::optional<std::string> external_id;
  Json tags = Json::array();
  std::optional<std::string> phone;
  std::string time_zone = "UTC", locale = "en-US", alias, details, notes, signature;
  OptId default_group_id;
  std::optional<std::string> ticket_restriction;
  OptId site_id, team_lead_id;
  std::optional<int64_t> hired_at;
  Json skills = Json::array();
  std::optional<std::string> photo_url;
  std::string bio;
  Json user_fields = Json::object();
  std::optional<int64_t> last_login_at;
  int64_t created_at = 0, updated_at = 0;
  std::vector<Id> group_ids;
};

struct Organization {
  Id id = 0;
  std::string name;
  std::optional<std::string> external_id;
  Json domain_names = Json::array();
  std::string details, notes;
  OptId group_id;
  bool shared_tickets = false, shared_comments = false;
  Json tags = Json::array();
  Json organization_fields = Json::object();
  int64_t created_at = 0, updated_at = 0;
};

struct Group {
  Id id = 0;
  std::string name, description;
  bool is_default = false, is_public = true, deleted = false;
  OptId site_id;
  int64_t created_at = 0, updated_at = 0;
};

struct Site {
  Id id = 0;
  std::string name, kind = "in_house";
  std::optional<std::string> vendor;
  std::string time_zone = "UTC";
  int64_t created_at = 0, updated_at = 0;
};

struct Ticket {
  Id id = 0;
  std::optional<std::string> external_id;
  std::string channel = "api";
  Json via_source = Json::object();
  std::optional<std::string> type, priority;
  std::string subject, description, status = "new";
  std::optional<std::string> recipient;
  Id requester_id = 0, submitter_id = 0;
  OptId assignee_id, organization_id, group_id;
  bool is_public = true;
  std::optional<int64_t> due_at;
  Json tags = Json::array();
  Json custom_fields = Json::array();
  Json collaborator_ids = Json::array(), follower_ids = Json::array(), email_cc_ids = Json::array();
  OptId problem_id, followup_source_id;
  OptId satisfaction_id;
  std::optional<std::string> satisfaction_score, satisfaction_comment;
  int64_t created_at = 0, updated_at = 0;
  std::optional<int64_t> solved_at, deleted_at;
  int64_t generated_ts = 0;
};

struct Comment {
  Id id = 0, ticket_id = 0, audit_id = 0, author_id = 0;
  std::string body, html_body;
  bool is_public = true;
  Json via = Json::object();
  Json metadata = Json::object();
  int64_t created_at = 0;
};

struct Audit {
  Id id = 0, ticket_id = 0;
  OptId author_id;
  Json via = Json::object(), metadata = Json::object(), events = Json::array();
  int64_t created_at = 0;
};

struct JobStatus {
  std::string id, job_type, status;
  int64_t total = 0, progress = 0;
  std::optional<std::string> message;
  Json results;  // null or array
};

// One page of a list plus what the HTTP layer needs to build either pagination envelope.
template <typename T>
struct Page {
  std::vector<T> items;
  int64_t count = -1;            // offset mode only
  bool has_more = false;         // cursor mode: more after this page
  bool has_prev = false;         // cursor mode: more before this page
};

}  // namespace rapport::domain
