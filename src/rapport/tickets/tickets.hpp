#pragma once
// Tickets, their comments and audits: the helpdesk's core records.
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::tickets {

using domain::Audit;
using domain::Comment;
using domain::Id;
using domain::Principal;
using domain::Ticket;

// A ticket after a change, with the audit that recorded the change.
struct Change {
  Ticket ticket;
  Audit audit;
};

struct TicketFilter {
  std::optional<std::string> status;          // exact status
  std::optional<Id> group_id, organization_id, requester_id;
  std::optional<std::optional<Id>> assignee;  // set: filter; inner nullopt: unassigned
  std::optional<std::string> external_id;
};

struct CreateOptions {
  std::string channel = "api";
  Json via_source = Json::object();
  // Set by channels, not by API input: the ticket this one follows up (a reply to a closed one),
  // and keys merged into the first comment's `metadata` (email: message id, auto_submitted).
  std::optional<Id> followup_source_id;
  Json comment_metadata = Json::object();
};

// How an update arrived, when not through the API: the audit's and comment's `via`, and keys
// merged into the comment's `metadata`.
struct UpdateOptions {
  std::string channel = "api";
  Json via_source = Json::object();
  Json comment_metadata = Json::object();
};

// The SQL condition (over table alias-free `tickets` columns) that limits rows to what
// `p` may see; appends its parameters. Empty when `p` sees everything.
std::string visibility_clause(const Principal& p, store::Params& params);
bool can_see(const Principal& p, const Ticket& t);

Result<Ticket> get_ticket(store::Conn& conn, Id id, const Principal& p);
Result<std::vector<Ticket>> tickets_by_ids(store::Conn& conn, const std::vector<Id>& ids, const Principal& p);
Result<domain::Page<Ticket>> list_tickets(store::Conn& conn, const TicketFilter& f, const domain::PageRequest& pr,
                                          const Principal& p);
// Every ticket with generated_ts in [from, before), including deleted ones, for exports.
Result<std::vector<Ticket>> tickets_changed_since(store::Conn& conn, const domain::Cursor& after, int64_t before,
                                                  int64_t limit);

Result<Change> create_ticket(store::Tx& tx, const Json& in, const Principal& actor, const CreateOptions& opts = {});
Result<Change> update_ticket(store::Tx& tx, Id id, const Json& in, const Principal& actor,
                             const UpdateOptions& opts = {});
Status delete_ticket(store::Tx& tx, Id id, const Principal& actor);

Result<domain::Page<Comment>> list_comments(store::Conn& conn, Id ticket_id, const domain::PageRequest& pr,
                                            const Principal& p);
Result<domain::Page<Audit>> list_audits(store::Conn& conn, Id ticket_id, const domain::PageRequest& pr,
                                        const Principal& p);

// Bulk create: the job row is written first (queued) so the client can poll it; the work runs
// as a later write job.
Result<domain::JobStatus> queue_job(store::Tx& tx, const std::string& type, int64_t total, const Principal& actor);
Status run_create_many(store::Tx& tx, const std::string& job_id, const Json& tickets, const Principal& actor);
Result<domain::JobStatus> get_job(store::Conn& conn, const std::string& id, const Principal& p);

// Plain text from HTML for `plain_body` and html-only comments (tags dropped, entities decoded).
std::string html_to_text(std::string_view html);
// HTML for a plain-text comment, escaped, paragraphs from blank lines.
std::string text_to_html(std::string_view text);

}  // namespace rapport::tickets
