#include <rapport/knowledge/deflection.hpp>

#include <map>
#include <regex>

#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::knowledge {

namespace {

constexpr const char* k_attempt_columns =
    "id, token, outcome, email, subject, description, region, article_id, section_id, category_id, ticket_id, "
    "created_at, decided_at";
constexpr std::size_t k_max_subject = 255;
constexpr std::size_t k_max_description = 32 * 1024;

Attempt map_attempt(const store::Row& r) {
  Attempt a;
  a.id = r.i64(0);
  a.token = r.text(1);
  a.outcome = r.text(2);
  a.email = r.text(3);
  a.subject = r.text(4);
  a.description = r.text(5);
  a.region = r.opt_text(6);
  a.article_id = r.opt_i64(7);
  a.section_id = r.opt_i64(8);
  a.category_id = r.opt_i64(9);
  a.ticket_id = r.opt_i64(10);
  a.created_at = r.i64(11);
  a.decided_at = r.opt_i64(12);
  return a;
}

std::optional<Id> actor_id(const Principal& p) { return p.user_id ? std::optional<Id>(p.user_id) : std::nullopt; }

Status append_event(store::Conn& conn, const std::string& kind, Id attempt_id, std::optional<Id> actor, Json data,
                    int64_t now) {
  events::Event e{kind, "contact_attempt", attempt_id, actor, std::nullopt, std::move(data)};
  if (auto r = events::append(conn, e, now); !r) return fail(r.error());
  return {};
}

bool valid_email(const std::string& e) {
  static const std::regex re(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)");
  return e.size() <= 254 && std::regex_match(e, re);
}

// Regions are short codes ("eu", "us-east"): lower-cased; anything else is refused.
std::optional<std::string> normalize_region(std::string_view raw, Validation& v) {
  auto r = to_lower(trim(raw));
  if (r.empty()) return std::nullopt;
  bool ok = r.size() <= 32;
  for (char c : r) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  if (!ok) {
    v.add("region", "InvalidValue", "Region: letters, digits, - and _ only (at most 32)");
    return std::nullopt;
  }
  return r;
}

Principal anonymous() { return Principal{}; }

Result<std::optional<Attempt>> find_attempt(store::Conn& conn, const std::string& token) {
  std::optional<Attempt> out;
  if (token.empty() || token.size() > 64) return out;
  auto st = conn.each(std::string("SELECT ") + k_attempt_columns + " FROM contact_attempts WHERE token = ?", {token},
                      [&](const store::Row& r) { out = map_attempt(r); });
  if (!st) return fail(st.error());
  return out;
}

Result<bool> was_shown(store::Conn& conn, Id attempt_id, Id article_id) {
  auto r = conn.scalar("SELECT 1 FROM deflections WHERE attempt_id = ? AND article_id = ? AND action = 'shown'",
                       {attempt_id, article_id});
  if (!r) return fail(r.error());
  return r->has_value();
}

Status insert_deflection(store::Conn& conn, const std::string& surface, const std::string& action, Id article_id,
                         std::optional<Id> attempt_id, std::optional<Id> ticket_id, std::optional<Id> user_id,
                         std::optional<int64_t> rank, int64_t now) {
  auto r = conn.run(
      "INSERT INTO deflections(surface, action, article_id, attempt_id, ticket_id, user_id, list_rank, created_at) "
      "VALUES (?,?,?,?,?,?,?,?)",
      {surface, action, article_id, attempt_id, ticket_id, user_id, rank, now});
  if (!r) return fail(r.error());
  return {};
}

}  // namespace

