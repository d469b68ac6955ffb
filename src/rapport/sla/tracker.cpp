#include <rapport/sla/tracker.hpp>

#include <set>

#include <spdlog/spdlog.h>

#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/sla/admin.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::sla {

namespace {

constexpr const char* k_sla_cols =
    "ticket_id, policy_id, metric, instance, stage, target_seconds, business_hours, started_at, "
    "elapsed_seconds, "
    "breach_at, fulfilled_at, breach_event_id";

TicketSla map_sla(const store::Row& r) {
  TicketSla s;
  s.ticket_id = r.i64(0);
  s.policy_id = r.i64(1);
  s.metric = r.text(2);
  s.instance = static_cast<int>(r.i64(3));
  s.stage = r.text(4);
  s.target_seconds = r.i64(5);
  s.business_hours = r.i64(6) != 0;
  s.started_at = r.i64(7);
  s.elapsed_seconds = r.i64(8);
  s.breach_at = r.opt_i64(9);
  s.fulfilled_at = r.opt_i64(10);
  s.breach_event_id = r.opt_i64(11);
  return s;
}

// Drops the rows of a ticket that no longer has them, except those whose breach was announced:
// that event happened, and the row keeps it from happening twice.
Status drop_rows(store::Conn& conn, Id ticket_id,
                 const std::set<std::pair<std::string, int>>& keep) {
  std::vector<std::pair<std::string, int>> gone;
  auto st = conn.each(
      "SELECT metric, instance FROM ticket_slas WHERE ticket_id = ? AND breach_event_id IS NULL",
      {ticket_id}, [&](const store::Row& r) {
        std::pair<std::string, int> k{r.text(0), static_cast<int>(r.i64(1))};
        if (!keep.count(k)) gone.push_back(k);
      });
  if (!st) return st;
  for (const auto& [m, n] : gone) {
    if (auto r =
            conn.run("DELETE FROM ticket_slas WHERE ticket_id = ? AND metric = ? AND instance = ?",
                     {ticket_id, m, n});
        !r)
      return fail(r.error());
  }
  return {};
}

}  // namespace

const std::vector<std::string>& tracked_event_kinds() {
  static const std::vector<std::string> k_kinds = {"ticket.created",
                                                   "ticket.updated",
                                                   "ticket.deleted",
                                                   "sla_policy.created",
                                                   "sla_policy.updated",
                                                   "sla_policy.deleted",
                                                   "sla_policy.reordered",
                                                   "business_schedule.created",
                                                   "business_schedule.updated",
                                                   "business_schedule.deleted"};
  return k_kinds;
}

Result<History> ticket_history(store::Conn& conn, Id ticket_id) {
  auto requester = conn.scalar("SELECT requester_id FROM tickets WHERE id = ?", {ticket_id});
  if (!requester) return fail(requester.error());
  if (!*requester) return fail(Error::not_found());
  std::map<Id, bool> staff;  // author -> agent or admin
  auto is_agent = [&](Id author) -> Result<bool> {
    if (author == **requester) return false;
    if (auto it = staff.find(author); it != staff.end()) return it->second;
    auto role = conn.scalar_text("SELECT role FROM users WHERE id = ?", {author});
    if (!role) return fail(role.error());
    bool yes = *role && (**role == "agent" || **role == "admin");
    staff[author] = yes;
    return yes;
  };
  History h;
  bool first = true;
  Status failed;
  auto st = conn.each("SELECT events, created_at FROM audits WHERE ticket_id = ? ORDER BY id",
                      {ticket_id}, [&](const store::Row& r) {
                        if (!failed) return;
                        auto events = Json::parse(r.text(0), nullptr, false);
                        int64_t at = r.i64(1);
                        HistoryEvent e;
                        e.at = at;
                        if (first) h.created_at = at;
                        if (!events.is_array()) events = Json::array();
                        for (const auto& ev : events) {
                          auto type = ev.value("type", "");
                          if (type == "Comment") {
                            if (!ev.value("public", false)) continue;
                            auto agent = is_agent(ev.value("author_id", int64_t{0}));
                            if (!agent) {
                              failed = fail(agent.error());
                              return;
                            }
                            if (first) {
                              h.opened_by_agent_publicly = *agent;
                            } else {
                              e.public_comment = true;
                              e.by_agent = *agent;
                            }
                          } else if ((type == "Create" || type == "Change") &&
                                     ev.value("field_name", "") == "status" &&
                                     ev.contains("value") && ev["value"].is_string()) {
                            if (first)
                              h.initial_status = ev["value"].get<std::string>();
                            else
                              e.status = ev["value"].get<std::string>();
                          }
                        }
                        if (!first && (e.public_comment || e.status))
                          h.events.push_back(std::move(e));
                        first = false;
                      });
  if (!st) return fail(st.error());
  if (!failed) return fail(failed.error());
  return h;
}

