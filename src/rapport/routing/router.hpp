#pragma once
// The router: keeps an Engine in step with the store and writes its decisions.
//
// It reads the event log as the consumer "routing" (ticket, presence, user, group and routing
// configuration events). Each event is only a notice that something changed: the router reads
// that thing's current state (the ticket row, the agent's presence, skills, capacity and groups),
// so handling an event twice changes nothing, and a rebuild followed by a replay of events it
// already reflects is harmless. After each event it dispatches and writes every assignment in the
// same transaction that moves the consumer's cursor:
//   - the ticket update (assignee_id) through tickets::apply_rule_update, so the audit shows
//     via {channel: "rule", source: {rel: "routing", from: {id: policy id, title: policy name}}};
//   - a `routing_assignments` row, and the event
//     "routing.assigned" (entity ticket) {agent_id, group_id, policy_id, enqueued_at, waited_seconds}.
// When an agent is offline, their unstarted routed work (the last routed assignment of a ticket
// that is still theirs, new or open, with no public comment of theirs since) goes back to the
// queue with its original enqueue time: "routing.returned" {agent_id, group_id, policy_id}.
//
// The router is two things in app::Workers: the consumer "routing" (first in the list, so a new
// ticket is routed before other consumers run) whose handler is on_event(), and a timer, tick(),
// that wakes at the earliest relaxation step. It rebuilds the engine from the store on start
// (tick() before the workers start), after a change of skills or policies, after a write of its
// own failed, and when a consumer batch is replayed (its first event is one it already handled:
// the batch before rolled back, so the engine may hold decisions the store does not).
//
// It is also a create hook, on_created() (tickets::add_create_hook): a new ticket that an agent
// can take at once is assigned inside the create's own transaction, so the assignment commits
// with the ticket in one fsync and the create's answer already names the assignee. The engine
// is changed at once (so the next decision, even in the same group commit, sees the load) and
// the change is settled by the transaction's outcome: Tx::on_commit confirms it, and a write job
// or commit that fails drops the callback unrun, whose destructor gives the capacity back
// (Engine::release) and has the engine rebuilt. The hook decides only when the engine is known
// to be current: every routing event before the create is one the consumer has handled, one the
// router wrote itself, or the new ticket's own; otherwise it leaves the ticket to the consumer
// (and the following creates too, until the consumer has caught up). docs/routing.md,
// "Routing at create", has the reasoning.
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/events/consumer.hpp>
#include <rapport/routing/engine.hpp>
#include <rapport/store/store.hpp>

namespace rapport::routing {

inline constexpr const char* k_consumer = "routing";

class Router {
 public:
  explicit Router(store::Store& store);
  // The consumer's handler: runs in the write job that moves the cursor.
  Status on_event(store::Tx& tx, const events::StoredEvent& e);
  // The timer: rebuilds when needed and assigns what relaxation steps due by now allow; returns
  // the next time it is due. Reads before it writes: with nothing to do it writes nothing.
  Result<std::optional<int64_t>> tick();
  // For tests and tools: consumes every pending event, then ticks.
  Result<std::optional<int64_t>> run();
  // The create hook: runs on the writer thread inside create_ticket's transaction, after the
  // other create hooks (register it last: it reads the ticket as triage left it). Takes no read
  // connection and never waits for the engine's lock (busy: the ticket goes the consumer's way).
  // Never fails the create: a routing problem leaves the ticket to the consumer. The router must
  // outlive the writer's batches that ran the hook (stop the writer first): a failed batch's
  // callbacks, which report back to it, are dropped after its jobs are answered.
  Status on_created(store::Tx& tx, const domain::Ticket& ticket);

  // Thread-safe reads for the API.
  struct QueueView {
    std::vector<QueueEntry> items;
    std::size_t total = 0;
    bool ready = false;  // false until the first rebuild finished
  };
  QueueView queue(std::optional<GroupId> group, std::size_t limit, int64_t now);
  AgentLoad load(AgentId agent);

  // The event kinds the router reads.
  static const std::vector<std::string>& kinds();

 private:
  Status rebuild(store::Tx& tx, int64_t now);
  Status handle(store::Tx& tx, const events::StoredEvent& e, int64_t now);
  Status refresh_ticket(store::Conn& conn, TicketId id, int64_t enqueue_time);
  Status refresh_agent(store::Conn& conn, AgentId id, bool* offline = nullptr);
  Status sync_queue_row(store::Conn& conn, TicketId id);
  Status dispatch_and_write(store::Tx& tx, int64_t now);
  Status return_work(store::Tx& tx, AgentId agent, int64_t now);
  // The rows and event of one assignment; returns the routing_assignments id.
  Result<int64_t> write_assignment(store::Tx& tx, const Assignment& a, int64_t now, bool at_create);

  // ---- the create hook's bookkeeping ----
  struct Reserved {
    Assignment a;
    int64_t assignment_id = 0;
    bool committed = false;
  };
  class Settle;  // settles one reservation with its transaction's outcome
  friend class Settle;
  Status decide_at_create(store::Tx& tx, const domain::Ticket& ticket, int64_t now);
  // Drops reservations whose rows a savepoint rollback took away (the write job itself went on
  // and committed, so no destructor told us), and forgets the verified ones.
  Status check_reservations(store::Conn& conn);
  void settle(int64_t assignment_id, bool committed);
  // Records that the events after `lo` up to the log's end are the router's own writes.
  Status note_own_writes(store::Conn& conn, int64_t lo);
  // The hook has looked at every routing event up to m_scanned (whose kind and entity it keeps,
  // to notice a rollback that gave the id to another event).
  Status mark_scanned(store::Conn& conn);

  store::Store& m_store;
  std::mutex m_mu;  // guards the engine: run() holds it, the API's reads take it briefly
  Engine m_engine;
  bool m_dirty = true;
  bool m_ready = false;
  int64_t m_last_event = 0;  // the last event on_event() handled
  int64_t m_scanned = 0;     // the create hook has seen every routing event up to here
  std::string m_scanned_kind;
  int64_t m_scanned_entity = 0;
  // The latest routing event the engine may not reflect (neither the consumer's nor the hook's):
  // the hook decides again once the consumer has handled it (m_last_event >= m_barrier).
  int64_t m_barrier = 0;
  std::vector<std::pair<int64_t, int64_t>> m_own;  // (after, up to]: events the consumer's writes appended
  std::deque<Reserved> m_reserved;                 // hook assignments, oldest first, until verified
};

}  // namespace rapport::routing
