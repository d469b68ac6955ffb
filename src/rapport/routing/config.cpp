#include <rapport/routing/config.hpp>

#include <algorithm>

#include <rapport/base/json_input.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::routing {

namespace {

constexpr const char* k_skill_cols = "id, name, type, description, created_at, updated_at";
constexpr const char* k_policy_cols = "id, group_id, name, method, queue_order, requirements, created_at, updated_at";
constexpr std::string_view k_skill_types[] = {"language", "product", "tier", "custom"};
constexpr std::string_view k_condition_fields[] = {"tag", "priority", "organization_id", "language", "channel"};

Skill map_skill(const store::Row& r) {
  return {r.i64(0), r.text(1), r.text(2), r.text(3), r.i64(4), r.i64(5)};
}

std::vector<Rule> rules_from_json(const Json& j) {
  std::vector<Rule> out;
  if (!j.is_array()) return out;
  for (const auto& r : j) {
    Rule rule;
    rule.skill_id = r.value("skill_id", int64_t{0});
    rule.min_level = r.value("min_level", 1);
    for (const auto& c : r.value("conditions", Json::array()))
      rule.conditions.push_back({c.value("field", ""), c.value("value", "")});
    for (const auto& s : r.value("relaxation", Json::array()))
      rule.relaxation.push_back({s.value("after_seconds", int64_t{0}), s.value("min_level", 0)});
    out.push_back(std::move(rule));
  }
  return out;
}

Json rules_to_json(const std::vector<Rule>& rules) {
  Json out = Json::array();
  for (const auto& r : rules) {
    Json conds = Json::array(), steps = Json::array();
    for (const auto& c : r.conditions) conds.push_back({{"field", c.field}, {"value", c.value}});
    for (const auto& s : r.relaxation) steps.push_back({{"after_seconds", s.after}, {"min_level", s.min_level}});
    out.push_back({{"conditions", conds}, {"skill_id", r.skill_id}, {"min_level", r.min_level}, {"relaxation", steps}});
  }
  return out;
}

PolicyRecord map_policy(const store::Row& r) {
  PolicyRecord p;
  p.id = r.i64(0);
  p.policy.id = p.id;
  p.policy.group_id = r.i64(1);
  p.policy.name = r.text(2);
  p.policy.method = parse_method(r.text(3)).value_or(Method::round_robin);
  p.policy.order = parse_order(r.text(4)).value_or(Order::oldest);
  p.policy.rules = rules_from_json(Json::parse(r.text(5), nullptr, false));
  p.created_at = r.i64(6);
  p.updated_at = r.i64(7);
  return p;
}

Status log(store::Tx& tx, const char* kind, const char* entity, int64_t id, const domain::Principal& who,
           Json data = Json::object()) {
  events::Event e{kind, entity, id, who.user_id ? std::optional<int64_t>(who.user_id) : std::nullopt, who.token_id,
                  std::move(data)};
  if (auto r = events::append(tx.conn(), e, now_epoch()); !r) return fail(r.error());
  return {};
}

// The agent a path names: an active agent or admin, readable by themselves and by readers.
Status check_agent(store::Conn& conn, int64_t agent_id, const domain::Principal& who, bool writing) {
  if (writing ? !can_configure(who) : !(can_read(who) || (who.is_staff() && who.user_id == agent_id)))
    return fail(Error::forbidden(writing ? "only admins change agents' routing settings"
                                         : "agents read their own routing settings; leads, managers and admins read all"));
  auto found =
      conn.scalar("SELECT 1 FROM users WHERE id = ? AND role IN ('agent', 'admin') AND active = 1", {agent_id});
  if (!found) return fail(found.error());
  if (!*found) return fail(Error::not_found("no active agent with id " + std::to_string(agent_id)));
  return {};
}

template <typename T>
Result<domain::Page<T>> page_of(store::Conn& conn, const std::string& select, const std::string& from,
                                store::Params params, const domain::PageRequest& pr,
                                T (*map)(const store::Row&)) {
  domain::Page<T> page;
  auto count = conn.scalar("SELECT COUNT(*) " + from, params);
  if (!count) return fail(count.error());
  page.count = count->value_or(0);
  params.push_back(pr.per_page);
  params.push_back((pr.page - 1) * pr.per_page);
  auto st = conn.each("SELECT " + select + " " + from + " ORDER BY id LIMIT ? OFFSET ?", params,
                      [&](const store::Row& r) { page.items.push_back(map(r)); });
  if (!st) return fail(st.error());
  return page;
}

// ---- policy input ----

struct PolicyInput {
  std::optional<int64_t> group_id;
  std::optional<std::string> name, method, order;
  std::optional<std::vector<Rule>> rules;
};

Result<PolicyInput> read_policy(store::Conn& conn, const Json& in, bool creating) {
  Validation v;
  JsonInput input(in, v);
  PolicyInput p;
  p.group_id = input.integer("group_id");
  if (creating && !p.group_id) v.add("group_id", "BlankValue", "Group: is required");
  if (p.group_id) {
    auto g = conn.scalar("SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {*p.group_id});
    if (!g) return fail(g.error());
    if (!*g) v.add("group_id", "InvalidValue", "Group: " + std::to_string(*p.group_id) + " does not exist");
  }
  p.name = input.str("name", 200);
  p.method = input.str("method", 64);
  if (p.method && !parse_method(*p.method))
    v.add("method", "InvalidValue", "Method: must be round_robin, least_busy or longest_idle");
  p.order = input.str("queue_order", 64);
  if (p.order && !parse_order(*p.order))
    v.add("queue_order", "InvalidValue", "Queue order: must be oldest, priority or sla");
  if (auto reqs = input.array("requirements")) {
    if (reqs->size() > k_max_rules)
      v.add("requirements", "TooLong", "Requirements: at most " + std::to_string(k_max_rules) + " rules");
    std::vector<Rule> rules;
    for (std::size_t i = 0; i < reqs->size() && i < k_max_rules; ++i) {
      const Json& r = (*reqs)[i];
      const std::string at = "requirements[" + std::to_string(i) + "]";
      if (!r.is_object()) {
        v.add(at, "InvalidValue", "Requirement: must be an object");
        continue;
      }
      Rule rule;
      if (!r.contains("skill_id") || !r["skill_id"].is_number_integer()) {
        v.add(at + ".skill_id", "BlankValue", "Skill: is required (a skill id)");
      } else {
        rule.skill_id = r["skill_id"].get<int64_t>();
        auto s = conn.scalar("SELECT 1 FROM routing_skills WHERE id = ?", {rule.skill_id});
        if (!s) return fail(s.error());
        if (!*s) v.add(at + ".skill_id", "InvalidValue", "Skill: " + std::to_string(rule.skill_id) + " does not exist");
      }
      const Json lvl = r.value("min_level", Json(1));
      if (!lvl.is_number_integer() || lvl.get<int64_t>() < 1 || lvl.get<int64_t>() > 5)
        v.add(at + ".min_level", "InvalidValue", "Min level: must be 1 to 5");
      else
        rule.min_level = lvl.get<int>();
      const Json conds = r.value("conditions", Json::array());
      if (!conds.is_array() || conds.size() > k_max_conditions) {
        v.add(at + ".conditions", "InvalidValue",
              "Conditions: must be an array of at most " + std::to_string(k_max_conditions));
      } else {
        for (std::size_t k = 0; k < conds.size(); ++k) {
          const Json& c = conds[k];
          const std::string cat = at + ".conditions[" + std::to_string(k) + "]";
          const std::string field = c.is_object() ? c.value("field", "") : "";
          if (std::find(std::begin(k_condition_fields), std::end(k_condition_fields), field) ==
              std::end(k_condition_fields)) {
            v.add(cat + ".field", "InvalidValue",
                  "Field: must be tag, priority, organization_id, language or channel");
            continue;
          }
          std::string value;
          if (c.contains("value") && c["value"].is_string()) value = c["value"].get<std::string>();
          else if (c.contains("value") && c["value"].is_number_integer()) value = std::to_string(c["value"].get<int64_t>());
          if (value.empty() || value.size() > 200) {
            v.add(cat + ".value", "InvalidValue", "Value: must be a non-empty string of at most 200 characters");
            continue;
          }
          if (field == "priority" && !domain::valid_priority(value))
            v.add(cat + ".value", "InvalidValue", "Value: must be low, normal, high or urgent");
          if (field == "channel" && !domain::valid_channel(value))
            v.add(cat + ".value", "InvalidValue", "Value: is not a ticket channel");
          if (field == "tag") value = domain::normalize_tag(value);
          rule.conditions.push_back({field, value});
        }
      }
      const Json steps = r.value("relaxation", Json::array());
      if (!steps.is_array() || steps.size() > k_max_steps) {
        v.add(at + ".relaxation", "InvalidValue",
              "Relaxation: must be an array of at most " + std::to_string(k_max_steps) + " steps");
      } else {
        int64_t last_after = 0;
        int last_level = rule.min_level;
        for (std::size_t k = 0; k < steps.size(); ++k) {
          const Json& s = steps[k];
          const std::string sat = at + ".relaxation[" + std::to_string(k) + "]";
          const Json after = s.is_object() ? s.value("after_seconds", Json()) : Json();
          const Json level = s.is_object() ? s.value("min_level", Json()) : Json();
          if (!after.is_number_integer() || after.get<int64_t>() <= last_after ||
              after.get<int64_t>() > k_max_relax_after) {
            v.add(sat + ".after_seconds", "InvalidValue",
                  "After seconds: must be later than the step before and at most " +
                      std::to_string(k_max_relax_after));
            continue;
          }
          if (!level.is_number_integer() || level.get<int64_t>() < 0 || level.get<int64_t>() > last_level) {
            v.add(sat + ".min_level", "InvalidValue",
                  "Min level: must be 0 (skill dropped) to " + std::to_string(last_level) +
                      ": a step only relaxes");
            continue;
          }
          last_after = after.get<int64_t>();
          last_level = level.get<int>();
          rule.relaxation.push_back({last_after, last_level});
        }
      }
      rules.push_back(std::move(rule));
    }
    p.rules = std::move(rules);
  }
  if (!v.ok()) return fail(v.error());
  return p;
}

}  // namespace

bool can_configure(const domain::Principal& who) { return who.is_admin(); }

bool can_read(const domain::Principal& who) {
  return who.is_admin() || (who.is_staff() && (who.rapport_role == domain::RapportRole::team_lead ||
                                               who.rapport_role == domain::RapportRole::manager));
}

// ---- skills ----

Result<domain::Page<Skill>> list_skills(store::Conn& conn, const domain::Principal& who,
                                        const std::optional<std::string>& type, const domain::PageRequest& pr) {
  // Agents see the catalogue too: their own skills name these.
  if (!who.is_staff()) return fail(Error::forbidden());
  return page_of<Skill>(conn, k_skill_cols, "FROM routing_skills WHERE (? IS NULL OR type = ?)", {type, type}, pr,
                        map_skill);
}

Result<Skill> get_skill(store::Conn& conn, int64_t id, const domain::Principal& who) {
  if (!who.is_staff()) return fail(Error::forbidden());
  std::optional<Skill> s;
  auto st = conn.each(std::string("SELECT ") + k_skill_cols + " FROM routing_skills WHERE id = ?", {id},
                      [&](const store::Row& r) { s = map_skill(r); });
  if (!st) return fail(st.error());
  if (!s) return fail(Error::not_found());
  return *s;
}

namespace {
Result<Skill> save_skill(store::Tx& tx, std::optional<int64_t> id, const Json& in, const domain::Principal& who) {
  if (!can_configure(who)) return fail(Error::forbidden("only admins change skills"));
  auto& conn = tx.conn();
  Skill s;
  if (id) {
    auto cur = get_skill(conn, *id, who);
    if (!cur) return fail(cur.error());
    s = *cur;
  }
  Validation v;
  JsonInput input(in, v);
  if (auto n = input.str("name", 100)) s.name = *n;
  if (auto t = input.str("type", 32)) s.type = *t;
  if (auto d = input.str("description", 1000)) s.description = *d;
  if (s.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (!id && s.type.empty()) s.type = "custom";
  if (std::find(std::begin(k_skill_types), std::end(k_skill_types), s.type) == std::end(k_skill_types))
    v.add("type", "InvalidValue", "Type: must be language, product, tier or custom");
  if (!v.ok()) return fail(v.error());
  auto dup = conn.scalar("SELECT id FROM routing_skills WHERE type = ? AND name = ? AND id != ?",
                         {s.type, s.name, id.value_or(0)});
  if (!dup) return fail(dup.error());
  if (*dup) return fail(Error::field("name", "DuplicateValue", "Name: a " + s.type + " skill named '" + s.name + "' exists"));
  const int64_t now = now_epoch();
  s.updated_at = now;
  if (id) {
    if (auto r = conn.run("UPDATE routing_skills SET name = ?, type = ?, description = ?, updated_at = ? WHERE id = ?",
                          {s.name, s.type, s.description, now, *id});
        !r)
      return fail(r.error());
  } else {
    s.created_at = now;
    if (auto r = conn.run("INSERT INTO routing_skills(name, type, description, created_at, updated_at) VALUES (?,?,?,?,?)",
                          {s.name, s.type, s.description, now, now});
        !r)
      return fail(r.error());
    s.id = conn.last_insert_id();
  }
  if (auto st = log(tx, id ? "routing.skill_updated" : "routing.skill_created", "routing_skill", s.id, who,
                    {{"name", s.name}, {"type", s.type}});
      !st)
    return fail(st.error());
  return s;
}
}  // namespace

Result<Skill> create_skill(store::Tx& tx, const Json& in, const domain::Principal& who) {
  return save_skill(tx, std::nullopt, in, who);
}

Result<Skill> update_skill(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& who) {
  return save_skill(tx, id, in, who);
}

Status delete_skill(store::Tx& tx, int64_t id, const domain::Principal& who) {
  if (!can_configure(who)) return fail(Error::forbidden("only admins change skills"));
  auto& conn = tx.conn();
  if (auto s = get_skill(conn, id, who); !s) return fail(s.error());
  auto used = conn.scalar(
      "SELECT p.id FROM routing_policies p, json_each(p.requirements) j "
      "WHERE json_extract(j.value, '$.skill_id') = ? ORDER BY p.id LIMIT 1",
      {id});
  if (!used) return fail(used.error());
  if (*used)
    return fail(Error::field("skill", "InUse",
                             "Skill: routing policy " + std::to_string(**used) + " requires it; change the policy first"));
  if (auto r = conn.run("DELETE FROM routing_agent_skills WHERE skill_id = ?", {id}); !r) return fail(r.error());
  if (auto r = conn.run("DELETE FROM routing_skills WHERE id = ?", {id}); !r) return fail(r.error());
  return log(tx, "routing.skill_deleted", "routing_skill", id, who);
}

// ---- agents' skills and capacity ----

Result<std::vector<AgentSkill>> agent_skills(store::Conn& conn, int64_t agent_id, const domain::Principal& who) {
  if (auto st = check_agent(conn, agent_id, who, false); !st) return fail(st.error());
  std::vector<AgentSkill> out;
  auto st = conn.each(
      "SELECT s.id, s.name, s.type, a.level FROM routing_agent_skills a JOIN routing_skills s ON s.id = a.skill_id "
      "WHERE a.user_id = ? ORDER BY s.id",
      {agent_id}, [&](const store::Row& r) {
        out.push_back({r.i64(0), r.text(1), r.text(2), static_cast<int>(r.i64(3))});
      });
  if (!st) return fail(st.error());
  return out;
}

Result<std::vector<AgentSkill>> set_agent_skills(store::Tx& tx, int64_t agent_id, const Json& in,
                                                 const domain::Principal& who) {
  auto& conn = tx.conn();
  if (auto st = check_agent(conn, agent_id, who, true); !st) return fail(st.error());
  if (!in.is_array()) return fail(Error::field("agent_skills", "InvalidValue", "Agent skills: must be an array"));
  if (in.size() > k_max_agent_skills)
    return fail(Error::field("agent_skills", "TooLong",
                             "Agent skills: at most " + std::to_string(k_max_agent_skills)));
  Validation v;
  std::vector<std::pair<int64_t, int>> rows;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const Json& e = in[i];
    const std::string at = "agent_skills[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("skill_id") || !e["skill_id"].is_number_integer()) {
      v.add(at + ".skill_id", "BlankValue", "Skill: is required (a skill id)");
      continue;
    }
    const int64_t skill = e["skill_id"].get<int64_t>();
    const Json level = e.value("level", Json());
    if (!level.is_number_integer() || level.get<int64_t>() < 1 || level.get<int64_t>() > 5) {
      v.add(at + ".level", "InvalidValue", "Level: must be 1 to 5");
      continue;
    }
    auto exists = conn.scalar("SELECT 1 FROM routing_skills WHERE id = ?", {skill});
    if (!exists) return fail(exists.error());
    if (!*exists) {
      v.add(at + ".skill_id", "InvalidValue", "Skill: " + std::to_string(skill) + " does not exist");
      continue;
    }
    if (std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.first == skill; })) {
      v.add(at + ".skill_id", "DuplicateValue", "Skill: " + std::to_string(skill) + " is listed twice");
      continue;
    }
    rows.emplace_back(skill, level.get<int>());
  }
  if (!v.ok()) return fail(v.error());
  if (auto r = conn.run("DELETE FROM routing_agent_skills WHERE user_id = ?", {agent_id}); !r) return fail(r.error());
  Json data = Json::array();
  for (const auto& [skill, level] : rows) {
    if (auto r = conn.run("INSERT INTO routing_agent_skills(user_id, skill_id, level) VALUES (?,?,?)",
                          {agent_id, skill, level});
        !r)
      return fail(r.error());
    data.push_back({{"skill_id", skill}, {"level", level}});
  }
  if (auto st = log(tx, "routing.agent_skills_changed", "user", agent_id, who, {{"skills", data}}); !st)
    return fail(st.error());
  return agent_skills(conn, agent_id, who);
}

