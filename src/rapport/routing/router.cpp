#include <rapport/routing/router.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>

#include <spdlog/spdlog.h>

#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/routing/config.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::routing {

namespace {

// The columns refresh_ticket and rebuild read, in this order.
constexpr const char* k_ticket_cols =
    "t.id, t.group_id, t.assignee_id, t.status, t.channel, t.priority, t.tags, t.organization_id, "
    "COALESCE(u.locale, ''), t.deleted_at, "
    "(SELECT MIN(s.breach_at) FROM ticket_slas s WHERE s.ticket_id = t.id AND s.stage = 'active' "
    "AND s.fulfilled_at IS NULL), "
    "(SELECT q.enqueued_at FROM routing_queue q WHERE q.ticket_id = t.id) "
    "FROM tickets t LEFT JOIN users u ON u.id = t.requester_id";

// "de" from "de-CH", "pt" from "pt_BR".
std::string language_of(std::string locale) {
  auto cut = locale.find_first_of("-_");
  if (cut != std::string::npos) locale.resize(cut);
  for (auto& ch : locale) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return locale;
}

TicketFacts map_ticket(const store::Row& r, bool& deleted) {
  TicketFacts t;
  t.id = r.i64(0);
  t.group_id = r.opt_i64(1);
  t.assignee_id = r.opt_i64(2);
  t.status = r.text(3);
  t.channel = r.text(4);
  t.priority = r.opt_text(5);
  auto tags = Json::parse(r.text(6), nullptr, false);
  if (tags.is_array())
    for (const auto& tag : tags)
      if (tag.is_string()) t.tags.push_back(tag.get<std::string>());
  t.organization_id = r.opt_i64(7);
  t.language = language_of(r.text(8));
  deleted = !r.is_null(9);
  t.sla_due = r.opt_i64(10);
  t.enqueued_at = r.opt_i64(11);
  return t;
}

// Skills and policies change what every ticket requires: rebuild. An agent's own skills or
// capacity only change that agent.
bool is_config_event(const std::string& kind) {
  return kind.rfind("routing.skill_", 0) == 0 || kind.rfind("routing.policy_", 0) == 0 || kind == "group.deleted";
}

}  // namespace

Router::Router(store::Store& store) : m_store(store) {}

const std::vector<std::string>& Router::kinds() {
  static const std::vector<std::string> k{
      "ticket.created",          "ticket.updated",          "ticket.deleted",
      "agent.presence_changed",  "user.created",            "user.updated",
      "group.deleted",           "routing.skill_created",   "routing.skill_updated",
      "routing.skill_deleted",   "routing.agent_skills_changed", "routing.capacity_changed",
      "routing.policy_created",  "routing.policy_updated",  "routing.policy_deleted"};
  return k;
}

Result<std::optional<int64_t>> Router::tick() {
  // The engine's lock is never held while waiting for the writer: the create hook takes it on
  // the writer thread, so the work is done inside write jobs, which take it there.
  bool dirty = false;
  {
    std::lock_guard lock(m_mu);
    dirty = m_dirty;
  }
  if (dirty) {
    auto st = m_store.writer().run([&](store::Tx& tx) -> Status {
      std::lock_guard lock(m_mu);
      if (!m_dirty) return {};  // another job rebuilt in between
      if (auto s = events::start_at_end(tx, k_consumer); !s) return s;
      if (auto s = rebuild(tx, now_epoch()); !s) return s;
      m_dirty = false;
      m_ready = true;
      return {};
    });
    if (!st) {
      std::lock_guard lock(m_mu);
      m_dirty = true;  // the rebuild's writes did not commit
      return fail(st.error());
    }
  }
  // Relaxation steps that came due, and changes not yet dispatched.
  bool pending = false;
  {
    std::lock_guard lock(m_mu);
    pending = m_engine.has_pending_work(now_epoch());
  }
  if (pending) {
    auto st = m_store.writer().run([&](store::Tx& tx) -> Status {
      std::lock_guard lock(m_mu);
      if (m_dirty) return {};  // a rebuild comes first (next tick)
      return dispatch_and_write(tx, now_epoch());
    });
    if (!st) {
      std::lock_guard lock(m_mu);
      m_dirty = true;  // the engine may hold assignments that were rolled back
      return fail(st.error());
    }
  }
  std::lock_guard lock(m_mu);
  return m_engine.next_wake();
}

