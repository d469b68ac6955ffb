#include <rapport/planning/people.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>

#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::planning {

namespace {

constexpr const char* k_activities[] = {"work", "break", "training", "coaching", "meeting"};

bool valid_activity(const std::string& a) {
  return std::find(std::begin(k_activities), std::end(k_activities), a) != std::end(k_activities);
}

// ---- sets of time blocks [start, end), sorted and disjoint ----
using Blocks = std::vector<std::pair<int64_t, int64_t>>;

Blocks merged(Blocks b) {
  std::sort(b.begin(), b.end());
  Blocks out;
  for (const auto& x : b) {
    if (x.second <= x.first) continue;
    if (!out.empty() && x.first <= out.back().second)
      out.back().second = std::max(out.back().second, x.second);
    else
      out.push_back(x);
  }
  return out;
}

Blocks intersect(const Blocks& a, const Blocks& b) {
  Blocks out;
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t lo = std::max(a[i].first, b[j].first), hi = std::min(a[i].second, b[j].second);
    if (lo < hi) out.emplace_back(lo, hi);
    (a[i].second < b[j].second) ? ++i : ++j;
  }
  return out;
}

Blocks subtract(const Blocks& a, const Blocks& b) {
  Blocks out;
  std::size_t j = 0;
  for (auto [lo, hi] : a) {
    while (j < b.size() && b[j].second <= lo) ++j;
    std::size_t k = j;
    while (k < b.size() && b[k].first < hi) {
      if (b[k].first > lo) out.emplace_back(lo, b[k].first);
      lo = std::max(lo, b[k].second);
      ++k;
    }
    if (lo < hi) out.emplace_back(lo, hi);
  }
  return out;
}

double total(const Blocks& b) {
  double s = 0;
  for (const auto& x : b) s += static_cast<double>(x.second - x.first);
  return s;
}

// A small RFC 4180 reader (quoted fields, doubled quotes, CRLF): no CSV library is packaged in
// Debian for C++, and schedules need nothing more.
std::vector<std::vector<std::string>> csv_rows(const std::string& text, std::vector<int>& line_of) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  int line = 1, row_line = 1;
  auto end_row = [&] {
    row.push_back(std::move(cell));
    cell.clear();
    if (any || row.size() > 1 || !row[0].empty()) {
      rows.push_back(std::move(row));
      line_of.push_back(row_line);
    }
    row.clear();
    any = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"')
        cell += '"', ++i;
      else if (ch == '"')
        quoted = false;
      else {
        if (ch == '\n') ++line;
        cell += ch;
      }
    } else if (ch == '"') {
      quoted = any = true;
    } else if (ch == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      row_line = ++line;
    } else {
      cell += ch;
    }
  }
  if (!cell.empty() || !row.empty()) end_row();
  return rows;
}

struct AgentInfo {
  int64_t id = 0;
  std::string name;
  std::optional<int64_t> team_lead_id, site_id, hired_at;
};

Result<std::map<std::string, int64_t>> agent_ids_by_email(store::Conn& conn) {
  std::map<std::string, int64_t> out;
  auto st = conn.each(
      "SELECT email_key, id FROM users WHERE role IN ('agent', 'admin') AND active = 1 AND "
      "email_key IS NOT NULL",
      {}, [&](const store::Row& r) { out[r.text(0)] = r.i64(1); });
  if (!st) return fail(st.error());
  return out;
}

Result<std::set<int64_t>> agent_id_set(store::Conn& conn) {
  std::set<int64_t> out;
  auto st = conn.each("SELECT id FROM users WHERE role IN ('agent', 'admin') AND active = 1", {},
                      [&](const store::Row& r) { out.insert(r.i64(0)); });
  if (!st) return fail(st.error());
  return out;
}

