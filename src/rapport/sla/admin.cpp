#include <rapport/sla/admin.hpp>

#include <algorithm>
#include <set>
#include <sstream>

#include <rapport/base/json_input.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::sla {

namespace {

Status require_admin(const Principal& p) {
  if (!p.is_admin()) return fail(Error::forbidden());
  return {};
}
Status require_staff(const Principal& p) {
  if (!p.is_staff()) return fail(Error::forbidden());
  return {};
}
std::optional<int64_t> actor(const Principal& p) {
  return p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt;
}

Status record(store::Conn& conn, const Principal& p, const std::string& kind,
              const std::string& entity, Id id, Json data = Json::object()) {
  events::Event e{kind, entity, id, actor(p), p.token_id, std::move(data)};
  if (auto r = events::append(conn, e, now_epoch()); !r) return fail(r.error());
  return {};
}

Json intervals_json(const std::vector<WeeklyInterval>& v) {
  Json out = Json::array();
  for (const auto& i : v)
    out.push_back({{"start_time", i.start_minute}, {"end_time", i.end_minute}});
  return out;
}

std::vector<WeeklyInterval> parse_stored_intervals(const std::string& s) {
  std::vector<WeeklyInterval> out;
  auto j = Json::parse(s, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& i : j) out.push_back({i.value("start_time", 0), i.value("end_time", 0)});
  return out;
}

// Reads "intervals" from `in` into `out`; problems go to `v`.
void read_intervals(JsonInput& in, std::vector<WeeklyInterval>& out) {
  auto& v = in.validation();
  auto arr = in.array("intervals");
  if (!arr) return;
  if (arr->size() > k_max_intervals) {
    v.add("intervals", "InvalidValue", "Intervals: at most " + std::to_string(k_max_intervals));
    return;
  }
  std::vector<WeeklyInterval> got;
  for (const auto& i : *arr) {
    if (!i.is_object() || !i.contains("start_time") || !i.contains("end_time") ||
        !i["start_time"].is_number_integer() || !i["end_time"].is_number_integer()) {
      v.add("intervals", "InvalidValue",
            "Intervals: each needs integer start_time and end_time (minutes from Sunday 00:00)");
      return;
    }
    got.push_back({i["start_time"].get<int>(), i["end_time"].get<int>()});
  }
  std::sort(got.begin(), got.end(),
            [](auto& a, auto& b) { return a.start_minute < b.start_minute; });
  out = std::move(got);
}

Schedule map_schedule(const store::Row& r) {
  return {r.i64(0), r.text(1), r.text(2), parse_stored_intervals(r.text(3)), r.i64(4), r.i64(5)};
}
constexpr const char* k_schedule_cols = "id, name, time_zone, intervals, created_at, updated_at";

Result<Schedule> read_schedule(store::Conn& conn, Id id) {
  std::optional<Schedule> out;
  auto st =
      conn.each(std::string("SELECT ") + k_schedule_cols + " FROM business_schedules WHERE id = ?",
                {id}, [&](const store::Row& r) { out = map_schedule(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

// Validates a whole schedule (zone and intervals) the way the calendar will use it.
Status check_schedule(const Schedule& s, Validation& v) {
  if (!find_zone(s.time_zone))
    v.add("time_zone", "InvalidValue", "Time zone: is not a known time zone");
  else if (auto c = Calendar::make(s.time_zone, s.intervals, {}); !c)
    for (auto& [f, errs] : c.error().details)
      for (auto& e : errs) v.add(f, e.error, e.description);
  if (!v.ok()) return fail(v.error());
  return {};
}

Result<Schedule> save_schedule(store::Tx& tx, Schedule s, bool creating, const Principal& p) {
  auto& conn = tx.conn();
  int64_t now = now_epoch();
  s.updated_at = now;
  if (creating) {
    auto n = conn.scalar("SELECT COUNT(*) FROM business_schedules");
    if (!n) return fail(n.error());
    if (n->value_or(0) >= static_cast<int64_t>(k_max_schedules))
      return fail(Error::field("base", "InvalidValue",
                               "Schedules: at most " + std::to_string(k_max_schedules)));
    s.created_at = now;
    auto r = conn.run(
        "INSERT INTO business_schedules(name, time_zone, intervals, created_at, updated_at) VALUES "
        "(?,?,?,?,?)",
        {s.name, s.time_zone, intervals_json(s.intervals).dump(), now, now});
    if (!r) return fail(r.error());
    s.id = conn.last_insert_id();
  } else {
    auto r = conn.run(
        "UPDATE business_schedules SET name = ?, time_zone = ?, intervals = ?, updated_at = ? "
        "WHERE id = ?",
        {s.name, s.time_zone, intervals_json(s.intervals).dump(), now, s.id});
    if (!r) return fail(r.error());
  }
  if (auto st =
          record(conn, p, creating ? "business_schedule.created" : "business_schedule.updated",
                 "business_schedule", s.id);
      !st)
    return fail(st.error());
  return s;
}

std::optional<date::local_days> parse_date(const std::string& s) {
  if (s.size() != 10) return std::nullopt;
  std::istringstream in(s);
  date::local_days d;
  in >> date::parse("%F", d);
  if (in.fail()) return std::nullopt;
  return d;
}

HolidayRecord map_holiday(const store::Row& r) {
  return {r.i64(0), r.i64(1), r.text(2), r.text(3), r.text(4), r.i64(5), r.i64(6)};
}
constexpr const char* k_holiday_cols =
    "id, schedule_id, name, start_date, end_date, created_at, updated_at";

// Applies name/start_date/end_date from `in` to `h` and validates the result.
Status read_holiday(const Json& in, HolidayRecord& h, bool creating) {
  Validation v;
  JsonInput i(in, v);
  if (auto s = i.str("name", 255)) h.name = *s;
  if (auto s = i.str("start_date", 10)) h.start_date = *s;
  if (auto s = i.str("end_date", 10)) h.end_date = *s;
  if (creating && h.end_date.empty()) h.end_date = h.start_date;  // a one-day holiday
  if (h.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  auto a = parse_date(h.start_date), b = parse_date(h.end_date);
  if (!a) v.add("start_date", "InvalidValue", "Start date: must be a date, YYYY-MM-DD");
  if (!b) v.add("end_date", "InvalidValue", "End date: must be a date, YYYY-MM-DD");
  if (a && b && *b < *a)
    v.add("end_date", "InvalidValue", "End date: must not be before the start date");
  if (a && b && (*b - *a).count() >= k_max_holiday_days)
    v.add("end_date", "InvalidValue",
          "End date: a holiday lasts at most " + std::to_string(k_max_holiday_days) + " days");
  if (!v.ok()) return fail(v.error());
  return {};
}

// ---- policies ----

constexpr const char* k_policy_cols =
    "id, title, description, position, filter, policy_metrics, pause_statuses, schedule_id, "
    "escalation, created_at, updated_at";

std::vector<Condition> parse_conditions(const Json& arr) {
  std::vector<Condition> out;
  if (!arr.is_array()) return out;
  for (const auto& c : arr)
    out.push_back({c.value("field", ""), c.value("operator", ""),
                   c.contains("value") ? c["value"] : Json(nullptr)});
  return out;
}

Json conditions_json(const std::vector<Condition>& cs) {
  Json out = Json::array();
  for (const auto& c : cs)
    out.push_back({{"field", c.field}, {"operator", c.op}, {"value", c.value}});
  return out;
}

Json targets_json(const std::vector<Target>& ts) {
  Json out = Json::array();
  for (const auto& t : ts)
    out.push_back({{"priority", t.priority},
                   {"metric", t.metric},
                   {"target", t.target_seconds / 60},
                   {"target_in_seconds", t.target_seconds},
                   {"business_hours", t.business_hours}});
  return out;
}

Json escalation_json(const Escalation& e) {
  Json out = Json::object();
  if (e.priority) out["priority"] = *e.priority;
  if (!e.add_tags.empty()) out["add_tags"] = e.add_tags;
  if (e.group_id) out["group_id"] = *e.group_id;
  return out;
}

Policy map_policy(const store::Row& r) {
  Policy p;
  p.id = r.i64(0);
  p.title = r.text(1);
  p.description = r.text(2);
  p.position = r.i64(3);
  auto filter = Json::parse(r.text(4), nullptr, false);
  if (filter.is_object()) {
    p.all = parse_conditions(filter.value("all", Json::array()));
    p.any = parse_conditions(filter.value("any", Json::array()));
  }
  auto metrics = Json::parse(r.text(5), nullptr, false);
  if (metrics.is_array())
    for (const auto& m : metrics)
      p.targets.push_back({m.value("priority", ""), m.value("metric", ""),
                           m.value("target_in_seconds", int64_t{0}),
                           m.value("business_hours", false)});
  auto pause = Json::parse(r.text(6), nullptr, false);
  p.pause_statuses.clear();
  if (pause.is_array())
    for (const auto& s : pause)
      if (s.is_string()) p.pause_statuses.push_back(s.get<std::string>());
  p.schedule_id = r.opt_i64(7);
  auto esc = Json::parse(r.text(8), nullptr, false);
  if (esc.is_object()) {
    if (esc.contains("priority") && esc["priority"].is_string())
      p.escalation.priority = esc["priority"].get<std::string>();
    if (esc.contains("add_tags") && esc["add_tags"].is_array())
      for (const auto& t : esc["add_tags"])
        if (t.is_string()) p.escalation.add_tags.push_back(t.get<std::string>());
    if (esc.contains("group_id") && esc["group_id"].is_number_integer())
      p.escalation.group_id = esc["group_id"].get<Id>();
  }
  p.created_at = r.i64(9);
  p.updated_at = r.i64(10);
  return p;
}

Result<Policy> read_policy(store::Conn& conn, Id id) {
  std::optional<Policy> out;
  auto st = conn.each(std::string("SELECT ") + k_policy_cols + " FROM sla_policies WHERE id = ?",
                      {id}, [&](const store::Row& r) { out = map_policy(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

// Applies the writable fields of `in` to `p`, validating every one.
Status read_policy_input(store::Conn& conn, const Json& in, Policy& p, bool creating,
                         std::optional<int64_t>& position) {
  Validation v;
  JsonInput i(in, v);
  if (auto s = i.str("title", 255)) p.title = *s;
  if (auto s = i.str("description", 4096)) p.description = *s;
  if (p.title.empty()) v.add("title", "BlankValue", "Title: cannot be blank");
  position = i.integer("position");
  if (position && *position < 1) v.add("position", "InvalidValue", "Position: must be 1 or more");
  if (auto f = i.object("filter")) {
    JsonInput fi(*f, v);
    p.all.clear();
    p.any.clear();
    for (const char* key : {"all", "any"}) {
      auto arr = fi.array(key);
      if (!arr) continue;
      if (arr->size() > k_max_conditions) {
        v.add("filter", "InvalidValue",
              "Filter: at most " + std::to_string(k_max_conditions) + " conditions in " + key);
        continue;
      }
      for (const auto& c : *arr) {
        if (!c.is_object() || !c.contains("field") || !c["field"].is_string() ||
            !c.contains("operator") || !c["operator"].is_string()) {
          v.add("filter", "InvalidValue", "Filter: each condition needs field, operator and value");
          continue;
        }
        Condition cond{c["field"].get<std::string>(), c["operator"].get<std::string>(),
                       c.contains("value") ? c["value"] : Json(nullptr)};
        if (cond.field == "tags") cond.field = "current_tags";  // a friendlier spelling
        validate_condition(cond, v, "filter");
        (std::string_view(key) == "all" ? p.all : p.any).push_back(std::move(cond));
      }
    }
  } else if (creating) {
    v.add("filter", "BlankValue",
          "Filter: is required ({\"all\":[],\"any\":[]} matches every ticket)");
  }
  if (auto arr = i.array("policy_metrics")) {
    p.targets.clear();
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& m : *arr) {
      Validation mv;
      if (!m.is_object()) {
        v.add("policy_metrics", "InvalidValue", "Policy metrics: each must be an object");
        continue;
      }
      JsonInput mi(m, mv);
      Target t;
      t.priority = mi.str("priority", 16).value_or("");
      t.metric = mi.str("metric", 64).value_or("");
      t.business_hours = mi.boolean("business_hours").value_or(false);
      auto minutes = mi.integer("target");
      auto secs = mi.integer("target_in_seconds");
      if (!domain::valid_priority(t.priority))
        v.add("policy_metrics", "InvalidValue",
              "Policy metrics: priority must be low, normal, high or urgent");
      if (!valid_metric(t.metric))
        v.add("policy_metrics", "InvalidValue",
              "Policy metrics: metric must be first_reply_time, next_reply_time, "
              "periodic_update_time, "
              "requester_wait_time or total_resolution_time");
      if (secs)
        t.target_seconds = *secs;
      else if (minutes)
        t.target_seconds = *minutes * 60;
      if (t.target_seconds < 60 || t.target_seconds > k_max_target_minutes * 60)
        v.add("policy_metrics", "InvalidValue",
              "Policy metrics: target must be 1 to 525600 minutes");
      if (!mv.ok())
        v.add("policy_metrics", "InvalidValue", "Policy metrics: fields have the wrong type");
      if (!seen.insert({t.priority, t.metric}).second)
        v.add("policy_metrics", "DuplicateValue",
              "Policy metrics: " + t.priority + " " + t.metric + " is given twice");
      p.targets.push_back(t);
    }
  }
  if (auto arr = i.strings("pause_statuses")) {
    p.pause_statuses.clear();
    for (const auto& s : *arr) {
      if (s != "pending" && s != "hold")
        v.add("pause_statuses", "InvalidValue", "Pause statuses: only pending and hold may pause");
      else if (std::find(p.pause_statuses.begin(), p.pause_statuses.end(), s) ==
               p.pause_statuses.end())
        p.pause_statuses.push_back(s);
    }
  }
  if (i.has("schedule_id")) {
    p.schedule_id = i.integer("schedule_id");
    if (p.schedule_id) {
      auto r = conn.scalar("SELECT 1 FROM business_schedules WHERE id = ?", {*p.schedule_id});
      if (!r) return fail(r.error());
      if (!*r) v.add("schedule_id", "InvalidValue", "Schedule: does not exist");
    }
  }
  if (i.has("escalation")) {
    p.escalation = {};
    if (auto e = i.object("escalation")) {
      JsonInput ei(*e, v);
      if (auto pr = ei.str("priority", 16)) {
        if (!domain::valid_priority(*pr))
          v.add("escalation", "InvalidValue",
                "Escalation: priority must be low, normal, high or urgent");
        p.escalation.priority = *pr;
      }
      if (auto tags = ei.strings("add_tags")) {
        if (tags->size() > 20) v.add("escalation", "InvalidValue", "Escalation: at most 20 tags");
        for (const auto& t : *tags)
          if (auto n = domain::normalize_tag(t); !n.empty()) p.escalation.add_tags.push_back(n);
      }
      if (auto g = ei.integer("group_id")) {
        auto r = conn.scalar("SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {*g});
        if (!r) return fail(r.error());
        if (!*r) v.add("escalation", "InvalidValue", "Escalation: group does not exist");
        p.escalation.group_id = *g;
      }
    }
  }
  if (!v.ok()) return fail(v.error());
  return {};
}

// Renumbers positions 1..n in the given order.
Status write_positions(store::Conn& conn, const std::vector<Id>& order) {
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (auto r = conn.run("UPDATE sla_policies SET position = ? WHERE id = ?",
                          {static_cast<int64_t>(k + 1), order[k]});
        !r)
      return fail(r.error());
  }
  return {};
}

Result<std::vector<Id>> policy_order(store::Conn& conn) {
  std::vector<Id> ids;
  auto st = conn.each("SELECT id FROM sla_policies ORDER BY position, id", {},
                      [&](const store::Row& r) { ids.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  return ids;
}

Result<Policy> save_policy(store::Tx& tx, Policy p, bool creating, std::optional<int64_t> position,
                           const Principal& who) {
  auto& conn = tx.conn();
  int64_t now = now_epoch();
  Json filter = {{"all", conditions_json(p.all)}, {"any", conditions_json(p.any)}};
  Json pause = p.pause_statuses;
  store::Params params{p.title,
                       p.description,
                       p.position,
                       filter.dump(),
                       targets_json(p.targets).dump(),
                       pause.dump(),
                       p.schedule_id,
                       escalation_json(p.escalation).dump(),
                       now};
  if (creating) {
    auto n = conn.scalar("SELECT COUNT(*) FROM sla_policies");
    if (!n) return fail(n.error());
    if (n->value_or(0) >= static_cast<int64_t>(k_max_policies))
      return fail(Error::field("base", "InvalidValue",
                               "SLA policies: at most " + std::to_string(k_max_policies)));
    params[2] = n->value_or(0) + 1;
    params.push_back(now);
    auto r = conn.run(
        "INSERT INTO sla_policies(title, description, position, filter, policy_metrics, "
        "pause_statuses, "
        "schedule_id, escalation, updated_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        params);
    if (!r) return fail(r.error());
    p.id = conn.last_insert_id();
  } else {
    params.push_back(p.id);
    auto r = conn.run(
        "UPDATE sla_policies SET title=?, description=?, position=?, filter=?, policy_metrics=?, "
        "pause_statuses=?, schedule_id=?, escalation=?, updated_at=? WHERE id=?",
        params);
    if (!r) return fail(r.error());
  }
  if (position || creating) {
    auto order = policy_order(conn);
    if (!order) return fail(order.error());
    auto& ids = *order;
    ids.erase(std::remove(ids.begin(), ids.end(), p.id), ids.end());
    auto at = static_cast<std::size_t>(
        std::min<int64_t>(position.value_or(INT64_MAX), static_cast<int64_t>(ids.size()) + 1));
    ids.insert(ids.begin() + static_cast<std::ptrdiff_t>(at - 1), p.id);
    if (auto st = write_positions(conn, ids); !st) return fail(st.error());
  }
  if (auto st = record(conn, who, creating ? "sla_policy.created" : "sla_policy.updated",
                       "sla_policy", p.id);
      !st)
    return fail(st.error());
  return read_policy(conn, p.id);
}

}  // namespace

// ---- schedules ----

Result<std::vector<Schedule>> list_schedules(store::Conn& conn, const Principal& p) {
  if (auto st = require_staff(p); !st) return fail(st.error());
  std::vector<Schedule> out;
  auto st =
      conn.each(std::string("SELECT ") + k_schedule_cols + " FROM business_schedules ORDER BY id",
                {}, [&](const store::Row& r) { out.push_back(map_schedule(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<Schedule> get_schedule(store::Conn& conn, Id id, const Principal& p) {
  if (auto st = require_staff(p); !st) return fail(st.error());
  return read_schedule(conn, id);
}

Result<Schedule> create_schedule(store::Tx& tx, const Json& in, const Principal& p) {
  if (auto st = require_admin(p); !st) return fail(st.error());
  Validation v;
  JsonInput i(in, v);
  Schedule s;
  s.name = i.str("name", 255).value_or("");
  s.time_zone = i.str("time_zone", 64).value_or("");
  read_intervals(i, s.intervals);
  if (s.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (s.time_zone.empty()) v.add("time_zone", "BlankValue", "Time zone: cannot be blank");
  if (!i.has("intervals")) {
    // Zendesk's default: Monday to Friday, 09:00-17:00.
    for (int d = 1; d <= 5; ++d) s.intervals.push_back({d * 1440 + 540, d * 1440 + 1020});
  }
  if (auto st = check_schedule(s, v); !st) return fail(st.error());
  return save_schedule(tx, s, true, p);
}

Result<Schedule> update_schedule(store::Tx& tx, Id id, const Json& in, const Principal& p) {
  if (auto st = require_admin(p); !st) return fail(st.error());
  auto s = read_schedule(tx.conn(), id);
  if (!s) return s;
  Validation v;
  JsonInput i(in, v);
  if (auto n = i.str("name", 255)) s->name = *n;
  if (auto z = i.str("time_zone", 64)) s->time_zone = *z;
  read_intervals(i, s->intervals);
  if (s->name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (auto st = check_schedule(*s, v); !st) return fail(st.error());
  return save_schedule(tx, *s, false, p);
}

Result<Schedule> update_workweek(store::Tx& tx, Id id, const Json& in, const Principal& p) {
  if (auto st = require_admin(p); !st) return fail(st.error());
  auto s = read_schedule(tx.conn(), id);
  if (!s) return s;
  Validation v;
  JsonInput i(in, v);
  if (!i.has("intervals")) v.add("intervals", "BlankValue", "Intervals: are required");
  read_intervals(i, s->intervals);
  if (auto st = check_schedule(*s, v); !st) return fail(st.error());
  return save_schedule(tx, *s, false, p);
}

Status delete_schedule(store::Tx& tx, Id id, const Principal& p) {
  if (auto st = require_admin(p); !st) return st;
  auto& conn = tx.conn();
  if (auto s = read_schedule(conn, id); !s) return fail(s.error());
  for (const char* sql : {"DELETE FROM business_holidays WHERE schedule_id = ?",
                          "UPDATE sla_policies SET schedule_id = NULL WHERE schedule_id = ?",
                          "DELETE FROM business_schedules WHERE id = ?"}) {
    if (auto r = conn.run(sql, {id}); !r) return fail(r.error());
  }
  return record(conn, p, "business_schedule.deleted", "business_schedule", id);
}

Result<std::vector<HolidayRecord>> list_holidays(store::Conn& conn, Id schedule_id,
                                                 const Principal& p) {
  if (auto st = require_staff(p); !st) return fail(st.error());
  if (auto s = read_schedule(conn, schedule_id); !s) return fail(s.error());
  std::vector<HolidayRecord> out;
  auto st = conn.each(std::string("SELECT ") + k_holiday_cols +
                          " FROM business_holidays WHERE schedule_id = ? ORDER BY start_date, id",
                      {schedule_id}, [&](const store::Row& r) { out.push_back(map_holiday(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<HolidayRecord> get_holiday(store::Conn& conn, Id schedule_id, Id id, const Principal& p) {
  if (auto st = require_staff(p); !st) return fail(st.error());
  std::optional<HolidayRecord> out;
  auto st = conn.each(std::string("SELECT ") + k_holiday_cols +
                          " FROM business_holidays WHERE schedule_id = ? AND id = ?",
                      {schedule_id, id}, [&](const store::Row& r) { out = map_holiday(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

Result<HolidayRecord> create_holiday(store::Tx& tx, Id schedule_id, const Json& in,
                                     const Principal& p) {
  if (auto st = require_admin(p); !st) return fail(st.error());
  auto& conn = tx.conn();
  if (auto s = read_schedule(conn, schedule_id); !s) return fail(s.error());
  HolidayRecord h;
  h.schedule_id = schedule_id;
  if (auto st = read_holiday(in, h, true); !st) return fail(st.error());
  auto n =
      conn.scalar("SELECT COUNT(*) FROM business_holidays WHERE schedule_id = ?", {schedule_id});
  if (!n) return fail(n.error());
  if (n->value_or(0) >= static_cast<int64_t>(k_max_holidays))
    return fail(
        Error::field("base", "InvalidValue",
                     "Holidays: at most " + std::to_string(k_max_holidays) + " per schedule"));
  h.created_at = h.updated_at = now_epoch();
  auto r = conn.run(
      "INSERT INTO business_holidays(schedule_id, name, start_date, end_date, created_at, "
      "updated_at) VALUES (?,?,?,?,?,?)",
      {schedule_id, h.name, h.start_date, h.end_date, h.created_at, h.updated_at});
  if (!r) return fail(r.error());
  h.id = conn.last_insert_id();
  if (auto st = record(conn, p, "business_schedule.updated", "business_schedule", schedule_id,
                       {{"holiday_id", h.id}});
      !st)
    return fail(st.error());
  return h;
}

Result<HolidayRecord> update_holiday(store::Tx& tx, Id schedule_id, Id id, const Json& in,
                                     const Principal& p) {
  if (auto st = require_admin(p); !st) return fail(st.error());
  auto h = get_holiday(tx.conn(), schedule_id, id, p);
  if (!h) return h;
  if (auto st = read_holiday(in, *h, false); !st) return fail(st.error());
  h->updated_at = now_epoch();
  auto r = tx.conn().run(
      "UPDATE business_holidays SET name = ?, start_date = ?, end_date = ?, updated_at = ? WHERE "
      "id = ?",
      {h->name, h->start_date, h->end_date, h->updated_at, id});
  if (!r) return fail(r.error());
  if (auto st = record(tx.conn(), p, "business_schedule.updated", "business_schedule", schedule_id,
                       {{"holiday_id", id}});
      !st)
    return fail(st.error());
  return h;
}

Status delete_holiday(store::Tx& tx, Id schedule_id, Id id, const Principal& p) {
  if (auto st = require_admin(p); !st) return st;
  if (auto h = get_holiday(tx.conn(), schedule_id, id, p); !h) return fail(h.error());
  if (auto r = tx.conn().run("DELETE FROM business_holidays WHERE id = ?", {id}); !r)
    return fail(r.error());
  return record(tx.conn(), p, "business_schedule.updated", "business_schedule", schedule_id,
                {{"holiday_id", id}});
}

Result<Calendar> load_calendar(store::Conn& conn, std::optional<Id> id) {
  std::optional<Schedule> s;
  auto st = id ? conn.each(std::string("SELECT ") + k_schedule_cols +
                               " FROM business_schedules WHERE id = ?",
                           {*id}, [&](const store::Row& r) { s = map_schedule(r); })
               : conn.each(std::string("SELECT ") + k_schedule_cols +
                               " FROM business_schedules ORDER BY id LIMIT 1",
                           {}, [&](const store::Row& r) { s = map_schedule(r); });
  if (!st) return fail(st.error());
  if (!s) return Calendar::always_open();
  std::vector<Holiday> holidays;
  auto hs = conn.each("SELECT start_date, end_date FROM business_holidays WHERE schedule_id = ?",
                      {s->id}, [&](const store::Row& r) {
                        auto a = parse_date(r.text(0)), b = parse_date(r.text(1));
                        if (a && b && *a <= *b) holidays.push_back({*a, *b});
                      });
  if (!hs) return fail(hs.error());
  return Calendar::make(s->time_zone, s->intervals, std::move(holidays));
}

// ---- policies ----

Result<std::vector<Policy>> all_policies(store::Conn& conn) {
  std::vector<Policy> out;
  auto st =
      conn.each(std::string("SELECT ") + k_policy_cols + " FROM sla_policies ORDER BY position, id",
                {}, [&](const store::Row& r) { out.push_back(map_policy(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<std::vector<Policy>> list_policies(store::Conn& conn, const Principal& p) {
  if (auto st = require_staff(p); !st) return fail(st.error());
  return all_policies(conn);
}

Result<Policy> get_policy(store::Conn& conn, Id id, const Principal& p) {
  if (auto st = require_staff(p); !st) return fail(st.error());
  return read_policy(conn, id);
}

Result<Policy> create_policy(store::Tx& tx, const Json& in, const Principal& who) {
  if (auto st = require_admin(who); !st) return fail(st.error());
  Policy p;
  std::optional<int64_t> position;
  if (auto st = read_policy_input(tx.conn(), in, p, true, position); !st) return fail(st.error());
  return save_policy(tx, p, true, position, who);
}

Result<Policy> update_policy(store::Tx& tx, Id id, const Json& in, const Principal& who) {
  if (auto st = require_admin(who); !st) return fail(st.error());
  auto p = read_policy(tx.conn(), id);
  if (!p) return p;
  std::optional<int64_t> position;
  if (auto st = read_policy_input(tx.conn(), in, *p, false, position); !st) return fail(st.error());
  return save_policy(tx, *p, false, position, who);
}

Status delete_policy(store::Tx& tx, Id id, const Principal& who) {
  if (auto st = require_admin(who); !st) return st;
  auto& conn = tx.conn();
  if (auto p = read_policy(conn, id); !p) return fail(p.error());
  if (auto r = conn.run("DELETE FROM sla_policies WHERE id = ?", {id}); !r) return fail(r.error());
  auto order = policy_order(conn);
  if (!order) return fail(order.error());
  if (auto st = write_positions(conn, *order); !st) return st;
  return record(conn, who, "sla_policy.deleted", "sla_policy", id);
}

Result<std::vector<Policy>> reorder_policies(store::Tx& tx, const Json& in, const Principal& who) {
  if (auto st = require_admin(who); !st) return fail(st.error());
  auto& conn = tx.conn();
  Validation v;
  JsonInput i(in, v);
  auto ids = i.integers("sla_policy_ids");
  auto current = policy_order(conn);
  if (!current) return fail(current.error());
  if (!ids) {
    v.add("sla_policy_ids", "BlankValue", "Sla policy ids: are required");
    return fail(v.error());
  }
  auto a = *ids, b = *current;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b) {
    v.add("sla_policy_ids", "InvalidValue", "Sla policy ids: must list every policy exactly once");
    return fail(v.error());
  }
  if (auto st = write_positions(conn, *ids); !st) return fail(st.error());
  if (auto st =
          record(conn, who, "sla_policy.reordered", "sla_policy", 0, {{"sla_policy_ids", *ids}});
      !st)
    return fail(st.error());
  return all_policies(conn);
}

}  // namespace rapport::sla
