// Workforce: the staffing calculator (the same inputs and output as `rapport staff --format
// json`), forecasts and staffing plans from the ticket history, peak hiring plans, agent
// presence, schedules (CSV and JSON), absences and the people report. docs/api.md has the
// contract, docs/workforce.md the methods.
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/planning/people.hpp>
#include <rapport/planning/planning.hpp>
#include <rapport/planning/presence.hpp>
#include <rapport/workforce/parse.hpp>
#include <rapport/workforce/staffing.hpp>

namespace rapport::http {

namespace {

void forecast_get(const CtxPtr& c) {
  if (!planning::can_read_forecasts(c->who))
    return c->api.reply_error(c, Error::forbidden("forecasts are for team leads, managers and admins"));
  auto q = planning::forecast_query([&](const std::string& key) { return c->param(key); });
  if (!q) return c->api.reply_error(c, q.error());
  with_read(c, [&](store::Conn& conn) {
    auto r = planning::forecast(conn, *q, now_epoch());
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"forecast", planning::to_json(*r)}});
  });
}

// A plan is computed, not stored: 200 with the plan, nothing written.
void plans_post(const CtxPtr& c) {
  if (!planning::can_plan(c->who))
    return c->api.reply_error(c, Error::forbidden("staffing plans are for managers and admins"));
  auto body = body_object(*c, "plan");
  if (!body) return c->api.reply_error(c, body.error());
  auto req = planning::plan_request(*body);
  if (!req) return c->api.reply_error(c, req.error());
  with_read(c, [&](store::Conn& conn) {
    auto r = planning::plan(conn, *req, now_epoch());
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"plan", planning::to_json(*r)}});
  });
}

void peak_post(const CtxPtr& c) {
  if (!planning::can_plan(c->who))
    return c->api.reply_error(c, Error::forbidden("peak plans are for managers and admins"));
  auto body = body_object(*c, "peak");
  if (!body) return c->api.reply_error(c, body.error());
  auto in = planning::peak_request(*body);
  if (!in) return c->api.reply_error(c, in.error());
  auto p = workforce::peak_plan(*in);
  if (!p) return c->api.reply_error(c, p.error());
  c->api.reply_json(c, 200, {{"peak", workforce::to_json(*p)}});
}

void presence_put(const CtxPtr& c) {
  auto body = body_object(*c, "presence");
  if (!body) return c->api.reply_error(c, body.error());
  if (!body->contains("status") || !(*body)["status"].is_string())
    return c->api.reply_error(
        c, Error::field("status", "BlankValue", "Status: must be online, away or offline"));
  const std::string status = (*body)["status"].get<std::string>();
  auto out = std::make_shared<planning::Presence>();
  c->api.write(
      c,
      [who = c->who, status, out](store::Tx& tx) -> Status {
        auto p = planning::set_presence(tx, who, status);
        if (!p) return fail(p.error());
        *out = *p;
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 200, {{"presence", planning::to_json(*out)}});
      });
}

void presence_list(const CtxPtr& c) {
  auto pr = page_request(*c, false);
  if (!pr) return c->api.reply_error(c, pr.error());
  std::optional<std::string> status;
  if (auto s = c->param("status"); s && !s->empty()) status = *s;
  with_read(c, [&](store::Conn& conn) {
    auto page = planning::list_presence(conn, c->who, status, *pr);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<planning::Presence>(c, "agent_presence", *page, *pr,
                                   [](const planning::Presence& p) { return planning::to_json(p); });
  });
}

// ---- people: schedules, absences, reports ----

// `from` and `to` as ISO-8601 dates or times; the period defaults to the last 7 days.
Result<std::pair<int64_t, int64_t>> period(const Ctx& c) {
  auto from = period_param(c, "from"), to = period_param(c, "to");
  if (!from) return fail(from.error());
  if (!to) return fail(to.error());
  const int64_t end = to->value_or(now_epoch());
  const int64_t start = from->value_or(end - 7 * 86400);
  if (end <= start || end - start > planning::k_max_report_days * 86400)
    return fail(Error::invalid("from and to must give a period of at most 93 days, from before to"));
  return std::pair{start, end};
}

