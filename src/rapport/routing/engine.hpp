#pragma once
// The routing engine: a pure, in-memory model of who can take which waiting ticket. No SQL and
// no clock of its own (every call takes `now`), so it is tested and benchmarked alone; `Router`
// (router.hpp) feeds it from the store and writes its decisions.
//
// State: agents (presence, skills with levels, capacity and load per channel, the time and
// sequence of their last routed assignment, their groups), one policy per routed group, and the
// tickets that matter: those that count toward an agent's load (assigned, new or open) and those
// that wait in a routed group's queue.
//
// Invariant after every dispatch(): no waiting ticket has an eligible agent. So only a change can
// make an assignment possible, and dispatch() looks only at what changed: a new or re-derived
// queue item, an agent who came online, freed capacity or gained skills, or an item whose
// relaxation step has come (a timer: next_wake()). A policy change re-examines everything.
// docs/routing.md describes the algorithm.
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace rapport::routing {

using AgentId = int64_t;
using TicketId = int64_t;
using GroupId = int64_t;
using SkillId = int64_t;

enum class Method { round_robin, least_busy, longest_idle };
enum class Order { oldest, priority, sla };

std::string_view to_string(Method m);
std::string_view to_string(Order o);
std::optional<Method> parse_method(std::string_view s);
std::optional<Order> parse_order(std::string_view s);

// Ticket channels (domain::k_channels) by index; capacity and load are kept per index.
inline constexpr std::size_t k_max_channels = 16;
std::optional<std::size_t> channel_index(std::string_view channel);
std::string_view channel_name(std::size_t index);

// A relaxation step: from `after` seconds of waiting on, the skill needs only `min_level`
// (0: no longer required).
struct Step {
  int64_t after = 0;
  int min_level = 0;
};

// A required skill with the level it needs over time: steps sorted by `after`, the first at 0.
struct Requirement {
  SkillId skill_id = 0;
  std::vector<Step> steps;
  int level_at(int64_t waited) const;
};

// One requirement rule of a policy: when every condition holds for a ticket, the ticket needs
// `skill_id` at `min_level`, relaxed by `relaxation` (after_seconds ascending).
struct Condition {
  std::string field;  // tag | priority | organization_id | language | channel
  std::string value;
};
struct Rule {
  std::vector<Condition> conditions;  // all must hold; none: every ticket of the group
  SkillId skill_id = 0;
  int min_level = 1;
  std::vector<Step> relaxation;
};

struct Policy {
  int64_t id = 0;
  GroupId group_id = 0;
  std::string name;
  Method method = Method::round_robin;
  Order order = Order::oldest;
  std::vector<Rule> rules;
};

// What routing needs to know about a ticket (read from the store by Router).
struct TicketFacts {
  TicketId id = 0;
  std::optional<GroupId> group_id;
  std::optional<AgentId> assignee_id;
  std::string status = "new";
  std::string channel = "api";
  std::optional<std::string> priority;
  std::vector<std::string> tags;
  std::optional<int64_t> organization_id;
  std::string language;              // the requester's locale's language ("de" from "de-CH")
  std::optional<int64_t> sla_due;    // the nearest active SLA target, for queue order "sla"
  std::optional<int64_t> enqueued_at;  // when it entered the queue, if it already had (restart)
};

// The requirements `policy` derives for `ticket`: one per matching rule.
std::vector<Requirement> derive_requirements(const Policy& policy, const TicketFacts& ticket);

struct AgentInfo {
  AgentId id = 0;
  bool online = false;
  std::vector<std::pair<SkillId, int>> skills;            // skill -> level 1..5
  std::vector<std::pair<std::string, int>> capacity;      // channel -> at once
  std::vector<GroupId> groups;
  int64_t last_assigned_at = 0;  // 0: never assigned by routing
  int64_t last_seq = 0;          // orders assignments within one second
};

struct Assignment {
  TicketId ticket_id = 0;
  AgentId agent_id = 0;
  GroupId group_id = 0;
  int64_t policy_id = 0;
  int64_t enqueued_at = 0;
  int64_t waited = 0;  // seconds in the queue
  int64_t seq = 0;
  // What the assignment replaced, so release() can put it back.
  int64_t prev_last_assigned_at = 0, prev_last_seq = 0;
  AgentId prev_rr_last = 0;
};

enum class WaitReason { no_agent_online, skill_not_met, all_at_capacity, eligible };
std::string_view to_string(WaitReason r);

struct QueueEntry {
  TicketId ticket_id = 0;
  GroupId group_id = 0;
  int64_t policy_id = 0;
  std::string channel;
  std::optional<std::string> priority;
  int64_t enqueued_at = 0;
  std::optional<int64_t> sla_due;
  WaitReason reason = WaitReason::no_agent_online;
  std::vector<std::pair<SkillId, int>> required;  // the level each skill needs now (0: dropped)
  std::optional<int64_t> next_relaxation_at;
};

struct AgentLoad {
  bool known = false;
  bool online = false;
  std::vector<std::tuple<std::string, int, int>> channels;  // channel, load, capacity
};

class Engine {
 public:
  // Movable, not copyable: groups point at agents inside the engine.
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  Engine(Engine&&) = default;
  Engine& operator=(Engine&&) = default;

  // ---- configuration ----
  void set_policy(Policy p);
  void remove_policy(GroupId group);
  const Policy* policy_for(GroupId group) const;
  // Adds or replaces an agent (skills, capacity, groups, presence). Their load is kept.
  void upsert_agent(const AgentInfo& a);
  void remove_agent(AgentId id);
  void set_online(AgentId id, bool online);
  // A round-robin position to continue from after a restart.
  void set_round_robin_last(GroupId group, AgentId agent);

  // ---- tickets ----
  // Records the ticket's current state: counts it toward its assignee's load when new or open,
  // and queues it when it is unassigned, new or open, in a group with a policy (keeping the
  // enqueue time it already had).
  void upsert_ticket(const TicketFacts& t, int64_t now);
  void remove_ticket(TicketId id);

  // ---- decisions ----
  // The agent the policy picks for a waiting ticket now, if any is eligible. Does not change state.
  std::optional<AgentId> pick(TicketId ticket, int64_t now) const;
  // Assigns every waiting ticket that has an eligible agent, oldest changes first, in each
  // group's queue order, and applies the assignments (load, idle time, round-robin position).
  std::vector<Assignment> dispatch(int64_t now);
  // Decides for a ticket that has just been created, before it ever waits (the router's create
  // hook, inside the create's transaction): when the ticket is routable, not yet known, nothing is
  // pending dispatch, and an agent is eligible now, applies the assignment exactly as dispatch()
  // would (load, idle time, round-robin position) and returns it. Otherwise changes nothing: the
  // ticket reaches the queue later through upsert_ticket. Refusing while changes are pending keeps
  // the queue's order: an older waiting ticket that a pending change would serve goes first.
  std::optional<Assignment> assign_new(const TicketFacts& t, int64_t now);
  // Undoes an assignment whose transaction did not commit: the ticket is forgotten and the
  // agent's load given back (never below zero, never twice). When it was the engine's latest
  // assignment, the agent's idle time and the group's round-robin position are restored too and
  // it returns true; otherwise (later assignments were made on top of it) those stay as they are,
  // it returns false, and the caller should rebuild to be exact.
  bool release(const Assignment& a);
  // The earliest future relaxation step of a waiting ticket (epoch seconds), if any.
  std::optional<int64_t> next_wake() const;
  bool has_pending_work(int64_t now) const;

  // ---- reading ----
  std::size_t queued() const { return m_items.size(); }
  std::size_t agents() const { return m_agents.size(); }
  bool is_queued(TicketId id) const { return m_items.count(id) > 0; }
  std::optional<int64_t> enqueued_at(TicketId id) const;
  std::optional<AgentId> assignee_of(TicketId id) const;
  int load(AgentId agent, std::string_view channel) const;
  AgentLoad agent_load(AgentId agent) const;
  // Waiting tickets in queue order (groups by id), at most `limit`, optionally one group's.
  std::vector<QueueEntry> queue(std::optional<GroupId> group, std::size_t limit, int64_t now) const;
  std::size_t queue_size(std::optional<GroupId> group) const;
  WaitReason why_waiting(TicketId id, int64_t now) const;

  void clear();

 private:
  struct Agent {
    AgentId id = 0;
    bool online = false;
    std::vector<std::pair<SkillId, int>> skills;  // sorted by skill
    std::array<int, k_max_channels> capacity{};
    std::array<int, k_max_channels> load{};
    int total_load = 0;
    int64_t last_assigned_at = 0, last_seq = 0;
    std::vector<GroupId> groups;
    int level(SkillId s) const;
  };
  // Queue position: (k1, k2, id) ascending; what k1 and k2 are depends on the group's order.
  using Key = std::tuple<int64_t, int64_t, TicketId>;
  struct Item {
    TicketId id = 0;
    GroupId group = 0;
    std::size_t channel = 0;
    std::optional<std::string> priority;
    int64_t enqueued_at = 0;
    std::optional<int64_t> sla_due;
    std::vector<Requirement> requirements;
    Key key;
  };
  struct Tracked {
    std::optional<AgentId> assignee;
    std::size_t channel = 0;
    bool counted = false;  // counts toward the assignee's load
  };
  struct Group {
    // Sorted by id. Pointers into m_agents: an unordered_map's elements never move, and agents
    // are never erased (a removed agent only leaves its groups), so they stay valid.
    std::vector<Agent*> members;
    std::set<Key> queue;
    AgentId rr_last = 0;
  };

  Key key_for(const Item& it, Order order) const;
  bool eligible(const Agent& a, const Item& it, int64_t now) const;
  std::optional<AgentId> pick_item(const Item& it, int64_t now) const;
  void assign(Item& it, AgentId agent, int64_t now, std::vector<Assignment>& out);
  void enqueue(Item it, const Policy& p);
  void dequeue(TicketId id);
  void add_member(GroupId g, AgentId a);
  void drop_member(GroupId g, AgentId a);
  void schedule_relaxations(const Item& it);
  void uncount(TicketId id, Tracked& t);

  std::unordered_map<AgentId, Agent> m_agents;
  std::unordered_map<GroupId, Policy> m_policies;
  std::unordered_map<GroupId, Group> m_groups;
  std::unordered_map<TicketId, Item> m_items;
  std::unordered_map<TicketId, Tracked> m_tickets;
  // Relaxation timers: (when, ticket); stale entries are dropped when they come due.
  std::set<std::pair<int64_t, TicketId>> m_timers;
  // What changed since the last dispatch.
  std::unordered_set<TicketId> m_dirty_items;
  std::unordered_set<AgentId> m_dirty_agents;
  bool m_full_pass = false;
  int64_t m_seq = 0;
};

}  // namespace rapport::routing
