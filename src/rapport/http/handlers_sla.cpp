// Business hours and SLAs: Zendesk's business_hours/schedules (+ holidays, workweek) and
// slas/policies (+ reorder, definitions); Rapport's SLA report and queue; the tickets' `slas`
// sideload; and the test-only clock.
#include <rapport/base/json_input.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/http/sla_json.hpp>
#include <rapport/sla/admin.hpp>
#include <rapport/sla/tracker.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::http {

namespace {

Json schedule_json(const sla::Schedule& s, const std::string& base) {
  Json intervals = Json::array();
  for (const auto& i : s.intervals)
    intervals.push_back({{"start_time", i.start_minute}, {"end_time", i.end_minute}});
  auto zone = sla::find_zone(s.time_zone);
  return {{"id", s.id},
          {"url", base + "/api/v2/business_hours/schedules/" + std::to_string(s.id) + ".json"},
          {"name", s.name},
          {"time_zone", s.time_zone},
          {"iana_time_zone", zone ? Json(std::string(zone->name())) : Json(nullptr)},
          {"intervals", intervals},
          {"created_at", iso8601(s.created_at)},
          {"updated_at", iso8601(s.updated_at)}};
}

Json holiday_json(const sla::HolidayRecord& h, const std::string& base) {
  return {{"id", h.id},
          {"url", base + "/api/v2/business_hours/schedules/" + std::to_string(h.schedule_id) +
                      "/holidays/" + std::to_string(h.id) + ".json"},
          {"name", h.name},
          {"start_date", h.start_date},
          {"end_date", h.end_date}};
}

Json conditions_json(const std::vector<sla::Condition>& cs) {
  Json out = Json::array();
  for (const auto& c : cs)
    out.push_back({{"field", c.field}, {"operator", c.op}, {"value", c.value}});
  return out;
}

Json policy_json(const sla::Policy& p, const std::string& base) {
  Json metrics = Json::array();
  for (const auto& t : p.targets)
    metrics.push_back({{"priority", t.priority},
                       {"metric", t.metric},
                       {"target", t.target_seconds / 60},
                       {"target_in_seconds", t.target_seconds},
                       {"business_hours", t.business_hours}});
  Json esc = Json::object();
  if (p.escalation.priority) esc["priority"] = *p.escalation.priority;
  if (!p.escalation.add_tags.empty()) esc["add_tags"] = p.escalation.add_tags;
  if (p.escalation.group_id) esc["group_id"] = *p.escalation.group_id;
  return {{"id", p.id},
          {"url", base + "/api/v2/slas/policies/" + std::to_string(p.id) + ".json"},
          {"title", p.title},
          {"description", p.description},
          {"position", p.position},
          {"filter", {{"all", conditions_json(p.all)}, {"any", conditions_json(p.any)}}},
          {"policy_metrics", metrics},
          {"pause_statuses", p.pause_statuses},
          {"schedule_id", p.schedule_id ? Json(*p.schedule_id) : Json(nullptr)},
          {"escalation", esc},
          {"created_at", iso8601(p.created_at)},
          {"updated_at", iso8601(p.updated_at)}};
}


void write_status(const CtxPtr& c, store::Writer::Job job) {
  c->api.write(c, std::move(job), [c](Status st) {
    if (!st) return c->api.reply_error(c, st.error());
    c->api.reply(c, Response{bhttp::status::no_content, 11});
  });
}

// ---- schedules ----

void list_schedules(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto r = sla::list_schedules(conn, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    Json items = Json::array();
    for (const auto& s : *r) items.push_back(schedule_json(s, c->base));
    c->api.reply_json(c, 200, {{"schedules", items}});
  });
}

void show_schedule(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = sla::get_schedule(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"schedule", schedule_json(*r, c->base)}});
  });
}

void save_schedule(const CtxPtr& c, bool creating, bool workweek) {
  auto id = c->id_arg(0);
  if (!creating && !id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, workweek ? "workweek" : "schedule");
  if (!in) return c->api.reply_error(c, in.error());
  write_record<sla::Schedule>(
      c, creating ? 201 : 200, "schedule",
      [in = std::move(*in), who = c->who, creating, workweek, id = id.value_or(0)](store::Tx& tx) {
        if (creating) return sla::create_schedule(tx, in, who);
        if (workweek) return sla::update_workweek(tx, id, in, who);
        return sla::update_schedule(tx, id, in, who);
      },
      [base = c->base](const sla::Schedule& s) { return schedule_json(s, base); },
      "business_hours/schedules");
}