Result<std::map<std::string, int>> agent_capacity(store::Conn& conn, int64_t agent_id, const domain::Principal& who) {
  if (auto st = check_agent(conn, agent_id, who, false); !st) return fail(st.error());
  std::map<std::string, int> out;
  auto st = conn.each("SELECT channel, capacity FROM routing_capacity WHERE user_id = ?", {agent_id},
                      [&](const store::Row& r) { out[r.text(0)] = static_cast<int>(r.i64(1)); });
  if (!st) return fail(st.error());
  return out;
}

Result<std::map<std::string, int>> set_agent_capacity(store::Tx& tx, int64_t agent_id, const Json& in,
                                                      const domain::Principal& who) {
  auto& conn = tx.conn();
  if (auto st = check_agent(conn, agent_id, who, true); !st) return fail(st.error());
  Validation v;
  std::map<std::string, int> caps;
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (!domain::valid_channel(it.key()) || !channel_index(it.key())) {
      v.add(it.key(), "InvalidValue", "Channel: '" + it.key().substr(0, 64) + "' is not a ticket channel");
      continue;
    }
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > k_max_capacity) {
      v.add(it.key(), "InvalidValue", "Capacity: must be 0 to " + std::to_string(k_max_capacity));
      continue;
    }
    caps[it.key()] = it->get<int>();
  }
  if (!v.ok()) return fail(v.error());
  if (auto r = conn.run("DELETE FROM routing_capacity WHERE user_id = ?", {agent_id}); !r) return fail(r.error());
  for (const auto& [channel, cap] : caps)
    if (auto r = conn.run("INSERT INTO routing_capacity(user_id, channel, capacity) VALUES (?,?,?)",
                          {agent_id, channel, cap});
        !r)
      return fail(r.error());
  if (auto st = log(tx, "routing.capacity_changed", "user", agent_id, who, {{"capacity", caps}}); !st)
    return fail(st.error());
  return caps;
}

