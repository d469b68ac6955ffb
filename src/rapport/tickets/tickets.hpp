#pragma once
// Tickets, their comments and audits: the helpdesk's core records.
#include <functional>
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

// A hook run inside create_ticket's transaction, after the ticket, its first comment, audit and
// `ticket.created` event are written. It may change the ticket (update_ticket in the same `tx`);
// create_ticket then returns the ticket as the hooks left it. A failing hook fails the create.
// Hooks are registered once at wiring time (app/), before any request is served.
using CreateHook = std::function<Status(store::Tx&, const Ticket&)>;
void add_create_hook(CreateHook hook);
void clear_create_hooks();  // for tests

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

// A hook run inside the transaction of every comment added to an existing ticket, after the
// comment, the ticket row and the ticket's event are written: what it writes commits or rolls back
// with the comment, and a failure fails the update. The email channel installs one at wiring time
// to put agent replies in the outbox (tickets knows nothing of email). Install it before traffic
// starts; it is read on the writer thread without a lock.
using CommentHook = std::function<Status(store::Tx&, const Ticket&, const Comment&, const Principal& actor)>;
void set_comment_hook(CommentHook hook);
// Runs the comment hook now for comments written earlier on ticket `ticket_id` (`comment_ids` in
// that order, inside `tx`): for replies the hook held back then (a sensitive ticket's, until its
// requester verified). Unknown ids are skipped; no hook installed: nothing.
Status replay_comment_hook(store::Tx& tx, Id ticket_id, const std::vector<Id>& comment_ids, const Principal& actor);

// Plain text from HTML for `plain_body` and html-only comments (tags dropped, entities decoded).
std::string html_to_text(std::string_view html);

// ---- The after-write hook: business rules (triggers) run inside the writing transaction ----
//
// `tickets` cannot know the rules (they depend on it), so the app registers one hook at wiring
// time. create_ticket and update_ticket call it after their own rows and event are written, in the
// same transaction; a failing hook fails the whole write. The hook may change the ticket through
// apply_rule_update and then updates `change` to what the caller should see.
struct Written {
  std::optional<Ticket> before;    // nullopt: the ticket was just created
  std::optional<Comment> comment;  // the comment this write added, if any
  const Principal& actor;
};
using AfterWriteHook = std::function<Status(store::Tx& tx, const Written& written, Change& change)>;
// Set once before traffic starts (not thread-safe against concurrent writes); empty: no hook.
void set_after_write_hook(AfterWriteHook hook);
// Runs the after-write hook over a change made by apply_rule_update on behalf of a system that
// is not a rule (routing's assignments), so triggers see it as they see a manual update: `before`
// is the ticket before the change, and `change` is updated to what the hook left.
Status run_after_write_hook(store::Tx& tx, const Ticket& before, const Principal& actor, Change& change);

// Who made an automatic change: a trigger or an automation, shown as Zendesk's via
// {channel: "rule", source: {rel, from: {id, title}}}.
struct RuleVia {
  std::string rel;  // "trigger" | "automation"
  Id id = 0;
  std::string title;
};
// Changes ticket `id` as `rule` would: the same fields and validation as update_ticket (any
// ticket, with an admin's reach). A trigger joins the audit `join_audit` of the update that fired
// it, each added audit event carrying the rule's via; an automation gets an audit of its own with
// that via. The ticket.updated event names the rule. Never runs the after-write hook.
Result<Change> apply_rule_update(store::Tx& tx, Id id, const Json& in, const RuleVia& rule,
                                 std::optional<Id> join_audit = std::nullopt);
// HTML for a plain-text comment, escaped, paragraphs from blank lines.
std::string text_to_html(std::string_view text);

}  // namespace rapport::tickets
