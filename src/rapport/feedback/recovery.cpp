#include <rapport/feedback/recovery.hpp>

#include <algorithm>
#include <map>

#include <rapport/base/json_input.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::feedback {

namespace {

constexpr const char* k_case_columns =
    "id, ticket_id, rating_id, requester_id, agent_id, team_group_id, group_id, assignee_id, trigger_stars, "
    "follow_up_request_id, status, trigger, outcome, notes, due_at, created_at, updated_at, contacted_at, closed_at, "
    "fu_stars, fu_status, fu_expires, ticket_subject, agent_name, requester_name, rating_comment";
// The follow-up request and its answer come with every case. As a subquery so that filters and
// the list's sort keys name plain columns (SQLite flattens it; the indexes still apply).
constexpr const char* k_case_from =
    "(SELECT c.*, fr.stars AS fu_stars, f.status AS fu_status, f.expires_at AS fu_expires, t.subject AS ticket_subject, "
    "ua.name AS agent_name, ur.name AS requester_name, r.comment AS rating_comment FROM recovery_cases c "
    "LEFT JOIN feedback_requests f ON f.id = c.follow_up_request_id LEFT JOIN ratings fr ON fr.request_id = f.id "
    "JOIN tickets t ON t.id = c.ticket_id JOIN ratings r ON r.id = c.rating_id LEFT JOIN users ua ON ua.id = c.agent_id "
    "LEFT JOIN users ur ON ur.id = c.requester_id)";
constexpr std::size_t k_max_notes = 200;

RecoveryCase map_case(const store::Row& r) {
  RecoveryCase c;
  c.id = r.i64(0);
  c.ticket_id = r.i64(1);
  c.rating_id = r.i64(2);
  c.requester_id = r.i64(3);
  c.agent_id = r.opt_i64(4);
  c.team_group_id = r.opt_i64(5);
  c.group_id = r.opt_i64(6);
  c.assignee_id = r.opt_i64(7);
  c.trigger_stars = r.opt_i64(8);
  c.follow_up_request_id = r.opt_i64(9);
  c.status = r.text(10);
  c.trigger = r.text(11);
  c.outcome = r.opt_text(12);
  c.notes = Json::parse(r.text(13), nullptr, false);
  if (!c.notes.is_array()) c.notes = Json::array();
  c.due_at = r.i64(14);
  c.created_at = r.i64(15);
  c.updated_at = r.i64(16);
  c.contacted_at = r.opt_i64(17);
  c.closed_at = r.opt_i64(18);
  c.follow_up_stars = r.opt_i64(19);
  c.follow_up_status = r.opt_text(20);
  if (c.follow_up_status && *c.follow_up_status != "answered" && *c.follow_up_status != "suppressed" &&
      r.i64(21) <= now_epoch())
    c.follow_up_status = "expired";
  c.ticket_subject = r.text(22);
  c.agent_name = r.opt_text(23).value_or("");
  c.requester_name = r.opt_text(24).value_or("");
  c.rating_comment = r.text(25);
  return c;
}

// Leads, QA, managers and admins see every case; an agent sees the cases of the recovery
// groups they belong to and the cases assigned to them.
bool may_work(const domain::Principal& p, const RecoveryCase& c) {
  if (!p.is_staff()) return false;
  if (p.is_admin() || p.rapport_role != domain::RapportRole::none) return true;
  if (c.assignee_id == p.user_id) return true;
  return c.group_id && std::find(p.group_ids.begin(), p.group_ids.end(), *c.group_id) != p.group_ids.end();
}

Result<std::optional<RecoveryCase>> find_case(store::Conn& conn, int64_t id) {
  std::optional<RecoveryCase> out;
  auto st = conn.each(std::string("SELECT ") + k_case_columns + " FROM " + k_case_from + " WHERE id = ?", {id},
                      [&](const store::Row& r) { out = map_case(r); });
  if (!st) return fail(st.error());
  return out;
}

Status send_follow_up(store::Tx& tx, RecoveryCase& c, const std::string& base_url) {
  auto& conn = tx.conn();
  auto cfg = load_config(conn);
  if (!cfg) return fail(cfg.error());
  // The follow-up rates whoever recovered the case; the original agent when nobody took it.
  int64_t agent = c.assignee_id ? *c.assignee_id : c.agent_id.value_or(0);
  if (!agent) return {};
  std::string agent_name, subject, channel = "web";
  std::optional<std::string> email;
  std::optional<int64_t> site_id;
  auto st = conn.each("SELECT name, site_id FROM users WHERE id = ?", {agent}, [&](const store::Row& r) {
    agent_name = r.text(0);
    site_id = r.opt_i64(1);
  });
  if (!st) return fail(st.error());
  st = conn.each("SELECT u.email, t.subject, t.channel FROM tickets t JOIN users u ON u.id = t.requester_id WHERE t.id = ?",
                 {c.ticket_id}, [&](const store::Row& r) {
                   email = r.opt_text(0);
                   subject = r.text(1);
                   channel = r.text(2);
                 });
  if (!st) return fail(st.error());
  Request draft;
  draft.kind = "follow_up";
  draft.ticket_id = c.ticket_id;
  draft.agent_id = agent;
  draft.requester_id = c.requester_id;
  draft.group_id = c.group_id;
  draft.site_id = site_id;
  // Follow-ups go by email whenever there is an address: the customer is no longer in the chat.
  draft.channel = email ? "email" : channel;
  draft.recovery_case_id = c.id;
  auto r = issue_request(tx, draft, *cfg, email, agent_name, subject, base_url);
  if (!r) return fail(r.error());
  c.follow_up_request_id = r->id;
  c.follow_up_status = r->status;
  auto u = conn.run("UPDATE recovery_cases SET follow_up_request_id = ? WHERE id = ?", {r->id, c.id});
  if (!u) return fail(u.error());
  return {};
}

}  // namespace

