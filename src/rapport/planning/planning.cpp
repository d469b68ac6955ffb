#include <rapport/planning/planning.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <exception>

#include <date/date.h>
#include <date/tz.h>

#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>

namespace rapport::planning {

namespace {

constexpr int64_t k_day_s = 86400;

int64_t floor_div(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// 1970-01-01 was a Thursday: weekday 3 with Monday = 0.
int weekday_of_local_day(int64_t day) {
  return static_cast<int>(((day + 3) % 7 + 7) % 7);
}

Result<const date::time_zone*> zone_named(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return fail(Error::invalid("time_zone must be an IANA zone name such as Europe/Berlin"));
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return fail(Error::invalid("time_zone: unknown IANA zone '" + name + "'"));
  }
}

int64_t local_seconds(const date::time_zone* z, int64_t t) {
  return z->to_local(date::sys_seconds{std::chrono::seconds{t}}).time_since_epoch().count();
}

// The UTC instant of a local midnight; a midnight that does not exist (a DST gap at 00:00) is the
// first instant after the gap.
int64_t sys_of_local_midnight(const date::time_zone* z, int64_t local_day) {
  const date::local_seconds l{std::chrono::seconds{local_day * k_day_s}};
  return z->to_sys(l, date::choose::earliest).time_since_epoch().count();
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> parse_weekday(std::string_view s) {
  static const char* names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                "friday", "saturday", "sunday"};
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (int i = 0; i < 7; ++i)
    if (lower == names[i] || lower == std::string(names[i]).substr(0, 3)) return i;
  return std::nullopt;
}

Result<int> interval_minutes_of(const std::string& s) {
  const std::string t{trim(s)};
  if (t == "15m" || t == "15") return 15;
  if (t == "30m" || t == "30") return 30;
  if (t == "60m" || t == "60" || t == "1h") return 60;
  return fail(Error::invalid("interval must be 15m, 30m or 60m (got '" + t + "')"));
}

Status check_ranges(const ForecastQuery& q) {
  if (q.history_weeks < 1 || q.history_weeks > k_max_history_weeks)
    return fail(Error::invalid("history_weeks must be a whole number from 1 to 104"));
  if (q.weeks < 1 || q.weeks > k_max_forecast_weeks)
    return fail(Error::invalid("weeks must be a whole number from 1 to 26"));
  if (q.holdout_weeks < 0 || q.holdout_weeks > workforce::k_max_holdout_weeks)
    return fail(Error::invalid("holdout_weeks must be a whole number from 0 to 8"));
  if (!(q.level >= 0.5 && q.level <= 0.99))
    return fail(Error::invalid("level must be a fraction from 0.5 to 0.99"));
  if (q.channel && (q.channel->empty() || q.channel->size() > 64))
    return fail(Error::invalid("channel must be a channel name such as email, web or api"));
  if (q.holidays.size() > 366) return fail(Error::invalid("at most 366 holidays"));
  if (auto z = zone_named(q.time_zone); !z) return fail(z.error());
  return {};
}

// "2026-12-25", "2026-12-25:0.3", "2026-12-25:0.3:sunday".
Result<HolidaySpec> holiday_of(std::string_view text) {
  const auto parts = split(std::string(trim(text)), ':');
  HolidaySpec h;
  auto day = parts.empty() ? std::nullopt : parse_local_date(std::string(trim(parts[0])));
  if (!day || parts.size() > 3)
    return fail(Error::invalid("holidays: '" + std::string(text) +
                               "' is not DATE[:FACTOR[:WEEKDAY]], e.g. 2026-12-25:0.3:sunday"));
  h.local_day = *day;
  if (parts.size() >= 2) {
    auto f = parse_number(parts[1]);
    if (!f || *f < 0 || *f > 100)
      return fail(Error::invalid("holidays: the factor in '" + std::string(text) +
                                 "' must be a number from 0 to 100"));
    h.factor = *f;
  }
  if (parts.size() == 3) {
    auto w = parse_weekday(trim(parts[2]));
    if (!w)
      return fail(Error::invalid("holidays: the weekday in '" + std::string(text) +
                                 "' must be a day name such as sunday"));
    h.like_weekday = *w;
  }
  return h;
}

Json rounded(const std::vector<double>& v) {
  Json out = Json::array();
  for (double x : v) out.push_back(std::round(x * 1000) / 1000);
  return out;
}

Json accuracy_json(const std::optional<workforce::Accuracy>& a) {
  if (!a) return nullptr;
  auto opt = [](const std::optional<double>& x) -> Json { return x ? Json(*x) : Json(nullptr); };
  return {{"holdout_weeks", a->weeks},
          {"intervals", a->intervals},
          {"zero_actual_intervals", a->zero_actual_intervals},
          {"mape", opt(a->mape)},
          {"smape", a->smape},
          {"wape", opt(a->wape)}};
}

// Typed reads of JSON numbers that record every bad field.
class Fields {
 public:
  Fields(const Json& obj, Validation& v, std::string prefix = "")
      : m_obj(obj), m_v(v), m_prefix(std::move(prefix)) {}
  bool has(const char* key) const { return m_obj.contains(key) && !m_obj.at(key).is_null(); }
  std::optional<double> number(const char* key) {
    if (!has(key)) return std::nullopt;
    const Json& j = m_obj.at(key);
    if (!j.is_number()) return bad(key, "must be a number"), std::nullopt;
    return j.get<double>();
  }
  std::optional<int> whole(const char* key) {
    if (!has(key)) return std::nullopt;
    const Json& j = m_obj.at(key);
    if (!j.is_number_integer() || j.get<int64_t>() < -1'000'000 || j.get<int64_t>() > 1'000'000)
      return bad(key, "must be a whole number"), std::nullopt;
    return static_cast<int>(j.get<int64_t>());
  }
  std::optional<std::string> text(const char* key) {
    if (!has(key)) return std::nullopt;
    const Json& j = m_obj.at(key);
    if (!j.is_string() || j.get<std::string>().size() > 256)
      return bad(key, "must be a string"), std::nullopt;
    return j.get<std::string>();
  }
  const Json* object(const char* key) {
    if (!has(key)) return nullptr;
    if (!m_obj.at(key).is_object()) return bad(key, "must be an object"), nullptr;
    return &m_obj.at(key);
  }
  const Json* array(const char* key) {
    if (!has(key)) return nullptr;
    if (!m_obj.at(key).is_array()) return bad(key, "must be an array"), nullptr;
    return &m_obj.at(key);
  }
  void bad(const std::string& key, const std::string& what) {
    m_v.add(m_prefix + key, "InvalidValue", m_prefix + key + ": " + what);
  }