void delete_schedule(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  write_status(
      c, [who = c->who, id = *id](store::Tx& tx) { return sla::delete_schedule(tx, id, who); });
}

void list_holidays(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = sla::list_holidays(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    Json items = Json::array();
    for (const auto& h : *r) items.push_back(holiday_json(h, c->base));
    c->api.reply_json(c, 200, {{"holidays", items}});
  });
}

void show_holiday(const CtxPtr& c) {
  auto sid = c->id_arg(0), id = c->id_arg(1);
  if (!sid || !id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = sla::get_holiday(conn, *sid, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"holiday", holiday_json(*r, c->base)}});
  });
}

void save_holiday(const CtxPtr& c, bool creating) {
  auto sid = c->id_arg(0), id = c->id_arg(1);
  if (!sid || (!creating && !id)) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "holiday");
  if (!in) return c->api.reply_error(c, in.error());
  write_record<sla::HolidayRecord>(
      c, creating ? 201 : 200, "holiday",
      [in = std::move(*in), who = c->who, creating, sid = *sid,
       id = id.value_or(0)](store::Tx& tx) {
        if (creating) return sla::create_holiday(tx, sid, in, who);
        return sla::update_holiday(tx, sid, id, in, who);
      },
      [base = c->base](const sla::HolidayRecord& h) { return holiday_json(h, base); });
}

void delete_holiday(const CtxPtr& c) {
  auto sid = c->id_arg(0), id = c->id_arg(1);
  if (!sid || !id) return c->api.reply_error(c, Error::not_found());
  write_status(c, [who = c->who, sid = *sid, id = *id](store::Tx& tx) {
    return sla::delete_holiday(tx, sid, id, who);
  });
}

// ---- policies ----

void list_policies(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto r = sla::list_policies(conn, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    Json items = Json::array();
    for (const auto& p : *r) items.push_back(policy_json(p, c->base));
    c->api.reply_json(c, 200,
                      {{"sla_policies", items},
                       {"next_page", nullptr},
                       {"previous_page", nullptr},
                       {"count", items.size()}});
  });
}

void show_policy(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = sla::get_policy(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"sla_policy", policy_json(*r, c->base)}});
  });
}

void save_policy(const CtxPtr& c, bool creating) {
  auto id = c->id_arg(0);
  if (!creating && !id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "sla_policy");
  if (!in) return c->api.reply_error(c, in.error());
  write_record<sla::Policy>(
      c, creating ? 201 : 200, "sla_policy",
      [in = std::move(*in), who = c->who, creating, id = id.value_or(0)](store::Tx& tx) {
        if (creating) return sla::create_policy(tx, in, who);
        return sla::update_policy(tx, id, in, who);
      },
      [base = c->base](const sla::Policy& p) { return policy_json(p, base); }, "slas/policies");
}

void delete_policy(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  write_status(c,
               [who = c->who, id = *id](store::Tx& tx) { return sla::delete_policy(tx, id, who); });
}