Json to_json(const RecoveryCase& c) {
  auto opt = [](const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); };
  auto time = [](const std::optional<int64_t>& v) { return v ? Json(iso8601(*v)) : Json(nullptr); };
  return {{"id", c.id},
          {"ticket_id", c.ticket_id},
          {"rating_id", c.rating_id},
          {"requester_id", c.requester_id},
          {"agent_id", opt(c.agent_id)},
          {"team_group_id", opt(c.team_group_id)},
          {"group_id", opt(c.group_id)},
          {"assignee_id", opt(c.assignee_id)},
          {"status", c.status},
          {"outcome", c.outcome ? Json(*c.outcome) : Json(nullptr)},
          {"trigger", c.trigger},
          {"trigger_stars", opt(c.trigger_stars)},
          {"ticket_subject", c.ticket_subject},
          {"agent_name", c.agent_name},
          {"requester_name", c.requester_name},
          {"rating_comment", c.rating_comment},
          {"notes", [&] {
             Json out = Json::array();
             for (const auto& n : c.notes)
               out.push_back({{"author_id", n.value("author_id", Json(nullptr))},
                              {"body", n.value("body", "")},
                              {"created_at", iso8601(n.value("at", int64_t{0}))}});
             return out;
           }()},
          {"due_at", iso8601(c.due_at)},
          {"overdue", c.status != "closed" && c.due_at <= now_epoch()},
          {"closed_within_due", c.closed_at ? Json(*c.closed_at <= c.due_at) : Json(nullptr)},
          {"created_at", iso8601(c.created_at)},
          {"updated_at", iso8601(c.updated_at)},
          {"contacted_at", time(c.contacted_at)},
          {"closed_at", time(c.closed_at)},
          {"follow_up", c.follow_up_request_id
                            ? Json{{"request_id", *c.follow_up_request_id},
                                   {"status", c.follow_up_status ? Json(*c.follow_up_status) : Json(nullptr)},
                                   {"stars", opt(c.follow_up_stars)}}
                            : Json(nullptr)}};
}