// ---- policies ----

Result<domain::Page<PolicyRecord>> list_policies(store::Conn& conn, const domain::Principal& who,
                                                 const domain::PageRequest& pr) {
  if (!can_read(who)) return fail(Error::forbidden("team leads, managers and admins read routing policies"));
  return page_of<PolicyRecord>(conn, k_policy_cols, "FROM routing_policies", {}, pr, map_policy);
}

Result<PolicyRecord> get_policy(store::Conn& conn, int64_t id, const domain::Principal& who) {
  if (!can_read(who)) return fail(Error::forbidden("team leads, managers and admins read routing policies"));
  std::optional<PolicyRecord> p;
  auto st = conn.each(std::string("SELECT ") + k_policy_cols + " FROM routing_policies WHERE id = ?", {id},
                      [&](const store::Row& r) { p = map_policy(r); });
  if (!st) return fail(st.error());
  if (!p) return fail(Error::not_found());
  return *p;
}

namespace {
Result<PolicyRecord> save_policy(store::Tx& tx, std::optional<int64_t> id, const Json& in,
                                 const domain::Principal& who) {
  if (!can_configure(who)) return fail(Error::forbidden("only admins change routing policies"));
  auto& conn = tx.conn();
  PolicyRecord rec;
  if (id) {
    auto cur = get_policy(conn, *id, who);
    if (!cur) return fail(cur.error());
    rec = *cur;
  }
  auto input = read_policy(conn, in, !id);
  if (!input) return fail(input.error());
  Policy& p = rec.policy;
  if (input->group_id) p.group_id = *input->group_id;
  if (input->name) p.name = *input->name;
  if (input->method) p.method = *parse_method(*input->method);
  if (input->order) p.order = *parse_order(*input->order);
  if (input->rules) p.rules = *input->rules;
  auto taken = conn.scalar("SELECT id FROM routing_policies WHERE group_id = ? AND id != ?", {p.group_id, id.value_or(0)});
  if (!taken) return fail(taken.error());
  if (*taken)
    return fail(Error::field("group_id", "DuplicateValue",
                             "Group: already routed by policy " + std::to_string(**taken)));
  if (p.name.empty()) {
    auto g = conn.scalar_text("SELECT name FROM groups WHERE id = ?", {p.group_id});
    if (!g) return fail(g.error());
    p.name = "Routing: " + g->value_or("group " + std::to_string(p.group_id));
  }
  const int64_t now = now_epoch();
  rec.updated_at = now;
  const std::string rules = rules_to_json(p.rules).dump();
  if (id) {
    if (auto r = conn.run("UPDATE routing_policies SET group_id = ?, name = ?, method = ?, queue_order = ?, "
                          "requirements = ?, updated_at = ? WHERE id = ?",
                          {p.group_id, p.name, to_string(p.method), to_string(p.order), rules, now, *id});
        !r)
      return fail(r.error());
  } else {
    rec.created_at = now;
    if (auto r = conn.run("INSERT INTO routing_policies(group_id, name, method, queue_order, requirements, created_at, "
                          "updated_at) VALUES (?,?,?,?,?,?,?)",
                          {p.group_id, p.name, to_string(p.method), to_string(p.order), rules, now, now});
        !r)
      return fail(r.error());
    rec.id = conn.last_insert_id();
    p.id = rec.id;
  }
  if (auto st = log(tx, id ? "routing.policy_updated" : "routing.policy_created", "routing_policy", rec.id, who,
                    {{"group_id", p.group_id}});
      !st)
    return fail(st.error());
  return rec;
}
}  // namespace