// The checks both import forms share; `where` names the row ("line 3", "shifts[2]").
void check_shift(const Shift& s, const std::string& where, Validation& v) {
  if (s.ends_at <= s.starts_at)
    v.add(where, "InvalidValue", where + ": ends_at must be after starts_at");
  else if (s.ends_at - s.starts_at > k_max_shift_seconds)
    v.add(where, "InvalidValue", where + ": a shift block is at most 16 hours");
  if (!valid_activity(s.activity))
    v.add(where, "InvalidValue",
          where + ": activity must be work, break, training, coaching or meeting (got '" +
              s.activity.substr(0, 32) + "')");
}

// Overlaps among the new shifts of one agent.
void check_overlaps(const std::vector<Shift>& shifts, const std::vector<std::string>& where,
                    Validation& v) {
  std::vector<std::size_t> order(shifts.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) {
    return std::tie(shifts[a].user_id, shifts[a].starts_at) <
           std::tie(shifts[b].user_id, shifts[b].starts_at);
  });
  for (std::size_t k = 1; k < order.size(); ++k) {
    const auto& a = shifts[order[k - 1]];
    const auto& b = shifts[order[k]];
    if (a.user_id == b.user_id && b.starts_at < a.ends_at)
      v.add(where[order[k]], "DuplicateValue",
            where[order[k]] + ": overlaps " + where[order[k - 1]] + " for the same agent");
  }
}

Shift map_shift(const store::Row& r) {
  return {r.i64(0), r.i64(1), r.i64(2), r.i64(3), r.text(4)};
}

}  // namespace

bool manages_people(const domain::Principal& who) {
  return who.is_admin() || (who.is_staff() && who.rapport_role == domain::RapportRole::manager);
}

