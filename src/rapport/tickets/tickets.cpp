#include <rapport/tickets/tickets.hpp>
#include <rapport/tickets/facet_table.hpp>
#include <rapport/tickets/uploads.hpp>

#include <algorithm>
#include <cstring>
#include <set>

#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/search_facets.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::tickets {

namespace {

constexpr const char* k_columns =
    "id, external_id, channel, via_source, type, subject, description, priority, status, recipient, "
    "requester_id, submitter_id, assignee_id, organization_id, group_id, is_public, due_at, tags, "
    "custom_fields, collaborator_ids, follower_ids, email_cc_ids, problem_id, followup_source_id, "
    "satisfaction_id, satisfaction_score, satisfaction_comment, created_at, updated_at, solved_at, "
    "deleted_at, generated_ts";

Json parse_json(const std::string& s, Json fallback) {
  // Most JSON columns hold an empty list or object: every list page maps 100 tickets with six
  // of them each, so skip the parser for those.
  if (s == "[]") return Json::array();
  if (s == "{}") return Json::object();
  auto j = Json::parse(s, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

Ticket map_ticket(const store::Row& r) {
  Ticket t;
  t.id = r.i64(0);
  t.external_id = r.opt_text(1);
  t.channel = r.text(2);
  t.via_source = parse_json(r.text(3), Json::object());
  t.type = r.opt_text(4);
  t.subject = r.text(5);
  t.description = r.text(6);
  t.priority = r.opt_text(7);
  t.status = r.text(8);
  t.recipient = r.opt_text(9);
  t.requester_id = r.i64(10);
  t.submitter_id = r.i64(11);
  t.assignee_id = r.opt_i64(12);
  t.organization_id = r.opt_i64(13);
  t.group_id = r.opt_i64(14);
  t.is_public = r.i64(15) != 0;
  t.due_at = r.opt_i64(16);
  t.tags = parse_json(r.text(17), Json::array());
  t.custom_fields = parse_json(r.text(18), Json::array());
  t.collaborator_ids = parse_json(r.text(19), Json::array());
  t.follower_ids = parse_json(r.text(20), Json::array());
  t.email_cc_ids = parse_json(r.text(21), Json::array());
  t.problem_id = r.opt_i64(22);
  t.followup_source_id = r.opt_i64(23);
  t.satisfaction_id = r.opt_i64(24);
  t.satisfaction_score = r.opt_text(25);
  t.satisfaction_comment = r.opt_text(26);
  t.created_at = r.i64(27);
  t.updated_at = r.i64(28);
  t.solved_at = r.opt_i64(29);
  t.deleted_at = r.opt_i64(30);
  t.generated_ts = r.i64(31);
  return t;
}

Comment map_comment(const store::Row& r) {
  Comment c;
  c.id = r.i64(0);
  c.ticket_id = r.i64(1);
  c.audit_id = r.i64(2);
  c.author_id = r.i64(3);
  c.body = r.text(4);
  c.html_body = r.text(5);
  c.is_public = r.i64(6) != 0;
  c.via = parse_json(r.text(7), Json::object());
  c.metadata = parse_json(r.text(8), Json::object());
  c.created_at = r.i64(9);
  return c;
}

Audit map_audit(const store::Row& r) {
  Audit a;
  a.id = r.i64(0);
  a.ticket_id = r.i64(1);
  a.author_id = r.opt_i64(2);
  a.via = parse_json(r.text(3), Json::object());
  a.metadata = parse_json(r.text(4), Json::object());
  a.events = parse_json(r.text(5), Json::array());
  a.created_at = r.i64(6);
  return a;
}

std::optional<Id> actor_id(const Principal& p) { return p.user_id ? std::optional<Id>(p.user_id) : std::nullopt; }

Json opt(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }
Json opt(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

// The audited fields, as the API shows them.
Json field_value(const Ticket& t, const std::string& f) {
  if (f == "subject") return t.subject;
  if (f == "status") return t.status;
  if (f == "priority") return opt(t.priority);
  if (f == "type") return opt(t.type);
  if (f == "assignee_id") return opt(t.assignee_id);
  if (f == "group_id") return opt(t.group_id);
  if (f == "requester_id") return t.requester_id;
  if (f == "organization_id") return opt(t.organization_id);
  if (f == "tags") return t.tags;
  if (f == "external_id") return opt(t.external_id);
  if (f == "due_at") return t.due_at ? Json(iso8601(*t.due_at)) : Json(nullptr);
  if (f == "custom_fields") return t.custom_fields;
  if (f == "collaborator_ids") return t.collaborator_ids;
  if (f == "problem_id") return opt(t.problem_id);
  return nullptr;
}
const char* const k_audited[] = {"subject", "status", "priority", "type", "assignee_id", "group_id",
                                 "requester_id", "organization_id", "tags", "external_id", "due_at",
                                 "custom_fields", "collaborator_ids", "problem_id"};

Json normalized_tags(const std::vector<std::string>& in) {
  std::set<std::string> seen;
  Json out = Json::array();
  for (const auto& t : in) {
    for (const auto& part : split(t, ' ')) {  // Zendesk splits "a b" into two tags
      auto n = domain::normalize_tag(part);
      if (!n.empty() && seen.insert(n).second) out.push_back(n);
    }
  }
  return out;
}

Status check_exists(store::Conn& conn, const char* sql, Id id, const char* field, Validation& v, const std::string& what) {
  auto r = conn.scalar(sql, {id});
  if (!r) return fail(r.error());
  if (!*r) v.add(field, "InvalidValue", field_label(field) + ": " + what);
  return {};
}

// Applies the writable fields of `in` to `t`, validating as it goes.
Status apply_fields(store::Tx& tx, JsonInput& in, Ticket& t, const Principal& actor, bool creating) {
  auto& v = in.validation();
  auto& conn = tx.conn();
  if (auto s = in.str("subject", 1024)) t.subject = *s;
  if (in.has("status")) {
    auto s = in.str("status");
    if (!s || !domain::status_rank(*s)) v.add("status", "InvalidValue", "Status: is not valid");
    else t.status = *s;
  }
  if (in.has("priority")) {
    auto s = in.str("priority");
    if (s && !domain::valid_priority(*s)) v.add("priority", "InvalidValue", "Priority: is not valid");
    else t.priority = s;
  }
  if (in.has("type")) {
    auto s = in.str("type");
    if (s && !domain::valid_type(*s)) v.add("type", "InvalidValue", "Type: is not valid");
    else t.type = s;
  }
  if (in.has("assignee_id")) {
    t.assignee_id = in.integer("assignee_id");
    if (t.assignee_id) {
      if (auto st = check_exists(conn, "SELECT 1 FROM users WHERE id = ? AND role IN ('agent','admin') AND active = 1",
                                 *t.assignee_id, "assignee_id", v, "is not an active agent");
          !st)
        return st;
    }
  }
  if (in.has("group_id")) {
    t.group_id = in.integer("group_id");
    if (t.group_id) {
      if (auto st = check_exists(conn, "SELECT 1 FROM groups WHERE id = ? AND deleted = 0", *t.group_id, "group_id", v,
                                 "does not exist");
          !st)
        return st;
    }
  }
  if (in.has("organization_id")) {
    t.organization_id = in.integer("organization_id");
    if (t.organization_id) {
      if (auto st = check_exists(conn, "SELECT 1 FROM organizations WHERE id = ?", *t.organization_id,
                                 "organization_id", v, "does not exist");
          !st)
        return st;
    }
  }
  if (auto id = in.integer("requester_id")) {
    if (auto st = check_exists(conn, "SELECT 1 FROM users WHERE id = ?", *id, "requester_id", v, "does not exist"); !st)
      return st;
    t.requester_id = *id;
  } else if (auto req = in.object("requester")) {
    Validation rv;
    JsonInput r(*req, rv);
    auto email = r.str("email", 254);
    auto name = r.str("name", 255).value_or("");
    if (!email) {
      v.add("requester", "InvalidValue", "Requester: an email is required");
    } else {
      auto id = accounts::find_or_create_requester(tx, name, *email, actor);
      if (!id) {
        if (id.error().code != ErrorCode::validation) return fail(id.error());
        v.add("requester", "InvalidValue", id.error().details.begin()->second.front().description);
      } else {
        t.requester_id = *id;
      }
    }
  }
  if (auto tags = in.strings("tags")) t.tags = normalized_tags(*tags);
  if (auto add = in.strings("additional_tags")) {
    std::vector<std::string> all;
    for (auto& x : t.tags) all.push_back(x.get<std::string>());
    all.insert(all.end(), add->begin(), add->end());
    t.tags = normalized_tags(all);
  }
  if (auto rm = in.strings("remove_tags")) {
    auto gone = normalized_tags(*rm);
    Json kept = Json::array();
    for (auto& x : t.tags) {
      if (std::find(gone.begin(), gone.end(), x) == gone.end()) kept.push_back(x);
    }
    t.tags = kept;
  }
  if (in.has("external_id")) t.external_id = in.str("external_id", 255);
  if (in.has("due_at")) {
    auto s = in.str("due_at");
    if (!s) t.due_at.reset();
    else if (auto d = parse_iso8601(*s)) t.due_at = d;
    else v.add("due_at", "InvalidValue", "Due at: is not a valid time");
  }
  if (auto cf = in.array("custom_fields")) {
    for (const auto& f : *cf) {
      if (!f.is_object() || !f.contains("id") || !f["id"].is_number_integer()) {
        v.add("custom_fields", "InvalidValue", "Custom fields: each needs an integer id and a value");
        break;
      }
    }
    t.custom_fields = *cf;
  }
  if (auto ids = in.integers("collaborator_ids")) t.collaborator_ids = *ids;
  if (auto ids = in.integers("email_cc_ids")) t.email_cc_ids = *ids;
  if (auto ids = in.integers("follower_ids")) t.follower_ids = *ids;
  if (in.has("problem_id")) t.problem_id = in.integer("problem_id");
  if (in.has("recipient")) t.recipient = in.str("recipient", 254);
  if (creating) {
    if (auto s = in.integer("submitter_id")) t.submitter_id = *s;
  }
  return {};
}

Result<Ticket> read_ticket(store::Conn& conn, Id id);

// The full-text row of a ticket, derived from the ticket as it stands at the end of the batch
// (Tx::defer says why it waits until then): its subject, every comment's body in order, and its
// search facets; no row for a deleted or vanished ticket. Deriving instead of replaying the job's
// edits keeps the index true when a job rolls part of its work back to a savepoint of its own
// (a bulk create's failed item): a replayed insert would index a ticket that was never stored.
// The in-memory facet row (facet_table.hpp) is derived from the same state and set once the batch
// has committed, before its requests are answered.
void reindex_later(store::Tx& tx, Id id) {
  auto table = facet_table(tx.conn().path());
  std::shared_ptr<std::optional<FacetTable::Row>> row;  // only when a table is loaded
  if (table) {
    row = std::make_shared<std::optional<FacetTable::Row>>(FacetTable::Row{});
    tx.on_commit([table, row, id, path = tx.conn().path()] {
      if (*row) table->set(id, **row);
      else drop_facet_table(path);  // a ticket the table cannot hold: searches use the index alone
    });
  }
  tx.defer([id, row, table](store::Conn& conn) -> Status {
    if (table) {
      // Noted before the COMMIT, at the batch's newest event (text_matches.hpp says why).
      auto position = conn.scalar("SELECT max(id) FROM events");
      if (!position) return fail(position.error());
      table->text().note_change(position->value_or(0), id);
    } else {
      // No table here to note it in: a server's table and text cache see the epoch move, and the
      // table takes the ticket's row from the list (facet_table.hpp).
      if (auto r = conn.run("UPDATE search_epoch SET n = n + 1 WHERE id = 1"); !r) return fail(r.error());
      if (auto r = conn.run("INSERT OR IGNORE INTO search_changes(ticket_id) VALUES (?)", {id}); !r) return fail(r.error());
    }
    if (auto r = conn.run("DELETE FROM ticket_fts WHERE rowid = ?", {id}); !r) return fail(r.error());
    auto t = read_ticket(conn, id);
    if (!t) return t.error().code == ErrorCode::not_found ? Status{} : fail(t.error());
    if (row) *row = FacetTable::row_of(*t);
    if (t->deleted_at) return {};
    auto body = conn.scalar_text("SELECT group_concat(body, ' ') FROM (SELECT body FROM comments WHERE ticket_id = ? ORDER BY id)", {id});
    if (!body) return fail(body.error());
    auto r = conn.run("INSERT INTO ticket_fts(rowid, subject, body, facets) VALUES (?, ?, ?, ?)",
                      {id, t->subject, body->value_or(""), domain::facets::of(*t)});
    if (!r) return fail(r.error());
    return {};
  });
}

Status write_tags(store::Conn& conn, const Ticket& t) {
  if (auto r = conn.run("DELETE FROM ticket_tags WHERE ticket_id = ?", {t.id}); !r) return fail(r.error());
  for (const auto& tag : t.tags) {
    if (auto r = conn.run("INSERT OR IGNORE INTO ticket_tags(tag, ticket_id) VALUES (?, ?)", {tag.get<std::string>(), t.id}); !r)
      return fail(r.error());
  }
  return {};
}

struct NewComment {
  std::string body, html_body;
  bool is_public = true;
  Id author_id = 0;
  std::vector<std::string> uploads;  // tokens from POST /api/v2/uploads
};

// Reads `comment` from the input; nullopt when there is none.
std::optional<NewComment> read_comment(JsonInput& in, const Principal& actor, Id requester_id, bool& bad) {
  auto& v = in.validation();
  auto c = in.object("comment");
  if (!c) return std::nullopt;
  JsonInput ci(*c, v);
  NewComment out;
  auto body = ci.str("body", 1 << 20);
  auto html = ci.str("html_body", 1 << 20);
  if (html && !body) {
    out.html_body = *html;
    out.body = html_to_text(*html);
  } else if (body) {
    out.body = *body;
    out.html_body = html ? *html : text_to_html(*body);
  }
  if (auto p = ci.boolean("public")) out.is_public = *p;
  if (auto u = ci.strings("uploads")) out.uploads = *u;
  out.author_id = actor.user_id ? actor.user_id : requester_id;
  if (auto a = ci.integer("author_id")) {
    if (!actor.is_staff() && *a != actor.user_id) {
      v.add("comment", "InvalidValue", "Comment: author_id must be you");
      bad = true;
    }
    out.author_id = *a;
  }
  if (!actor.is_staff() && !out.is_public) {
    v.add("comment", "InvalidValue", "Comment: end users cannot add internal notes");
    bad = true;
  }
  if (trim(out.body).empty()) return NewComment{"", "", out.is_public, out.author_id};
  return out;
}

Result<Comment> insert_comment(store::Conn& conn, Id ticket_id, Id audit_id, const NewComment& nc, const Json& via,
                               int64_t now, const Json& metadata = Json::object()) {
  auto r = conn.run(
      "INSERT INTO comments(ticket_id, audit_id, author_id, body, html_body, public, via, metadata, created_at) "
      "VALUES (?,?,?,?,?,?,?,?,?)",
      {ticket_id, audit_id, nc.author_id, nc.body, nc.html_body, nc.is_public, via.dump(), metadata.dump(), now});
  if (!r) return fail(r.error());
  Comment c;
  c.id = conn.last_insert_id();
  c.ticket_id = ticket_id;
  c.audit_id = audit_id;
  c.author_id = nc.author_id;
  c.body = nc.body;
  c.html_body = nc.html_body;
  c.is_public = nc.is_public;
  c.via = via;
  c.metadata = metadata;
  c.created_at = now;
  return c;
}

Json comment_event(const Comment& c) {
  return {{"id", c.id},           {"type", "Comment"},          {"author_id", c.author_id},
          {"body", c.body},       {"html_body", c.html_body},   {"plain_body", c.body},
          {"public", c.is_public}, {"attachments", Json::array()}, {"audit_id", c.audit_id}};
}

store::Params ticket_params(const Ticket& t) {
  auto rank = domain::status_rank(t.status).value_or(0);
  return {t.external_id, t.channel, t.via_source.dump(), t.type, t.subject, t.description, t.priority, t.status,
          int64_t{rank}, t.recipient, t.requester_id, t.submitter_id, t.assignee_id, t.organization_id, t.group_id,
          t.is_public, t.due_at, t.tags.dump(), t.custom_fields.dump(), t.collaborator_ids.dump(),
          t.follower_ids.dump(), t.email_cc_ids.dump(), t.problem_id, t.followup_source_id, t.created_at,
          t.updated_at, t.solved_at, t.generated_ts};
}

Result<Ticket> read_ticket(store::Conn& conn, Id id) {
  std::optional<Ticket> t;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM tickets WHERE id = ?", {id},
                      [&](const store::Row& r) { t = map_ticket(r); });
  if (!st) return fail(st.error());
  if (!t) return fail(Error::not_found());
  return *t;
}

Json via_json(const std::string& channel, const Json& source) {
  return {{"channel", channel}, {"source", source.empty() ? Json{{"from", Json::object()}, {"to", Json::object()}, {"rel", nullptr}} : source}};
}

// Zendesk's via for a business rule's change: {channel: "rule", source: {rel, from: {id, title}}}.
Json rule_via_json(const RuleVia& r) {
  return {{"channel", "rule"},
          {"source", {{"rel", r.rel}, {"from", {{"id", r.id}, {"title", r.title}}}, {"to", Json::object()}}}};
}

Status check_solve(store::Conn& conn, Ticket& t, const Principal& actor, Validation& v) {
  if (t.status != "solved" && t.status != "closed") return {};
  if (!t.assignee_id) {
    // As in Zendesk, the solving agent becomes the assignee.
    if (actor.is_staff() && actor.user_id) t.assignee_id = actor.user_id;
    else v.add("assignee_id", "InvalidValue", "Assignee: is required to solve a ticket");
  }
  (void)conn;
  return {};
}

AfterWriteHook& after_write_hook() {
  static AfterWriteHook hook;
  return hook;
}

// Runs the registered hook after a create or an update (never for a rule's own change).
Status run_hook(store::Tx& tx, const std::optional<Ticket>& before, const std::optional<Comment>& comment,
                const Principal& actor, Change& change) {
  auto& hook = after_write_hook();
  if (!hook) return {};
  return hook(tx, Written{before, comment, actor}, change);
}

std::vector<CreateHook>& create_hooks() {
  static std::vector<CreateHook> hooks;  // written at wiring time only, read by the writer thread
  return hooks;
}

}  // namespace

void add_create_hook(CreateHook hook) { create_hooks().push_back(std::move(hook)); }
void clear_create_hooks() { create_hooks().clear(); }

std::string visibility_clause(const Principal& p, store::Params& params) {
  if (p.sees_all_tickets()) return "";
  if (p.is_staff()) {
    const auto& r = *p.ticket_restriction;
    if (r == "assigned") {
      params.push_back(p.user_id);
      params.push_back(p.user_id);
      return "assignee_id = ? OR requester_id = ?";
    }
    if (r == "requested") {
      params.push_back(p.user_id);
      return "requester_id = ?";
    }
    // "groups": their groups' tickets, their own, and tickets not yet routed to any group.
    std::string c = "group_id IS NULL OR assignee_id = ? OR requester_id = ?";
    params.push_back(p.user_id);
    params.push_back(p.user_id);
    if (!p.group_ids.empty()) {
      c += " OR group_id IN (" + store::placeholders(p.group_ids.size()) + ")";
      for (auto g : p.group_ids) params.push_back(g);
    }
    return c;
  }
  params.push_back(p.user_id);
  if (p.organization_shared && p.organization_id) {
    params.push_back(*p.organization_id);
    return "requester_id = ? OR organization_id = ?";
  }
  return "requester_id = ?";
}

bool can_see(const Principal& p, const Ticket& t) {
  if (t.deleted_at) return false;
  if (p.sees_all_tickets()) return true;
  bool own = t.requester_id == p.user_id;
  if (p.is_staff()) {
    const auto& r = *p.ticket_restriction;
    bool assigned = t.assignee_id && *t.assignee_id == p.user_id;
    if (r == "assigned") return assigned || own;
    if (r == "requested") return own;
    return own || assigned || !t.group_id ||
           std::find(p.group_ids.begin(), p.group_ids.end(), *t.group_id) != p.group_ids.end();
  }
  return own || (p.organization_shared && p.organization_id && t.organization_id == p.organization_id);
}

Result<Ticket> get_ticket(store::Conn& conn, Id id, const Principal& p) {
  auto t = read_ticket(conn, id);
  if (!t) return t;
  if (!can_see(p, *t)) return fail(Error::not_found());  // never reveal that it exists
  return t;
}

Result<std::vector<Ticket>> tickets_by_ids(store::Conn& conn, const std::vector<Id>& ids, const Principal& p) {
  std::vector<Ticket> out;
  if (ids.empty()) return out;
  store::Params params(ids.begin(), ids.end());
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM tickets WHERE id IN (" +
                          store::placeholders(ids.size()) + ") AND deleted_at IS NULL ORDER BY id",
                      params, [&](const store::Row& r) {
                        auto t = map_ticket(r);
                        if (can_see(p, t)) out.push_back(std::move(t));
                      });
  if (!st) return fail(st.error());
  return out;
}

Result<domain::Page<Ticket>> list_tickets(store::Conn& conn, const TicketFilter& f, const domain::PageRequest& pr,
                                          const Principal& p) {
  store::ListQuery q{k_columns, "tickets", {"deleted_at IS NULL"}, {}};
  if (auto vis = visibility_clause(p, q.params); !vis.empty()) q.where.push_back(vis);
  if (f.status) {
    q.where.push_back("status = ?");
    q.params.push_back(*f.status);
  }
  if (f.group_id) {
    q.where.push_back("group_id = ?");
    q.params.push_back(*f.group_id);
  }
  if (f.organization_id) {
    q.where.push_back("organization_id = ?");
    q.params.push_back(*f.organization_id);
  }
  if (f.requester_id) {
    q.where.push_back("requester_id = ?");
    q.params.push_back(*f.requester_id);
  }
  if (f.assignee) {
    if (*f.assignee) {
      q.where.push_back("assignee_id = ?");
      q.params.push_back(**f.assignee);
    } else {
      q.where.push_back("assignee_id IS NULL");
    }
  }
  if (f.external_id) {
    q.where.push_back("external_id = ?");
    q.params.push_back(*f.external_id);
  }
  // Everything visible, at most filtered by status: the live tickets are counted per status in
  // ticket_counts (kept by triggers in the same transaction as each change), so an offset page
  // does not scan the table to report `count`.
  bool only_status = !f.group_id && !f.organization_id && !f.requester_id && !f.assignee && !f.external_id;
  if (!pr.cursor && only_status && q.where.size() == 1 + (f.status ? 1 : 0)) {
    if (!f.status) {
      q.count_sql = "SELECT COALESCE(SUM(live), 0) FROM ticket_counts";
    } else if (auto rank = domain::status_rank(*f.status)) {
      q.count_sql = "SELECT COALESCE(SUM(live), 0) FROM ticket_counts WHERE status_rank = ?";
      q.count_params.push_back(int64_t{*rank});
    }
  }
  return store::run_list<Ticket>(conn, q, pr, map_ticket);
}

Result<std::vector<Ticket>> tickets_changed_since(store::Conn& conn, const domain::Cursor& after, int64_t before,
                                                  int64_t limit) {
  std::vector<Ticket> out;
  auto st = conn.each(std::string("SELECT ") + k_columns +
                          " FROM tickets WHERE (generated_ts > ? OR (generated_ts = ? AND id > ?)) AND generated_ts < ? "
                          "ORDER BY generated_ts, id LIMIT ?",
                      {after.key, after.key, after.id, before, limit},
                      [&](const store::Row& r) { out.push_back(map_ticket(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<Change> create_ticket(store::Tx& tx, const Json& in, const Principal& actor, const CreateOptions& opts) {
  auto& conn = tx.conn();
  Validation v;
  JsonInput input(in, v);
  if (!actor.is_staff()) {
    for (const char* f : {"assignee_id", "group_id", "status", "requester_id", "requester", "submitter_id",
                          "organization_id", "external_id", "tags", "due_at"}) {
      if (input.has(f)) return fail(Error::forbidden());
    }
  }
  int64_t now = now_epoch();
  Ticket t;
  t.channel = opts.channel;
  t.via_source = opts.via_source;
  t.followup_source_id = opts.followup_source_id;
  t.requester_id = actor.user_id;
  t.created_at = t.updated_at = t.generated_ts = now;
  if (auto st = apply_fields(tx, input, t, actor, true); !st) return fail(st.error());
  if (!t.requester_id) v.add("requester_id", "BlankValue", "Requester: cannot be blank");
  if (!t.submitter_id) t.submitter_id = actor.user_id ? actor.user_id : t.requester_id;
  bool bad_comment = false;
  auto nc = read_comment(input, actor, t.requester_id, bad_comment);
  if (!bad_comment && (!nc || nc->body.empty()))
    v.add("base", "BlankValue", "Description: cannot be blank");
  if (!input.has("status")) t.status = t.assignee_id ? "open" : "new";
  if (!v.ok()) return fail(v.error());
  if (t.subject.empty()) {
    auto first_line = nc->body.substr(0, nc->body.find('\n'));
    t.subject = first_line.substr(0, 80);
  }
  if (!input.has("organization_id")) {
    auto org = conn.scalar("SELECT organization_id FROM users WHERE id = ?", {t.requester_id});
    if (!org) return fail(org.error());
    t.organization_id = *org;
  }
  if (auto st = check_solve(conn, t, actor, v); !st) return fail(st.error());
  if (!v.ok()) return fail(v.error());
  if (t.status == "solved" || t.status == "closed") t.solved_at = now;
  t.description = nc->body;
  t.is_public = nc->is_public;

  std::string sql =
      "INSERT INTO tickets(external_id, channel, via_source, type, subject, description, priority, status, status_rank, "
      "recipient, requester_id, submitter_id, assignee_id, organization_id, group_id, is_public, due_at, tags, "
      "custom_fields, collaborator_ids, follower_ids, email_cc_ids, problem_id, followup_source_id, created_at, "
      "updated_at, solved_at, generated_ts) VALUES (" + store::placeholders(28) + ")";
  if (auto r = conn.run(sql, ticket_params(t)); !r) return fail(r.error());
  t.id = conn.last_insert_id();

  Json via = via_json(t.channel, t.via_source);
  Json metadata = {{"system", Json::object()}, {"custom", Json::object()}};
  if (actor.token_id) metadata["system"]["api_token_id"] = *actor.token_id;
  if (auto r = conn.run("INSERT INTO audits(ticket_id, author_id, via, metadata, events, created_at) VALUES (?,?,?,?,?,?)",
                        {t.id, actor_id(actor), via.dump(), metadata.dump(), "[]", now});
      !r)
    return fail(r.error());
  Audit audit;
  audit.id = conn.last_insert_id();
  audit.ticket_id = t.id;
  audit.author_id = actor_id(actor);
  audit.via = via;
  audit.metadata = metadata;
  audit.created_at = now;
  Json comment_metadata = metadata;
  comment_metadata.update(opts.comment_metadata);
  auto comment = insert_comment(conn, t.id, audit.id, *nc, via, now, comment_metadata);
  if (!comment) return fail(comment.error());
  if (auto st = link_uploads(conn, nc->uploads, t.id, comment->id, actor); !st) return fail(st.error());
  audit.events.push_back(comment_event(*comment));
  for (const char* f : k_audited) {
    Json val = field_value(t, f);
    if (!val.is_null() && !(val.is_array() && val.empty()))
      audit.events.push_back({{"type", "Create"}, {"field_name", f}, {"value", val}});
  }
  for (std::size_t i = 0; i < audit.events.size(); ++i) audit.events[i]["id"] = audit.id * 100 + static_cast<int64_t>(i);
  if (auto r = conn.run("UPDATE audits SET events = ? WHERE id = ?", {audit.events.dump(), audit.id}); !r)
    return fail(r.error());
  if (auto st = write_tags(conn, t); !st) return fail(st.error());
  reindex_later(tx, t.id);
  events::Event e{"ticket.created", "ticket", t.id, actor_id(actor), actor.token_id,
                  {{"status", t.status}, {"channel", t.channel}, {"requester_id", t.requester_id},
                   {"group_id", opt(t.group_id)}, {"assignee_id", opt(t.assignee_id)}, {"tags", t.tags},
                   {"audit_id", audit.id}, {"comment_id", comment->id}, {"public", comment->is_public}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  if (!create_hooks().empty()) {
    for (const auto& hook : create_hooks()) {
      if (auto st = hook(tx, t); !st) return fail(st.error());
    }
    auto after = read_ticket(conn, t.id);
    if (!after) return fail(after.error());
    t = std::move(*after);
  }
  Change out{t, audit};
  if (auto st = run_hook(tx, std::nullopt, *comment, actor, out); !st) return fail(st.error());
  return out;
}

namespace {
CommentHook g_comment_hook;

Result<Change> update_impl(store::Tx& tx, Id id, const Json& in, const Principal& actor, const RuleVia* rule,
                           std::optional<Id> join_audit, const UpdateOptions& opts) {
  auto& conn = tx.conn();
  auto current = get_ticket(conn, id, actor);
  if (!current) return fail(current.error());
  if (current->status == "closed")
    return fail(Error::field("status", "InvalidValue", "Status: closed prevents ticket update"));
  Validation v;
  JsonInput input(in, v);
  if (!actor.is_staff()) {
    for (auto it = in.begin(); it != in.end(); ++it) {
      if (it.key() != "comment" && it.key() != "subject" && it.key() != "priority") return fail(Error::forbidden());
    }
  }
  Ticket t = *current;
  int64_t now = now_epoch();
  if (auto st = apply_fields(tx, input, t, actor, false); !st) return fail(st.error());
  bool bad_comment = false;
  auto nc = read_comment(input, actor, t.requester_id, bad_comment);
  if (nc && nc->body.empty() && !bad_comment) v.add("comment", "BlankValue", "Comment: body cannot be blank");
  if (!v.ok()) return fail(v.error());
  // A requester's reply reopens a waiting or solved ticket; assigning a new ticket opens it.
  if (nc && !input.has("status") && nc->author_id == t.requester_id &&
      (t.status == "pending" || t.status == "solved" || t.status == "hold"))
    t.status = "open";
  if (!input.has("status") && t.status == "new" && t.assignee_id && actor.is_staff()) t.status = "open";
  if (auto st = check_solve(conn, t, actor, v); !st) return fail(st.error());
  if (!v.ok()) return fail(v.error());
  if ((t.status == "solved" || t.status == "closed") && current->status != t.status && current->status != "solved")
    t.solved_at = now;
  if (t.status == "solved" && current->status != "solved") t.solved_at = now;
  t.updated_at = t.generated_ts = now;

  Json changes = Json::array();
  Json changed = Json::object();
  for (const char* f : k_audited) {
    Json before = field_value(*current, f), after = field_value(t, f);
    if (before != after) {
      changes.push_back({{"type", "Change"}, {"field_name", f}, {"value", after}, {"previous_value", before}});
      changed[f] = {before, after};
    }
  }
  if (changes.empty() && !nc) {
    // Nothing changed: no audit, as in Zendesk.
    return Change{*current, Audit{}};
  }
  std::string sql =
      "UPDATE tickets SET external_id=?, channel=?, via_source=?, type=?, subject=?, description=?, priority=?, status=?, "
      "status_rank=?, recipient=?, requester_id=?, submitter_id=?, assignee_id=?, organization_id=?, group_id=?, "
      "is_public=?, due_at=?, tags=?, custom_fields=?, collaborator_ids=?, follower_ids=?, email_cc_ids=?, problem_id=?, "
      "followup_source_id=?, created_at=?, updated_at=?, solved_at=?, generated_ts=? WHERE id=?";
  auto params = ticket_params(t);
  params.push_back(id);
  if (auto r = conn.run(sql, params); !r) return fail(r.error());

  Json via = rule ? rule_via_json(*rule) : via_json(opts.channel, opts.via_source);
  Audit audit;
  if (join_audit) {
    // A trigger's changes join the audit of the update that fired it, as in Zendesk.
    bool found = false;
    auto st = conn.each("SELECT id, ticket_id, author_id, via, metadata, events, created_at FROM audits WHERE id = ?",
                        {*join_audit}, [&](const store::Row& r) {
                          audit = map_audit(r);
                          found = true;
                        });
    if (!st) return fail(st.error());
    if (!found || audit.ticket_id != id) return fail(Error::internal("the audit to join is not this ticket's"));
  } else {
    Json metadata = {{"system", Json::object()}, {"custom", Json::object()}};
    if (actor.token_id) metadata["system"]["api_token_id"] = *actor.token_id;
    if (auto r = conn.run("INSERT INTO audits(ticket_id, author_id, via, metadata, events, created_at) VALUES (?,?,?,?,?,?)",
                          {id, actor_id(actor), via.dump(), metadata.dump(), "[]", now});
        !r)
      return fail(r.error());
    audit.id = conn.last_insert_id();
    audit.ticket_id = id;
    audit.author_id = actor_id(actor);
    audit.via = via;
    audit.metadata = metadata;
    audit.created_at = now;
  }
  auto first_new_event = audit.events.size();
  std::optional<Comment> comment;
  if (nc) {
    Json comment_metadata = audit.metadata.is_object() ? audit.metadata : Json::object();
    comment_metadata.update(opts.comment_metadata);
    auto c = insert_comment(conn, id, audit.id, *nc, via, now, comment_metadata);
    if (!c) return fail(c.error());
    if (auto st = link_uploads(conn, nc->uploads, id, c->id, actor); !st) return fail(st.error());
    comment = *c;
    audit.events.push_back(comment_event(*c));
  }
  for (auto& c : changes) audit.events.push_back(c);
  for (std::size_t i = first_new_event; i < audit.events.size(); ++i) {
    audit.events[i]["id"] = audit.id * 100 + static_cast<int64_t>(i);
    if (rule && join_audit) audit.events[i]["via"] = via;  // which rule made this change
  }
  if (auto r = conn.run("UPDATE audits SET events = ? WHERE id = ?", {audit.events.dump(), audit.id}); !r)
    return fail(r.error());
  if (changed.contains("tags")) {
    if (auto st = write_tags(conn, t); !st) return fail(st.error());
  }
  // Text or a filterable field changed: the ticket's full-text row is derived again.
  if (nc || changed.contains("subject") || domain::facets::of(t) != domain::facets::of(*current)) reindex_later(tx, id);
  Json data = {{"changes", changed}, {"audit_id", audit.id}, {"status", t.status}};
  if (comment) {
    data["comment"] = {{"id", comment->id}, {"public", comment->is_public}, {"author_id", comment->author_id},
                       {"by_requester", comment->author_id == t.requester_id}};
  }
  if (rule) data["rule"] = {{"rel", rule->rel}, {"id", rule->id}, {"title", rule->title}};
  events::Event e{"ticket.updated", "ticket", id, actor_id(actor), actor.token_id, data};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  // The comment hook (email replies) runs for rules' comments too; the after-write hook
  // (triggers) never for a rule's own change.
  if (comment && g_comment_hook) {
    if (auto st = g_comment_hook(tx, t, *comment, actor); !st) return fail(st.error());
  }
  Change out{t, audit};
  if (!rule) {
    if (auto st = run_hook(tx, *current, comment, actor, out); !st) return fail(st.error());
  }
  return out;
}

}  // namespace

void set_comment_hook(CommentHook hook) { g_comment_hook = std::move(hook); }

Status replay_comment_hook(store::Tx& tx, Id ticket_id, const std::vector<Id>& comment_ids, const Principal& actor) {
  if (!g_comment_hook || comment_ids.empty()) return {};
  auto& conn = tx.conn();
  auto t = get_ticket(conn, ticket_id, accounts::system_principal());
  if (!t) return fail(t.error());
  for (Id id : comment_ids) {
    std::optional<Comment> c;
    auto st = conn.each(
        "SELECT id, ticket_id, audit_id, author_id, body, html_body, public, via, metadata, created_at FROM comments "
        "WHERE id = ? AND ticket_id = ?",
        {id, ticket_id}, [&](const store::Row& r) { c = map_comment(r); });
    if (!st) return fail(st.error());
    if (!c) continue;
    if (auto h = g_comment_hook(tx, *t, *c, actor); !h) return fail(h.error());
  }
  return {};
}

Result<Change> update_ticket(store::Tx& tx, Id id, const Json& in, const Principal& actor, const UpdateOptions& opts) {
  return update_impl(tx, id, in, actor, nullptr, std::nullopt, opts);
}

void set_after_write_hook(AfterWriteHook hook) { after_write_hook() = std::move(hook); }

Status run_after_write_hook(store::Tx& tx, const Ticket& before, const Principal& actor, Change& change) {
  return run_hook(tx, before, std::nullopt, actor, change);
}

Result<Change> apply_rule_update(store::Tx& tx, Id id, const Json& in, const RuleVia& rule, std::optional<Id> join_audit) {
  domain::Principal system;
  system.role = domain::Role::admin;  // rules act with an admin's reach, as Zendesk's do
  return update_impl(tx, id, in, system, &rule, join_audit, {});
}

Status delete_ticket(store::Tx& tx, Id id, const Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  auto current = get_ticket(tx.conn(), id, actor);
  if (!current) return fail(current.error());
  int64_t now = now_epoch();
  if (auto r = tx.conn().run("UPDATE tickets SET deleted_at = ?, updated_at = ?, generated_ts = ? WHERE id = ?",
                             {now, now, now, id});
      !r)
    return fail(r.error());
  reindex_later(tx, id);
  if (auto r = tx.conn().run("DELETE FROM ticket_tags WHERE ticket_id = ?", {id}); !r) return fail(r.error());
  events::Event e{"ticket.deleted", "ticket", id, actor_id(actor), actor.token_id, {{"status", current->status}}};
  if (auto ev = events::append(tx.conn(), e, now); !ev) return fail(ev.error());
  return {};
}

Result<domain::Page<Comment>> list_comments(store::Conn& conn, Id ticket_id, const domain::PageRequest& pr,
                                            const Principal& p) {
  if (auto t = get_ticket(conn, ticket_id, p); !t) return fail(t.error());
  store::ListQuery q{"id, ticket_id, audit_id, author_id, body, html_body, public, via, metadata, created_at",
                     "comments", {"ticket_id = ?"}, {ticket_id}};
  if (!p.is_staff()) q.where.push_back("public = 1");
  return store::run_list<Comment>(conn, q, pr, map_comment);
}

Result<domain::Page<Audit>> list_audits(store::Conn& conn, Id ticket_id, const domain::PageRequest& pr,
                                        const Principal& p) {
  if (!p.is_staff()) return fail(Error::forbidden());
  if (auto t = get_ticket(conn, ticket_id, p); !t) return fail(t.error());
  store::ListQuery q{"id, ticket_id, author_id, via, metadata, events, created_at", "audits", {"ticket_id = ?"}, {ticket_id}};
  return store::run_list<Audit>(conn, q, pr, map_audit);
}

Result<domain::JobStatus> queue_job(store::Tx& tx, const std::string& type, int64_t total, const Principal& actor) {
  domain::JobStatus j{crypto::random_token(12), type, "queued", total, 0, std::nullopt, nullptr};
  int64_t now = now_epoch();
  auto r = tx.conn().run(
      "INSERT INTO job_statuses(id, user_id, job_type, status, total, progress, created_at, updated_at) VALUES (?,?,?,?,?,0,?,?)",
      {j.id, actor.user_id, type, j.status, total, now, now});
  if (!r) return fail(r.error());
  return j;
}

Status run_create_many(store::Tx& tx, const std::string& job_id, const Json& tickets, const Principal& actor) {
  Json results = Json::array();
  int64_t index = 0, failed = 0;
  for (const auto& item : tickets) {
    (void)tx.conn().exec("SAVEPOINT item");
    auto r = create_ticket(tx, item, actor);
    if (r) {
      (void)tx.conn().exec("RELEASE item");
      results.push_back({{"index", index}, {"id", r->ticket.id}});
    } else {
      (void)tx.conn().exec("ROLLBACK TO item; RELEASE item");
      ++failed;
      Json err = {{"index", index}, {"error", r.error().code == ErrorCode::validation ? "RecordInvalid" : "Error"},
                  {"details", r.error().message}};
      if (!r.error().details.empty()) err["details"] = r.error().details.begin()->second.front().description;
      results.push_back(err);
    }
    ++index;
  }
  std::string message = "Completed at " + iso8601(now_epoch());
  if (failed) message += " (" + std::to_string(failed) + " failed)";
  auto r = tx.conn().run("UPDATE job_statuses SET status='completed', progress=?, message=?, results=?, updated_at=? WHERE id=?",
                         {index, message, results.dump(), now_epoch(), job_id});
  if (!r) return fail(r.error());
  return {};
}

Result<domain::JobStatus> get_job(store::Conn& conn, const std::string& id, const Principal& p) {
  std::optional<domain::JobStatus> j;
  std::optional<Id> owner;
  auto st = conn.each("SELECT id, job_type, status, total, progress, message, results, user_id FROM job_statuses WHERE id = ?",
                      {id}, [&](const store::Row& r) {
                        j = domain::JobStatus{r.text(0), r.text(1), r.text(2), r.i64(3), r.i64(4), r.opt_text(5),
                                              r.is_null(6) ? Json(nullptr) : parse_json(r.text(6), nullptr)};
                        owner = r.i64(7);
                      });
  if (!st) return fail(st.error());
  if (!j || (!p.is_admin() && owner != p.user_id)) return fail(Error::not_found());
  return *j;
}

std::string text_to_html(std::string_view text) {
  std::string out = "<div class=\"zd-comment\" dir=\"auto\"><p>";
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n':
        if (i + 1 < text.size() && text[i + 1] == '\n') {
          out += "</p><p>";
          while (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else {
          out += "<br>";
        }
        break;
      default: out.push_back(c);
    }
  }
  return out + "</p></div>";
}

std::string html_to_text(std::string_view html) {
  std::string out;
  for (std::size_t i = 0; i < html.size(); ++i) {
    if (html[i] == '<') {
      auto end = html.find('>', i);
      if (end == std::string_view::npos) break;
      auto tag = to_lower(html.substr(i + 1, std::min<std::size_t>(end - i - 1, 4)));
      if (tag.rfind("br", 0) == 0 || tag.rfind("/p", 0) == 0 || tag.rfind("/div", 0) == 0) out += '\n';
      i = end;
    } else if (html[i] == '&') {
      static const std::pair<const char*, const char*> k_entities[] = {
          {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
      bool matched = false;
      for (auto [e, r] : k_entities) {
        if (html.substr(i, std::strlen(e)) == e) {
          out += r;
          i += std::strlen(e) - 1;
          matched = true;
          break;
        }
      }
      if (!matched) out += '&';
    } else {
      out += html[i];
    }
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace rapport::tickets