Result<PolicyRecord> create_policy(store::Tx& tx, const Json& in, const domain::Principal& who) {
  return save_policy(tx, std::nullopt, in, who);
}

Result<PolicyRecord> update_policy(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& who) {
  return save_policy(tx, id, in, who);
}

Status delete_policy(store::Tx& tx, int64_t id, const domain::Principal& who) {
  if (!can_configure(who)) return fail(Error::forbidden("only admins change routing policies"));
  auto cur = get_policy(tx.conn(), id, who);
  if (!cur) return fail(cur.error());
  if (auto r = tx.conn().run("DELETE FROM routing_policies WHERE id = ?", {id}); !r) return fail(r.error());
  // Its waiting tickets are no longer routed.
  if (auto r = tx.conn().run("DELETE FROM routing_queue WHERE group_id = ?", {cur->policy.group_id}); !r)
    return fail(r.error());
  return log(tx, "routing.policy_deleted", "routing_policy", id, who, {{"group_id", cur->policy.group_id}});
}

Result<std::vector<Policy>> load_policies(store::Conn& conn) {
  std::vector<Policy> out;
  auto st = conn.each(std::string("SELECT ") + k_policy_cols + " FROM routing_policies ORDER BY id", {},
                      [&](const store::Row& r) { out.push_back(map_policy(r).policy); });
  if (!st) return fail(st.error());
  return out;
}

Json to_json(const Skill& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"type", s.type},
          {"description", s.description},
          {"created_at", iso8601(s.created_at)},
          {"updated_at", iso8601(s.updated_at)}};
}

Json to_json(const AgentSkill& s) {
  return {{"skill_id", s.skill_id}, {"name", s.name}, {"type", s.type}, {"level", s.level}};
}

Json to_json(const PolicyRecord& p) {
  return {{"id", p.id},
          {"group_id", p.policy.group_id},
          {"name", p.policy.name},
          {"method", std::string(to_string(p.policy.method))},
          {"queue_order", std::string(to_string(p.policy.order))},
          {"requirements", rules_to_json(p.policy.rules)},
          {"created_at", iso8601(p.created_at)},
          {"updated_at", iso8601(p.updated_at)}};
}

}  // namespace rapport::routing