Result<std::optional<int64_t>> Router::run() {
  if (auto t = tick(); !t) return t;
  for (;;) {
    auto n = events::consume(m_store, k_consumer, kinds(),
                             [&](store::Tx& tx, const events::StoredEvent& e) { return on_event(tx, e); });
    if (!n) return fail(n.error());
    if (*n == 0) break;
  }
  return tick();
}

Status Router::on_event(store::Tx& tx, const events::StoredEvent& e) {
  std::lock_guard lock(m_mu);
  const int64_t now = now_epoch();
  if (auto st = check_reservations(tx.conn()); !st) return st;
  // A replayed event means the batch that handled it before rolled back: start from the store.
  if (m_dirty || e.id <= m_last_event) {
    if (auto st = rebuild(tx, now); !st) return st;
    m_dirty = false;
    m_ready = true;
  }
  m_last_event = e.id;
  return handle(tx, e, now);
}

Router::QueueView Router::queue(std::optional<GroupId> group, std::size_t limit, int64_t now) {
  std::lock_guard lock(m_mu);
  QueueView v;
  v.ready = m_ready;
  v.items = m_engine.queue(group, limit, now);
  v.total = m_engine.queue_size(group);
  return v;
}

AgentLoad Router::load(AgentId agent) {
  std::lock_guard lock(m_mu);
  return m_engine.agent_load(agent);
}

