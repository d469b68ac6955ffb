#include <rapport/knowledge/incidents.hpp>

#include <algorithm>
#include <set>

#include <rapport/accounts/auth.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/list_query.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::knowledge {

namespace {

using domain::Principal;

constexpr const char* k_columns =
    "id, title, service, regions, keywords, category_tag, public_message, resolution_message, status, starts_at, "
    "ends_at, created_by, resolved_by, resolved_at, created_at, updated_at, "
    "(SELECT COUNT(*) FROM incident_tickets l WHERE l.incident_id = incidents.id), "
    "(SELECT COUNT(*) FROM incident_tickets l WHERE l.incident_id = incidents.id AND l.solved_at IS NOT NULL)";
constexpr std::size_t k_max_list = 50;
constexpr const char* k_active =
    "status = 'open' AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)";

std::vector<std::string> json_strings(const std::string& s) {
  std::vector<std::string> out;
  auto j = Json::parse(s, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& x : j) if (x.is_string()) out.push_back(x.get<std::string>());
  return out;
}

Json to_array(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

Incident map_incident(const store::Row& r) {
  Incident i;
  i.id = r.i64(0);
  i.title = r.text(1);
  i.service = r.text(2);
  i.regions = json_strings(r.text(3));
  i.keywords = json_strings(r.text(4));
  i.category_tag = r.opt_text(5);
  i.public_message = r.text(6);
  i.resolution_message = r.text(7);
  i.status = r.text(8);
  i.starts_at = r.i64(9);
  i.ends_at = r.opt_i64(10);
  i.created_by = r.i64(11);
  i.resolved_by = r.opt_i64(12);
  i.resolved_at = r.opt_i64(13);
  i.created_at = r.i64(14);
  i.updated_at = r.i64(15);
  i.linked_count = r.i64(16);
  i.solved_count = r.i64(17);
  return i;
}

Result<Incident> read_incident(store::Conn& conn, int64_t id) {
  std::optional<Incident> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM incidents WHERE id = ?", {id},
                      [&](const store::Row& r) { out = map_incident(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80; }

// `phrase` in `text` (both lower-case) with no letter or digit right before or after it.
bool contains_phrase(const std::string& text, const std::string& phrase) {
  if (phrase.empty()) return false;
  for (auto pos = text.find(phrase); pos != std::string::npos; pos = text.find(phrase, pos + 1)) {
    bool start_ok = pos == 0 || !word_char(text[pos - 1]);
    auto end = pos + phrase.size();
    bool end_ok = end >= text.size() || !word_char(text[end]);
    if (start_ok && end_ok) return true;
  }
  return false;
}

// A list of short lower-case strings from `key`, each at most `max_len`, at most k_max_list.
std::optional<std::vector<std::string>> read_list(JsonInput& in, const char* key, std::size_t max_len, bool codes) {
  auto raw = in.strings(key);
  if (!raw) return std::nullopt;
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& s : *raw) {
    auto v = to_lower(trim(s));
    if (v.empty()) continue;
    bool ok = v.size() <= max_len;
    if (codes)
      for (char c : v) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    if (!ok) {
      in.validation().add(key, "InvalidValue",
                          field_label(key) + (codes ? ": letters, digits, - and _ only" : ": each is at most ") +
                              (codes ? "" : std::to_string(max_len) + " characters"));
      return std::nullopt;
    }
    if (seen.insert(v).second) out.push_back(v);
  }
  if (out.size() > k_max_list) {
    in.validation().add(key, "InvalidValue", field_label(key) + ": at most " + std::to_string(k_max_list));
    return std::nullopt;
  }
  return out;
}

std::optional<int64_t> read_time(JsonInput& in, const char* key) {
  auto s = in.str(key, 64);
  if (!s) return std::nullopt;
  auto t = parse_iso8601(*s);
  if (!t) in.validation().add(key, "InvalidValue", field_label(key) + ": is not a valid time");
  return t;
}

// Applies the writable fields present in `in` to `i`.
void apply_fields(JsonInput& in, Incident& i, bool creating) {
  auto& v = in.validation();
  auto required_text = [&](const char* key, std::size_t max, std::string& target) {
    if (!in.has(key) && !creating) return;
    auto s = in.str(key, max);
    if (!s || trim(*s).empty()) v.add(key, "BlankValue", field_label(key) + ": cannot be blank");
    else target = std::string(trim(*s));
  };
  required_text("title", 255, i.title);
  required_text("service", 100, i.service);
  required_text("public_message", 16 * 1024, i.public_message);
  if (in.has("resolution_message")) i.resolution_message = in.str("resolution_message", 16 * 1024).value_or("");
  if (in.has("regions")) {
    if (auto r = read_list(in, "regions", 32, true)) i.regions = *r;
  }
  if (in.has("keywords")) {
    if (auto k = read_list(in, "keywords", 100, false)) i.keywords = *k;
  }
  if (in.has("category_tag")) {
    auto t = in.str("category_tag", 80);
    if (t && !domain::normalize_tag(*t).empty()) i.category_tag = domain::normalize_tag(*t);
    else i.category_tag.reset();
  }
  if (in.has("starts_at")) {
    if (auto t = read_time(in, "starts_at")) i.starts_at = *t;
  }
  if (in.has("ends_at")) {
    i.ends_at = in.is_null("ends_at") ? std::nullopt : read_time(in, "ends_at");
  }
  if (i.keywords.empty() && !i.category_tag)
    v.add("keywords", "BlankValue", "Keywords: give at least one keyword or a category_tag to match contacts");
  if (i.ends_at && *i.ends_at <= i.starts_at) v.add("ends_at", "InvalidValue", "Ends at: must be after starts_at");
}

Status append_event(store::Conn& conn, const std::string& kind, int64_t id, const Principal& actor, Json data, int64_t now) {
  events::Event e{kind, "incident", id, actor.user_id ? std::optional<int64_t>(actor.user_id) : std::nullopt,
                  actor.token_id, std::move(data)};
  if (auto r = events::append(conn, e, now); !r) return fail(r.error());
  return {};
}

Status queue_mail(store::Conn& conn, const std::string& kind, const std::string& to, const std::string& subject,
                  const std::string& body, int64_t ticket_id, int64_t incident_id, std::optional<int64_t> comment_id,
                  const std::string& auto_submitted, int64_t now) {
  Json headers = {{"Auto-Submitted", auto_submitted}};
  auto r = conn.run(
      "INSERT INTO outbox(kind, to_address, subject, body_text, body_html, headers, ticket_id, related_id, "
      "next_attempt_at, created_at, auto_submitted, comment_id) VALUES (?,?,?,?,?,?,?,?,?,?,1,?)",
      {kind, to, subject, body, tickets::text_to_html(body), headers.dump(), ticket_id, incident_id, now, now, comment_id});
  if (!r) return fail(r.error());
  return {};
}

Result<std::optional<std::string>> requester_email(store::Conn& conn, int64_t user_id) {
  return conn.scalar_text("SELECT email FROM users WHERE id = ? AND email IS NOT NULL", {user_id});
}

Result<std::optional<int64_t>> last_comment_id(store::Conn& conn, int64_t ticket_id) {
  return conn.scalar("SELECT MAX(id) FROM comments WHERE ticket_id = ?", {ticket_id});
}

tickets::UpdateOptions rule_options(const Incident& i) {
  tickets::UpdateOptions o;
  o.channel = "rule";
  o.via_source = {{"from", {{"id", i.id}, {"title", i.title}}}, {"to", Json::object()}, {"rel", "incident"}};
  o.comment_metadata = {{"system", {{"auto_submitted", true}}}, {"custom", {{"incident_id", i.id}}}};
  return o;
}

std::string default_resolution(const Incident& i) {
  return "The problem with " + i.service +
         " is resolved and everything should work again. If anything still doesn't, reply to this message and we'll "
         "take a look.";
}

// Solves one linked ticket for a resolved incident and notifies its requester.
Status solve_link(store::Tx& tx, const Incident& i, int64_t ticket_id, int64_t requester_id, const Principal& actor,
                  int64_t now) {
  auto& conn = tx.conn();
  auto t = tickets::get_ticket(conn, ticket_id, actor);
  bool open = t && domain::is_unsolved(t->status);
  if (!t && t.error().code != ErrorCode::not_found) return fail(t.error());
  if (open) {
    std::string message = i.resolution_message.empty() ? default_resolution(i) : i.resolution_message;
    auto u = tickets::update_ticket(tx, ticket_id, {{"status", "solved"}, {"comment", {{"body", message}, {"public", true}}}},
                                    actor, rule_options(i));
    if (!u) return fail(u.error());
    auto comment = last_comment_id(conn, ticket_id);
    if (!comment) return fail(comment.error());
    auto email = requester_email(conn, requester_id);
    if (!email) return fail(email.error());
    if (*email) {
      if (auto st = queue_mail(conn, "notification", **email, "Resolved: " + i.title + " [#" + std::to_string(ticket_id) + "]",
                               message, ticket_id, i.id, *comment, "auto-generated", now);
          !st)
        return st;
    }
  }
  auto r = conn.run("UPDATE incident_tickets SET solved_at = ? WHERE incident_id = ? AND ticket_id = ?", {now, i.id, ticket_id});
  if (!r) return fail(r.error());
  return {};
}

Result<int64_t> solve_batch(store::Tx& tx, const Incident& i, const Principal& actor, int64_t limit) {
  std::vector<std::pair<int64_t, int64_t>> links;
  auto st = tx.conn().each(
      "SELECT ticket_id, requester_id FROM incident_tickets WHERE incident_id = ? AND solved_at IS NULL ORDER BY ticket_id LIMIT ?",
      {i.id, limit}, [&](const store::Row& r) { links.emplace_back(r.i64(0), r.i64(1)); });
  if (!st) return fail(st.error());
  int64_t now = now_epoch();
  for (auto [ticket, requester] : links) {
    if (auto s = solve_link(tx, i, ticket, requester, actor, now); !s) return fail(s.error());
  }
  return static_cast<int64_t>(links.size());
}

Result<std::vector<Incident>> active_incidents(store::Conn& conn, int64_t now) {
  std::vector<Incident> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM incidents WHERE " + k_active +
                          " ORDER BY starts_at, id LIMIT 100",
                      {now, now}, [&](const store::Row& r) { out.push_back(map_incident(r)); });
  if (!st) return fail(st.error());
  return out;
}

std::optional<std::string> region_field(const std::string& fields_json) {
  auto j = Json::parse(fields_json, nullptr, false);
  if (!j.is_object() || !j.contains("region") || !j["region"].is_string()) return std::nullopt;
  auto r = to_lower(trim(j["region"].get<std::string>()));
  if (r.empty()) return std::nullopt;
  return r;
}

Result<std::optional<std::string>> user_region(store::Conn& conn, int64_t user_id) {
  std::optional<std::string> region;
  auto st = conn.each(
      "SELECT u.user_fields, COALESCE(o.organization_fields, '{}') FROM users u "
      "LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = ?",
      {user_id}, [&](const store::Row& r) {
        region = region_field(r.text(0));
        if (!region) region = region_field(r.text(1));
      });
  if (!st) return fail(st.error());
  return region;
}

}  // namespace

bool can_manage_incidents(const Principal& p) {
  return p.is_admin() || (p.is_staff() && p.rapport_role == domain::RapportRole::manager);
}

bool is_active(const Incident& i, int64_t now) {
  return i.status == "open" && i.starts_at <= now && (!i.ends_at || *i.ends_at > now);
}

bool matches(const Incident& i, const Contact& c) {
  if (!i.regions.empty()) {
    if (!c.region) return false;
    if (std::find(i.regions.begin(), i.regions.end(), *c.region) == i.regions.end()) return false;
  }
  if (i.category_tag && std::find(c.tags.begin(), c.tags.end(), *i.category_tag) != c.tags.end()) return true;
  auto text = to_lower(c.text);
  for (const auto& k : i.keywords) {
    if (contains_phrase(text, k)) return true;
  }
  return false;
}

Result<Incident> create_incident(store::Tx& tx, const Json& in, const Principal& actor) {
  if (!can_manage_incidents(actor) || !actor.user_id) return fail(Error::forbidden());
  Validation v;
  JsonInput input(in, v);
  int64_t now = now_epoch();
  Incident i;
  i.starts_at = now;
  if (input.has("status") && input.str("status") != "open")
    v.add("status", "InvalidValue", "Status: a new incident is open");
  apply_fields(input, i, true);
  if (!v.ok()) return fail(v.error());
  auto& conn = tx.conn();
  auto r = conn.run(
      "INSERT INTO incidents(title, service, regions, keywords, category_tag, public_message, resolution_message, status, "
      "starts_at, ends_at, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,'open',?,?,?,?,?)",
      {i.title, i.service, to_array(i.regions).dump(), to_array(i.keywords).dump(), i.category_tag, i.public_message,
       i.resolution_message, i.starts_at, i.ends_at, actor.user_id, now, now});
  if (!r) return fail(r.error());
  int64_t id = conn.last_insert_id();
  if (auto st = append_event(conn, "incident.created", id, actor,
                             {{"service", i.service}, {"regions", to_array(i.regions)}, {"title", i.title}}, now);
      !st)
    return fail(st.error());
  return read_incident(conn, id);
}

Result<Incident> update_incident(store::Tx& tx, int64_t id, const Json& in, const Principal& actor) {
  if (!can_manage_incidents(actor) || !actor.user_id) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto cur = read_incident(conn, id);
  if (!cur) return cur;
  Validation v;
  JsonInput input(in, v);
  Incident i = *cur;
  apply_fields(input, i, false);
  std::optional<std::string> status;
  if (input.has("status")) {
    status = input.str("status");
    if (status != "open" && status != "resolved") v.add("status", "InvalidValue", "Status: must be open or resolved");
    else if (cur->status == "resolved" && status == "open")
      v.add("status", "InvalidValue", "Status: a resolved incident cannot be reopened; create a new one");
  }
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto r = conn.run(
      "UPDATE incidents SET title = ?, service = ?, regions = ?, keywords = ?, category_tag = ?, public_message = ?, "
      "resolution_message = ?, starts_at = ?, ends_at = ?, updated_at = ? WHERE id = ?",
      {i.title, i.service, to_array(i.regions).dump(), to_array(i.keywords).dump(), i.category_tag, i.public_message,
       i.resolution_message, i.starts_at, i.ends_at, now, id});
  if (!r) return fail(r.error());
  if (auto st = append_event(conn, "incident.updated", id, actor, Json::object(), now); !st) return fail(st.error());
  if (status == "resolved" && cur->status == "open") return resolve_incident(tx, id, std::nullopt, actor);
  return read_incident(conn, id);
}

Result<Incident> get_incident(store::Conn& conn, int64_t id, const Principal& reader) {
  if (!reader.is_staff()) return fail(Error::forbidden());
  return read_incident(conn, id);
}

Result<domain::Page<Incident>> list_incidents(store::Conn& conn, const std::optional<std::string>& status,
                                              const domain::PageRequest& pr, const Principal& reader) {
  if (!reader.is_staff()) return fail(Error::forbidden());
  store::ListQuery q{k_columns, "incidents", {}, {}};
  if (status) {
    q.where.push_back("status = ?");
    q.params.push_back(*status);
  }
  return store::run_list<Incident>(conn, q, pr, map_incident);
}

Result<std::vector<int64_t>> incident_ticket_ids(store::Conn& conn, int64_t id, const Principal& reader) {
  if (auto i = get_incident(conn, id, reader); !i) return fail(i.error());
  std::vector<int64_t> out;
  auto st = conn.each("SELECT ticket_id FROM incident_tickets WHERE incident_id = ? ORDER BY linked_at, ticket_id LIMIT 1000",
                      {id}, [&](const store::Row& r) { out.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  return out;
}

Result<Incident> resolve_incident(store::Tx& tx, int64_t id, const std::optional<std::string>& message,
                                  const Principal& actor) {
  if (!can_manage_incidents(actor) || !actor.user_id) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto cur = read_incident(conn, id);
  if (!cur) return cur;
  if (cur->status == "resolved") return fail(Error::conflict("The incident is already resolved"));
  if (message && message->size() > 16 * 1024)
    return fail(Error::field("resolution_message", "InvalidValue", "Resolution message: is too long"));
  int64_t now = now_epoch();
  Incident i = *cur;
  if (message && !trim(*message).empty()) i.resolution_message = std::string(trim(*message));
  auto r = conn.run(
      "UPDATE incidents SET status = 'resolved', resolution_message = ?, resolved_by = ?, resolved_at = ?, updated_at = ?, "
      "ends_at = COALESCE(MIN(ends_at, ?), ?) WHERE id = ?",
      {i.resolution_message, actor.user_id, now, now, now, now, id});
  if (!r) return fail(r.error());
  i.status = "resolved";
  auto solved = solve_batch(tx, i, actor, k_solve_batch);
  if (!solved) return fail(solved.error());
  if (auto st = append_event(conn, "incident.resolved", id, actor,
                             {{"linked", cur->linked_count}, {"solved_now", *solved}}, now);
      !st)
    return fail(st.error());
  return read_incident(conn, id);
}

Result<int64_t> count_remaining(store::Conn& conn) {
  auto n = conn.scalar(
      "SELECT COUNT(*) FROM incident_tickets l JOIN incidents i ON i.id = l.incident_id "
      "WHERE i.status = 'resolved' AND l.solved_at IS NULL");
  if (!n) return fail(n.error());
  return n->value_or(0);
}

Result<int64_t> solve_remaining(store::Tx& tx, int64_t limit) {
  auto& conn = tx.conn();
  std::vector<Incident> pending;
  auto st = conn.each(std::string("SELECT ") + k_columns +
                          " FROM incidents WHERE status = 'resolved' AND EXISTS (SELECT 1 FROM incident_tickets l "
                          "WHERE l.incident_id = incidents.id AND l.solved_at IS NULL) ORDER BY resolved_at, id LIMIT 10",
                      {}, [&](const store::Row& r) { pending.push_back(map_incident(r)); });
  if (!st) return fail(st.error());
  int64_t done = 0;
  for (const auto& i : pending) {
    if (done >= limit) break;
    auto actor = accounts::load_principal(conn, i.resolved_by.value_or(i.created_by));
    if (!actor) return fail(actor.error());
    auto n = solve_batch(tx, i, *actor, limit - done);
    if (!n) return fail(n.error());
    done += *n;
  }
  return done;
}

Result<std::optional<std::string>> contact_region(store::Conn& conn, const domain::Ticket& t) {
  for (const auto& tag : t.tags) {
    if (!tag.is_string()) continue;
    const auto& s = tag.get_ref<const std::string&>();
    if (s.rfind("region:", 0) == 0 && s.size() > 7) return std::optional<std::string>(s.substr(7));
  }
  return user_region(conn, t.requester_id);
}

Status on_ticket_created(store::Tx& tx, const domain::Ticket& t) {
  auto& conn = tx.conn();
  if (!domain::is_unsolved(t.status) || !t.is_public) return {};
  int64_t now = now_epoch();
  auto incidents = active_incidents(conn, now);
  if (!incidents) return fail(incidents.error());
  if (incidents->empty()) return {};
  // Only customers' contacts: a ticket an agent opened for themselves is internal work.
  auto role = conn.scalar_text("SELECT role FROM users WHERE id = ?", {t.requester_id});
  if (!role) return fail(role.error());
  if (!*role || **role != "end-user") return {};
  auto region = contact_region(conn, t);
  if (!region) return fail(region.error());
  Contact c{t.subject + "\n" + t.description, {}, *region};
  for (const auto& tag : t.tags) if (tag.is_string()) c.tags.push_back(tag.get<std::string>());
  const Incident* hit = nullptr;
  for (const auto& i : *incidents) {
    if (matches(i, c)) {
      hit = &i;
      break;
    }
  }
  if (!hit) return {};
  // The reply is written as the incident's author (an admin or manager, who sees every ticket).
  auto author = accounts::load_principal(conn, hit->created_by);
  if (!author) return {};  // the author was deactivated since: leave the contact to the agents
  auto u = tickets::update_ticket(tx, t.id, {{"status", "pending"}, {"comment", {{"body", hit->public_message}, {"public", true}}}},
                                  *author, rule_options(*hit));
  if (!u) return fail(u.error());
  auto comment = last_comment_id(conn, t.id);
  if (!comment) return fail(comment.error());
  auto r = conn.run(
      "INSERT INTO incident_tickets(incident_id, ticket_id, requester_id, comment_id, linked_at) VALUES (?,?,?,?,?)",
      {hit->id, t.id, t.requester_id, *comment, now});
  if (!r) return fail(r.error());
  auto email = requester_email(conn, t.requester_id);
  if (!email) return fail(email.error());
  if (*email) {
    if (auto st = queue_mail(conn, "agent_reply", **email, "Re: " + t.subject + " [#" + std::to_string(t.id) + "]",
                             hit->public_message, t.id, hit->id, *comment, "auto-replied", now);
        !st)
      return st;
  }
  events::Event e{"incident.linked", "incident", hit->id, std::nullopt, std::nullopt,
                  {{"ticket_id", t.id}, {"requester_id", t.requester_id}, {"region", region->value_or("")}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return {};
}

Result<std::vector<std::string>> known_regions(store::Conn& conn) {
  std::vector<std::string> out;
  auto st = conn.each("SELECT DISTINCT j.value FROM incidents i, json_each(i.regions) j ORDER BY 1 LIMIT 100", {},
                      [&](const store::Row& r) { out.push_back(r.text(0)); });
  if (!st) return fail(st.error());
  return out;
}

Result<StatusAnswer> incident_status(store::Conn& conn, const StatusQuery& q, int64_t now) {
  StatusAnswer out;
  if (q.email || q.external_id) {
    auto id = q.email ? conn.scalar("SELECT id FROM users WHERE email_key = ?", {to_lower(*q.email)})
                      : conn.scalar("SELECT id FROM users WHERE external_id = ?", {*q.external_id});
    if (!id) return fail(id.error());
    out.customer_id = *id;
    if (*id) {
      auto r = user_region(conn, **id);
      if (!r) return fail(r.error());
      out.region = *r;
    }
  }
  if (q.region) out.region = to_lower(trim(*q.region));
  auto active = active_incidents(conn, now);
  if (!active) return fail(active.error());
  for (auto& i : *active) {
    if (q.service && !iequals(i.service, *q.service)) continue;
    // An unknown region cannot rule an incident out: a status page shows it.
    if (out.region && !i.regions.empty() &&
        std::find(i.regions.begin(), i.regions.end(), *out.region) == i.regions.end())
      continue;
    out.incidents.push_back(std::move(i));
  }
  return out;
}

}  // namespace rapport::knowledge