void reorder_policies(const CtxPtr& c) {
  // Zendesk sends {"sla_policy_ids":[...]} at the top level, without a root object.
  const auto& body = c->req.body();
  if (!valid_utf8(body))
    return c->api.reply_error(c, Error::invalid("The request body is not valid UTF-8"));
  if (json_depth(body, 64) > 64)
    return c->api.reply_error(c, Error::invalid("The JSON is nested too deeply"));
  Json in = Json::parse(body, nullptr, false);
  if (in.is_discarded() || !in.is_object())
    return c->api.reply_error(
        c, Error::invalid("The request body must be a JSON object with \"sla_policy_ids\""));
  auto out = std::make_shared<std::vector<sla::Policy>>();
  c->api.write(
      c,
      [in = std::move(in), who = c->who, out](store::Tx& tx) -> Status {
        auto r = sla::reorder_policies(tx, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        Json items = Json::array();
        for (const auto& p : *out) items.push_back(policy_json(p, c->base));
        c->api.reply_json(c, 200, {{"sla_policies", items}, {"count", items.size()}});
      });
}

void definitions(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  c->api.reply_json(c, 200, {{"definitions", sla::condition_definitions()}});
}

// ---- report and queue ----

Json ratio(int64_t num, int64_t den) {
  return {{"numerator", num},
          {"denominator", den},
          {"percent", den ? Json(static_cast<double>(num) * 100.0 / static_cast<double>(den))
                          : Json(nullptr)}};
}

void report(const CtxPtr& c) {
  int64_t now = now_epoch();
  auto end = period_param(*c, "end"), start = period_param(*c, "start");
  if (!end) return c->api.reply_error(c, end.error());
  if (!start) return c->api.reply_error(c, start.error());
  int64_t to = end->value_or(now), from = start->value_or(to - 30 * 86400);
  if (to <= from) return c->api.reply_error(c, Error::invalid("end must be after start"));
  if (to - from > 366 * 86400)
    return c->api.reply_error(c, Error::invalid("a report covers at most 366 days"));
  auto group_by = c->param("group_by").value_or("policy");
  with_read(c, [&](store::Conn& conn) {
    auto rows = sla::report(conn, from, to, group_by, now, c->who);
    if (!rows) return c->api.reply_error(c, rows.error());
    Json out = Json::array();
    sla::ReportRow total;
    for (const auto& r : *rows) {
      Json row = {{"label", r.label},
                  {"achieved", r.achieved},
                  {"breached", r.breached},
                  {"active", r.active},
                  {"paused", r.paused},
                  {"total", r.achieved + r.breached + r.active + r.paused},
                  {"achievement", ratio(r.achieved, r.achieved + r.breached)}};
      if (group_by == "policy")
        row["policy_id"] = parse_int(r.key).value_or(0);
      else if (group_by == "group")
        row["group_id"] = r.key.empty() ? Json(nullptr) : Json(parse_int(r.key).value_or(0));
      else
        row["metric"] = r.key;
      out.push_back(row);
      total.achieved += r.achieved;
      total.breached += r.breached;
      total.active += r.active;
      total.paused += r.paused;
    }
    c->api.reply_json(
        c, 200,
        {{"sla_report",
          {{"start", iso8601(from)},
           {"end", iso8601(to)},
           {"group_by", group_by},
           {"rows", out},
           {"totals",
            {{"achieved", total.achieved},
             {"breached", total.breached},
             {"active", total.active},
             {"paused", total.paused},
             {"total", total.achieved + total.breached + total.active + total.paused},
             {"achievement", ratio(total.achieved, total.achieved + total.breached)}}}}}});
  });
}

void queue(const CtxPtr& c) {
  std::optional<int64_t> group;
  if (auto g = c->param("group_id"); g && !g->empty()) {
    group = parse_int(*g);
    if (!group) return c->api.reply_error(c, Error::invalid("group_id must be an id"));
  }
  int64_t limit = 100;
  if (auto l = c->param("limit"); l && !l->empty()) {
    auto v = parse_int(*l);
    if (!v || *v < 1 || *v > 100)
      return c->api.reply_error(c, Error::invalid("limit must be 1 to 100"));
    limit = *v;
  }
  with_read(c, [&](store::Conn& conn) {
    auto ids = sla::queue(conn, group, limit, c->who);
    if (!ids) return c->api.reply_error(c, ids.error());
    auto ts = tickets::tickets_by_ids(conn, *ids, c->who);
    if (!ts) return c->api.reply_error(c, ts.error());
    std::map<int64_t, const domain::Ticket*> by_id;
    for (const auto& t : *ts) by_id[t.id] = &t;
    Json items = Json::array();
    for (auto id : *ids)
      if (by_id.count(id)) items.push_back(to_json(*by_id[id], c->base));
    if (auto st = add_slas(conn, items); !st) return c->api.reply_error(c, st.error());
    c->api.reply_json(c, 200, {{"tickets", items}, {"count", items.size()}});
  });
}

// ---- the test-only clock ----

void set_clock(const CtxPtr& c) {
  if (!c->api.config().testing_clock) return c->api.reply_error(c, Error::not_found());
  if (!c->who.is_admin()) return c->api.reply_error(c, Error::forbidden());
  auto in = body_object(*c, "clock");
  if (!in) return c->api.reply_error(c, in.error());
  int64_t to = 0;
  if (in->contains("now") && !(*in)["now"].is_null()) {
    auto t =
        (*in)["now"].is_string() ? parse_iso8601((*in)["now"].get<std::string>()) : std::nullopt;
    if (!t)
      return c->api.reply_error(
          c, Error::field("now", "InvalidValue", "Now: must be an ISO-8601 time or null"));
    to = *t;
  }
  set_process_clock(to);
  // Recorded, and committed: the commit wakes the workers, whose timers read the new time.
  c->api.write(
      c,
      [to, who = c->who](store::Tx& tx) -> Status {
        events::Event e{"testing.clock_set", "system",     std::nullopt,
                        who.user_id,         who.token_id, {{"now", to}}};
        if (auto r = events::append(tx.conn(), e, now_epoch()); !r) return fail(r.error());
        return {};
      },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 200, {{"clock", {{"now", iso8601(now_epoch())}}}});
      });
}