Status Router::rebuild(store::Tx& tx, int64_t now) {
  auto& conn = tx.conn();
  m_engine.clear();
  auto policies = load_policies(conn);
  if (!policies) return fail(policies.error());
  std::string groups;
  for (const auto& p : *policies) {
    m_engine.set_policy(p);
    auto last = conn.scalar("SELECT agent_id FROM routing_assignments WHERE group_id = ? ORDER BY id DESC LIMIT 1",
                            {p.group_id});
    if (!last) return fail(last.error());
    if (*last) m_engine.set_round_robin_last(p.group_id, **last);
    groups += (groups.empty() ? "" : ",") + std::to_string(p.group_id);
  }
  std::vector<AgentId> agents;
  auto st = conn.each("SELECT id FROM users WHERE role IN ('agent', 'admin') AND active = 1 ORDER BY id", {},
                      [&](const store::Row& r) { agents.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  for (auto id : agents)
    if (auto s = refresh_agent(conn, id); !s) return s;
  // Every ticket that counts toward a load or may wait in a queue. The group ids are integers
  // from the store, so inlining them is safe.
  std::string where = " WHERE t.deleted_at IS NULL AND t.status IN ('new', 'open') AND (t.assignee_id IS NOT NULL";
  if (!groups.empty()) where += " OR t.group_id IN (" + groups + ")";
  where += ")";
  st = conn.each(std::string("SELECT ") + k_ticket_cols + where, {}, [&](const store::Row& r) {
    bool deleted = false;
    auto t = map_ticket(r, deleted);
    m_engine.upsert_ticket(t, now);
  });
  if (!st) return fail(st.error());
  // The stored queue becomes exactly what the engine holds (enqueue times it read from it).
  if (auto r = conn.run("DELETE FROM routing_queue"); !r) return fail(r.error());
  for (const auto& e : m_engine.queue(std::nullopt, SIZE_MAX, now))
    if (auto r = conn.run("INSERT INTO routing_queue(ticket_id, group_id, enqueued_at) VALUES (?,?,?)",
                          {e.ticket_id, e.group_id, e.enqueued_at});
        !r)
      return fail(r.error());
  spdlog::info("event=routing_rebuilt policies={} agents={} queued={}", policies->size(), agents.size(),
               m_engine.queued());
  if (auto s = dispatch_and_write(tx, now); !s) return s;
  // The engine now reflects the whole log up to here (including the writes just made).
  m_barrier = 0;
  m_own.clear();
  return mark_scanned(conn);
}

Status Router::refresh_ticket(store::Conn& conn, TicketId id, int64_t enqueue_time) {
  std::optional<TicketFacts> facts;
  bool deleted = false;
  auto st = conn.each(std::string("SELECT ") + k_ticket_cols + " WHERE t.id = ?", {id},
                      [&](const store::Row& r) { facts = map_ticket(r, deleted); });
  if (!st) return fail(st.error());
  if (!facts || deleted) m_engine.remove_ticket(id);
  else m_engine.upsert_ticket(*facts, enqueue_time);
  return sync_queue_row(conn, id);
}

Status Router::sync_queue_row(store::Conn& conn, TicketId id) {
  if (auto at = m_engine.enqueued_at(id)) {
    auto g = conn.scalar("SELECT group_id FROM tickets WHERE id = ?", {id});
    if (!g) return fail(g.error());
    if (auto r = conn.run("INSERT INTO routing_queue(ticket_id, group_id, enqueued_at) VALUES (?,?,?) "
                          "ON CONFLICT (ticket_id) DO UPDATE SET group_id = excluded.group_id, "
                          "enqueued_at = excluded.enqueued_at",
                          {id, g->value_or(0), *at});
        !r)
      return fail(r.error());
    return {};
  }
  if (auto r = conn.run("DELETE FROM routing_queue WHERE ticket_id = ?", {id}); !r) return fail(r.error());
  return {};
}

Status Router::refresh_agent(store::Conn& conn, AgentId id, bool* offline) {
  std::optional<std::string> presence;
  auto st = conn.each(
      "SELECT COALESCE(p.status, 'offline') FROM users u LEFT JOIN agent_presence p ON p.user_id = u.id "
      "WHERE u.id = ? AND u.role IN ('agent', 'admin') AND u.active = 1",
      {id}, [&](const store::Row& r) { presence = r.text(0); });
  if (!st) return fail(st.error());
  if (offline) *offline = !presence || *presence == "offline";
  if (!presence) {
    m_engine.remove_agent(id);
    return {};
  }
  AgentInfo a;
  a.id = id;
  a.online = *presence == "online";
  st = conn.each("SELECT skill_id, level FROM routing_agent_skills WHERE user_id = ?", {id},
                 [&](const store::Row& r) { a.skills.emplace_back(r.i64(0), static_cast<int>(r.i64(1))); });
  if (!st) return fail(st.error());
  st = conn.each("SELECT channel, capacity FROM routing_capacity WHERE user_id = ?", {id},
                 [&](const store::Row& r) { a.capacity.emplace_back(r.text(0), static_cast<int>(r.i64(1))); });
  if (!st) return fail(st.error());
  st = conn.each("SELECT group_id FROM group_memberships WHERE user_id = ?", {id},
                 [&](const store::Row& r) { a.groups.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  st = conn.each("SELECT id, assigned_at FROM routing_assignments WHERE agent_id = ? ORDER BY id DESC LIMIT 1", {id},
                 [&](const store::Row& r) {
                   a.last_seq = r.i64(0);
                   a.last_assigned_at = r.i64(1);
                 });
  if (!st) return fail(st.error());
  m_engine.upsert_agent(a);
  return {};
}

Status Router::handle(store::Tx& tx, const events::StoredEvent& e, int64_t now) {
  auto& conn = tx.conn();
  if (is_config_event(e.kind)) return rebuild(tx, now);  // rare; the rebuild dispatches too
  if (!e.entity_id) return {};
  if (e.kind.rfind("ticket.", 0) == 0) {
    // A ticket enters the queue when the event that made it routable happened.
    if (auto st = refresh_ticket(conn, *e.entity_id, std::min(e.at, now)); !st) return st;
  } else if (e.kind == "agent.presence_changed") {
    bool offline = false;
    if (auto st = refresh_agent(conn, *e.entity_id, &offline); !st) return st;
    // Presence read now, not from the event: a replayed "offline" of an agent who is back
    // online returns nothing.
    if (offline)
      if (auto st = return_work(tx, *e.entity_id, now); !st) return st;
  } else if (e.kind == "user.created" || e.kind == "user.updated" || e.kind == "routing.agent_skills_changed" ||
             e.kind == "routing.capacity_changed") {
    if (auto st = refresh_agent(conn, *e.entity_id); !st) return st;
  }
  return dispatch_and_write(tx, now);
}

Status Router::dispatch_and_write(store::Tx& tx, int64_t now) {
  auto& conn = tx.conn();
  auto assignments = m_engine.dispatch(now);
  if (assignments.empty()) return {};
  auto lo = conn.scalar("SELECT COALESCE(MAX(id), 0) FROM events");
  if (!lo) return fail(lo.error());
  for (const auto& a : assignments) {
    // Each assignment in its own savepoint: one that cannot be written (the ticket changed in
    // this same batch, the agent was deactivated) is undone alone and the engine rebuilt later.
    if (auto r = conn.exec("SAVEPOINT routing_assign"); !r) return r;
    auto undo = [&](const std::string& why) -> Status {
      if (auto r = conn.exec("ROLLBACK TO routing_assign; RELEASE routing_assign"); !r) return r;
      spdlog::warn("event=routing_assignment_skipped ticket={} agent={} reason=\"{}\"", a.ticket_id, a.agent_id, why);
      m_dirty = true;
      return {};
    };
    auto cur = conn.scalar(
        "SELECT 1 FROM tickets WHERE id = ? AND assignee_id IS NULL AND status IN ('new', 'open') "
        "AND deleted_at IS NULL",
        {a.ticket_id});
    if (!cur) return fail(cur.error());
    if (!*cur) {
      // Assigned by hand (or solved) since: the agent's choice wins.
      if (auto st = undo("ticket changed"); !st) return st;
      continue;
    }
    if (auto id = write_assignment(tx, a, now, false); !id) {
      if (auto st = undo(id.error().message); !st) return st;
      continue;
    }
    if (auto r = conn.exec("RELEASE routing_assign"); !r) return r;
  }
  return note_own_writes(conn, lo->value_or(0));
}

Result<int64_t> Router::write_assignment(store::Tx& tx, const Assignment& a, int64_t now, bool at_create) {
  auto& conn = tx.conn();
  const Policy* policy = m_engine.policy_for(a.group_id);
  tickets::RuleVia via{"routing", a.policy_id, policy ? policy->name : std::string("Routing")};
  const auto system = accounts::system_principal();
  // At a create the triggers run after every create hook and see the assignee; otherwise they
  // run here on the update, as on a manual assignment.
  std::optional<domain::Ticket> before;
  if (!at_create) {
    auto b = tickets::get_ticket(conn, a.ticket_id, system);
    if (!b) return fail(b.error());
    before = std::move(*b);
  }
  auto up = tickets::apply_rule_update(tx, a.ticket_id, Json{{"assignee_id", a.agent_id}}, via);
  if (!up) return fail(up.error());
  if (auto r = conn.run("INSERT INTO routing_assignments(ticket_id, agent_id, group_id, policy_id, enqueued_at, "
                        "assigned_at) VALUES (?,?,?,?,?,?)",
                        {a.ticket_id, a.agent_id, a.group_id, a.policy_id, a.enqueued_at, now});
      !r)
    return fail(r.error());
  const int64_t assignment_id = conn.last_insert_id();
  if (!at_create)  // a ticket routed at its create never had a queue row
    if (auto r = conn.run("DELETE FROM routing_queue WHERE ticket_id = ?", {a.ticket_id}); !r) return fail(r.error());
  events::Event ev{"routing.assigned",
                   "ticket",
                   a.ticket_id,
                   std::nullopt,
                   std::nullopt,
                   {{"agent_id", a.agent_id},
                    {"group_id", a.group_id},
                    {"policy_id", a.policy_id},
                    {"assignment_id", assignment_id},
                    {"enqueued_at", a.enqueued_at},
                    {"waited_seconds", a.waited},
                    {"at_create", at_create}}};
  if (auto r = events::append(conn, ev, now); !r) return fail(r.error());
  if (before) {
    // Triggers see a routed assignment like a manual one (their changes join its audit).
    if (auto st = tickets::run_after_write_hook(tx, *before, system, *up); !st) return fail(st.error());
    // A trigger that moved the ticket on (solved, reassigned it) changed what the engine holds.
    const auto& t = up->ticket;
    if (t.assignee_id != a.agent_id || (t.status != "new" && t.status != "open"))
      if (auto st = refresh_ticket(conn, a.ticket_id, now); !st) return fail(st.error());
  }
  return assignment_id;
}

Status Router::return_work(store::Tx& tx, AgentId agent, int64_t now) {
  auto& conn = tx.conn();
  auto lo = conn.scalar("SELECT COALESCE(MAX(id), 0) FROM events");
  if (!lo) return fail(lo.error());
  struct Unstarted {
    int64_t assignment_id, ticket_id, group_id, policy_id, enqueued_at;
  };
  std::vector<Unstarted> work;
  auto st = conn.each(
      "SELECT a.id, a.ticket_id, a.group_id, a.policy_id, a.enqueued_at FROM routing_assignments a "
      "JOIN tickets t ON t.id = a.ticket_id "
      "WHERE a.agent_id = ? AND a.returned_at IS NULL AND t.assignee_id = a.agent_id "
      "AND t.status IN ('new', 'open') AND t.deleted_at IS NULL "
      "AND a.id = (SELECT MAX(b.id) FROM routing_assignments b WHERE b.ticket_id = a.ticket_id) "
      "AND NOT EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = a.ticket_id AND c.public = 1 "
      "AND c.author_id = a.agent_id AND c.created_at >= a.assigned_at) "
      "ORDER BY a.id",
      {agent}, [&](const store::Row& r) { work.push_back({r.i64(0), r.i64(1), r.i64(2), r.i64(3), r.i64(4)}); });
  if (!st) return fail(st.error());
  const auto system = accounts::system_principal();
  for (const auto& w : work) {
    const Policy* policy = m_engine.policy_for(w.group_id);
    tickets::RuleVia via{"routing", w.policy_id, policy ? policy->name : std::string("Routing")};
    auto before = tickets::get_ticket(conn, w.ticket_id, system);
    if (!before) return fail(before.error());
    auto up = tickets::apply_rule_update(tx, w.ticket_id, Json{{"assignee_id", nullptr}}, via);
    if (!up) return fail(up.error());
    if (auto r = conn.run("UPDATE routing_assignments SET returned_at = ? WHERE id = ?", {now, w.assignment_id}); !r)
      return fail(r.error());
    // Back in line where it was: the customer has waited since then.
    if (auto r = conn.run("INSERT INTO routing_queue(ticket_id, group_id, enqueued_at) VALUES (?,?,?) "
                          "ON CONFLICT (ticket_id) DO UPDATE SET enqueued_at = excluded.enqueued_at",
                          {w.ticket_id, w.group_id, w.enqueued_at});
        !r)
      return fail(r.error());
    events::Event ev{"routing.returned", "ticket", w.ticket_id, std::nullopt, std::nullopt,
                     {{"agent_id", agent}, {"group_id", w.group_id}, {"policy_id", w.policy_id},
                      {"assignment_id", w.assignment_id}}};
    if (auto r = events::append(conn, ev, now); !r) return fail(r.error());
    // Triggers see the return like any unassignment (e.g. tag it, tell the team lead); whatever
    // they change is in the ticket the engine reads next.
    if (auto s = tickets::run_after_write_hook(tx, *before, system, *up); !s) return s;
    if (auto s = refresh_ticket(conn, w.ticket_id, w.enqueued_at); !s) return s;
  }
  if (work.empty()) return {};
  spdlog::info("event=routing_work_returned agent={} tickets={}", agent, work.size());
  return note_own_writes(conn, lo->value_or(0));
}

// ---- routing at create ----

// Settles one assignment made by the create hook with its transaction's outcome. The hook hands
// it to Tx::on_commit, which runs it after a durable commit; when the write job fails or the
// commit does, the writer drops the callback unrun, and the destructor gives the capacity back.
class Router::Settle {
 public:
  Settle(Router& router, int64_t assignment_id) : m_router(router), m_id(assignment_id) {}
  Settle(const Settle&) = delete;
  Settle& operator=(const Settle&) = delete;
  ~Settle() {
    if (!m_done) m_router.settle(m_id, false);
  }
  void committed() {
    m_done = true;
    m_router.settle(m_id, true);
  }

 private:
  Router& m_router;
  int64_t m_id;
  bool m_done = false;
};

void Router::settle(int64_t assignment_id, bool committed) {
  std::lock_guard lock(m_mu);
  auto it = std::find_if(m_reserved.begin(), m_reserved.end(),
                         [&](const Reserved& r) { return r.assignment_id == assignment_id; });
  if (it == m_reserved.end()) return;  // already found rolled back by check_reservations
  if (committed) {
    it->committed = true;
    return;
  }
  // Rolled back: the capacity is free again at once. Whatever else the rolled-back work held
  // (other tickets' events the hook looked at, ids SQLite will hand out again) is not worth
  // tracking for so rare a case: rebuild from the store before deciding again.
  spdlog::info("event=routing_at_create_rolled_back ticket={} agent={}", it->a.ticket_id, it->a.agent_id);
  m_engine.release(it->a);
  m_reserved.erase(it);
  m_dirty = true;
}

Status Router::check_reservations(store::Conn& conn) {
  // A savepoint rollback removes the newest writes, so the newest reservation that still has
  // its row vouches for every older one.
  while (!m_reserved.empty()) {
    const Reserved& r = m_reserved.back();
    auto row = conn.scalar("SELECT 1 FROM routing_assignments WHERE id = ? AND ticket_id = ? AND agent_id = ?",
                           {r.assignment_id, r.a.ticket_id, r.a.agent_id});
    if (!row) return fail(row.error());
    if (*row) break;
    spdlog::warn("event=routing_at_create_rolled_back ticket={} agent={}", r.a.ticket_id, r.a.agent_id);
    m_engine.release(r.a);
    m_reserved.pop_back();
    m_dirty = true;
  }
  // Committed ones (a prefix: batches commit in order) are settled for good.
  while (!m_reserved.empty() && m_reserved.front().committed) m_reserved.pop_front();
  return {};
}

Status Router::note_own_writes(store::Conn& conn, int64_t lo) {
  auto hi = conn.scalar("SELECT COALESCE(MAX(id), 0) FROM events");
  if (!hi) return fail(hi.error());
  if (hi->value_or(0) > lo) m_own.emplace_back(lo, hi->value_or(0));
  return {};
}

Status Router::mark_scanned(store::Conn& conn) {
  int64_t id = 0, entity = 0;
  std::string kind;
  auto st = conn.each("SELECT id, kind, COALESCE(entity_id, 0) FROM events ORDER BY id DESC LIMIT 1", {},
                      [&](const store::Row& r) {
                        id = r.i64(0);
                        kind = r.text(1);
                        entity = r.i64(2);
                      });
  if (!st) return fail(st.error());
  m_scanned = id;
  m_scanned_kind = std::move(kind);
  m_scanned_entity = entity;
  std::erase_if(m_own, [&](const auto& range) { return range.second <= m_scanned; });
  return {};
}

Status Router::on_created(store::Tx& tx, const domain::Ticket& ticket) {
  // An API read of the queue holds the lock: do not wait for it on the writer thread. The
  // consumer routes this ticket, and the next create's scan sees its events as not reflected.
  std::unique_lock lock(m_mu, std::try_to_lock);
  if (!lock.owns_lock()) return {};
  if (auto st = decide_at_create(tx, ticket, now_epoch()); !st) {
    spdlog::warn("event=routing_at_create_failed ticket={} error=\"{}\"", ticket.id, st.error().message);
    m_dirty = true;  // rebuild from the store before deciding at a create again
  }
  return {};
}

Status Router::decide_at_create(store::Tx& tx, const domain::Ticket& ticket, int64_t now) {
  // Bounds the events the hook reads in one create (it reads those since the last create).
  constexpr int64_t k_scan_limit = 512;
  auto& conn = tx.conn();
  if (auto st = check_reservations(conn); !st) return st;
  if (!m_ready || m_dirty) return {};  // the consumer or the timer rebuilds, then routes it
  if (m_scanned > 0) {
    // A rollback may have given the id the hook saw last to another event: what it saw is gone.
    bool same = false;
    auto st = conn.each("SELECT kind, COALESCE(entity_id, 0) FROM events WHERE id = ?", {m_scanned},
                        [&](const store::Row& r) { same = r.text(0) == m_scanned_kind && r.i64(1) == m_scanned_entity; });
    if (!st) return fail(st.error());
    if (!same) {
      m_dirty = true;
      return {};
    }
  }
  // Every routing event since the hook last looked (or the consumer last handled) must be one
  // the engine reflects: the router's own writes, this ticket's own events (its create, the
  // triage that set its group), or a user event about someone who is not an agent. Anything else
  // (a presence change, another ticket's update, a create the hook did not see) is the
  // consumer's to apply first: it becomes the barrier.
  struct Seen {
    int64_t id;
    std::string kind, entity;
    int64_t entity_id;
  };
  std::vector<Seen> seen;
  // The kinds as one ",a,b,...," string tested with instr(): with `kind IN (15 values)` SQLite
  // seeks the kind index once per kind and sorts the union, on every create (12% of the writer
  // thread in a create profile). The events since the hook last looked are few and in id order,
  // so walking them by id is cheaper.
  static const std::string k_kind_set = [] {
    std::string set = ",";
    for (const auto& k : kinds()) set += k + ",";
    return set;
  }();
  auto st = conn.each(
      "SELECT id, kind, entity, COALESCE(entity_id, 0) FROM events WHERE id > ? AND instr(?, ',' || kind || ',') > 0 "
      "ORDER BY id LIMIT ?",
      {std::max(m_scanned, m_last_event), k_kind_set, k_scan_limit},
      [&](const store::Row& r) { seen.push_back({r.i64(0), r.text(1), r.text(2), r.i64(3)}); });
  if (!st) return fail(st.error());
  if (static_cast<int64_t>(seen.size()) >= k_scan_limit) {
    // Far more than one create's worth: leave it to the consumer and go on from here next time.
    m_barrier = std::max(m_barrier, seen.back().id);
    m_scanned = seen.back().id;
    m_scanned_kind = seen.back().kind;
    m_scanned_entity = seen.back().entity_id;
    return {};
  }
  int64_t last_mine = 0;
  for (const auto& e : seen) {
    if (e.entity == "ticket" && e.entity_id == ticket.id) {
      last_mine = e.id;
      continue;
    }
    if (std::any_of(m_own.begin(), m_own.end(), [&](const auto& r) { return e.id > r.first && e.id <= r.second; }))
      continue;
    if ((e.kind == "user.created" || e.kind == "user.updated") && !m_engine.agent_load(e.entity_id).known) {
      // A requester created with the ticket, say. Someone who is (now) an agent matters.
      auto staff = conn.scalar("SELECT 1 FROM users WHERE id = ? AND role IN ('agent', 'admin')", {e.entity_id});
      if (!staff) return fail(staff.error());
      if (!*staff) continue;
    }
    m_barrier = std::max(m_barrier, e.id);
  }
  bool reflected = m_barrier <= m_last_event;  // may the hook decide, and does the engine see this ticket?
  if (reflected) {
    std::optional<TicketFacts> facts;
    bool deleted = false;
    st = conn.each(std::string("SELECT ") + k_ticket_cols + " WHERE t.id = ?", {ticket.id},
                   [&](const store::Row& r) { facts = map_ticket(r, deleted); });
    if (!st) return fail(st.error());
    const bool active = facts && !deleted && (facts->status == "new" || facts->status == "open");
    if (active && facts->assignee_id) {
      reflected = false;  // it counts toward a load the engine has not seen: the consumer's
    } else if (active) {
      // Waits when nobody is free: the consumer queues it (nothing the engine knows changes).
      if (auto a = m_engine.assign_new(*facts, now)) {
        if (auto r = conn.exec("SAVEPOINT routing_at_create"); !r) {
          m_engine.release(*a);
          return r;
        }
        auto id = write_assignment(tx, *a, now, true);
        if (!id) {
          if (auto r = conn.exec("ROLLBACK TO routing_at_create; RELEASE routing_at_create"); !r) return r;
          spdlog::warn("event=routing_assignment_skipped ticket={} agent={} reason=\"{}\"", a->ticket_id, a->agent_id,
                       id.error().message);
          if (!m_engine.release(*a)) m_dirty = true;
          reflected = false;
        } else {
          if (auto r = conn.exec("RELEASE routing_at_create"); !r) return r;
          m_reserved.push_back({*a, *id, false});
          auto settle = std::make_shared<Settle>(*this, *id);
          tx.on_commit([settle] { settle->committed(); });
        }
      }
    }
  }
  if (!reflected) m_barrier = std::max(m_barrier, last_mine);
  return mark_scanned(conn);
}

}  // namespace rapport::routing