template <typename T>
Result<std::optional<int64_t>> user_filter(const T& c) {
  auto v = c->param("user_id");
  if (!v || v->empty()) return std::optional<int64_t>();
  auto id = parse_int(*v);
  if (!id) return fail(Error::invalid("user_id must be an id"));
  return std::optional<int64_t>(*id);
}

void import_reply(const CtxPtr& c, Result<std::vector<planning::Shift>> shifts) {
  if (!shifts) return c->api.reply_error(c, shifts.error());
  auto count = std::make_shared<int>(0);
  c->api.write(
      c,
      [who = c->who, shifts = std::move(*shifts), count](store::Tx& tx) -> Status {
        auto n = planning::import_shifts(tx, who, shifts);
        if (!n) return fail(n.error());
        *count = *n;
        return {};
      },
      [c, count](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 201, {{"imported", *count}});
      });
}

void schedules_import(const CtxPtr& c) {
  if (!planning::manages_people(c->who))
    return c->api.reply_error(c, Error::forbidden("schedules are imported by managers and admins"));
  const std::string body = c->req.body();
  if (!valid_utf8(body)) return c->api.reply_error(c, Error::invalid("The schedule file is not valid UTF-8"));
  with_read(c, [&](store::Conn& conn) { import_reply(c, planning::parse_schedule_csv(conn, body)); });
}

void shifts_post(const CtxPtr& c) {
  if (!planning::manages_people(c->who))
    return c->api.reply_error(c, Error::forbidden("schedules are entered by managers and admins"));
  const auto& raw = c->req.body();
  const int depth = static_cast<int>(c->api.config().max_json_depth);
  if (!valid_utf8(raw) || json_depth(raw, depth) > depth)
    return c->api.reply_error(c, Error::invalid("The request body is not valid UTF-8 JSON within the nesting limit"));
  Json j;
  try {
    j = Json::parse(raw);
  } catch (const Json::parse_error&) {
    return c->api.reply_error(c, Error::invalid("The request body must be a JSON object with a \"shifts\" array"));
  }
  if (!j.is_object() || !j.contains("shifts"))
    return c->api.reply_error(c, Error::invalid("The request body must be a JSON object with a \"shifts\" array"));
  with_read(c, [&](store::Conn& conn) { import_reply(c, planning::parse_shifts_json(conn, j["shifts"])); });
}

void shifts_get(const CtxPtr& c) {
  if (!planning::can_read_forecasts(c->who)) return c->api.reply_error(c, Error::forbidden());
  auto p = period(*c);
  if (!p) return c->api.reply_error(c, p.error());
  auto user = user_filter(c);
  if (!user) return c->api.reply_error(c, user.error());
  with_read(c, [&](store::Conn& conn) {
    auto list = planning::list_shifts(conn, *user, p->first, p->second);
    if (!list) return c->api.reply_error(c, list.error());
    Json items = Json::array();
    for (const auto& s : *list) items.push_back(planning::to_json(s));
    c->api.reply_json(c, 200, {{"shifts", std::move(items)}});
  });
}

void absences_post(const CtxPtr& c) {
  auto body = body_object(*c, "absence");
  if (!body) return c->api.reply_error(c, body.error());
  auto out = std::make_shared<planning::Absence>();
  c->api.write(
      c,
      [who = c->who, in = *body, out](store::Tx& tx) -> Status {
        auto a = planning::record_absence(tx, who, in);
        if (!a) return fail(a.error());
        *out = *a;
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 201, {{"absence", planning::to_json(*out)}});
      });
}

void absences_get(const CtxPtr& c) {
  if (!planning::can_read_forecasts(c->who)) return c->api.reply_error(c, Error::forbidden());
  auto p = period(*c);
  if (!p) return c->api.reply_error(c, p.error());
  auto user = user_filter(c);
  if (!user) return c->api.reply_error(c, user.error());
  with_read(c, [&](store::Conn& conn) {
    auto list = planning::list_absences(conn, *user, p->first, p->second);
    if (!list) return c->api.reply_error(c, list.error());
    Json items = Json::array();
    for (const auto& a : *list) items.push_back(planning::to_json(a));
    c->api.reply_json(c, 200, {{"absences", std::move(items)}});
  });
}