Result<std::vector<Shift>> parse_schedule_csv(store::Conn& conn, const std::string& csv) {
  std::vector<int> line_of;
  auto rows = csv_rows(csv, line_of);
  if (rows.empty())
    return fail(Error::invalid(
        "the schedule file is empty; expected a header email,starts_at,ends_at,activity"));
  std::vector<std::string> header;
  for (auto& h : rows[0]) header.push_back(std::string(trim(h)));
  auto col = [&](const std::string& name) -> int {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  const int c_email = col("email"), c_start = col("starts_at"), c_end = col("ends_at"),
            c_act = col("activity");
  if (c_email < 0 || c_start < 0 || c_end < 0)
    return fail(Error::invalid(
        "line 1: the header must name email, starts_at and ends_at (and optionally activity)"));
  if (rows.size() - 1 > k_max_import_rows)
    return fail(Error::invalid("a schedule file is limited to 20000 rows (got " +
                               std::to_string(rows.size() - 1) + ")"));
  auto agents = agent_ids_by_email(conn);
  if (!agents) return fail(agents.error());
  Validation v;
  std::vector<Shift> out;
  std::vector<std::string> where;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const std::string at = "line " + std::to_string(line_of[i]);
    auto cell = [&](int c) {
      return c >= 0 && c < static_cast<int>(row.size()) ? std::string(trim(row[c])) : std::string();
    };
    if (row.size() != header.size()) {
      v.add(at, "InvalidValue",
            at + ": has " + std::to_string(row.size()) + " fields, the header has " +
                std::to_string(header.size()));
      continue;
    }
    Shift s;
    bool ok = true;
    std::string email = cell(c_email);
    std::transform(email.begin(), email.end(), email.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    if (auto it = agents->find(email); it != agents->end())
      s.user_id = it->second;
    else {
      v.add(at, "InvalidValue",
            at + ": no active agent has the email '" + email.substr(0, 100) + "'");
      ok = false;
    }
    auto start = parse_iso8601(cell(c_start)), end = parse_iso8601(cell(c_end));
    if (!start)
      v.add(at, "InvalidValue",
            at + ": starts_at '" + cell(c_start).substr(0, 40) +
                "' is not an ISO-8601 time like 2026-12-07T09:00:00+01:00"),
          ok = false;
    if (!end)
      v.add(at, "InvalidValue",
            at + ": ends_at '" + cell(c_end).substr(0, 40) +
                "' is not an ISO-8601 time like 2026-12-07T17:00:00+01:00"),
          ok = false;
    if (c_act >= 0 && !cell(c_act).empty()) s.activity = cell(c_act);
    if (!ok) continue;
    s.starts_at = *start;
    s.ends_at = *end;
    const auto before = v.ok();
    check_shift(s, at, v);
    if (before && !v.ok()) continue;
    out.push_back(s);
    where.push_back(at);
  }
  check_overlaps(out, where, v);
  if (!v.ok()) {
    Error e = v.error();
    e.message = "The schedule has errors; nothing was imported";
    return fail(e);
  }
  if (out.empty()) return fail(Error::invalid("the schedule file has a header but no shifts"));
  return out;
}

Result<std::vector<Shift>> parse_shifts_json(store::Conn& conn, const Json& shifts) {
  if (!shifts.is_array() || shifts.empty())
    return fail(Error::invalid("shifts must be a non-empty array"));
  if (shifts.size() > k_max_import_rows)
    return fail(Error::invalid("at most 20000 shifts at once"));
  auto agents = agent_id_set(conn);
  if (!agents) return fail(agents.error());
  Validation v;
  std::vector<Shift> out;
  std::vector<std::string> where;
  for (std::size_t i = 0; i < shifts.size(); ++i) {
    const std::string at = "shifts[" + std::to_string(i) + "]";
    const Json& j = shifts[i];
    Shift s;
    if (!j.is_object() || !j.contains("user_id") || !j["user_id"].is_number_integer() ||
        !agents->count(j["user_id"].get<int64_t>())) {
      v.add(at, "InvalidValue", at + ": user_id must be an active agent's id");
      continue;
    }
    s.user_id = j["user_id"].get<int64_t>();
    auto time_of = [&](const char* k) -> std::optional<int64_t> {
      return j.contains(k) && j[k].is_string() ? parse_iso8601(j[k].get<std::string>())
                                               : std::nullopt;
    };
    auto start = time_of("starts_at"), end = time_of("ends_at");
    if (!start || !end) {
      v.add(at, "InvalidValue", at + ": starts_at and ends_at must be ISO-8601 times");
      continue;
    }
    s.starts_at = *start;
    s.ends_at = *end;
    if (j.contains("activity") && j["activity"].is_string())
      s.activity = j["activity"].get<std::string>();
    const auto before = v.ok();
    check_shift(s, at, v);
    if (before && !v.ok()) continue;
    out.push_back(s);
    where.push_back(at);
  }
  check_overlaps(out, where, v);
  if (!v.ok()) {
    Error e = v.error();
    e.message = "The shifts have errors; nothing was saved";
    return fail(e);
  }
  return out;
}

Result<int> import_shifts(store::Tx& tx, const domain::Principal& who,
                          const std::vector<Shift>& shifts) {
  if (!manages_people(who))
    return fail(Error::forbidden("schedules are imported by managers and admins"));
  auto& conn = tx.conn();
  const int64_t now = now_epoch();
  std::set<int64_t> agents;
  int64_t from = INT64_MAX, to = INT64_MIN;
  for (const auto& s : shifts) {
    auto clash = conn.scalar(
        "SELECT id FROM shifts WHERE user_id = ? AND starts_at < ? AND ends_at > ? LIMIT 1",
        {s.user_id, s.ends_at, s.starts_at});
    if (!clash) return fail(clash.error());
    if (*clash)
      return fail(Error::conflict("a shift of user " + std::to_string(s.user_id) + " from " +
                                  iso8601(s.starts_at) + " overlaps the existing shift " +
                                  std::to_string(**clash)));
    auto r = conn.run(
        "INSERT INTO shifts (user_id, starts_at, ends_at, activity, created_at) VALUES (?, ?, ?, "
        "?, ?)",
        {s.user_id, s.starts_at, s.ends_at, s.activity, now});
    if (!r) return fail(r.error());
    agents.insert(s.user_id);
    from = std::min(from, s.starts_at);
    to = std::max(to, s.ends_at);
  }
  events::Event e{"schedule.imported",
                  "schedule",
                  std::nullopt,
                  who.user_id,
                  who.token_id,
                  {{"shifts", shifts.size()},
                   {"agents", agents.size()},
                   {"from", iso8601(from)},
                   {"to", iso8601(to)}}};
  if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  return static_cast<int>(shifts.size());
}

Result<std::vector<Shift>> list_shifts(store::Conn& conn, std::optional<int64_t> user_id,
                                       int64_t from, int64_t to) {
  std::vector<Shift> out;
  auto st = conn.each(
      "SELECT id, user_id, starts_at, ends_at, activity FROM shifts WHERE starts_at < ? AND "
      "ends_at > ? "
      "AND (? IS NULL OR user_id = ?) ORDER BY starts_at, id LIMIT 10000",
      {to, from, user_id, user_id}, [&](const store::Row& r) { out.push_back(map_shift(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<Absence> record_absence(store::Tx& tx, const domain::Principal& who, const Json& in) {
  if (!manages_people(who) &&
      !(who.is_staff() && who.rapport_role == domain::RapportRole::team_lead))
    return fail(Error::forbidden("absences are recorded by team leads, managers and admins"));
  auto& conn = tx.conn();
  Validation v;
  Absence a;
  auto agents = agent_id_set(conn);
  if (!agents) return fail(agents.error());
  if (!in.contains("user_id") || !in["user_id"].is_number_integer() ||
      !agents->count(in["user_id"].get<int64_t>()))
    v.add("user_id", "InvalidValue", "User: must be an active agent's id");
  else
    a.user_id = in["user_id"].get<int64_t>();
  auto time_of = [&](const char* k) -> std::optional<int64_t> {
    return in.contains(k) && in[k].is_string() ? parse_iso8601(in[k].get<std::string>())
                                               : std::nullopt;
  };
  auto start = time_of("starts_at"), end = time_of("ends_at");
  if (!start) v.add("starts_at", "InvalidValue", "Starts at: must be an ISO-8601 time");
  if (!end) v.add("ends_at", "InvalidValue", "Ends at: must be an ISO-8601 time");
  if (start && end && *end <= *start)
    v.add("ends_at", "InvalidValue", "Ends at: must be after starts at");
  if (start && end && *end - *start > 366 * 86400)
    v.add("ends_at", "InvalidValue", "Ends at: an absence is at most a year");
  if (!in.contains("planned") || !in["planned"].is_boolean())
    v.add("planned", "InvalidValue",
          "Planned: must be true (vacation, booked leave) or false (sickness, no-show)");
  else
    a.planned = in["planned"].get<bool>();
  if (in.contains("reason")) {
    if (!in["reason"].is_string() || in["reason"].get<std::string>().size() > 500)
      v.add("reason", "InvalidValue", "Reason: at most 500 characters of text");
    else
      a.reason = in["reason"].get<std::string>();
  }
  if (!v.ok()) return fail(v.error());
  a.starts_at = *start;
  a.ends_at = *end;
  if (who.rapport_role == domain::RapportRole::team_lead && !manages_people(who)) {
    auto lead = conn.scalar("SELECT team_lead_id FROM users WHERE id = ?", {a.user_id});
    if (!lead) return fail(lead.error());
    if (*lead != who.user_id)
      return fail(Error::forbidden("team leads record absences of their own agents"));
  }
  const int64_t now = now_epoch();
  auto r = conn.run(
      "INSERT INTO absences (user_id, starts_at, ends_at, planned, reason, created_at, created_by) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {a.user_id, a.starts_at, a.ends_at, a.planned, a.reason, now, who.user_id});
  if (!r) return fail(r.error());
  auto id = conn.scalar("SELECT last_insert_rowid()");
  if (!id) return fail(id.error());
  a.id = id->value_or(0);
  events::Event e{"absence.recorded",
                  "user",
                  a.user_id,
                  who.user_id,
                  who.token_id,
                  {{"absence_id", a.id},
                   {"planned", a.planned},
                   {"starts_at", iso8601(a.starts_at)},
                   {"ends_at", iso8601(a.ends_at)}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return a;
}

Result<std::vector<Absence>> list_absences(store::Conn& conn, std::optional<int64_t> user_id,
                                           int64_t from, int64_t to) {
  std::vector<Absence> out;
  auto st = conn.each(
      "SELECT id, user_id, starts_at, ends_at, planned, reason FROM absences WHERE starts_at < ? "
      "AND ends_at > ? "
      "AND (? IS NULL OR user_id = ?) ORDER BY starts_at, id LIMIT 10000",
      {to, from, user_id, user_id}, [&](const store::Row& r) {
        out.push_back({r.i64(0), r.i64(1), r.i64(2), r.i64(3), r.i64(4) != 0, r.text(5)});
      });
  if (!st) return fail(st.error());
  return out;
}

Result<std::vector<PeopleRow>> people_report(store::Conn& conn, const domain::Principal& who,
                                             const PeopleQuery& q) {
  const bool lead = who.is_staff() && who.rapport_role == domain::RapportRole::team_lead;
  if (!manages_people(who) && !lead)
    return fail(Error::forbidden("people reports are for team leads, managers and admins"));
  if (q.to <= q.from || q.to - q.from > k_max_report_days * 86400)
    return fail(
        Error::invalid("from and to must give a period of at most 93 days, from before to"));
  if (q.by != "agent" && q.by != "team_lead" && q.by != "group" && q.by != "site")
    return fail(Error::invalid("by must be agent, team_lead, group or site"));
  if (!(q.aht_s > 0 && q.aht_s <= 86400)) return fail(Error::invalid("aht_s must be seconds > 0"));

  // The agents in scope: everyone for managers and admins; a team lead's own agents.
  std::map<int64_t, AgentInfo> agents;
  auto st = conn.each(
      "SELECT id, name, team_lead_id, site_id, hired_at FROM users WHERE role IN ('agent', "
      "'admin') AND active = 1"
      " AND (? IS NULL OR team_lead_id = ?) ORDER BY id",
      {lead && !manages_people(who) ? std::optional<int64_t>(who.user_id) : std::nullopt,
       lead && !manages_people(who) ? std::optional<int64_t>(who.user_id) : std::nullopt},
      [&](const store::Row& r) {
        agents[r.i64(0)] = {r.i64(0), r.text(1), r.opt_i64(2), r.opt_i64(3), r.opt_i64(4)};
      });
  if (!st) return fail(st.error());

  std::map<int64_t, Blocks> paid, work, planned_abs, unplanned_abs, online;
  const Blocks window{{q.from, q.to}};
  st = conn.each(
      "SELECT user_id, starts_at, ends_at, activity FROM shifts WHERE starts_at < ? AND ends_at > "
      "?",
      {q.to, q.from}, [&](const store::Row& r) {
        paid[r.i64(0)].emplace_back(r.i64(1), r.i64(2));
        if (r.text(3) == "work") work[r.i64(0)].emplace_back(r.i64(1), r.i64(2));
      });
  if (!st) return fail(st.error());
  st = conn.each(
      "SELECT user_id, starts_at, ends_at, planned FROM absences WHERE starts_at < ? AND ends_at > "
      "?",
      {q.to, q.from}, [&](const store::Row& r) {
        (r.i64(3) ? planned_abs : unplanned_abs)[r.i64(0)].emplace_back(r.i64(1), r.i64(2));
      });
  if (!st) return fail(st.error());

  // Online time from the presence events: the status at `from` is the `previous` of the agent's
  // first change at or after `from` (or the current status when there is none), then each change.
  for (const auto& [id, info] : agents) {
    std::string status = "offline";
    auto first = conn.scalar_text(
        "SELECT data FROM events WHERE entity = 'user' AND entity_id = ? AND kind = "
        "'agent.presence_changed' "
        "AND at >= ? ORDER BY id LIMIT 1",
        {id, q.from});
    if (!first) return fail(first.error());
    if (*first) {
      status = Json::parse(**first).value("previous", "offline");
    } else {
      auto cur = conn.scalar_text("SELECT status FROM agent_presence WHERE user_id = ?", {id});
      if (!cur) return fail(cur.error());
      status = cur->value_or("offline");
    }
    int64_t since = q.from;
    auto s2 = conn.each(
        "SELECT at, data FROM events WHERE entity = 'user' AND entity_id = ? AND kind = "
        "'agent.presence_changed' "
        "AND at >= ? AND at < ? ORDER BY id",
        {id, q.from, q.to}, [&](const store::Row& r) {
          if (status == "online") online[id].emplace_back(since, r.i64(0));
          status = Json::parse(r.text(1)).value("status", "offline");
          since = r.i64(0);
        });
    if (!s2) return fail(s2.error());
    if (status == "online") online[id].emplace_back(since, q.to);
  }

  std::map<int64_t, int64_t> handled;
  st = conn.each(
      "SELECT assignee_id, COUNT(*) FROM tickets WHERE solved_at >= ? AND solved_at < ? AND "
      "assignee_id IS NOT NULL "
      "AND deleted_at IS NULL GROUP BY assignee_id",
      {q.from, q.to}, [&](const store::Row& r) { handled[r.i64(0)] = r.i64(1); });
  if (!st) return fail(st.error());

  // Per agent.
  std::vector<PeopleRow> per_agent;
  for (const auto& [id, info] : agents) {
    PeopleRow row;
    row.key = "agent";
    row.id = id;
    row.name = info.name;
    row.agents = 1;
    const Blocks p = intersect(merged(paid[id]), window);
    const Blocks absent_u = intersect(merged(unplanned_abs[id]), p);
    const Blocks absent_p = intersect(merged(planned_abs[id]), p);
    const Blocks avail =
        subtract(subtract(intersect(merged(work[id]), window), merged(unplanned_abs[id])),
                 merged(planned_abs[id]));
    row.paid_s = total(p);
    row.unplanned_absence_s = total(absent_u);
    row.planned_absence_s = total(subtract(absent_p, absent_u));
    row.available_s = total(avail);
    row.online_s = total(intersect(merged(online[id]), avail));
    row.handled = handled.count(id) ? handled[id] : 0;
    if (info.hired_at) {
      const int64_t tenure_s = q.from - *info.hired_at;
      row.tenure_month =
          tenure_s < 0 ? 0
                       : static_cast<int>(tenure_s / static_cast<int64_t>(365.25 / 12 * 86400)) + 1;
      row.ramp_target = workforce::ramp_target(q.ramp, *row.tenure_month);
    }
    per_agent.push_back(row);
  }
  if (q.by == "agent") return per_agent;

  // Teams: sums of the agents' figures.
  std::map<int64_t, PeopleRow> teams;
  auto add = [&](int64_t key, const PeopleRow& a) {
    auto& t = teams[key];
    t.key = q.by;
    t.id = key;
    t.agents += 1;
    t.paid_s += a.paid_s;
    t.available_s += a.available_s;
    t.unplanned_absence_s += a.unplanned_absence_s;
    t.planned_absence_s += a.planned_absence_s;
    t.online_s += a.online_s;
    t.handled += a.handled;
  };
  std::multimap<int64_t, int64_t> groups_of;
  if (q.by == "group") {
    st = conn.each("SELECT user_id, group_id FROM group_memberships", {},
                   [&](const store::Row& r) { groups_of.emplace(r.i64(0), r.i64(1)); });
    if (!st) return fail(st.error());
  }
  for (const auto& a : per_agent) {
    const auto& info = agents[a.id];
    if (q.by == "team_lead")
      add(info.team_lead_id.value_or(0), a);
    else if (q.by == "site")
      add(info.site_id.value_or(0), a);
    else {
      auto [lo, hi] = groups_of.equal_range(a.id);
      if (lo == hi) add(0, a);
      for (auto it = lo; it != hi; ++it) add(it->second, a);
    }
  }
  const char* name_sql = q.by == "team_lead" ? "SELECT name FROM users WHERE id = ?"
                         : q.by == "site"    ? "SELECT name FROM sites WHERE id = ?"
                                             : "SELECT name FROM groups WHERE id = ?";
  std::vector<PeopleRow> out;
  for (auto& [key, t] : teams) {
    if (key != 0) {
      auto name = conn.scalar_text(name_sql, {key});
      if (!name) return fail(name.error());
      t.name = name->value_or("");
    } else {
      t.name = q.by == "team_lead" ? "(no team lead)" : q.by == "site" ? "(no site)" : "(no group)";
    }
    if (q.by == "team_lead" && key != 0) {
      auto span = conn.scalar(
          "SELECT COUNT(*) FROM users WHERE team_lead_id = ? AND active = 1 AND role IN ('agent', "
          "'admin')",
          {key});
      if (!span) return fail(span.error());
      t.span_of_control = static_cast<int>(span->value_or(0));
    }
    out.push_back(std::move(t));
  }
  return out;
}

Json to_json(const PeopleRow& r, double aht_s) {
  auto ratio = [](double num, double den) -> Json {
    return den > 0 ? Json(num / den) : Json(nullptr);
  };
  auto hours = [](double s) { return std::round(s / 36) / 100; };
  Json j = {
      {r.key == "agent" ? "user_id" : (r.key + "_id"), r.id == 0 ? Json(nullptr) : Json(r.id)},
      {"name", r.name},
      {"agents", r.agents},
      {"paid_hours", hours(r.paid_s)},
      {"available_hours", hours(r.available_s)},
      {"online_hours", hours(r.online_s)},
      {"unplanned_absence_hours", hours(r.unplanned_absence_s)},
      {"planned_absence_hours", hours(r.planned_absence_s)},
      {"absenteeism", ratio(r.unplanned_absence_s, r.paid_s)},
      {"shrinkage", ratio(r.paid_s - r.available_s, r.paid_s)},
      {"adherence", ratio(r.online_s, r.available_s)},
      {"handled", r.handled},
      {"utilization", ratio(static_cast<double>(r.handled) * aht_s, r.paid_s)}};
  if (r.key == "agent") {
    j["tenure_month"] = r.tenure_month ? Json(*r.tenure_month) : Json(nullptr);
    j["ramp_target"] = r.ramp_target ? Json(*r.ramp_target) : Json(nullptr);
  }
  if (r.key == "team_lead")
    j["span_of_control"] = r.span_of_control ? Json(*r.span_of_control) : Json(nullptr);
  return j;
}

Json to_json(const Shift& s) {
  return {{"id", s.id},
          {"user_id", s.user_id},
          {"starts_at", iso8601(s.starts_at)},
          {"ends_at", iso8601(s.ends_at)},
          {"activity", s.activity}};
}

Json to_json(const Absence& a) {
  return {{"id", a.id},
          {"user_id", a.user_id},
          {"starts_at", iso8601(a.starts_at)},
          {"ends_at", iso8601(a.ends_at)},
          {"planned", a.planned},
          {"reason", a.reason}};
}

}  // namespace rapport::planning