 private:
  const Json& m_obj;
  Validation& m_v;
  std::string m_prefix;
};

Result<workforce::StaffingTarget> target_of(const Json& t, Validation& v,
                                            const std::string& prefix) {
  Fields f(t, v, prefix);
  workforce::StaffingTarget out;
  out.service_level = f.number("service_level");
  out.asa_s = f.number("asa_s");
  if (auto th = f.number("threshold_s")) out.threshold_s = *th;
  if (out.service_level.has_value() == out.asa_s.has_value())
    f.bad("service_level", "give exactly one of service_level (with threshold_s) or asa_s");
  return out;
}

}  // namespace

bool can_plan(const domain::Principal& who) {
  return who.is_admin() || (who.is_staff() && who.rapport_role == domain::RapportRole::manager);
}

bool can_read_forecasts(const domain::Principal& who) {
  return can_plan(who) || (who.is_staff() && who.rapport_role == domain::RapportRole::team_lead);
}

std::string local_date(int64_t local_day) {
  const date::year_month_day ymd{date::sys_days{date::days{local_day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<int64_t> parse_local_date(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = parse_int(text.substr(0, 4)), m = parse_int(text.substr(5, 2)),
       d = parse_int(text.substr(8, 2));
  if (!y || !m || !d) return std::nullopt;
  const date::year_month_day ymd{date::year{static_cast<int>(*y)},
                                 date::month{static_cast<unsigned>(*m)},
                                 date::day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count();
}

Result<ForecastQuery> forecast_query(
    const std::function<std::optional<std::string>(const std::string&)>& param) {
  ForecastQuery q;
  if (auto v = param("channel"); v && !v->empty()) q.channel = *v;
  if (auto v = param("group_id"); v && !v->empty()) {
    auto id = parse_int(*v);
    if (!id) return fail(Error::invalid("group_id must be an id"));
    q.group_id = *id;
  }
  if (auto v = param("interval")) {
    auto m = interval_minutes_of(*v);
    if (!m) return fail(m.error());
    q.interval_minutes = *m;
  }
  if (auto v = param("time_zone"); v && !v->empty()) q.time_zone = *v;
  auto whole = [&](const char* key, int& out) -> Status {
    if (auto v = param(key)) {
      auto n = parse_int(*v);
      if (!n || *n < -1'000'000 || *n > 1'000'000)
        return fail(Error::invalid(std::string(key) + " must be a whole number"));
      out = static_cast<int>(*n);
    }
    return {};
  };
  for (auto [key, out] :
       {std::pair{"history_weeks", &q.history_weeks}, std::pair{"weeks", &q.weeks},
        std::pair{"holdout_weeks", &q.holdout_weeks}})
    if (auto ok = whole(key, *out); !ok) return fail(ok.error());
  if (auto v = param("level")) {
    auto x = parse_number(*v);
    if (!x) return fail(Error::invalid("level must be a fraction such as 0.8"));
    q.level = *x;
  }
  if (auto v = param("holidays"); v && !v->empty()) {
    if (v->size() > 16384) return fail(Error::invalid("holidays: too long"));
    for (const auto& part : split(*v, ',')) {
      auto h = holiday_of(part);
      if (!h) return fail(h.error());
      q.holidays.push_back(*h);
    }
  }
  if (auto ok = check_ranges(q); !ok) return fail(ok.error());
  return q;
}

Result<ForecastQuery> forecast_query(const Json& obj) {
  ForecastQuery q;
  Validation v;
  Fields f(obj, v);
  if (auto s = f.text("channel")) q.channel = *s;
  if (f.has("group_id")) {
    if (!obj["group_id"].is_number_integer())
      f.bad("group_id", "must be an id");
    else
      q.group_id = obj["group_id"].get<int64_t>();
  }
  if (auto s = f.text("interval")) {
    auto m = interval_minutes_of(*s);
    if (!m)
      f.bad("interval", "must be 15m, 30m or 60m");
    else
      q.interval_minutes = *m;
  }
  if (auto s = f.text("time_zone")) q.time_zone = *s;
  if (auto n = f.whole("history_weeks")) q.history_weeks = *n;
  if (auto n = f.whole("weeks")) q.weeks = *n;
  if (auto n = f.whole("holdout_weeks")) q.holdout_weeks = *n;
  if (auto x = f.number("level")) q.level = *x;
  if (const Json* hs = f.array("holidays")) {
    for (const auto& h : *hs) {
      if (!h.is_object() || !h.contains("date") || !h["date"].is_string()) {
        f.bad("holidays", "each must be an object with a date, e.g. {\"date\": \"2026-12-25\"}");
        break;
      }
      std::string spec = h["date"].get<std::string>();
      if (h.contains("factor") && h["factor"].is_number())
        spec += ":" + std::to_string(h["factor"].get<double>());
      else if (h.contains("like"))
        spec += ":1";
      if (h.contains("like") && h["like"].is_string()) spec += ":" + h["like"].get<std::string>();
      auto parsed = holiday_of(spec);
      if (!parsed) {
        f.bad("holidays", parsed.error().message);
        break;
      }
      q.holidays.push_back(*parsed);
    }
  }
  if (!v.ok()) return fail(v.error());
  if (auto ok = check_ranges(q); !ok) return fail(ok.error());
  return q;
}

Result<History> arrival_history(store::Conn& conn, const ForecastQuery& q, int64_t now) {
  auto zone = zone_named(q.time_zone);
  if (!zone) return fail(zone.error());
  const date::time_zone* z = *zone;
  History h;
  h.intervals_per_day = 1440 / q.interval_minutes;
  const int64_t today = floor_div(local_seconds(z, now), k_day_s);
  h.days = 7 * q.history_weeks;
  h.first_local_day = today - h.days;
  h.first_weekday = weekday_of_local_day(h.first_local_day);
  h.volume.assign(static_cast<std::size_t>(h.days) * h.intervals_per_day, 0);
  const int64_t from = sys_of_local_midnight(z, h.first_local_day);
  const int64_t to = sys_of_local_midnight(z, today);

  std::string sql =
      "SELECT created_at FROM tickets WHERE created_at >= ? AND created_at < ? AND deleted_at IS "
      "NULL";
  store::Params params{from, to};
  if (q.channel) {
    sql += " AND channel = ?";
    params.emplace_back(*q.channel);
  }
  if (q.group_id) {
    sql += " AND group_id = ?";
    params.emplace_back(*q.group_id);
  }
  const int64_t interval_s = int64_t{q.interval_minutes} * 60;
  auto st = conn.each(sql, params, [&](const store::Row& r) {
    const int64_t local = local_seconds(z, r.i64(0));
    const int64_t day = floor_div(local, k_day_s) - h.first_local_day;
    if (day < 0 || day >= h.days) return;  // cannot happen with the bounds above; be safe
    const int64_t slot = (local - floor_div(local, k_day_s) * k_day_s) / interval_s;
    h.volume[static_cast<std::size_t>(day * h.intervals_per_day + slot)] += 1;
  });
  if (!st) return fail(st.error());
  return h;
}

Result<ForecastResult> forecast(store::Conn& conn, const ForecastQuery& q, int64_t now) {
  auto hist = arrival_history(conn, q, now);
  if (!hist) return fail(hist.error());
  ForecastResult r;
  r.query = q;
  r.history = std::move(*hist);
  r.first_forecast_day = r.history.first_local_day + r.history.days;
  workforce::ForecastInput in;
  in.history = r.history.volume;
  in.intervals_per_day = r.history.intervals_per_day;
  in.first_weekday = r.history.first_weekday;
  in.horizon_days = 7 * q.weeks;
  in.holdout_weeks = q.holdout_weeks;
  in.interval_level = q.level;
  const int64_t last_day = r.first_forecast_day + in.horizon_days - 1;
  for (const auto& h : q.holidays) {
    if (h.local_day < r.history.first_local_day || h.local_day > last_day)
      return fail(Error::invalid(
          "holiday " + local_date(h.local_day) + " is outside the history and the forecast (" +
          local_date(r.history.first_local_day) + " to " + local_date(last_day) + ")"));
    in.holidays.push_back(
        {static_cast<int>(h.local_day - r.history.first_local_day), h.factor, h.like_weekday});
  }
  auto f = workforce::forecast_volume(in);
  if (!f) return fail(f.error());
  r.forecast = std::move(*f);
  return r;
}

Json to_json(const ForecastResult& r) {
  const auto& h = r.history;
  const int shown = std::min(h.days, k_chart_history_days);
  const std::vector<double> recent(
      h.volume.end() - static_cast<std::ptrdiff_t>(shown) * h.intervals_per_day, h.volume.end());
  const auto& f = r.forecast;
  return {{"channel", r.query.channel ? Json(*r.query.channel) : Json(nullptr)},
          {"group_id", r.query.group_id ? Json(*r.query.group_id) : Json(nullptr)},
          {"time_zone", r.query.time_zone},
          {"interval_minutes", r.query.interval_minutes},
          {"intervals_per_day", h.intervals_per_day},
          {"history",
           {{"start", local_date(h.first_local_day + h.days - shown)},
            {"days", shown},
            {"fitted_days", h.days},
            {"volume", rounded(recent)}}},
          {"start", local_date(r.first_forecast_day)},
          {"days", 7 * r.query.weeks},
          {"volume", rounded(f.volume)},
          {"lower", rounded(f.lower)},
          {"upper", rounded(f.upper)},
          {"level", f.level},
          {"accuracy", accuracy_json(f.accuracy)},
          {"model",
           {{"method",
             "Holt-Winters (additive, damped trend) on daily totals with a 7-day season; "
             "intraday profile per weekday from the last 8 ordinary weeks"},
            {"alpha", f.params.alpha},
            {"beta", f.params.beta},
            {"gamma", f.params.gamma},
            {"phi", f.params.phi},
            {"dispersion", std::round(f.dispersion * 1000) / 1000}}}};
}

Result<PlanRequest> plan_request(const Json& plan) {
  if (!plan.is_object()) return fail(Error::invalid("plan must be an object"));
  PlanRequest req;
  auto q = forecast_query(plan);
  if (!q) return fail(q.error());
  req.forecast = *q;
  Validation v;
  Fields f(plan, v);
  if (const Json* vol = f.array("volume")) {
    if (vol->size() > workforce::k_max_plan_intervals) {
      f.bad("volume", "at most 200000 intervals");
    } else {
      std::vector<double> values;
      values.reserve(vol->size());
      for (const auto& x : *vol) {
        if (!x.is_number()) {
          f.bad("volume", "must be an array of numbers");
          break;
        }
        values.push_back(x.get<double>());
      }
      req.volume = std::move(values);
    }
  }
  if (auto s = f.text("start")) {
    if (!parse_local_date(*s))
      f.bad("start", "must be a date like 2026-12-01");
    else
      req.start = *s;
  }
  auto& in = req.input;
  if (auto x = f.number("aht_s"))
    in.aht_s = *x;
  else
    f.bad("aht_s", "is required: the average handle time in seconds");
  if (const Json* t = f.object("target")) {
    if (auto tg = target_of(*t, v, "target.")) in.target = *tg;
  } else {
    in.target.service_level = 0.8;
    in.target.threshold_s = 20;
  }
  if (auto x = f.number("shrinkage")) in.shrinkage = *x;
  if (auto x = f.number("hours_per_fte_week")) in.hours_per_fte_week = *x;
  if (const Json* w = f.object("what_if")) {
    Fields wf(*w, v, "what_if.");
    if (auto x = wf.number("volume_change")) req.what_if.volume_change = *x;
    if (auto x = wf.number("aht_change_s")) req.what_if.aht_change_s = *x;
    if (auto x = wf.number("shrinkage")) req.what_if.shrinkage = *x;
    if (const Json* t = wf.object("target"))
      if (auto tg = target_of(*t, v, "what_if.target.")) req.what_if.target = *tg;
  }
  if (!v.ok()) return fail(v.error());
  return req;
}

Result<PlanResult> plan(store::Conn& conn, const PlanRequest& req, int64_t now) {
  PlanResult r;
  r.request = req;
  workforce::PlanInput in = req.input;
  in.intervals_per_day = 1440 / req.forecast.interval_minutes;
  if (req.volume) {
    in.volume = *req.volume;
    if (req.start) {
      r.first_day = *parse_local_date(*req.start);
    } else {
      auto zone = zone_named(req.forecast.time_zone);
      if (!zone) return fail(zone.error());
      r.first_day = floor_div(local_seconds(*zone, now), k_day_s);
    }
  } else {
    auto f = forecast(conn, req.forecast, now);
    if (!f) return fail(f.error());
    in.volume = f->forecast.volume;
    r.first_day = f->first_forecast_day;
    r.forecast = std::move(*f);
  }
  auto base = workforce::staffing_plan(in);
  if (!base) return fail(base.error());
  r.base = std::move(*base);
  if (req.what_if.any()) {
    auto changed = workforce::apply_what_if(in, req.what_if);
    if (!changed) return fail(changed.error());
    auto p = workforce::staffing_plan(*changed);
    if (!p) return fail(p.error());
    r.what_if = std::move(*p);
  }
  r.request.input = in;
  return r;
}

Json to_json(const PlanResult& r) {
  const auto& in = r.request.input;
  auto target_json = [](const workforce::StaffingTarget& t) {
    return t.service_level
               ? Json{{"service_level", *t.service_level}, {"threshold_s", t.threshold_s}}
               : Json{{"asa_s", *t.asa_s}};
  };
  Json out = {{"start", local_date(r.first_day)},
              {"days", static_cast<int64_t>(in.volume.size()) / in.intervals_per_day},
              {"time_zone", r.request.forecast.time_zone},
              {"interval_minutes", r.request.forecast.interval_minutes},
              {"intervals_per_day", in.intervals_per_day},
              {"inputs",
               {{"aht_s", in.aht_s},
                {"target", target_json(in.target)},
                {"shrinkage", in.shrinkage},
                {"hours_per_fte_week", in.hours_per_fte_week}}},
              {"volume", rounded(in.volume)},
              {"source", r.forecast ? "forecast" : "given"},
              {"forecast_accuracy",
               r.forecast ? accuracy_json(r.forecast->forecast.accuracy) : Json(nullptr)},
              {"base", workforce::to_json(r.base, in.intervals_per_day)},
              {"what_if", nullptr}};
  if (r.what_if) {
    const auto& w = r.request.what_if;
    Json changes = {{"volume_change", w.volume_change}, {"aht_change_s", w.aht_change_s}};
    changes["target"] = w.target ? target_json(*w.target) : Json(nullptr);
    changes["shrinkage"] = w.shrinkage ? Json(*w.shrinkage) : Json(nullptr);
    Json p = workforce::to_json(*r.what_if, in.intervals_per_day);
    p["changes"] = std::move(changes);
    p["fte_change"] = r.what_if->fte - r.base.fte;
    out["what_if"] = std::move(p);
  }
  // Agents per interval are whole numbers; traffic is noise for a client: keep the body small.
  out["base"].erase("traffic_erlangs");
  if (r.what_if) out["what_if"].erase("traffic_erlangs");
  return out;
}

Result<workforce::PeakInput> peak_request(const Json& peak) {
  if (!peak.is_object()) return fail(Error::invalid("peak must be an object"));
  workforce::PeakInput in;
  Validation v;
  Fields f(peak, v);
  if (auto x = f.number("current_agents"))
    in.current_agents = *x;
  else
    f.bad("current_agents", "is required: productive agents (FTE) today");
  if (auto x = f.number("required_at_peak"))
    in.required_at_peak = *x;
  else
    f.bad("required_at_peak", "is required: agents (FTE) needed at the peak");
  if (auto n = f.whole("weeks_to_peak"))
    in.weeks_to_peak = *n;
  else if (!f.has("weeks_to_peak"))
    f.bad("weeks_to_peak", "is required: weeks from now to the peak");
  if (auto n = f.whole("training_weeks")) in.ramp.training_weeks = *n;
  if (auto x = f.number("monthly_attrition")) in.monthly_attrition = *x;
  if (const Json* ramp = f.array("ramp")) {
    in.ramp.productivity.clear();
    for (const auto& x : *ramp) {
      if (!x.is_number()) {
        f.bad("ramp", "must be an array of fractions, e.g. [0.6, 0.7, 0.8]");
        break;
      }
      in.ramp.productivity.push_back(x.get<double>());
    }
  }
  if (!v.ok()) return fail(v.error());
  return in;
}

}  // namespace rapport::planning
