#include <rapport/triage/triage.hpp>

#include <algorithm>

#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/knowledge/knowledge.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::triage {

namespace {

constexpr const char* k_cols =
    "id, name, description, position, active, conditions, outcome, settings, created_at, updated_at";

Json parse_json(const std::string& s, Json fallback) {
  auto j = Json::parse(s, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

Category map_category(const store::Row& r) {
  Category c;
  c.id = r.i64(0);
  c.name = r.text(1);
  c.description = r.text(2);
  c.position = r.i64(3);
  c.active = r.i64(4) != 0;
  // Stored conditions were validated when saved; re-reading them needs no calendar check.
  auto stored = parse_json(r.text(5), Json::object());
  for (const char* key : {"all", "any"}) {
    if (!stored.contains(key) || !stored[key].is_array()) continue;
    for (const auto& x : stored[key])
      (std::string(key) == "all" ? c.conditions.all : c.conditions.any)
          .push_back({x.value("field", ""), x.value("operator", ""), x.contains("value") ? x["value"] : Json(nullptr)});
  }
  c.outcome = r.text(6);
  c.settings = parse_json(r.text(7), Json::object());
  c.created_at = r.i64(8);
  c.updated_at = r.i64(9);
  return c;
}

std::optional<Id> actor_of(const Principal& p) { return p.user_id ? std::optional<Id>(p.user_id) : std::nullopt; }

Status record(store::Conn& conn, const std::string& kind, const std::string& entity, Id id, std::optional<Id> actor,
              std::optional<Id> token, Json data, int64_t now) {
  events::Event e{kind, entity, id, actor, token, std::move(data)};
  if (auto r = events::append(conn, e, now); !r) return fail(r.error());
  return {};
}

Result<std::optional<Category>> read_category(store::Conn& conn, Id id) {
  std::optional<Category> out;
  auto st = conn.each(std::string("SELECT ") + k_cols + " FROM triage_categories WHERE id = ?", {id},
                      [&](const store::Row& r) { out = map_category(r); });
  if (!st) return fail(st.error());
  return out;
}

// An answer must be something every customer may read: a published, public article.
Principal anonymous_reader() { return Principal{}; }

Principal system_admin() {
  Principal p;
  p.role = domain::Role::admin;
  return p;
}

// Checks the outcome's settings and returns them normalized; problems go to `v` under "settings".
Json check_settings(store::Conn& conn, const std::string& outcome, const Json& in, Validation& v) {
  auto bad = [&](const std::string& why) { v.add("settings", "InvalidValue", "Settings: " + why); };
  Json out = Json::object();
  if (!in.is_object()) {
    bad("must be an object");
    return out;
  }
  auto id_of = [&](const char* key) -> std::optional<Id> {
    if (!in.contains(key) || in[key].is_null()) return std::nullopt;
    std::optional<int64_t> n;
    if (in[key].is_number_integer()) n = in[key].get<int64_t>();
    else if (in[key].is_string()) n = parse_int(in[key].get<std::string>());
    if (!n || *n <= 0) {
      bad(std::string(key) + " must be an id");
      return std::nullopt;
    }
    return *n;
  };
  if (outcome == "self_service") {
    auto article = id_of("article_id");
    auto macro = id_of("macro_id");
    if (article.has_value() == macro.has_value()) {
      bad("a self-service answer needs exactly one of article_id and macro_id");
    } else if (article) {
      auto a = knowledge::get_article(conn, *article, anonymous_reader());
      if (!a) bad("article " + std::to_string(*article) + " is not a published public article");
      else out["article_id"] = *article;
    } else {
      auto m = automation::get_rule(conn, automation::RuleKind::macro, *macro, system_admin());
      if (!m) bad("macro " + std::to_string(*macro) + " does not exist");
      else out["macro_id"] = *macro;
    }
    std::string status = in.contains("status") && in["status"].is_string() ? in["status"].get<std::string>() : "pending";
    if (status != "pending" && status != "solved") bad("status must be pending or solved");
    out["status"] = status;
    return out;
  }
  auto group = id_of("group_id");
  if (group) {
    auto g = conn.scalar("SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {*group});
    if (!g || !*g) bad("group " + std::to_string(*group) + " does not exist");
    else out["group_id"] = *group;
  } else if (outcome == "sensitive") {
    bad("a sensitive outcome needs the specialist group_id");
  }
  if (in.contains("priority") && !in["priority"].is_null()) {
    if (!in["priority"].is_string() || !domain::valid_priority(in["priority"].get<std::string>()))
      bad("priority must be low, normal, high or urgent");
    else out["priority"] = in["priority"];
  }
  if (in.contains("tags") && !in["tags"].is_null()) {
    Json tags = Json::array();
    bool ok = in["tags"].is_array() && in["tags"].size() <= 20;
    if (ok)
      for (const auto& t : in["tags"]) {
        if (!t.is_string()) {
          ok = false;
          break;
        }
        auto n = domain::normalize_tag(t.get<std::string>());
        if (!n.empty()) tags.push_back(n);
      }
    if (!ok) bad("tags must be an array of at most 20 tags");
    else out["tags"] = tags;
  }
  if (outcome == "skilled_team" && !out.contains("group_id") && !out.contains("priority") && !out.contains("tags") &&
      v.ok())
    bad("a skilled_team outcome sets at least one of group_id, priority and tags");
  return out;
}

Status apply_input(store::Conn& conn, const Json& in, Category& c, bool creating, const automation::RuleOptions& o) {
  Validation v;
  JsonInput input(in, v);
  if (auto s = input.str("name", 255)) c.name = std::string(trim(*s));
  if ((creating || input.has("name")) && c.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (auto s = input.str("description", 65536)) c.description = *s;
  if (auto b = input.boolean("active")) c.active = *b;
  if (auto p = input.integer("position")) c.position = std::max<int64_t>(0, *p);
  if (input.has("outcome")) {
    auto s = input.str("outcome", 32);
    if (s && std::find(std::begin(k_outcomes), std::end(k_outcomes), *s) != std::end(k_outcomes)) c.outcome = *s;
    else v.add("outcome", "InvalidValue", "Outcome: must be self_service, skilled_team or sensitive");
  } else if (creating) {
    v.add("outcome", "BlankValue", "Outcome: must be self_service, skilled_team or sensitive");
  }
  if (input.has("conditions")) {
    auto hours = o.hours ? o.hours->open(conn) : nullptr;
    c.conditions = automation::parse_conditions(in["conditions"], automation::RuleKind::trigger, hours.get(), v);
  }
  if (v.ok() && c.conditions.empty())
    v.add("conditions", "BlankValue", "Conditions: a category needs at least one condition");
  if (!c.outcome.empty() && (creating || input.has("settings") || input.has("outcome")))
    c.settings = check_settings(conn, c.outcome, in.contains("settings") ? in["settings"] : c.settings, v);
  if (!v.ok()) return fail(v.error());
  return {};
}

Status save(store::Conn& conn, Category& c, bool creating) {
  auto conds = automation::to_json(c.conditions).dump();
  if (creating) {
    auto r = conn.run(
        "INSERT INTO triage_categories(name, description, position, active, conditions, outcome, settings, created_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        {c.name, c.description, c.position, c.active, conds, c.outcome, c.settings.dump(), c.created_at, c.updated_at});
    if (!r) return fail(r.error());
    c.id = conn.last_insert_id();
    return {};
  }
  auto r = conn.run(
      "UPDATE triage_categories SET name=?, description=?, position=?, active=?, conditions=?, outcome=?, settings=?, "
      "updated_at=? WHERE id=?",
      {c.name, c.description, c.position, c.active, conds, c.outcome, c.settings.dump(), c.updated_at, c.id});
  if (!r) return fail(r.error());
  return {};
}

// ---- the create hook ----

// Who an automatic answer is written as: the first active admin (never the customer).
Result<Id> answer_author(store::Conn& conn) {
  auto admin = conn.scalar("SELECT MIN(id) FROM users WHERE role = 'admin' AND active = 1");
  if (!admin) return fail(admin.error());
  if (!*admin) return fail(Error::internal("no admin to write the triage answer as"));
  return **admin;
}

// The answer a self-service category sends: an update in update_ticket's shape.
Result<std::optional<Json>> answer(store::Conn& conn, const Category& c, const domain::Ticket& t, const Options& o) {
  auto author = answer_author(conn);
  if (!author) return fail(author.error());
  Json update = Json::object();
  Json comment = {{"public", true}, {"author_id", *author}};
  if (c.settings.contains("article_id")) {
    auto a = knowledge::get_article(conn, c.settings["article_id"].get<Id>(), anonymous_reader());
    if (!a) {
      if (a.error().code == ErrorCode::not_found) return std::optional<Json>();  // unpublished since: no answer
      return fail(a.error());
    }
    std::string link = o.public_url + "/hc/articles/" + std::to_string(a->id);
    comment["html_body"] = "<p>This article answers questions like yours:</p><h2>" + html_escape(a->title) + "</h2>" +
                           a->body_html + "<p><a href=\"" + html_escape(link) + "\">" + html_escape(link) +
                           "</a></p><p>If it doesn't help, just reply and a person will take over.</p>";
  } else {
    auto m = automation::apply_macro(conn, c.settings["macro_id"].get<Id>(), t.id, system_admin(), o.engine);
    if (!m) {
      if (m.error().code == ErrorCode::not_found) return std::optional<Json>();  // deleted since
      return fail(m.error());
    }
    if ((*m).contains("ticket") && (*m)["ticket"].is_object())
      for (auto it = (*m)["ticket"].begin(); it != (*m)["ticket"].end(); ++it)
        if (it.key() != "id") update[it.key()] = it.value();
    if (!(*m).contains("comment")) return std::optional<Json>();  // a macro without a reply answers nothing
    const auto& mc = (*m)["comment"];
    // A text macro's body stays text; an HTML macro (its HTML is not just the text's) keeps its HTML.
    std::string body = mc.value("body", ""), html = mc.value("html_body", "");
    if (html.empty() || html == tickets::text_to_html(body)) comment["body"] = body;
    else comment["html_body"] = html;
  }
  update["comment"] = comment;
  update["status"] = c.settings.value("status", "pending");
  // Solving needs an assignee (as in Zendesk): the answer's author, unless the macro set one.
  if (update["status"] == "solved" && !t.assignee_id && !update.contains("assignee_id")) update["assignee_id"] = *author;
  return std::optional<Json>(update);
}

std::string token_signature(const std::string& secret, Id id, int64_t expires, const std::string& nonce) {
  return crypto::hmac_sha256_hex(secret, "triage." + std::to_string(id) + "." + std::to_string(expires) + "." + nonce)
      .substr(0, 40);
}

// The verification link, mailed to the requester in the ticket's transaction.
Status send_verification(store::Tx& tx, const domain::Ticket& t, const Category& c, const Options& o, int64_t now) {
  auto& conn = tx.conn();
  auto email = conn.scalar_text("SELECT email FROM users WHERE id = ? AND email IS NOT NULL", {t.requester_id});
  if (!email) return fail(email.error());
  auto secret = feedback::ensure_secret(tx);
  if (!secret) return fail(secret.error());
  std::string nonce = crypto::random_token(16);
  int64_t expires = now + k_verification_ttl;
  auto r = conn.run(
      "INSERT INTO triage_verifications(ticket_id, requester_id, nonce, expires_at, created_at) VALUES (?,?,?,?,?)",
      {t.id, t.requester_id, nonce, expires, now});
  if (!r) return fail(r.error());
  Id id = conn.last_insert_id();
  std::string token = std::to_string(id) + "." + std::to_string(expires) + "." + token_signature(*secret, id, expires, nonce);
  std::string url = o.public_url + "/triage/verify/" + token;
  if (*email) {
    std::string body =
        "We received your message \"" + t.subject +
        "\".\n\nBecause it concerns the security of your account, we continue this conversation only after you "
        "confirm that this address is yours. Open this link within 7 days to confirm:\n\n" +
        url + "\n\nUntil then our replies are not sent by email. If you did not write to us, ignore this message.";
    Json headers = {{"Auto-Submitted", "auto-generated"}};
    auto q = conn.run(
        "INSERT INTO outbox(kind, to_address, subject, body_text, body_html, headers, ticket_id, related_id, "
        "next_attempt_at, created_at, auto_submitted) VALUES (?,?,?,?,?,?,?,?,?,?,1)",
        {"notification", **email, "Please confirm it's you [#" + std::to_string(t.id) + "]", body,
         tickets::text_to_html(body), headers.dump(), t.id, id, now, now});
    if (!q) return fail(q.error());
  }
  return record(conn, "triage.verification_sent", "ticket", t.id, std::nullopt, std::nullopt,
                {{"category_id", c.id}, {"verification_id", id}, {"emailed", email->has_value()}}, now);
}

Status apply_outcome(store::Tx& tx, const Category& c, const domain::Ticket& t, const Options& o, int64_t now) {
  auto& conn = tx.conn();
  tickets::RuleVia via{"triage_category", c.id, c.name};
  bool answered = false;
  if (c.outcome == "self_service") {
    auto u = answer(conn, c, t, o);
    if (!u) return fail(u.error());
    if (*u) {
      auto r = tickets::apply_rule_update(tx, t.id, **u, via);
      if (!r) return fail(r.error());
      answered = true;
    }
  } else {
    Json update = Json::object();
    if (c.settings.contains("group_id")) update["group_id"] = c.settings["group_id"];
    if (c.settings.contains("priority")) update["priority"] = c.settings["priority"];
    if (c.settings.contains("tags")) update["additional_tags"] = c.settings["tags"];
    if (!update.empty()) {
      auto r = tickets::apply_rule_update(tx, t.id, update, via);
      if (!r) return fail(r.error());
    }
  }
  bool sensitive = c.outcome == "sensitive";
  auto r = conn.run(
      "INSERT INTO triage_contacts(ticket_id, category_id, category_name, outcome, auto_answered, private, created_at) "
      "VALUES (?,?,?,?,?,?,?)",
      {t.id, c.id, c.name, c.outcome, answered, sensitive, now});
  if (!r) return fail(r.error());
  if (auto st = record(conn, "triage.categorized", "ticket", t.id, std::nullopt, std::nullopt,
                       {{"category_id", c.id}, {"category", c.name}, {"outcome", c.outcome}, {"auto_answered", answered},
                        {"private", sensitive}},
                       now);
      !st)
    return st;
  if (sensitive) return send_verification(tx, t, c, o, now);
  return {};
}

struct ParsedToken {
  Id id = 0;
  int64_t expires = 0;
  std::string signature;
};
std::optional<ParsedToken> parse_token(const std::string& token) {
  auto parts = split(token, '.');
  if (parts.size() != 3 || token.size() > 200) return std::nullopt;
  auto id = parse_int(parts[0]);
  auto exp = parse_int(parts[1]);
  if (!id || !exp) return std::nullopt;
  return ParsedToken{*id, *exp, parts[2]};
}

struct VerificationRow {
  Id id = 0, ticket_id = 0;
  std::string nonce, subject;
  int64_t expires_at = 0;
  std::optional<int64_t> used_at;
};
Result<VerificationRow> check_token(store::Conn& conn, const std::string& secret, const std::string& token) {
  auto p = parse_token(token);
  if (!p) return fail(Error::not_found());
  std::optional<VerificationRow> row;
  auto st = conn.each(
      "SELECT v.id, v.ticket_id, v.nonce, v.expires_at, v.used_at, t.subject FROM triage_verifications v "
      "JOIN tickets t ON t.id = v.ticket_id WHERE v.id = ?",
      {p->id}, [&](const store::Row& r) {
        row = VerificationRow{r.i64(0), r.i64(1), r.text(2), r.text(5), r.i64(3), r.opt_i64(4)};
      });
  if (!st) return fail(st.error());
  if (!row || row->expires_at != p->expires ||
      !crypto::equal_constant_time(token_signature(secret, row->id, row->expires_at, row->nonce), p->signature))
    return fail(Error::not_found());
  return *row;
}

VerificationView view_of(const VerificationRow& r, int64_t now) {
  return {r.ticket_id, r.subject, r.used_at.has_value(), now >= r.expires_at, r.expires_at};
}

}  // namespace

bool can_read(const Principal& p) {
  return p.is_admin() || (p.is_staff() && p.rapport_role != domain::RapportRole::none);
}

Result<std::vector<Category>> list_categories(store::Conn& conn, const Principal& p) {
  if (!can_read(p)) return fail(Error::forbidden());
  std::vector<Category> out;
  auto st = conn.each(std::string("SELECT ") + k_cols + " FROM triage_categories ORDER BY position, id", {},
                      [&](const store::Row& r) { out.push_back(map_category(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<Category> get_category(store::Conn& conn, Id id, const Principal& p) {
  if (!can_read(p)) return fail(Error::forbidden());
  auto c = read_category(conn, id);
  if (!c) return fail(c.error());
  if (!*c) return fail(Error::not_found());
  return **c;
}

Result<Category> create_category(store::Tx& tx, const Json& in, const Principal& p, const automation::RuleOptions& o) {
  if (!p.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto n = conn.scalar("SELECT COUNT(*) FROM triage_categories");
  if (!n) return fail(n.error());
  if (n->value_or(0) >= static_cast<int64_t>(k_max_categories))
    return fail(Error::field("base", "InvalidValue", "At most " + std::to_string(k_max_categories) + " categories"));
  auto last = conn.scalar("SELECT COALESCE(MAX(position), 0) FROM triage_categories");
  if (!last) return fail(last.error());
  Category c;
  c.position = last->value_or(0) + 1;  // a new category goes last unless a position is given
  if (auto st = apply_input(conn, in, c, true, o); !st) return fail(st.error());
  c.created_at = c.updated_at = now_epoch();
  if (auto st = save(conn, c, true); !st) return fail(st.error());
  if (auto st = record(conn, "triage_category.created", "triage_category", c.id, actor_of(p), p.token_id,
                       {{"name", c.name}, {"outcome", c.outcome}}, c.created_at);
      !st)
    return fail(st.error());
  return c;
}

Result<Category> update_category(store::Tx& tx, Id id, const Json& in, const Principal& p,
                                 const automation::RuleOptions& o) {
  if (!p.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto c = read_category(conn, id);
  if (!c) return fail(c.error());
  if (!*c) return fail(Error::not_found());
  if (auto st = apply_input(conn, in, **c, false, o); !st) return fail(st.error());
  (*c)->updated_at = now_epoch();
  if (auto st = save(conn, **c, false); !st) return fail(st.error());
  if (auto st = record(conn, "triage_category.updated", "triage_category", id, actor_of(p), p.token_id,
                       {{"name", (*c)->name}, {"outcome", (*c)->outcome}}, (*c)->updated_at);
      !st)
    return fail(st.error());
  return **c;
}

Status delete_category(store::Tx& tx, Id id, const Principal& p) {
  if (!p.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto r = conn.run("DELETE FROM triage_categories WHERE id = ?", {id});
  if (!r) return fail(r.error());
  if (*r == 0) return fail(Error::not_found());
  return record(conn, "triage_category.deleted", "triage_category", id, actor_of(p), p.token_id, Json::object(),
                now_epoch());
}

Json to_json(const Category& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"description", c.description},
          {"position", c.position},
          {"active", c.active},
          {"conditions", automation::to_json(c.conditions)},
          {"outcome", c.outcome},
          {"settings", c.settings},
          {"created_at", iso8601(c.created_at)},
          {"updated_at", iso8601(c.updated_at)}};
}

Status on_ticket_created(store::Tx& tx, const domain::Ticket& t, const Options& o) {
  auto& conn = tx.conn();
  if (!domain::is_unsolved(t.status)) return {};  // an incident or another hook answered it already
  // Only customers' contacts: a ticket an agent opened for themselves is internal work.
  auto role = conn.scalar_text("SELECT role FROM users WHERE id = ?", {t.requester_id});
  if (!role) return fail(role.error());
  if (!*role || **role != "end-user") return {};
  // A known incident answered it already (its hook runs first): one automatic answer is enough.
  auto linked = conn.scalar("SELECT 1 FROM incident_tickets WHERE ticket_id = ?", {t.id});
  if (!linked) return fail(linked.error());
  if (*linked) return {};
  std::vector<Category> cats;
  auto st = conn.each(std::string("SELECT ") + k_cols + " FROM triage_categories WHERE active = 1 ORDER BY position, id",
                      {}, [&](const store::Row& r) { cats.push_back(map_category(r)); });
  if (!st) return fail(st.error());
  if (cats.empty()) return {};
  int64_t now = now_epoch();
  automation::Facts f;
  f.ticket = &t;
  f.is_create = true;
  domain::Comment first;
  first.ticket_id = t.id;
  first.body = t.description;
  first.author_id = t.requester_id;
  f.comment = first;
  f.current_user_role = "end_user";
  f.current_user_id = t.requester_id;
  f.now = now;
  auto hours = o.engine.hours ? o.engine.hours->open(conn) : nullptr;
  f.hours = hours.get();
  for (const auto& c : cats)
    if (automation::matches(c.conditions, f)) return apply_outcome(tx, c, t, o, now);
  return {};
}

Result<bool> withholds_replies(store::Conn& conn, Id ticket_id) {
  auto r = conn.scalar("SELECT 1 FROM triage_contacts WHERE ticket_id = ? AND private = 1 AND verified_at IS NULL",
                       {ticket_id});
  if (!r) return fail(r.error());
  return r->has_value();
}

Result<VerificationView> open_verification(store::Conn& conn, const std::string& token) {
  auto secret = feedback::load_secret(conn);
  if (!secret) return fail(Error::not_found());  // no link was ever signed
  auto row = check_token(conn, *secret, token);
  if (!row) return fail(row.error());
  return view_of(*row, now_epoch());
}

Result<VerificationView> verify(store::Tx& tx, const std::string& token) {
  auto& conn = tx.conn();
  auto secret = feedback::load_secret(conn);
  if (!secret) return fail(Error::not_found());
  auto row = check_token(conn, *secret, token);
  if (!row) return fail(row.error());
  int64_t now = now_epoch();
  if (row->used_at) return fail(Error::conflict("This link was already used"));
  if (now >= row->expires_at) return fail(Error::invalid("This link has expired; reply to our email to get a new one"));
  auto u = conn.run("UPDATE triage_verifications SET used_at = ? WHERE id = ? AND used_at IS NULL", {now, row->id});
  if (!u) return fail(u.error());
  if (*u == 0) return fail(Error::conflict("This link was already used"));
  auto c = conn.run("UPDATE triage_contacts SET verified_at = ? WHERE ticket_id = ? AND verified_at IS NULL",
                    {now, row->ticket_id});
  if (!c) return fail(c.error());
  if (auto st = record(conn, "triage.verified", "ticket", row->ticket_id, std::nullopt, std::nullopt,
                       {{"verification_id", row->id}}, now);
      !st)
    return fail(st.error());
  // The replies held back while the address was unconfirmed go out now, oldest first, through
  // the comment hook (the outbox) in this transaction. Exactly once: the link is single-use, and
  // a reply that is already in the outbox is skipped.
  std::vector<Id> held;
  auto st = conn.each(
      "SELECT c.id FROM comments c JOIN tickets t ON t.id = c.ticket_id WHERE c.ticket_id = ? AND c.public = 1 "
      "AND c.author_id <> t.requester_id AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.comment_id = c.id) "
      "ORDER BY c.id LIMIT ?",
      {row->ticket_id, k_max_released}, [&](const store::Row& r) { held.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  if (auto rs = tickets::replay_comment_hook(tx, row->ticket_id, held, system_admin()); !rs) return fail(rs.error());
  row->used_at = now;
  auto view = view_of(*row, now);
  view.replies_released = static_cast<int>(held.size());
  // The conversation for the page: public comments only (the requester's own view of the ticket).
  st = conn.each(
      "SELECT u.name, c.body, c.created_at FROM (SELECT author_id, body, created_at, id FROM comments "
      "WHERE ticket_id = ? AND public = 1 ORDER BY id DESC LIMIT 50) c LEFT JOIN users u ON u.id = c.author_id "
      "ORDER BY c.id",
      {row->ticket_id}, [&](const store::Row& r) { view.conversation.push_back({r.text(0), r.text(1), r.i64(2)}); });
  if (!st) return fail(st.error());
  return view;
}

Result<Report> report(store::Conn& conn, int64_t start, int64_t end, const Principal& p) {
  if (!can_read(p)) return fail(Error::forbidden());
  if (end <= start) return fail(Error::invalid("end_time must be after start_time"));
  Report rep;
  rep.start_time = start;
  rep.end_time = end;
  auto st = conn.each(
      "SELECT category_id, category_name, outcome, COUNT(*), SUM(auto_answered), SUM(verified_at IS NOT NULL) "
      "FROM triage_contacts WHERE created_at >= ? AND created_at < ? "
      "GROUP BY category_id, category_name, outcome ORDER BY 4 DESC, 1",
      {start, end}, [&](const store::Row& r) {
        rep.by_category.push_back({r.i64(0), r.text(1), r.text(2), r.i64(3), r.i64(4), r.i64(5)});
        rep.triaged += r.i64(3);
      });
  if (!st) return fail(st.error());
  auto contacts = conn.scalar("SELECT COUNT(*) FROM tickets WHERE created_at >= ? AND created_at < ?", {start, end});
  if (!contacts) return fail(contacts.error());
  rep.contacts = contacts->value_or(0);
  return rep;
}

Json to_json(const Report& r) {
  Json rows = Json::array();
  Json outcomes = Json::object();
  for (auto o : k_outcomes) outcomes[std::string(o)] = 0;
  for (const auto& x : r.by_category) {
    rows.push_back({{"category_id", x.category_id ? Json(*x.category_id) : Json(nullptr)},
                    {"name", x.name},
                    {"outcome", x.outcome},
                    {"contacts", x.contacts},
                    {"auto_answered", x.auto_answered},
                    {"verified", x.verified}});
    outcomes[x.outcome] = outcomes.value(x.outcome, 0) + x.contacts;
  }
  return {{"start_time", iso8601(r.start_time)},
          {"end_time", iso8601(r.end_time)},
          {"contacts", r.contacts},
          {"triaged", r.triaged},
          {"untriaged", r.contacts - r.triaged},
          {"by_outcome", outcomes},
          {"by_category", rows}};
}

}  // namespace rapport::triage