Result<std::optional<int64_t>> open_case_if_bad(store::Tx& tx, const Rating& rating, const Config& cfg) {
  if (rating.kind != "survey") return std::optional<int64_t>{};
  bool low = rating.stars && *rating.stars <= cfg.recovery_threshold;
  bool unresolved = rating.resolved && !*rating.resolved;
  if (!low && !unresolved) return std::optional<int64_t>{};
  auto& conn = tx.conn();
  int64_t now = now_epoch();
  std::optional<int64_t> group = cfg.recovery_group_id;
  if (group) {
    // A deleted recovery group must not strand cases: they then wait unassigned for a lead.
    auto exists = conn.scalar("SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {*group});
    if (!exists) return fail(exists.error());
    if (!*exists) group.reset();
  }
  std::string trigger = low ? "low_stars" : "not_resolved";
  int64_t due = now + int64_t{cfg.recovery_due_hours} * 3600;
  auto ins = conn.run(
      "INSERT INTO recovery_cases(ticket_id, rating_id, agent_id, requester_id, team_group_id, group_id, trigger, "
      "trigger_stars, due_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      {rating.ticket_id, rating.id, rating.agent_id, rating.requester_id, rating.group_id, group, trigger, rating.stars,
       due, now, now});
  if (!ins) return fail(ins.error());
  int64_t id = conn.last_insert_id();
  events::Event e{"recovery.opened", "recovery_case", id, std::nullopt, std::nullopt,
                  {{"ticket_id", rating.ticket_id}, {"rating_id", rating.id}, {"trigger", trigger},
                   {"group_id", group ? Json(*group) : Json(nullptr)},
                   {"team_group_id", rating.group_id ? Json(*rating.group_id) : Json(nullptr)}}};
  if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  return std::optional<int64_t>(id);
}

Result<RecoveryCase> get_case(store::Conn& conn, int64_t id, const domain::Principal& actor) {
  auto c = find_case(conn, id);
  if (!c) return fail(c.error());
  if (!*c || !may_work(actor, **c)) return fail(Error::not_found());
  return **c;
}

Result<domain::Page<RecoveryCase>> list_cases(store::Conn& conn, const CaseFilter& f, const domain::PageRequest& pr,
                                              const domain::Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  store::ListQuery q{k_case_columns, k_case_from, {}, {}};
  if (!actor.is_admin() && actor.rapport_role == domain::RapportRole::none) {
    std::string cond = "assignee_id = ?";
    q.params.push_back(actor.user_id);
    if (!actor.group_ids.empty()) {
      cond += " OR group_id IN (" + store::placeholders(actor.group_ids.size()) + ")";
      for (auto g : actor.group_ids) q.params.push_back(g);
    }
    q.where.push_back(cond);
  }
  if (f.status) {
    if (*f.status == "active") {
      q.where.push_back("status IN ('open','contacted')");
    } else if (*f.status == "open" || *f.status == "contacted" || *f.status == "closed") {
      q.where.push_back("status = ?");
      q.params.push_back(*f.status);
    } else {
      return fail(Error::invalid("status must be open, contacted, closed or active"));
    }
  }
  auto eq = [&](const char* col, const std::optional<int64_t>& v) {
    if (!v) return;
    q.where.push_back(std::string(col) + " = ?");
    q.params.push_back(*v);
  };
  eq("group_id", f.group_id);
  eq("assignee_id", f.assignee_id);
  eq("agent_id", f.agent_id);
  if (f.overdue) {
    q.where.push_back("status <> 'closed' AND due_at <= ?");
    q.params.push_back(now_epoch());
  }
  return store::run_list<RecoveryCase>(conn, q, pr, map_case);
}

