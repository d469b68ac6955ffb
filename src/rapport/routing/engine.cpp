#include <rapport/routing/engine.hpp>

#include <algorithm>
#include <iterator>
#include <limits>

#include <rapport/domain/ticket.hpp>

namespace rapport::routing {

namespace {

bool active_status(std::string_view s) { return s == "new" || s == "open"; }

int priority_rank(const std::optional<std::string>& p) {
  if (!p) return 0;
  if (*p == "urgent") return 4;
  if (*p == "high") return 3;
  if (*p == "normal") return 2;
  if (*p == "low") return 1;
  return 0;
}

bool matches(const Condition& c, const TicketFacts& t) {
  if (c.field == "tag") return std::find(t.tags.begin(), t.tags.end(), c.value) != t.tags.end();
  if (c.field == "priority") return t.priority && *t.priority == c.value;
  if (c.field == "organization_id") return t.organization_id && std::to_string(*t.organization_id) == c.value;
  if (c.field == "language") return t.language == c.value;
  if (c.field == "channel") return t.channel == c.value;
  return false;
}

}  // namespace

std::string_view to_string(Method m) {
  switch (m) {
    case Method::round_robin: return "round_robin";
    case Method::least_busy: return "least_busy";
    case Method::longest_idle: return "longest_idle";
  }
  return "round_robin";
}

std::string_view to_string(Order o) {
  switch (o) {
    case Order::oldest: return "oldest";
    case Order::priority: return "priority";
    case Order::sla: return "sla";
  }
  return "oldest";
}

std::optional<Method> parse_method(std::string_view s) {
  for (auto m : {Method::round_robin, Method::least_busy, Method::longest_idle})
    if (to_string(m) == s) return m;
  return std::nullopt;
}

std::optional<Order> parse_order(std::string_view s) {
  for (auto o : {Order::oldest, Order::priority, Order::sla})
    if (to_string(o) == s) return o;
  return std::nullopt;
}

std::string_view to_string(WaitReason r) {
  switch (r) {
    case WaitReason::no_agent_online: return "no_agent_online";
    case WaitReason::skill_not_met: return "skill_not_met";
    case WaitReason::all_at_capacity: return "all_at_capacity";
    case WaitReason::eligible: return "eligible";
  }
  return "no_agent_online";
}

static_assert(std::size(domain::k_channels) <= k_max_channels);

std::optional<std::size_t> channel_index(std::string_view channel) {
  for (std::size_t i = 0; i < std::size(domain::k_channels); ++i)
    if (domain::k_channels[i] == channel) return i;
  return std::nullopt;
}

std::string_view channel_name(std::size_t index) {
  return index < std::size(domain::k_channels) ? domain::k_channels[index] : std::string_view("api");
}

int Requirement::level_at(int64_t waited) const {
  // The first step holds from the start, even for a clock that reads before the enqueue time.
  int level = steps.empty() ? 0 : steps.front().min_level;
  for (const auto& s : steps) {
    if (s.after > waited) break;
    level = s.min_level;
  }
  return level;
}

std::vector<Requirement> derive_requirements(const Policy& policy, const TicketFacts& ticket) {
  std::vector<Requirement> out;
  for (const auto& rule : policy.rules) {
    bool all = std::all_of(rule.conditions.begin(), rule.conditions.end(),
                           [&](const Condition& c) { return matches(c, ticket); });
    if (!all) continue;
    Requirement r{rule.skill_id, {{0, rule.min_level}}};
    for (const auto& s : rule.relaxation) r.steps.push_back(s);
    out.push_back(std::move(r));
  }
  return out;
}

int Engine::Agent::level(SkillId s) const {
  for (const auto& [id, lvl] : skills)
    if (id == s) return lvl;
  return 0;
}

// ---- configuration ----

void Engine::set_policy(Policy p) {
  const GroupId g = p.group_id;
  m_policies[g] = std::move(p);
  m_groups[g];  // the group exists even before it has members
  m_full_pass = true;
}

void Engine::remove_policy(GroupId group) {
  auto g = m_groups.find(group);
  if (g != m_groups.end()) {
    std::vector<TicketId> ids;
    for (const auto& k : g->second.queue) ids.push_back(std::get<2>(k));
    for (auto id : ids) {
      dequeue(id);
      m_tickets.erase(id);
    }
  }
  m_policies.erase(group);
}

const Policy* Engine::policy_for(GroupId group) const {
  auto it = m_policies.find(group);
  return it == m_policies.end() ? nullptr : &it->second;
}

void Engine::add_member(GroupId g, AgentId a) {
  Agent* agent = &m_agents[a];
  auto& members = m_groups[g].members;
  auto pos = std::lower_bound(members.begin(), members.end(), a, [](const Agent* x, AgentId id) { return x->id < id; });
  if (pos == members.end() || (*pos)->id != a) members.insert(pos, agent);
}

void Engine::drop_member(GroupId g, AgentId a) {
  auto it = m_groups.find(g);
  if (it == m_groups.end()) return;
  auto& members = it->second.members;
  auto pos = std::lower_bound(members.begin(), members.end(), a, [](const Agent* x, AgentId id) { return x->id < id; });
  if (pos != members.end() && (*pos)->id == a) members.erase(pos);
}

void Engine::upsert_agent(const AgentInfo& a) {
  Agent& ag = m_agents[a.id];
  for (auto g : ag.groups) drop_member(g, a.id);
  ag.id = a.id;
  ag.online = a.online;
  ag.skills = a.skills;
  std::sort(ag.skills.begin(), ag.skills.end());
  ag.capacity.fill(0);
  for (const auto& [channel, cap] : a.capacity)
    if (auto i = channel_index(channel)) ag.capacity[*i] = cap;
  ag.groups = a.groups;
  for (auto g : ag.groups) add_member(g, a.id);
  if (a.last_assigned_at > ag.last_assigned_at ||
      (a.last_assigned_at == ag.last_assigned_at && a.last_seq > ag.last_seq)) {
    ag.last_assigned_at = a.last_assigned_at;
    ag.last_seq = a.last_seq;
  }
  m_seq = std::max(m_seq, a.last_seq);
  m_dirty_agents.insert(a.id);
}

void Engine::remove_agent(AgentId id) {
  auto it = m_agents.find(id);
  if (it == m_agents.end()) return;
  for (auto g : it->second.groups) drop_member(g, id);
  it->second.groups.clear();
  it->second.online = false;
  it->second.capacity.fill(0);
  // The record stays while tickets still count toward its load, so the counts stay right.
}

void Engine::set_online(AgentId id, bool online) {
  auto& a = m_agents[id];
  a.id = id;
  if (a.online == online) return;
  a.online = online;
  if (online) m_dirty_agents.insert(id);
}

void Engine::set_round_robin_last(GroupId group, AgentId agent) { m_groups[group].rr_last = agent; }

// ---- tickets ----

Engine::Key Engine::key_for(const Item& it, Order order) const {
  switch (order) {
    case Order::oldest: return {it.enqueued_at, 0, it.id};
    case Order::priority: return {-priority_rank(it.priority), it.enqueued_at, it.id};
    case Order::sla: return {it.sla_due.value_or(std::numeric_limits<int64_t>::max()), it.enqueued_at, it.id};
  }
  return {it.enqueued_at, 0, it.id};
}

void Engine::uncount(TicketId, Tracked& t) {
  if (!t.counted || !t.assignee) return;
  auto a = m_agents.find(*t.assignee);
  if (a != m_agents.end()) {
    a->second.load[t.channel] = std::max(0, a->second.load[t.channel] - 1);
    a->second.total_load = std::max(0, a->second.total_load - 1);
    m_dirty_agents.insert(*t.assignee);  // capacity freed
  }
  t.counted = false;
}

void Engine::upsert_ticket(const TicketFacts& t, int64_t now) {
  const std::size_t ch = channel_index(t.channel).value_or(0);
  Tracked& tr = m_tickets[t.id];
  const bool active = active_status(t.status);
  const bool same_load = tr.counted && active && tr.assignee == t.assignee_id && tr.channel == ch;
  if (!same_load) uncount(t.id, tr);
  tr.assignee = t.assignee_id;
  tr.channel = ch;
  if (active && t.assignee_id && !same_load) {
    Agent& a = m_agents[*t.assignee_id];
    a.id = *t.assignee_id;
    ++a.load[ch];
    ++a.total_load;
    tr.counted = true;
  }
  const Policy* p = t.group_id ? policy_for(*t.group_id) : nullptr;
  const bool routable = active && !t.assignee_id && p;
  if (routable) {
    Item it;
    it.id = t.id;
    it.group = *t.group_id;
    it.channel = ch;
    it.priority = t.priority;
    it.sla_due = t.sla_due;
    auto old = m_items.find(t.id);
    if (old != m_items.end() && old->second.group == it.group) it.enqueued_at = old->second.enqueued_at;
    else it.enqueued_at = t.enqueued_at.value_or(now);
    it.requirements = derive_requirements(*p, t);
    enqueue(std::move(it), *p);
  } else {
    dequeue(t.id);
  }
  if (!tr.counted && !routable) m_tickets.erase(t.id);
}

void Engine::remove_ticket(TicketId id) {
  auto it = m_tickets.find(id);
  if (it != m_tickets.end()) {
    uncount(id, it->second);
    m_tickets.erase(it);
  }
  dequeue(id);
}

void Engine::enqueue(Item it, const Policy& p) {
  dequeue(it.id);
  it.key = key_for(it, p.order);
  m_groups[it.group].queue.insert(it.key);
  schedule_relaxations(it);
  m_dirty_items.insert(it.id);
  m_items[it.id] = std::move(it);
}

void Engine::dequeue(TicketId id) {
  auto it = m_items.find(id);
  if (it == m_items.end()) return;
  auto g = m_groups.find(it->second.group);
  if (g != m_groups.end()) g->second.queue.erase(it->second.key);
  m_items.erase(it);
  m_dirty_items.erase(id);
}

void Engine::schedule_relaxations(const Item& it) {
  for (const auto& r : it.requirements)
    for (const auto& s : r.steps)
      if (s.after > 0) m_timers.emplace(it.enqueued_at + s.after, it.id);
}

// ---- decisions ----

bool Engine::eligible(const Agent& a, const Item& it, int64_t now) const {
  if (!a.online || a.load[it.channel] >= a.capacity[it.channel]) return false;
  const int64_t waited = now - it.enqueued_at;
  for (const auto& r : it.requirements) {
    int need = r.level_at(waited);
    if (need > 0 && a.level(r.skill_id) < need) return false;
  }
  return true;
}

std::optional<AgentId> Engine::pick_item(const Item& it, int64_t now) const {
  auto g = m_groups.find(it.group);
  auto p = m_policies.find(it.group);
  if (g == m_groups.end() || p == m_policies.end()) return std::nullopt;
  const Group& group = g->second;
  const Agent* best = nullptr;
  const Agent* wrap = nullptr;  // round robin: the first eligible at or before the last one
  for (const Agent* member : group.members) {
    const Agent& a = *member;
    if (!eligible(a, it, now)) continue;
    switch (p->second.method) {
      case Method::round_robin:
        if (a.id > group.rr_last) return a.id;  // members are sorted: the next after the last
        if (!wrap) wrap = &a;
        break;
      case Method::least_busy:
        if (!best || std::tie(a.total_load, a.last_assigned_at, a.last_seq, a.id) <
                         std::tie(best->total_load, best->last_assigned_at, best->last_seq, best->id))
          best = &a;
        break;
      case Method::longest_idle:
        if (!best || std::tie(a.last_assigned_at, a.last_seq, a.id) <
                         std::tie(best->last_assigned_at, best->last_seq, best->id))
          best = &a;
        break;
    }
  }
  if (p->second.method == Method::round_robin) best = wrap;
  if (!best) return std::nullopt;
  return best->id;
}

std::optional<AgentId> Engine::pick(TicketId ticket, int64_t now) const {
  auto it = m_items.find(ticket);
  if (it == m_items.end()) return std::nullopt;
  return pick_item(it->second, now);
}

void Engine::assign(Item& it, AgentId agent, int64_t now, std::vector<Assignment>& out) {
  Agent& a = m_agents[agent];
  Group& g = m_groups[it.group];
  Assignment done;
  done.prev_last_assigned_at = a.last_assigned_at;
  done.prev_last_seq = a.last_seq;
  done.prev_rr_last = g.rr_last;
  ++a.load[it.channel];
  ++a.total_load;
  a.last_assigned_at = now;
  a.last_seq = ++m_seq;
  g.rr_last = agent;
  auto p = m_policies.find(it.group);
  done.ticket_id = it.id;
  done.agent_id = agent;
  done.group_id = it.group;
  done.policy_id = p == m_policies.end() ? 0 : p->second.id;
  done.enqueued_at = it.enqueued_at;
  done.waited = now - it.enqueued_at;
  done.seq = a.last_seq;
  out.push_back(done);
  Tracked& tr = m_tickets[it.id];
  tr.assignee = agent;
  tr.channel = it.channel;
  tr.counted = true;
  dequeue(it.id);
}

std::optional<Assignment> Engine::assign_new(const TicketFacts& t, int64_t now) {
  if (t.assignee_id || !active_status(t.status) || !t.group_id) return std::nullopt;
  if (m_tickets.count(t.id) || m_items.count(t.id) || has_pending_work(now)) return std::nullopt;
  const Policy* p = policy_for(*t.group_id);
  if (!p) return std::nullopt;
  Item it;
  it.id = t.id;
  it.group = *t.group_id;
  it.channel = channel_index(t.channel).value_or(0);
  it.priority = t.priority;
  it.sla_due = t.sla_due;
  it.enqueued_at = t.enqueued_at.value_or(now);
  it.requirements = derive_requirements(*p, t);
  it.key = key_for(it, p->order);
  auto agent = pick_item(it, now);
  if (!agent) return std::nullopt;
  std::vector<Assignment> out;
  assign(it, *agent, now, out);  // never enqueued: its dequeue() finds nothing
  return out.front();
}

bool Engine::release(const Assignment& a) {
  auto t = m_tickets.find(a.ticket_id);
  if (t == m_tickets.end() || !t->second.counted || t->second.assignee != a.agent_id) return false;
  uncount(a.ticket_id, t->second);
  m_tickets.erase(t);
  auto ag = m_agents.find(a.agent_id);
  if (ag == m_agents.end() || m_seq != a.seq || ag->second.last_seq != a.seq) return false;
  ag->second.last_assigned_at = a.prev_last_assigned_at;
  ag->second.last_seq = a.prev_last_seq;
  m_groups[a.group_id].rr_last = a.prev_rr_last;
  --m_seq;
  return true;
}

std::vector<Assignment> Engine::dispatch(int64_t now) {
  std::vector<Assignment> out;
  while (!m_timers.empty() && m_timers.begin()->first <= now) {
    auto id = m_timers.begin()->second;
    m_timers.erase(m_timers.begin());
    if (m_items.count(id)) m_dirty_items.insert(id);
  }
  auto try_item = [&](TicketId id) {
    auto it = m_items.find(id);
    if (it == m_items.end()) return;
    if (auto agent = pick_item(it->second, now)) assign(it->second, *agent, now, out);
  };
  if (m_full_pass) {
    m_full_pass = false;
    m_dirty_items.clear();
    m_dirty_agents.clear();
    std::vector<GroupId> groups;
    for (const auto& [g, _] : m_policies) groups.push_back(g);
    std::sort(groups.begin(), groups.end());
    for (auto g : groups) {
      std::vector<TicketId> ids;
      for (const auto& k : m_groups[g].queue) ids.push_back(std::get<2>(k));
      for (auto id : ids) try_item(id);
    }
    return out;
  }
  // New or relaxed items, each group's in queue order.
  if (!m_dirty_items.empty()) {
    std::vector<std::pair<GroupId, Key>> order;
    for (auto id : m_dirty_items) {
      auto it = m_items.find(id);
      if (it != m_items.end()) order.emplace_back(it->second.group, it->second.key);
    }
    m_dirty_items.clear();
    std::sort(order.begin(), order.end());
    for (const auto& [g, k] : order) try_item(std::get<2>(k));
  }
  // Agents who may now take something: walk their groups' queues in order while they have room.
  if (!m_dirty_agents.empty()) {
    std::vector<AgentId> agents(m_dirty_agents.begin(), m_dirty_agents.end());
    m_dirty_agents.clear();
    std::sort(agents.begin(), agents.end());
    for (auto id : agents) {
      auto ai = m_agents.find(id);
      if (ai == m_agents.end() || !ai->second.online) continue;
      std::vector<GroupId> groups = ai->second.groups;
      std::sort(groups.begin(), groups.end());
      for (auto g : groups) {
        if (!m_policies.count(g)) continue;
        auto& queue = m_groups[g].queue;
        for (auto k = queue.begin(); k != queue.end();) {
          const TicketId tid = std::get<2>(*k);
          ++k;  // assign() erases the current key
          auto item = m_items.find(tid);
          if (item == m_items.end() || !eligible(ai->second, item->second, now)) continue;
          if (auto agent = pick_item(item->second, now)) assign(item->second, *agent, now, out);
        }
      }
    }
  }
  return out;
}

std::optional<int64_t> Engine::next_wake() const {
  for (const auto& [at, id] : m_timers)
    if (m_items.count(id)) return at;
  return std::nullopt;
}

bool Engine::has_pending_work(int64_t now) const {
  if (m_full_pass || !m_dirty_items.empty() || !m_dirty_agents.empty()) return true;
  auto wake = next_wake();
  return wake && *wake <= now;
}

// ---- reading ----

std::optional<AgentId> Engine::assignee_of(TicketId id) const {
  auto it = m_tickets.find(id);
  if (it == m_tickets.end()) return std::nullopt;
  return it->second.assignee;
}

std::optional<int64_t> Engine::enqueued_at(TicketId id) const {
  auto it = m_items.find(id);
  if (it == m_items.end()) return std::nullopt;
  return it->second.enqueued_at;
}

int Engine::load(AgentId agent, std::string_view channel) const {
  auto a = m_agents.find(agent);
  auto i = channel_index(channel);
  if (a == m_agents.end() || !i) return 0;
  return a->second.load[*i];
}

AgentLoad Engine::agent_load(AgentId agent) const {
  AgentLoad out;
  auto a = m_agents.find(agent);
  if (a == m_agents.end()) return out;
  out.known = true;
  out.online = a->second.online;
  for (std::size_t i = 0; i < k_max_channels; ++i)
    if (a->second.capacity[i] > 0 || a->second.load[i] > 0)
      out.channels.emplace_back(std::string(channel_name(i)), a->second.load[i], a->second.capacity[i]);
  return out;
}

WaitReason Engine::why_waiting(TicketId id, int64_t now) const {
  auto it = m_items.find(id);
  if (it == m_items.end()) return WaitReason::eligible;
  const Item& item = it->second;
  auto g = m_groups.find(item.group);
  if (g == m_groups.end()) return WaitReason::no_agent_online;
  bool any_online = false, any_skilled = false;
  const int64_t waited = now - item.enqueued_at;
  for (const Agent* member : g->second.members) {
    const Agent& a = *member;
    if (!a.online) continue;
    any_online = true;
    bool skilled = std::all_of(item.requirements.begin(), item.requirements.end(), [&](const Requirement& r) {
      int need = r.level_at(waited);
      return need == 0 || a.level(r.skill_id) >= need;
    });
    if (!skilled) continue;
    any_skilled = true;
    if (a.load[item.channel] < a.capacity[item.channel]) return WaitReason::eligible;
  }
  if (!any_online) return WaitReason::no_agent_online;
  if (!any_skilled) return WaitReason::skill_not_met;
  return WaitReason::all_at_capacity;
}

std::size_t Engine::queue_size(std::optional<GroupId> group) const {
  if (!group) return m_items.size();
  auto g = m_groups.find(*group);
  return g == m_groups.end() ? 0 : g->second.queue.size();
}

std::vector<QueueEntry> Engine::queue(std::optional<GroupId> group, std::size_t limit, int64_t now) const {
  std::vector<GroupId> groups;
  for (const auto& [g, _] : m_policies)
    if (!group || *group == g) groups.push_back(g);
  std::sort(groups.begin(), groups.end());
  std::vector<QueueEntry> out;
  for (auto g : groups) {
    auto gi = m_groups.find(g);
    if (gi == m_groups.end()) continue;
    for (const auto& k : gi->second.queue) {
      if (out.size() >= limit) return out;
      const Item& it = m_items.at(std::get<2>(k));
      QueueEntry e;
      e.ticket_id = it.id;
      e.group_id = g;
      e.policy_id = m_policies.at(g).id;
      e.channel = std::string(channel_name(it.channel));
      e.priority = it.priority;
      e.enqueued_at = it.enqueued_at;
      e.sla_due = it.sla_due;
      e.reason = why_waiting(it.id, now);
      const int64_t waited = now - it.enqueued_at;
      for (const auto& r : it.requirements) {
        e.required.emplace_back(r.skill_id, r.level_at(waited));
        for (const auto& s : r.steps)
          if (s.after > waited && (!e.next_relaxation_at || it.enqueued_at + s.after < *e.next_relaxation_at))
            e.next_relaxation_at = it.enqueued_at + s.after;
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

void Engine::clear() { *this = Engine(); }

}  // namespace rapport::routing
