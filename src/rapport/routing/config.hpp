#pragma once
// Routing configuration in the store: skills, agents' skill levels and capacity per channel, and
// one routing policy per group. Admins write; team leads, managers and admins read everything;
// an agent reads their own skills and capacity. Every change appends a `routing.*` event in its
// transaction (the router rebuilds its engine from them):
//   routing.skill_created | routing.skill_updated | routing.skill_deleted   (entity routing_skill)
//   routing.agent_skills_changed | routing.capacity_changed                 (entity user)
//   routing.policy_created | routing.policy_updated | routing.policy_deleted (entity routing_policy)
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/routing/engine.hpp>
#include <rapport/store/store.hpp>

namespace rapport::routing {

// Bounds on configuration, so one policy cannot make every decision slow.
inline constexpr std::size_t k_max_rules = 50;
inline constexpr std::size_t k_max_conditions = 10;
inline constexpr std::size_t k_max_steps = 5;
inline constexpr std::size_t k_max_agent_skills = 100;
inline constexpr int64_t k_max_relax_after = 7 * 86400;
inline constexpr int k_max_capacity = 1000;

bool can_configure(const domain::Principal& who);  // admins
bool can_read(const domain::Principal& who);       // admins, team leads, managers

struct Skill {
  int64_t id = 0;
  std::string name, type, description;
  int64_t created_at = 0, updated_at = 0;
};

struct AgentSkill {
  int64_t skill_id = 0;
  std::string name, type;
  int level = 0;
};

struct PolicyRecord {
  int64_t id = 0;
  Policy policy;
  int64_t created_at = 0, updated_at = 0;
};

Result<domain::Page<Skill>> list_skills(store::Conn& conn, const domain::Principal& who,
                                        const std::optional<std::string>& type, const domain::PageRequest& pr);
Result<Skill> get_skill(store::Conn& conn, int64_t id, const domain::Principal& who);
Result<Skill> create_skill(store::Tx& tx, const Json& in, const domain::Principal& who);
Result<Skill> update_skill(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& who);
// Refused (422) while a policy requires the skill; removes it from every agent.
Status delete_skill(store::Tx& tx, int64_t id, const domain::Principal& who);

Result<std::vector<AgentSkill>> agent_skills(store::Conn& conn, int64_t agent_id, const domain::Principal& who);
// Replaces the agent's skills with `in`: [{"skill_id": 1, "level": 4}, ...].
Result<std::vector<AgentSkill>> set_agent_skills(store::Tx& tx, int64_t agent_id, const Json& in,
                                                 const domain::Principal& who);

Result<std::map<std::string, int>> agent_capacity(store::Conn& conn, int64_t agent_id, const domain::Principal& who);
// Replaces the agent's capacity with `in`: {"email": 10, "chat": 3}. A channel not named takes no work.
Result<std::map<std::string, int>> set_agent_capacity(store::Tx& tx, int64_t agent_id, const Json& in,
                                                      const domain::Principal& who);

Result<domain::Page<PolicyRecord>> list_policies(store::Conn& conn, const domain::Principal& who,
                                                 const domain::PageRequest& pr);
Result<PolicyRecord> get_policy(store::Conn& conn, int64_t id, const domain::Principal& who);
Result<PolicyRecord> create_policy(store::Tx& tx, const Json& in, const domain::Principal& who);
Result<PolicyRecord> update_policy(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& who);
Status delete_policy(store::Tx& tx, int64_t id, const domain::Principal& who);

// For the router: every policy, as the engine takes them.
Result<std::vector<Policy>> load_policies(store::Conn& conn);

Json to_json(const Skill& s);
Json to_json(const AgentSkill& s);
Json to_json(const PolicyRecord& p);

}  // namespace rapport::routing