Result<RecoveryCase> update_case(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& actor,
                                 const std::string& base_url) {
  auto& conn = tx.conn();
  auto found = get_case(conn, id, actor);
  if (!found) return found;
  RecoveryCase c = *found;
  Validation v;
  JsonInput input(in, v);
  int64_t now = now_epoch();
  Json changes = Json::object();
  if (input.is_null("assignee_id")) {
    changes["assignee_id"] = {c.assignee_id ? Json(*c.assignee_id) : Json(nullptr), nullptr};
    c.assignee_id.reset();
  } else if (auto a = input.integer("assignee_id")) {
    auto role = conn.scalar_text("SELECT role FROM users WHERE id = ? AND active = 1", {*a});
    if (!role) return fail(role.error());
    if (!*role || **role == "end-user") v.add("assignee_id", "InvalidValue", "Assignee: must be an active agent");
    else {
      changes["assignee_id"] = {c.assignee_id ? Json(*c.assignee_id) : Json(nullptr), *a};
      c.assignee_id = *a;
    }
  }
  auto outcome = input.str("outcome", 32);
  if (outcome && *outcome != "recovered" && *outcome != "not_recovered" && *outcome != "unreachable")
    v.add("outcome", "InvalidValue", "Outcome: must be recovered, not_recovered or unreachable");
  auto status = input.str("status", 32);
  if (status && *status != "open" && *status != "contacted" && *status != "closed")
    v.add("status", "InvalidValue", "Status: must be open, contacted or closed");
  auto note = input.str("note", 5000);
  if (!v.ok()) return fail(v.error());
  if (c.status == "closed" && ((status && *status != "closed") || outcome))
    return fail(Error::field("status", "InvalidValue", "Status: a closed case cannot be changed; add a note instead"));
  if (outcome) c.outcome = *outcome;
  bool closing = status && *status == "closed" && c.status != "closed";
  if (closing && !c.outcome)
    return fail(Error::field("outcome", "BlankValue", "Outcome: is required to close a case"));
  if (status && *status != c.status) {
    changes["status"] = {c.status, *status};
    c.status = *status;
    if (c.status == "contacted" && !c.contacted_at) c.contacted_at = now;
    if (closing) {
      c.closed_at = now;
      if (!c.contacted_at && c.outcome != "unreachable") c.contacted_at = now;
    }
  }
  if (outcome) changes["outcome"] = *outcome;
  if (note && !note->empty()) {
    if (c.notes.size() >= k_max_notes)
      return fail(Error::field("note", "InvalidValue", "Note: a case holds at most 200 notes"));
    c.notes.push_back({{"author_id", actor.user_id}, {"body", *note}, {"at", now}});
    changes["note"] = true;
  }
  c.updated_at = now;
  auto u = conn.run(
      "UPDATE recovery_cases SET assignee_id = ?, status = ?, outcome = ?, notes = ?, contacted_at = ?, closed_at = ?, "
      "updated_at = ? WHERE id = ?",
      {c.assignee_id, c.status, c.outcome, c.notes.dump(), c.contacted_at, c.closed_at, now, c.id});
  if (!u) return fail(u.error());
  // The customer hears from us once more only when someone reached them.
  if (closing && c.outcome != "unreachable" && !c.follow_up_request_id) {
    if (auto f = send_follow_up(tx, c, base_url); !f) return fail(f.error());
  }
  events::Event e{closing ? "recovery.closed" : "recovery.updated", "recovery_case", c.id, actor.user_id, actor.token_id,
                  {{"changes", changes}, {"ticket_id", c.ticket_id}}};
  if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  return c;
}