Status validate_form(const ContactForm& f) {
  Validation v;
  if (trim(f.name).empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  else if (f.name.size() > 255) v.add("name", "InvalidValue", "Name: is too long (maximum is 255 characters)");
  if (trim(f.email).empty()) v.add("email", "BlankValue", "Email: cannot be blank");
  else if (!valid_email(std::string(trim(f.email)))) v.add("email", "InvalidValue", "Email: is not properly formatted");
  if (trim(f.subject).empty()) v.add("subject", "BlankValue", "Subject: cannot be blank");
  else if (f.subject.size() > k_max_subject) v.add("subject", "InvalidValue", "Subject: is too long (maximum is 255 characters)");
  if (trim(f.description).empty()) v.add("description", "BlankValue", "Description: cannot be blank");
  else if (f.description.size() > k_max_description)
    v.add("description", "InvalidValue", "Description: is too long (maximum is 32768 characters)");
  if (f.region) normalize_region(*f.region, v);
  if (!v.ok()) return fail(v.error());
  return {};
}

Result<Started> start_attempt(store::Tx& tx, const ContactForm& f, int64_t limit) {
  if (auto st = validate_form(f); !st) return fail(st.error());
  auto& conn = tx.conn();
  Validation v;
  auto region = f.region ? normalize_region(*f.region, v) : std::nullopt;
  auto hits = suggest_articles(conn, f.subject + "\n" + f.description, anonymous(), limit);
  if (!hits) return fail(hits.error());
  int64_t now = now_epoch();
  Attempt a;
  a.token = crypto::random_token(16);
  a.outcome = "pending";
  a.email = to_lower(trim(f.email));
  a.subject = std::string(trim(f.subject));
  a.description = f.description;
  a.region = region;
  a.created_at = now;
  if (!hits->empty()) {
    const auto& top = hits->front().article;
    a.article_id = top.id;
    a.section_id = top.section_id;
    a.category_id = top.category_id;
  }
  auto r = conn.run(
      "INSERT INTO contact_attempts(token, email, subject, description, region, article_id, section_id, category_id, "
      "outcome, created_at) VALUES (?,?,?,?,?,?,?,?,'pending',?)",
      {a.token, a.email, a.subject, a.description, a.region, a.article_id, a.section_id, a.category_id, now});
  if (!r) return fail(r.error());
  a.id = conn.last_insert_id();
  Json shown = Json::array();
  int64_t rank = 0;
  for (const auto& h : *hits) {
    if (auto st = insert_deflection(conn, "web_form", "shown", h.article.id, a.id, std::nullopt, std::nullopt, ++rank, now);
        !st)
      return fail(st.error());
    shown.push_back(h.article.id);
  }
  if (auto st = append_event(conn, "deflection.shown", a.id, std::nullopt, {{"article_ids", shown}}, now); !st)
    return fail(st.error());
  return Started{a, std::move(*hits)};
}

Result<Attempt> get_attempt(store::Conn& conn, const std::string& token) {
  auto a = find_attempt(conn, token);
  if (!a) return fail(a.error());
  if (!*a) return fail(Error::not_found());
  return **a;
}

Status record_click(store::Tx& tx, const std::string& token, Id article_id) {
  auto& conn = tx.conn();
  auto a = get_attempt(conn, token);
  if (!a) return fail(a.error());
  auto shown = was_shown(conn, a->id, article_id);
  if (!shown) return fail(shown.error());
  if (!*shown) return fail(Error::not_found());
  int64_t now = now_epoch();
  if (auto st = insert_deflection(conn, "web_form", "clicked", article_id, a->id, std::nullopt, std::nullopt, std::nullopt, now);
      !st)
    return st;
  return append_event(conn, "deflection.clicked", a->id, std::nullopt, {{"article_id", article_id}}, now);
}

Result<Attempt> accept_suggestion(store::Tx& tx, const std::string& token, Id article_id) {
  auto& conn = tx.conn();
  auto a = get_attempt(conn, token);
  if (!a) return fail(a.error());
  if (a->outcome != "pending")
    return fail(Error::conflict(a->outcome == "deflected" ? "This question was already marked as answered"
                                                          : "This request was already submitted"));
  auto shown = was_shown(conn, a->id, article_id);
  if (!shown) return fail(shown.error());
  if (!*shown) return fail(Error::field("article_id", "InvalidValue", "Article: was not suggested for this request"));
  auto art = get_article(conn, article_id, anonymous());
  if (!art) return fail(art.error());
  int64_t now = now_epoch();
  auto r = conn.run(
      "UPDATE contact_attempts SET outcome = 'deflected', article_id = ?, section_id = ?, category_id = ?, decided_at = ? "
      "WHERE id = ? AND outcome = 'pending'",
      {art->id, art->section_id, art->category_id, now, a->id});
  if (!r) return fail(r.error());
  if (auto st = insert_deflection(conn, "web_form", "accepted", article_id, a->id, std::nullopt, std::nullopt, std::nullopt, now);
      !st)
    return fail(st.error());
  if (auto st = append_event(conn, "deflection.accepted", a->id, std::nullopt,
                             {{"article_id", art->id}, {"section_id", art->section_id}, {"category_id", art->category_id}},
                             now);
      !st)
    return fail(st.error());
  return get_attempt(conn, token);
}

Result<domain::Ticket> submit_request(store::Tx& tx, const Json& in, const std::optional<Principal>& actor) {
  auto& conn = tx.conn();
  Validation v;
  JsonInput input(in, v);
  auto subject = input.str("subject", k_max_subject);
  std::optional<std::string> body;
  if (auto c = input.object("comment")) {
    JsonInput ci(*c, v);
    body = ci.str("body", k_max_description);
  }
  if (!body || trim(*body).empty()) v.add("comment", "BlankValue", "Description: cannot be blank");
  if (!subject || trim(*subject).empty()) v.add("subject", "BlankValue", "Subject: cannot be blank");
  std::optional<std::string> region;
  if (auto r = input.str("region", 64)) region = normalize_region(*r, v);
  auto token = input.str("attempt", 64);
  std::string name, email;
  if (!actor) {
    auto req = input.object("requester");
    if (!req) {
      v.add("requester", "BlankValue", "Requester: a name and an email are required");
    } else {
      JsonInput ri(*req, v);
      name = std::string(trim(ri.str("name", 255).value_or("")));
      email = std::string(trim(ri.str("email", 254).value_or("")));
      if (name.empty()) v.add("requester", "BlankValue", "Requester: Name: cannot be blank");
      if (!valid_email(email)) v.add("requester", "InvalidValue", "Requester: Email: is not properly formatted");
    }
  }
  if (!v.ok()) return fail(v.error());

  std::optional<Attempt> attempt;
  if (token) {
    auto a = find_attempt(conn, *token);
    if (!a) return fail(a.error());
    if (!*a) return fail(Error::field("attempt", "InvalidValue", "Attempt: is not a known contact form"));
    if ((*a)->outcome == "submitted")
      return fail(Error::conflict("This request was already submitted as #" + std::to_string((*a)->ticket_id.value_or(0))));
    attempt = **a;
  }

  Id requester_id = 0;
  if (actor) {
    requester_id = actor->user_id;
  } else {
    auto existing = accounts::find_user_by_email(conn, email);
    if (!existing) return fail(existing.error());
    // An anonymous form cannot speak for staff: their requests come from the agent interface.
    if (*existing && (*existing)->role != "end-user")
      return fail(Error::field("requester", "InvalidValue", "Requester: sign in to submit a request with this email"));
    auto id = accounts::find_or_create_requester(tx, name, email, accounts::system_principal());
    if (!id) return fail(id.error());
    requester_id = *id;
  }
  Json ticket = {{"subject", *subject},
                 {"comment", {{"body", *body}, {"public", true}}},
                 {"requester_id", requester_id},
                 {"submitter_id", requester_id}};
  if (region) ticket["tags"] = Json::array({"region:" + *region});
  tickets::CreateOptions opts;
  opts.channel = "web";
  opts.via_source = {{"from", email.empty() ? Json::object() : Json{{"address", email}, {"name", name}}},
                     {"to", Json::object()},
                     {"rel", nullptr}};
  auto created = tickets::create_ticket(tx, ticket, accounts::system_principal(), opts);
  if (!created) return fail(created.error());
  const auto& t = created->ticket;
  int64_t now = now_epoch();
  Id attempt_id;
  if (attempt) {
    auto r = conn.run("UPDATE contact_attempts SET outcome = 'submitted', ticket_id = ?, decided_at = ? WHERE id = ?",
                      {t.id, now, attempt->id});
    if (!r) return fail(r.error());
    attempt_id = attempt->id;
  } else {
    auto r = conn.run(
        "INSERT INTO contact_attempts(token, email, subject, description, region, outcome, ticket_id, created_at, "
        "decided_at) VALUES (?,?,?,?,?,'submitted',?,?,?)",
        {crypto::random_token(16), to_lower(email), *subject, *body, region, t.id, now, now});
    if (!r) return fail(r.error());
    attempt_id = conn.last_insert_id();
  }
  if (auto st = append_event(conn, "contact_attempt.submitted", attempt_id, actor ? actor_id(*actor) : std::nullopt,
                             {{"ticket_id", t.id}, {"after_suggestions", attempt.has_value()}}, now);
      !st)
    return fail(st.error());
  return t;
}

Result<std::vector<SearchHit>> suggestions_for_ticket(store::Conn& conn, Id ticket_id, const Principal& agent,
                                                      int64_t limit) {
  if (!agent.is_staff()) return fail(Error::forbidden());
  auto t = tickets::get_ticket(conn, ticket_id, agent);
  if (!t) return fail(t.error());
  return suggest_articles(conn, t->subject + "\n" + t->description, agent, limit);
}

Status record_agent_action(store::Tx& tx, Id ticket_id, Id article_id, const std::string& action, const Principal& agent) {
  if (!agent.is_staff()) return fail(Error::forbidden());
  if (action != "clicked" && action != "inserted")
    return fail(Error::field("action", "InvalidValue", "Action: must be clicked or inserted"));
  auto& conn = tx.conn();
  if (auto t = tickets::get_ticket(conn, ticket_id, agent); !t) return fail(t.error());
  if (auto a = get_article(conn, article_id, agent); !a)
    return fail(Error::field("article_id", "InvalidValue", "Article: does not exist"));
  int64_t now = now_epoch();
  if (auto st = insert_deflection(conn, "agent", action, article_id, std::nullopt, ticket_id, actor_id(agent), std::nullopt, now);
      !st)
    return st;
  events::Event e{"deflection." + action, "ticket", ticket_id, actor_id(agent), agent.token_id,
                  {{"article_id", article_id}, {"surface", "agent"}}};
  if (auto r = events::append(conn, e, now); !r) return fail(r.error());
  return {};
}

Json Ratio::to_json() const {
  return {{"numerator", numerator},
          {"denominator", denominator},
          {"value", denominator > 0 ? Json(static_cast<double>(numerator) / static_cast<double>(denominator)) : Json(nullptr)}};
}

Result<Report> deflection_report(store::Conn& conn, int64_t start, int64_t end, const Principal& actor) {
  if (!actor.is_admin() && !(actor.is_staff() && actor.rapport_role != domain::RapportRole::none))
    return fail(Error::forbidden());
  if (end <= start) return fail(Error::invalid("end_time must be after start_time"));
  Report rep;
  rep.start_time = start;
  rep.end_time = end;
  std::map<std::optional<Id>, CategoryRow> rows;
  auto st = conn.each(
      "SELECT a.category_id, COALESCE(c.name, ''), a.outcome, COUNT(*) FROM contact_attempts a "
      "LEFT JOIN kb_categories c ON c.id = a.category_id "
      "WHERE a.outcome IN ('deflected', 'submitted') AND a.decided_at >= ? AND a.decided_at < ? "
      "GROUP BY a.category_id, a.outcome",
      {start, end}, [&](const store::Row& r) {
        auto id = r.opt_i64(0);
        auto& row = rows[id];
        row.category_id = id;
        row.name = id ? r.text(1) : "Uncategorized";
        (r.text(2) == "deflected" ? row.avoided : row.submitted) += r.i64(3);
      });
  if (!st) return fail(st.error());
  for (auto& [id, row] : rows) {
    rep.avoided += row.avoided;
    rep.submitted += row.submitted;
    rep.by_category.push_back(row);
  }
  st = conn.each(
      "SELECT i.service, COUNT(*) FROM incident_tickets l JOIN incidents i ON i.id = l.incident_id "
      "WHERE l.linked_at >= ? AND l.linked_at < ? GROUP BY i.service ORDER BY i.service",
      {start, end}, [&](const store::Row& r) {
        rep.by_service.push_back({r.text(0), r.i64(1)});
        rep.auto_answered += r.i64(1);
      });
  if (!st) return fail(st.error());
  auto contacts = conn.scalar("SELECT COUNT(*) FROM tickets WHERE created_at >= ? AND created_at < ?", {start, end});
  if (!contacts) return fail(contacts.error());
  rep.contacts = contacts->value_or(0);
  st = conn.each("SELECT action, COUNT(*) FROM deflections WHERE created_at >= ? AND created_at < ? GROUP BY action",
                 {start, end}, [&](const store::Row& r) {
                   auto a = r.text(0);
                   int64_t n = r.i64(1);
                   if (a == "shown") rep.shown = n;
                   else if (a == "clicked") rep.clicked = n;
                   else if (a == "accepted") rep.accepted = n;
                   else if (a == "inserted") rep.inserted = n;
                 });
  if (!st) return fail(st.error());
  return rep;
}

Json to_json(const Report& r) {
  Json cats = Json::array();
  for (const auto& c : r.by_category) {
    cats.push_back({{"category_id", c.category_id ? Json(*c.category_id) : Json(nullptr)},
                    {"name", c.name},
                    {"contacts_avoided", c.avoided},
                    {"submitted", c.submitted},
                    {"deflection_rate", Ratio{c.avoided, c.avoided + c.submitted}.to_json()}});
  }
  Json services = Json::array();
  for (const auto& s : r.by_service) services.push_back({{"service", s.service}, {"auto_answered", s.auto_answered}});
  return {{"start_time", iso8601(r.start_time)},
          {"end_time", iso8601(r.end_time)},
          {"web_form",
           {{"contacts_avoided", r.avoided},
            {"submitted", r.submitted},
            {"deflection_rate", Ratio{r.avoided, r.avoided + r.submitted}.to_json()}}},
          {"incidents",
           {{"auto_answered", r.auto_answered},
            {"contacts", r.contacts},
            {"auto_answer_rate", Ratio{r.auto_answered, r.contacts}.to_json()}}},
          {"suggestions", {{"shown", r.shown}, {"clicked", r.clicked}, {"accepted", r.accepted}, {"inserted", r.inserted}}},
          {"by_category", cats},
          {"by_service", services}};
}

}  // namespace rapport::knowledge