void people_report(const CtxPtr& c) {
  auto p = period(*c);
  if (!p) return c->api.reply_error(c, p.error());
  planning::PeopleQuery q;
  q.from = p->first;
  q.to = p->second;
  if (auto by = c->param("by"); by && !by->empty()) q.by = *by;
  if (auto a = c->param("aht_s"); a && !a->empty()) {
    auto n = parse_int(*a);
    if (!n) return c->api.reply_error(c, Error::invalid("aht_s must be a whole number of seconds"));
    q.aht_s = static_cast<double>(*n);
  }
  if (auto r = c->param("ramp"); r && !r->empty()) {
    q.ramp.productivity.clear();
    for (const auto& part : split(*r, ',')) {
      char* end = nullptr;
      const std::string t{trim(part)};
      const double v = std::strtod(t.c_str(), &end);
      if (t.empty() || *end != '\0' || !(v > 0 && v <= 1) || q.ramp.productivity.size() >= 24)
        return c->api.reply_error(c, Error::invalid("ramp must be up to 24 fractions in (0, 1], e.g. 0.6,0.7,0.8"));
      q.ramp.productivity.push_back(v);
    }
  }
  with_read(c, [&](store::Conn& conn) {
    auto rows = planning::people_report(conn, c->who, q);
    if (!rows) return c->api.reply_error(c, rows.error());
    Json items = Json::array();
    for (const auto& r : *rows) items.push_back(planning::to_json(r, q.aht_s));
    c->api.reply_json(c, 200, {{"people", {{"from", iso8601(q.from)}, {"to", iso8601(q.to)}, {"by", q.by}, {"aht_s", q.aht_s}, {"rows", std::move(items)}}}});
  });
}

}  // namespace

void register_workforce_routes(Api& api) {
  api.add("POST", "/api/v2/workforce/schedules/import", AuthMode::required, schedules_import);
  api.add("POST", "/api/v2/workforce/shifts", AuthMode::required, shifts_post);
  api.add("GET", "/api/v2/workforce/shifts", AuthMode::required, shifts_get);
  api.add("POST", "/api/v2/workforce/absences", AuthMode::required, absences_post);
  api.add("GET", "/api/v2/workforce/absences", AuthMode::required, absences_get);
  api.add("GET", "/api/v2/workforce/reports/people", AuthMode::required, people_report);
  api.add("GET", "/api/v2/workforce/forecast", AuthMode::required, forecast_get);
  api.add("POST", "/api/v2/workforce/plans", AuthMode::required, plans_post);
  api.add("POST", "/api/v2/workforce/peak", AuthMode::required, peak_post);
  api.add("PUT", "/api/v2/agents/me/presence", AuthMode::required, presence_put);
  api.add("GET", "/api/v2/agents/presence", AuthMode::required, presence_list);
  api.add("GET", "/api/v2/workforce/staffing", AuthMode::required, [](const CtxPtr& c) {
    if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
    workforce::StaffingArgs a;
    auto take = [&](const char* key, std::string& field) {
      if (auto v = c->param(key)) field = *v;
    };
    take("volume", a.volume);
    take("interval", a.interval);
    take("aht", a.aht);
    take("target", a.target);
    take("asa", a.asa);
    take("shrinkage", a.shrinkage);
    take("patience", a.patience);
    take("concurrency", a.concurrency);
    take("channel", a.channel);
    if (auto r = c->param("rows")) {
      auto n = parse_int(*r);
      if (!n) return c->api.reply_error(c, Error::invalid("rows: must be an integer"));
      a.rows = static_cast<int>(*n);
    }
    auto in = workforce::staffing_input(a);
    if (!in) return c->api.reply_error(c, in.error());
    auto table = workforce::staffing_table(*in);
    if (!table) return c->api.reply_error(c, table.error());
    // Exactly the JSON of `rapport staff --format json`, so one script reads both.
    c->api.reply_json(c, 200, workforce::to_json(*table));
  });
}

}  // namespace rapport::http