Result<Json> recovery_report(store::Conn& conn, int64_t from, int64_t to, std::optional<int64_t> group_id,
                             const domain::Principal& actor) {
  if (!actor.is_admin() && actor.rapport_role == domain::RapportRole::none) return fail(Error::forbidden());
  struct Row {
    int64_t cases = 0, closed = 0, within_due = 0, overdue_open = 0, recovered = 0, not_recovered = 0, unreachable = 0,
            follow_ups = 0, answered = 0, trigger_sum = 0, follow_up_sum = 0;
  };
  std::map<int64_t, Row> rows;  // team group id (0: no group) → sums
  std::string sql =
      "SELECT COALESCE(c.team_group_id, 0), c.status, c.outcome, c.due_at, c.closed_at, c.follow_up_request_id, "
      "r.stars, fr.stars FROM recovery_cases c JOIN ratings r ON r.id = c.rating_id "
      "LEFT JOIN ratings fr ON fr.request_id = c.follow_up_request_id "
      "WHERE c.created_at >= ? AND c.created_at < ?";
  store::Params params{from, to};
  if (group_id) {
    sql += " AND c.team_group_id = ?";
    params.push_back(*group_id);
  }
  int64_t now = now_epoch();
  auto st = conn.each(sql, params, [&](const store::Row& r) {
    Row& x = rows[r.i64(0)];
    x.cases++;
    auto outcome = r.opt_text(2);
    if (r.text(1) == "closed") {
      x.closed++;
      if (!r.is_null(4) && r.i64(4) <= r.i64(3)) x.within_due++;
    } else if (r.i64(3) <= now) {
      x.overdue_open++;
    }
    if (outcome == "recovered") x.recovered++;
    if (outcome == "not_recovered") x.not_recovered++;
    if (outcome == "unreachable") x.unreachable++;
    if (!r.is_null(5)) x.follow_ups++;
    // Uplift compares the same cases only: both the trigger and the follow-up have stars.
    if (!r.is_null(7) && !r.is_null(6)) {
      x.answered++;
      x.trigger_sum += r.i64(6);
      x.follow_up_sum += r.i64(7);
    }
  });
  if (!st) return fail(st.error());
  std::map<int64_t, std::string> names;
  st = conn.each("SELECT id, name FROM groups", {}, [&](const store::Row& r) { names[r.i64(0)] = r.text(1); });
  if (!st) return fail(st.error());
  auto ratio = [](int64_t a, int64_t b) { return b ? Json(static_cast<double>(a) / static_cast<double>(b)) : Json(nullptr); };
  Json teams = Json::array();
  Row total;
  for (const auto& [gid, x] : rows) {
    for (auto [dst, src] : {std::pair{&total.cases, x.cases}, {&total.closed, x.closed}, {&total.within_due, x.within_due},
                            {&total.overdue_open, x.overdue_open}, {&total.recovered, x.recovered},
                            {&total.not_recovered, x.not_recovered}, {&total.unreachable, x.unreachable},
                            {&total.follow_ups, x.follow_ups}, {&total.answered, x.answered},
                            {&total.trigger_sum, x.trigger_sum}, {&total.follow_up_sum, x.follow_up_sum}})
      *dst += src;
  }
  auto row_json = [&](const Row& x) {
    return Json{{"cases", x.cases},
                {"closed", x.closed},
                {"closed_within_due", x.within_due},
                {"closed_within_due_pct", x.closed ? Json(100.0 * x.within_due / x.closed) : Json(nullptr)},
                {"overdue_open", x.overdue_open},
                {"outcomes", {{"recovered", x.recovered}, {"not_recovered", x.not_recovered}, {"unreachable", x.unreachable}}},
                {"follow_ups_sent", x.follow_ups},
                {"follow_ups_answered", x.answered},
                {"trigger_mean_stars", ratio(x.trigger_sum, x.answered)},
                {"follow_up_mean_stars", ratio(x.follow_up_sum, x.answered)},
                {"uplift", ratio(x.follow_up_sum, x.trigger_sum)}};
  };
  for (const auto& [gid, x] : rows) {
    Json row = row_json(x);
    row["group_id"] = gid ? Json(gid) : Json(nullptr);
    row["group_name"] = gid && names.count(gid) ? Json(names[gid]) : Json(nullptr);
    teams.push_back(row);
  }
  return Json{{"from", iso8601(from)}, {"to", iso8601(to)}, {"teams", teams}, {"total", row_json(total)}};
}

}  // namespace rapport::feedback
