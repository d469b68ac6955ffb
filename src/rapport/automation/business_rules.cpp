#include <rapport/automation/business_rules.hpp>

#include <algorithm>
#include <set>

#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::automation {

namespace {

constexpr const char* k_columns =
    "id, kind, title, description, active, position, conditions, actions, restriction, usage_count, created_by, "
    "created_at, updated_at";

std::optional<RuleKind> kind_of(const std::string& s) {
  if (s == "trigger") return RuleKind::trigger;
  if (s == "automation") return RuleKind::automation;
  if (s == "macro") return RuleKind::macro;
  return std::nullopt;
}

// Re-reading stored rules: their business-hours conditions were checked when saved (a schedule
// deleted since makes `within_schedule` false when evaluated, not the rule unreadable).
class StoredHours final : public BusinessHours {
 public:
  bool within(const domain::Ticket&, int64_t) const override { return false; }
  bool within_schedule(Id, int64_t) const override { return false; }
  bool has_schedule(Id) const override { return true; }
};

// Rows were validated when written; parsing them again only normalizes.
Rule map_rule(const store::Row& r) {
  static const StoredHours stored_hours;
  Rule out;
  out.id = r.i64(0);
  out.kind = kind_of(r.text(1)).value_or(RuleKind::trigger);
  out.title = r.text(2);
  out.description = r.text(3);
  out.active = r.i64(4) != 0;
  out.position = r.i64(5);
  Validation ignored;
  out.conditions = parse_conditions(Json::parse(r.text(6), nullptr, false), out.kind, &stored_hours, ignored);
  out.actions = parse_actions(Json::parse(r.text(7), nullptr, false), out.kind, ignored);
  out.restriction = r.is_null(8) ? Json(nullptr) : Json::parse(r.text(8), nullptr, false);
  out.usage_count = r.i64(9);
  out.created_by = r.opt_i64(10);
  out.created_at = r.i64(11);
  out.updated_at = r.i64(12);
  return out;
}

Status log(store::Tx& tx, const std::string& what, const Rule& r, const Principal& actor) {
  events::Event e{std::string(to_string(r.kind)) + "." + what, std::string(to_string(r.kind)), r.id,
                  actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt, actor.token_id,
                  {{"title", r.title}, {"active", r.active}, {"position", r.position}}};
  auto ev = events::append(tx.conn(), e, now_epoch());
  if (!ev) return fail(ev.error());
  return {};
}

Status exists(store::Conn& conn, const char* sql, const store::Params& params, bool& found) {
  auto r = conn.scalar(sql, params);
  if (!r) return fail(r.error());
  found = r->has_value();
  return {};
}

// References in actions name things that exist, so a rule cannot fail every write later.
Status check_references(store::Conn& conn, const std::vector<Action>& actions, Validation& v) {
  for (const auto& a : actions) {
    bool found = true;
    Status st;
    std::string what;
    if (a.field == "group_id" && a.value.is_number_integer()) {
      st = exists(conn, "SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {a.value.get<int64_t>()}, found);
      what = "group " + std::to_string(a.value.get<int64_t>()) + " does not exist";
    } else if (a.field == "assignee_id" && a.value.is_number_integer()) {
      st = exists(conn, "SELECT 1 FROM users WHERE id = ? AND role IN ('agent','admin') AND active = 1",
                  {a.value.get<int64_t>()}, found);
      what = "user " + std::to_string(a.value.get<int64_t>()) + " is not an active agent";
    } else if (a.field == "notification_user" && !a.value[0].is_string()) {
      st = exists(conn, "SELECT 1 FROM users WHERE id = ?", {a.value[0].get<int64_t>()}, found);
      what = "user " + a.value[0].dump() + " does not exist";
    } else if (a.field == "notification_user" && a.value[0].is_string() && parse_int(a.value[0].get<std::string>())) {
      st = exists(conn, "SELECT 1 FROM users WHERE id = ?", {*parse_int(a.value[0].get<std::string>())}, found);
      what = "user " + a.value[0].get<std::string>() + " does not exist";
    } else if (a.field == "notification_group" && a.value[0] != "group_id") {
      auto g = a.value[0].is_string() ? parse_int(a.value[0].get<std::string>()) : std::optional<int64_t>(a.value[0].get<int64_t>());
      st = exists(conn, "SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {g}, found);
      what = "group " + a.value[0].dump() + " does not exist";
    } else if (a.field == "notification_webhook") {
      st = exists(conn, "SELECT 1 FROM webhooks WHERE id = ?", {a.value[0].get<int64_t>()}, found);
      what = "webhook " + std::to_string(a.value[0].get<int64_t>()) + " does not exist";
    } else if (a.field == "macro_id") {
      st = exists(conn, "SELECT 1 FROM business_rules WHERE id = ? AND kind = 'macro'", {a.value.get<int64_t>()}, found);
      what = "macro " + std::to_string(a.value.get<int64_t>()) + " does not exist";
    }
    if (!st) return st;
    if (!found) v.add("actions", "InvalidValue", "Actions: " + what);
  }
  return {};
}

bool has_time_condition(const Conditions& c) {
  static const std::set<std::string> k_time = {"NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "CLOSED",
                                               "created_at", "updated_at", "assigned_at", "requester_updated_at",
                                               "assignee_updated_at", "due_date", "until_due_date"};
  for (const auto& x : c.all)
    if (k_time.count(x.field)) return true;
  return false;
}

Json read_restriction(JsonInput& in, Validation& v) {
  if (!in.has("restriction") || in.is_null("restriction")) return nullptr;
  auto r = in.object("restriction");
  if (!r) return nullptr;
  auto type = r->contains("type") && (*r)["type"].is_string() ? (*r)["type"].get<std::string>() : "";
  if (type == "User") {
    if (!r->contains("id") || !(*r)["id"].is_number_integer()) {
      v.add("restriction", "InvalidValue", "Restriction: a User restriction needs the user's id");
      return nullptr;
    }
    return {{"type", "User"}, {"id", (*r)["id"]}};
  }
  if (type == "Group") {
    Json ids = Json::array();
    if (r->contains("ids") && (*r)["ids"].is_array()) {
      for (const auto& x : (*r)["ids"]) {
        if (!x.is_number_integer()) {
          v.add("restriction", "InvalidValue", "Restriction: ids must be group ids");
          return nullptr;
        }
        ids.push_back(x);
      }
    } else if (r->contains("id") && (*r)["id"].is_number_integer()) {
      ids.push_back((*r)["id"]);
    }
    if (ids.empty() || ids.size() > 100) {
      v.add("restriction", "InvalidValue", "Restriction: a Group restriction needs 1 to 100 group ids");
      return nullptr;
    }
    return {{"type", "Group"}, {"id", ids[0]}, {"ids", ids}};
  }
  v.add("restriction", "InvalidValue", "Restriction: type must be User or Group (or restriction null for everyone)");
  return nullptr;
}

// Applies the writable fields of `in` to `r`, validating everything (and for automations,
// Zendesk's rule that an action must end what the conditions match).
Status apply_input(store::Conn& conn, const Json& in, Rule& r, bool creating, const RuleOptions& o) {
  Validation v;
  JsonInput input(in, v);
  if (auto s = input.str("title", 255)) r.title = std::string(trim(*s));
  if (creating && r.title.empty()) v.add("title", "BlankValue", "Title: cannot be blank");
  if (input.has("title") && r.title.empty()) v.add("title", "BlankValue", "Title: cannot be blank");
  if (auto s = input.str("description", 65536)) r.description = *s;
  if (auto b = input.boolean("active")) r.active = *b;
  if (auto p = input.integer("position")) r.position = std::max<int64_t>(0, *p);
  if (input.has("conditions") && r.kind != RuleKind::macro) {
    auto hours = o.hours ? o.hours->open(conn) : nullptr;
    r.conditions = parse_conditions(in["conditions"], r.kind, hours.get(), v);
  }
  if (input.has("actions")) r.actions = parse_actions(in["actions"], r.kind, v);
  if (r.kind == RuleKind::macro && input.has("restriction")) r.restriction = read_restriction(input, v);
  if (!v.ok()) return fail(v.error());
  if (r.actions.empty()) v.add("actions", "BlankValue", "Actions: at least one is required");
  if (r.kind == RuleKind::trigger && r.conditions.empty())
    v.add("conditions", "BlankValue", "Conditions: a trigger needs at least one condition");
  if (r.kind == RuleKind::automation) {
    if (!has_time_condition(r.conditions))
      v.add("conditions", "InvalidValue", "Conditions: an automation needs a time condition in all (e.g. PENDING greater_than 96)");
    else if (!has_nullifying_action(r.conditions, r.actions))
      v.add("base", "InvalidValue",
            "Automation must contain at least one action that nullifies a condition (e.g. a tag the conditions exclude, "
            "a status the conditions require to be different) or a time condition with is; otherwise it would act "
            "on the same ticket every hour");
  }
  if (auto st = check_references(conn, r.actions, v); !st) return st;
  if (!v.ok()) return fail(v.error());
  return {};
}

store::Params row_params(const Rule& r) {
  return {r.title,
          r.description,
          r.active,
          r.position,
          to_json(r.conditions).dump(),
          to_json(r.actions).dump(),
          r.restriction.is_null() ? std::optional<std::string>() : std::optional<std::string>(r.restriction.dump())};
}

Result<Rule> read_rule(store::Conn& conn, RuleKind kind, Id id) {
  std::optional<Rule> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM business_rules WHERE id = ? AND kind = ?",
                      {id, std::string(to_string(kind))}, [&](const store::Row& row) { out = map_rule(row); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

}  // namespace

bool may_use_macro(const Principal& p, const Rule& r) {
  if (p.is_admin()) return true;
  if (!p.is_staff()) return false;
  if (r.restriction.is_null()) return true;
  if (r.restriction.value("type", "") == "User") return r.restriction.value("id", int64_t{0}) == p.user_id;
  for (const auto& g : r.restriction.value("ids", Json::array()))
    if (std::find(p.group_ids.begin(), p.group_ids.end(), g.get<int64_t>()) != p.group_ids.end()) return true;
  return false;
}

Result<Rule> create_rule(store::Tx& tx, RuleKind kind, const Json& in, const Principal& actor, const RuleOptions& o) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto count = conn.scalar("SELECT COUNT(*) FROM business_rules WHERE kind = ?", {std::string(to_string(kind))});
  if (!count) return fail(count.error());
  if (static_cast<std::size_t>(count->value_or(0)) >= k_max_rules)
    return fail(Error::field("base", "InvalidValue", "At most " + std::to_string(k_max_rules) + " of each kind of rule"));
  Rule r;
  r.kind = kind;
  auto last = conn.scalar("SELECT MAX(position) FROM business_rules WHERE kind = ?", {std::string(to_string(kind))});
  if (!last) return fail(last.error());
  r.position = last->value_or(0) + 1;
  if (auto st = apply_input(conn, in, r, true, o); !st) return fail(st.error());
  r.created_at = r.updated_at = now_epoch();
  r.created_by = actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt;
  auto params = row_params(r);
  params.insert(params.begin(), std::string(to_string(kind)));
  params.push_back(r.created_by);
  params.push_back(r.created_at);
  params.push_back(r.updated_at);
  auto ins = conn.run(
      "INSERT INTO business_rules(kind, title, description, active, position, conditions, actions, restriction, "
      "created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      params);
  if (!ins) return fail(ins.error());
  r.id = conn.last_insert_id();
  if (auto st = log(tx, "created", r, actor); !st) return fail(st.error());
  return r;
}

Result<Rule> update_rule(store::Tx& tx, RuleKind kind, Id id, const Json& in, const Principal& actor,
                         const RuleOptions& o) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto r = read_rule(conn, kind, id);
  if (!r) return r;
  if (auto st = apply_input(conn, in, *r, false, o); !st) return fail(st.error());
  r->updated_at = now_epoch();
  auto params = row_params(*r);
  params.push_back(r->updated_at);
  params.push_back(id);
  auto up = conn.run(
      "UPDATE business_rules SET title=?, description=?, active=?, position=?, conditions=?, actions=?, restriction=?, "
      "updated_at=? WHERE id=?",
      params);
  if (!up) return fail(up.error());
  if (auto st = log(tx, "updated", *r, actor); !st) return fail(st.error());
  return r;
}

Status delete_rule(store::Tx& tx, RuleKind kind, Id id, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto r = read_rule(tx.conn(), kind, id);
  if (!r) return fail(r.error());
  if (kind == RuleKind::macro) {
    // A trigger that applies this macro would fail every write it fires on.
    auto used = tx.conn().scalar(
        "SELECT id FROM business_rules WHERE kind IN ('trigger','automation') AND actions LIKE ? LIMIT 1",
        {"%\"macro_id\",\"value\":" + std::to_string(id) + "}%"});
    if (!used) return fail(used.error());
    if (*used)
      return fail(Error::field("base", "InvalidValue",
                               "Macro is applied by rule " + std::to_string(**used) + "; change that rule first"));
  }
  if (auto d = tx.conn().run("DELETE FROM business_rules WHERE id = ?", {id}); !d) return fail(d.error());
  if (kind == RuleKind::automation) {
    if (auto d = tx.conn().run("DELETE FROM automation_runs WHERE rule_id = ?", {id}); !d) return fail(d.error());
  }
  return log(tx, "deleted", *r, actor);
}

Status reorder_rules(store::Tx& tx, RuleKind kind, const std::vector<Id>& ids, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  std::set<Id> existing;
  auto st = conn.each("SELECT id FROM business_rules WHERE kind = ?", {std::string(to_string(kind))},
                      [&](const store::Row& r) { existing.insert(r.i64(0)); });
  if (!st) return st;
  std::set<Id> given(ids.begin(), ids.end());
  if (given.size() != ids.size() || given != existing)
    return fail(Error::field("base", "InvalidValue",
                             std::string("Reorder must list every ") + std::string(to_string(kind)) + " id exactly once"));
  int64_t now = now_epoch();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (auto r = conn.run("UPDATE business_rules SET position = ?, updated_at = ? WHERE id = ?",
                          {static_cast<int64_t>(i + 1), now, ids[i]});
        !r)
      return fail(r.error());
  }
  Json order = ids;
  events::Event e{std::string(to_string(kind)) + ".reordered", std::string(to_string(kind)), std::nullopt,
                  actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt, actor.token_id, {{"ids", order}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return {};
}

Result<Rule> get_rule(store::Conn& conn, RuleKind kind, Id id, const Principal& p) {
  if (!p.is_staff()) return fail(Error::forbidden());
  auto r = read_rule(conn, kind, id);
  if (!r) return r;
  if (kind == RuleKind::macro && !may_use_macro(p, *r)) return fail(Error::not_found());
  return r;
}

Result<std::vector<Rule>> list_rules(store::Conn& conn, RuleKind kind, const RuleFilter& f, const Principal& p) {
  if (!p.is_staff()) return fail(Error::forbidden());
  std::vector<Rule> out;
  std::string sql = std::string("SELECT ") + k_columns + " FROM business_rules WHERE kind = ?";
  store::Params params{std::string(to_string(kind))};
  if (f.active) {
    sql += " AND active = ?";
    params.push_back(*f.active);
  }
  sql += " ORDER BY position, id LIMIT " + std::to_string(k_max_rules);
  auto st = conn.each(sql, params, [&](const store::Row& row) {
    auto r = map_rule(row);
    if (kind == RuleKind::macro && (f.only_usable || !p.is_admin()) && !may_use_macro(p, r)) return;
    out.push_back(std::move(r));
  });
  if (!st) return fail(st.error());
  return out;
}

Result<std::vector<Rule>> active_rules(store::Conn& conn, RuleKind kind) {
  std::vector<Rule> out;
  auto st = conn.each(std::string("SELECT ") + k_columns +
                          " FROM business_rules WHERE kind = ? AND active = 1 ORDER BY position, id LIMIT " +
                          std::to_string(k_max_rules),
                      {std::string(to_string(kind))}, [&](const store::Row& row) { out.push_back(map_rule(row)); });
  if (!st) return fail(st.error());
  return out;
}

}  // namespace rapport::automation