Status recompute_ticket(store::Tx& tx, Id ticket_id, int64_t now) {
  auto& conn = tx.conn();
  auto ticket = tickets::get_ticket(conn, ticket_id, accounts::system_principal());
  if (!ticket) {
    if (ticket.error().code == ErrorCode::not_found)
      return drop_rows(conn, ticket_id, {});  // deleted
    return fail(ticket.error());
  }
  auto policies = all_policies(conn);
  if (!policies) return fail(policies.error());
  const Policy* policy = match_policy(*policies, *ticket);
  if (!policy) return drop_rows(conn, ticket_id, {});
  auto calendar = load_calendar(conn, policy->schedule_id);
  if (!calendar) return fail(calendar.error());
  auto history = ticket_history(conn, ticket_id);
  if (!history) return fail(history.error());
  auto instances = compute_instances(*history, *policy, ticket->priority, *calendar, now);

  std::map<std::pair<std::string, int>, TicketSla> old;
  auto st = conn.each(std::string("SELECT ") + k_sla_cols + " FROM ticket_slas WHERE ticket_id = ?",
                      {ticket_id}, [&](const store::Row& r) {
                        auto s = map_sla(r);
                        old[{s.metric, s.instance}] = s;
                      });
  if (!st) return st;
  std::set<std::pair<std::string, int>> keep;
  for (const auto& in : instances) {
    std::pair<std::string, int> key{in.metric, in.instance};
    keep.insert(key);
    auto prev = old.find(key);
    bool announced = prev != old.end() && prev->second.breach_event_id;
    std::string stage = announced ? "breached" : in.stage;
    std::optional<int64_t> notify;
    if (!announced && in.breach_at && (in.stage == "active" || in.stage == "breached"))
      notify = in.breach_at;
    auto r = conn.run(
        "INSERT INTO ticket_slas(ticket_id, metric, instance, policy_id, stage, target_seconds, "
        "business_hours, started_at, "
        "breach_at, fulfilled_at, elapsed_seconds, notify_at, updated_at) VALUES "
        "(?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(ticket_id, metric, instance) DO UPDATE SET policy_id = excluded.policy_id, "
        "stage = excluded.stage, "
        "target_seconds = excluded.target_seconds, business_hours = excluded.business_hours, "
        "started_at = excluded.started_at, "
        "breach_at = excluded.breach_at, fulfilled_at = excluded.fulfilled_at, elapsed_seconds = "
        "excluded.elapsed_seconds, "
        "notify_at = excluded.notify_at, updated_at = excluded.updated_at",
        {ticket_id, in.metric, int64_t{in.instance}, policy->id, stage, in.target_seconds,
         in.business_hours, in.started_at, in.breach_at, in.fulfilled_at, in.elapsed_seconds,
         notify, now});
    if (!r) return fail(r.error());
    if (stage == "achieved" && (prev == old.end() || prev->second.stage != "achieved")) {
      events::Event e{"sla.achieved",
                      "ticket",
                      ticket_id,
                      std::nullopt,
                      std::nullopt,
                      {{"metric", in.metric},
                       {"instance", in.instance},
                       {"policy_id", policy->id},
                       {"fulfilled_at", in.fulfilled_at.value_or(now)},
                       {"elapsed_seconds", in.elapsed_seconds},
                       {"target_seconds", in.target_seconds},
                       {"business_hours", in.business_hours}}};
      if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
    }
  }
  return drop_rows(conn, ticket_id, keep);
}