Json metric_json(const sla::TicketSla& s, int64_t now) {
  auto stage = sla::stage_at(s, now);
  Json m = {{"metric", s.metric},
            {"instance", s.instance},
            {"stage", stage},
            {"breach_at", s.breach_at ? Json(iso8601(*s.breach_at)) : Json(nullptr)},
            {"fulfilled_at", s.fulfilled_at ? Json(iso8601(*s.fulfilled_at)) : Json(nullptr)},
            {"policy_id", s.policy_id},
            {"target", s.target_seconds / 60},
            {"business_hours", s.business_hours},
            {"days", nullptr},
            {"hours", nullptr},
            {"minutes", nullptr}};
  // Time left: until breach_at while the clock runs (negative once breached), or the clock time
  // still left while paused. Nothing for achieved targets.
  std::optional<int64_t> left;
  if ((stage == "active" || stage == "breached") && s.breach_at && !s.fulfilled_at)
    left = *s.breach_at - now;
  else if (stage == "paused")
    left = s.target_seconds - s.elapsed_seconds;
  if (left) {
    int64_t mins = *left / 60;
    m["days"] = mins / 1440;
    m["hours"] = (mins % 1440) / 60;
    m["minutes"] = mins % 60;
    m["seconds_left"] = *left;
  }
  return m;
}

}  // namespace

bool wants_slas(const Ctx& c) {
  for (const auto& v : c.params("include"))
    for (const auto& part : split(v, ','))
      if (trim(part) == "slas") return true;
  return false;
}

Status add_slas(store::Conn& conn, Json& tickets) {
  std::vector<int64_t> ids;
  for (const auto& t : tickets) ids.push_back(t.value("id", int64_t{0}));
  auto rows = sla::slas_for_tickets(conn, ids);
  if (!rows) return fail(rows.error());
  int64_t now = now_epoch();
  for (auto& t : tickets) {
    Json metrics = Json::array();
    const auto& list = (*rows)[t.value("id", int64_t{0})];
    // The current instance of each metric: the last one of its kind.
    for (std::size_t i = 0; i < list.size(); ++i)
      if (i + 1 == list.size() || list[i + 1].metric != list[i].metric)
        metrics.push_back(metric_json(list[i], now));
    t["slas"] = {{"policy_metrics", metrics}};
  }
  return {};
}

void register_sla_routes(Api& api) {
  auto R = AuthMode::required;
  const std::string s = "/api/v2/business_hours/schedules";
  api.add("GET", s, R, list_schedules);
  api.add("POST", s, R, [](const CtxPtr& c) { save_schedule(c, true, false); });
  api.add("GET", s + "/{}", R, show_schedule);
  api.add("PUT", s + "/{}", R, [](const CtxPtr& c) { save_schedule(c, false, false); });
  api.add("DELETE", s + "/{}", R, delete_schedule);
  api.add("PUT", s + "/{}/workweek", R, [](const CtxPtr& c) { save_schedule(c, false, true); });
  api.add("GET", s + "/{}/holidays", R, list_holidays);
  api.add("POST", s + "/{}/holidays", R, [](const CtxPtr& c) { save_holiday(c, true); });
  api.add("GET", s + "/{}/holidays/{}", R, show_holiday);
  api.add("PUT", s + "/{}/holidays/{}", R, [](const CtxPtr& c) { save_holiday(c, false); });
  api.add("DELETE", s + "/{}/holidays/{}", R, delete_holiday);

  const std::string p = "/api/v2/slas/policies";
  api.add("GET", p, R, list_policies);
  api.add("POST", p, R, [](const CtxPtr& c) { save_policy(c, true); });
  api.add("PUT", p + "/reorder", R, reorder_policies);
  api.add("GET", p + "/definitions", R, definitions);
  api.add("GET", p + "/{}", R, show_policy);
  api.add("PUT", p + "/{}", R, [](const CtxPtr& c) { save_policy(c, false); });
  api.add("DELETE", p + "/{}", R, delete_policy);

  api.add("GET", "/api/v2/slas/report", R, report);
  api.add("GET", "/api/v2/slas/queue", R, queue);
  api.add("PUT", "/api/v2/testing/clock", R, set_clock);
}

}  // namespace rapport::http
