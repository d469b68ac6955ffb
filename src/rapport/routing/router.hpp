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
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
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

  store::Store& m_store;
  std::mutex m_mu;  // guards the engine: run() holds it, the API's reads take it briefly
  Engine m_engine;
  bool m_dirty = true;
  bool m_ready = false;
  int64_t m_last_event = 0;  // the last event on_event() handled
};

}  // namespace rapport::routing