Result<int64_t> recompute_open_tickets(store::Tx& tx, int64_t now) {
  std::vector<Id> ids;
  // Open tickets, and any ticket with a clock still waiting to be announced.
  auto st = tx.conn().each(
      "SELECT id FROM tickets WHERE status_rank < 4 AND deleted_at IS NULL "
      "UNION SELECT ticket_id FROM ticket_slas WHERE notify_at IS NOT NULL",
      {}, [&](const store::Row& r) { ids.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  for (auto id : ids)
    if (auto s = recompute_ticket(tx, id, now); !s) return fail(s.error());
  return static_cast<int64_t>(ids.size());
}

Status on_event(store::Tx& tx, const events::StoredEvent& e) {
  int64_t now = now_epoch();
  if (e.entity == "ticket" && e.entity_id) return recompute_ticket(tx, *e.entity_id, now);
  auto n = recompute_open_tickets(tx, now);
  if (!n) return fail(n.error());
  spdlog::info("event=sla_recomputed cause={} tickets={}", e.kind, *n);
  return {};
}

Result<int> emit_due_breaches(store::Tx& tx, int64_t now, int limit) {
  auto& conn = tx.conn();
  std::vector<Id> tickets_due;
  auto ts = conn.each(
      "SELECT DISTINCT ticket_id FROM ticket_slas WHERE notify_at IS NOT NULL AND notify_at <= ? "
      "LIMIT ?",
      {now, int64_t{limit}}, [&](const store::Row& r) { tickets_due.push_back(r.i64(0)); });
  if (!ts) return fail(ts.error());
  // The consumer may not have seen the latest change yet (a reply committed a moment before the
  // breach): recompute each ticket here first, in this transaction, so only real breaches count.
  std::vector<TicketSla> due;
  for (auto id : tickets_due) {
    if (auto st = recompute_ticket(tx, id, now); !st) return fail(st.error());
    auto st = conn.each(
        std::string("SELECT ") + k_sla_cols +
            " FROM ticket_slas WHERE ticket_id = ? AND notify_at IS NOT NULL AND notify_at <= ? "
            "AND breach_event_id IS NULL ORDER BY notify_at",
        {id, now}, [&](const store::Row& r) { due.push_back(map_sla(r)); });
    if (!st) return fail(st.error());
  }
  std::map<Id, std::optional<Policy>> policies;
  for (const auto& s : due) {
    if (!policies.count(s.policy_id)) {
      auto p = get_policy(conn, s.policy_id, accounts::system_principal());
      policies[s.policy_id] = p ? std::optional<Policy>(*p) : std::nullopt;
    }
    const auto& policy = policies[s.policy_id];
    // The escalation acts on tickets still waiting for this metric.
    bool escalated = false;
    if (policy && !s.fulfilled_at && !policy->escalation.empty()) {
      Json change = Json::object();
      if (policy->escalation.priority) change["priority"] = *policy->escalation.priority;
      if (!policy->escalation.add_tags.empty())
        change["additional_tags"] = policy->escalation.add_tags;
      if (policy->escalation.group_id) change["group_id"] = *policy->escalation.group_id;
      tickets::UpdateOptions via;
      via.channel = "rule";
      via.via_source = {
          {"from", {{"id", policy->id}, {"title", policy->title}, {"type", "sla_policy"}}},
          {"to", Json::object()},
          {"rel", "sla_breach"}};
      (void)conn.exec("SAVEPOINT sla_escalation");
      auto u = tickets::update_ticket(tx, s.ticket_id, change, accounts::system_principal(), via);
      if (u) {
        (void)conn.exec("RELEASE sla_escalation");
        escalated = u->audit.id != 0;
      } else {
        (void)conn.exec("ROLLBACK TO sla_escalation; RELEASE sla_escalation");
        spdlog::warn("event=sla_escalation_skipped ticket={} policy={} error=\"{}\"", s.ticket_id,
                     s.policy_id, u.error().message);
      }
    }
    events::Event e{"sla.breached",
                    "ticket",
                    s.ticket_id,
                    std::nullopt,
                    std::nullopt,
                    {{"metric", s.metric},
                     {"instance", s.instance},
                     {"policy_id", s.policy_id},
                     {"breach_at", s.breach_at.value_or(now)},
                     {"target_seconds", s.target_seconds},
                     {"business_hours", s.business_hours},
                     {"escalated", escalated}}};
    auto id = events::append(conn, e, now);
    if (!id) return fail(id.error());
    auto r = conn.run(
        "UPDATE ticket_slas SET stage = 'breached', notify_at = NULL, breach_event_id = ?, "
        "updated_at = ? "
        "WHERE ticket_id = ? AND metric = ? AND instance = ?",
        {*id, now, s.ticket_id, s.metric, int64_t{s.instance}});
    if (!r) return fail(r.error());
  }
  return static_cast<int>(due.size());
}

Result<std::optional<int64_t>> next_breach(store::Conn& conn) {
  auto r = conn.scalar("SELECT MIN(notify_at) FROM ticket_slas WHERE notify_at IS NOT NULL");
  if (!r) return fail(r.error());
  return *r;
}

Result<std::map<Id, std::vector<TicketSla>>> slas_for_tickets(store::Conn& conn,
                                                              const std::vector<Id>& ids) {
  std::map<Id, std::vector<TicketSla>> out;
  if (ids.empty()) return out;
  store::Params params(ids.begin(), ids.end());
  auto st =
      conn.each(std::string("SELECT ") + k_sla_cols + " FROM ticket_slas WHERE ticket_id IN (" +
                    store::placeholders(ids.size()) + ") ORDER BY ticket_id, metric, instance",
                params, [&](const store::Row& r) {
                  auto s = map_sla(r);
                  out[s.ticket_id].push_back(std::move(s));
                });
  if (!st) return fail(st.error());
  return out;
}

std::string stage_at(const TicketSla& s, int64_t now) {
  if (s.stage == "active" && s.breach_at && *s.breach_at <= now) return "breached";
  return s.stage;
}

Result<std::vector<ReportRow>> report(store::Conn& conn, int64_t start, int64_t end,
                                      const std::string& group_by, int64_t now,
                                      const domain::Principal& p) {
  using domain::RapportRole;
  if (!p.is_admin() && p.rapport_role == RapportRole::none) return fail(Error::forbidden());
  if (!p.is_staff()) return fail(Error::forbidden());
  std::string key, label, join;
  if (group_by == "policy") {
    key = "CAST(s.policy_id AS TEXT)";
    label = "COALESCE(p.title, '(deleted policy)')";
    join = " LEFT JOIN sla_policies p ON p.id = s.policy_id";
  } else if (group_by == "group") {
    key = "COALESCE(CAST(t.group_id AS TEXT), '')";
    label = "COALESCE(g.name, '(no group)')";
    join = " LEFT JOIN groups g ON g.id = t.group_id";
  } else if (group_by == "metric") {
    key = "s.metric";
    label = "s.metric";
  } else {
    return fail(Error::invalid("group_by must be policy, group or metric"));
  }
  std::vector<ReportRow> out;
  auto st =
      conn.each("SELECT " + key + ", " + label +
                    ", SUM(CASE WHEN s.stage = 'achieved' THEN 1 ELSE 0 END)"
                    ", SUM(CASE WHEN s.stage = 'breached' OR (s.stage = 'active' AND s.breach_at "
                    "<= ?) THEN 1 ELSE 0 END)"
                    ", SUM(CASE WHEN s.stage = 'active' AND (s.breach_at IS NULL OR s.breach_at > "
                    "?) THEN 1 ELSE 0 END)"
                    ", SUM(CASE WHEN s.stage = 'paused' THEN 1 ELSE 0 END)"
                    " FROM ticket_slas s JOIN tickets t ON t.id = s.ticket_id" +
                    join +
                    " WHERE s.started_at >= ? AND s.started_at < ? AND t.deleted_at IS NULL GROUP "
                    "BY 1, 2 ORDER BY 1",
                {now, now, start, end}, [&](const store::Row& r) {
                  out.push_back({r.text(0), r.text(1), r.i64(2), r.i64(3), r.i64(4), r.i64(5)});
                });
  if (!st) return fail(st.error());
  return out;
}

Result<std::vector<Id>> queue(store::Conn& conn, std::optional<Id> group_id, int64_t limit,
                              const domain::Principal& p) {
  if (!p.is_staff()) return fail(Error::forbidden());
  store::Params params;
  std::string where =
      "t.deleted_at IS NULL AND t.status_rank < 4 AND s.fulfilled_at IS NULL AND s.stage IN "
      "('active', 'breached', 'paused')";
  if (group_id) {
    where += " AND t.group_id = ?";
    params.push_back(*group_id);
  }
  if (auto vis = tickets::visibility_clause(p, params); !vis.empty()) where += " AND (" + vis + ")";
  params.push_back(limit);
  std::vector<Id> ids;
  auto st = conn.each(
      "SELECT t.id, MIN(s.breach_at) AS next FROM tickets t JOIN ticket_slas s ON s.ticket_id = "
      "t.id WHERE " +
          where + " GROUP BY t.id ORDER BY next IS NULL, next, t.id LIMIT ?",
      params, [&](const store::Row& r) { ids.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  return ids;
}

}  // namespace rapport::sla
