#include <rapport/feedback/recognition.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::feedback {

namespace {

constexpr const char* k_reward_columns =
    "w.id, w.rating_id, w.agent_id, w.points, w.created_at, w.item, w.label, w.status, w.fulfilled_by, w.fulfilled_at, u.name";
constexpr const char* k_reward_from = "rewards w JOIN users u ON u.id = w.agent_id";

Reward map_reward(const store::Row& r) {
  Reward w;
  w.id = r.i64(0);
  w.rating_id = r.i64(1);
  w.agent_id = r.i64(2);
  w.points = r.i64(3);
  w.created_at = r.i64(4);
  w.item = r.text(5);
  w.label = r.text(6);
  w.status = r.text(7);
  w.fulfilled_by = r.opt_i64(8);
  w.fulfilled_at = r.opt_i64(9);
  w.agent_name = r.text(10);
  return w;
}

std::string first_name_of(const std::string& name) { return name.substr(0, name.find(' ')); }

double pct(int64_t a, int64_t b) { return b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0; }

}  // namespace

bool sees_all_feedback(const domain::Principal& p) {
  return p.is_admin() || (p.is_staff() && p.rapport_role != domain::RapportRole::none);
}

Json to_json(const Reaction& r) {
  return {{"id", r.id},          {"rating_id", r.rating_id}, {"author_id", r.author_id}, {"author_name", r.author_name},
          {"kind", r.kind},      {"body", r.body},           {"created_at", iso8601(r.created_at)}};
}

Result<Reaction> add_reaction(store::Tx& tx, int64_t rating_id, const Json& in, const domain::Principal& actor) {
  if (!sees_all_feedback(actor)) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto rating = get_rating(conn, rating_id, actor);
  if (!rating) return fail(rating.error());
  Validation v;
  JsonInput input(in, v);
  auto kind = input.str("kind", 16);
  auto body = input.str("body", 2000);
  if (!kind || (*kind != "praise" && *kind != "coaching")) v.add("kind", "InvalidValue", "Kind: must be praise or coaching");
  if (!body || trim(*body).empty()) v.add("body", "BlankValue", "Body: cannot be blank");
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  Reaction r;
  r.rating_id = rating_id;
  r.author_id = actor.user_id;
  r.kind = *kind;
  r.body = std::string(trim(*body));
  r.created_at = now;
  auto ins = conn.run("INSERT INTO rating_reactions(rating_id, author_id, kind, body, created_at) VALUES (?,?,?,?,?)",
                      {rating_id, actor.user_id, r.kind, r.body, now});
  if (!ins) return fail(ins.error());
  r.id = conn.last_insert_id();
  auto name = conn.scalar_text("SELECT name FROM users WHERE id = ?", {actor.user_id});
  if (!name) return fail(name.error());
  r.author_name = name->value_or("");
  events::Event e{"reaction.created", "rating_reaction", r.id, actor.user_id, actor.token_id,
                  {{"rating_id", rating_id}, {"kind", r.kind}, {"agent_id", rating->agent_id ? Json(*rating->agent_id) : Json(nullptr)},
                   {"group_id", rating->group_id ? Json(*rating->group_id) : Json(nullptr)},
                   {"site_id", rating->site_id ? Json(*rating->site_id) : Json(nullptr)},
                   {"score", rating->score}}};
  if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  return r;
}

Result<std::vector<Reaction>> reactions_for(store::Conn& conn, const std::vector<int64_t>& rating_ids) {
  std::vector<Reaction> out;
  if (rating_ids.empty()) return out;
  store::Params params;
  for (auto id : rating_ids) params.push_back(id);
  auto st = conn.each("SELECT x.id, x.rating_id, x.author_id, u.name, x.kind, x.body, x.created_at FROM rating_reactions x "
                      "JOIN users u ON u.id = x.author_id WHERE x.rating_id IN (" +
                          store::placeholders(rating_ids.size()) + ") ORDER BY x.id",
                      params, [&](const store::Row& r) {
                        out.push_back({r.i64(0), r.i64(1), r.i64(2), r.text(3), r.text(4), r.text(5), r.i64(6)});
                      });
  if (!st) return fail(st.error());
  return out;
}

Json to_json(const Reward& w) {
  return {{"id", w.id},
          {"rating_id", w.rating_id},
          {"agent_id", w.agent_id},
          {"agent_name", w.agent_name},
          {"item", w.item},
          {"label", w.label},
          {"points", w.points},
          {"status", w.status},
          {"fulfilled_by", w.fulfilled_by ? Json(*w.fulfilled_by) : Json(nullptr)},
          {"fulfilled_at", w.fulfilled_at ? Json(iso8601(*w.fulfilled_at)) : Json(nullptr)},
          {"created_at", iso8601(w.created_at)}};
}

Result<std::optional<Reward>> choose_reward(store::Tx& tx, const std::string& secret, const std::string& token,
                                            const std::string& item, bool share_publicly) {
  auto& conn = tx.conn();
  auto req = verify_link(conn, secret, token);
  if (!req) return fail(req.error());
  std::optional<int64_t> rating_id, stars;
  std::string comment;
  auto st = conn.each("SELECT id, stars, comment FROM ratings WHERE request_id = ?", {req->id}, [&](const store::Row& r) {
    rating_id = r.i64(0);
    stars = r.opt_i64(1);
    comment = r.text(2);
  });
  if (!st) return fail(st.error());
  if (!rating_id) return fail(Error::invalid("Rate the conversation first.", "NotAnswered"));
  if (!stars || *stars < 4) return fail(Error::invalid("Rewards go with 4 and 5 star ratings.", "NotEligible"));
  // The thank-you step stays open for a day after the answer; the link itself may be older.
  int64_t now = now_epoch();
  auto answered = conn.scalar("SELECT answered_at FROM feedback_requests WHERE id = ?", {req->id});
  if (!answered) return fail(answered.error());
  if (answered->value_or(0) + 86400 < now) return fail(Error::invalid("This thank-you page has expired.", "Expired"));
  if (share_publicly) {
    if (comment.empty()) return fail(Error::field("share", "InvalidValue", "Share: there is no comment to share"));
    auto u = conn.run("UPDATE ratings SET public_kudos = 1, updated_at = ? WHERE id = ?", {now, *rating_id});
    if (!u) return fail(u.error());
  }
  std::optional<Reward> out;
  if (!item.empty()) {
    auto cfg = load_config(conn);
    if (!cfg) return fail(cfg.error());
    auto it = std::find_if(cfg->reward_catalog.begin(), cfg->reward_catalog.end(), [&](const RewardItem& r) { return r.id == item; });
    if (it == cfg->reward_catalog.end()) return fail(Error::field("reward", "InvalidValue", "Reward: is not in the catalog"));
    auto have = conn.scalar("SELECT 1 FROM rewards WHERE rating_id = ?", {*rating_id});
    if (!have) return fail(have.error());
    if (*have) return fail(Error::conflict("A reward was already chosen. Thank you!"));
    auto ins = conn.run("INSERT INTO rewards(rating_id, agent_id, item, label, points, created_at) VALUES (?,?,?,?,?,?)",
                        {*rating_id, req->agent_id, it->id, it->label, it->points, now});
    if (!ins) return fail(ins.error());
    auto id = conn.last_insert_id();
    auto w = rewards_by_rating(conn, *rating_id);
    if (!w) return fail(w.error());
    out = *w;
    events::Event e{"reward.chosen", "reward", id, std::nullopt, std::nullopt,
                    {{"rating_id", *rating_id}, {"agent_id", req->agent_id}, {"item", it->id}, {"points", it->points},
                     {"group_id", req->group_id ? Json(*req->group_id) : Json(nullptr)},
                     {"site_id", req->site_id ? Json(*req->site_id) : Json(nullptr)}, {"score", "good"}}};
    if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  }
  if (share_publicly) {
    events::Event e{"rating.shared", "rating", *rating_id, std::nullopt, std::nullopt, {{"agent_id", req->agent_id}}};
    if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  }
  return out;
}

Result<Reward> rewards_by_rating(store::Conn& conn, int64_t rating_id) {
  std::optional<Reward> out;
  auto st = conn.each(std::string("SELECT ") + k_reward_columns + " FROM " + k_reward_from + " WHERE w.rating_id = ?",
                      {rating_id}, [&](const store::Row& r) { out = map_reward(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

Result<RewardLedger> list_rewards(store::Conn& conn, const RewardFilter& f, const domain::PageRequest& pr,
                                  const domain::Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  store::ListQuery q{"id, rating_id, agent_id, points, created_at, item, label, status, fulfilled_by, fulfilled_at, agent_name",
                     "(SELECT w.*, u.name AS agent_name FROM rewards w JOIN users u ON u.id = w.agent_id)", {}, {}};
  std::optional<int64_t> agent = f.agent_id;
  if (!sees_all_feedback(actor)) {
    if (agent && *agent != actor.user_id) return fail(Error::forbidden());
    agent = actor.user_id;  // an agent's own ledger
  }
  if (agent) {
    q.where.push_back("agent_id = ?");
    q.params.push_back(*agent);
  }
  if (f.status) {
    if (*f.status != "chosen" && *f.status != "fulfilled" && *f.status != "cancelled")
      return fail(Error::invalid("status must be chosen, fulfilled or cancelled"));
    q.where.push_back("status = ?");
    q.params.push_back(*f.status);
  }
  RewardLedger out;
  auto page = store::run_list<Reward>(conn, q, pr, map_reward);
  if (!page) return fail(page.error());
  out.page = std::move(*page);
  std::string where;
  for (std::size_t i = 0; i < q.where.size(); ++i) where += (i ? " AND " : " WHERE ") + q.where[i];
  auto st = conn.each("SELECT COALESCE(SUM(CASE WHEN status <> 'cancelled' THEN points END), 0), "
                      "COALESCE(SUM(CASE WHEN status = 'fulfilled' THEN points END), 0) FROM " + q.from + where,
                      q.params, [&](const store::Row& r) {
                        out.points_earned = r.i64(0);
                        out.points_fulfilled = r.i64(1);
                      });
  if (!st) return fail(st.error());
  return out;
}

Result<Reward> update_reward(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& actor) {
  if (!actor.is_admin() && actor.rapport_role != domain::RapportRole::manager) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto rating_id = conn.scalar("SELECT rating_id FROM rewards WHERE id = ?", {id});
  if (!rating_id) return fail(rating_id.error());
  if (!*rating_id) return fail(Error::not_found());
  auto current = rewards_by_rating(conn, **rating_id);
  if (!current) return current;
  Validation v;
  JsonInput input(in, v);
  auto status = input.str("status", 16);
  if (!status || (*status != "fulfilled" && *status != "cancelled"))
    v.add("status", "InvalidValue", "Status: must be fulfilled or cancelled");
  if (!v.ok()) return fail(v.error());
  if (current->status != "chosen")
    return fail(Error::field("status", "InvalidValue", "Status: the reward is already " + current->status));
  int64_t now = now_epoch();
  auto u = conn.run("UPDATE rewards SET status = ?, fulfilled_by = ?, fulfilled_at = ? WHERE id = ?",
                    {*status, actor.user_id, now, id});
  if (!u) return fail(u.error());
  events::Event e{"reward." + *status, "reward", id, actor.user_id, actor.token_id, {{"agent_id", current->agent_id}}};
  if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  return rewards_by_rating(conn, **rating_id);
}

Result<std::vector<Kudos>> public_kudos(store::Conn& conn, std::optional<int64_t> agent_id, int limit) {
  std::vector<Kudos> out;
  std::string sql =
      "SELECT r.id, r.stars, r.created_at, u.name, r.comment FROM ratings r JOIN users u ON u.id = r.agent_id "
      "WHERE r.public_kudos = 1";
  store::Params params;
  if (agent_id) {
    sql += " AND r.agent_id = ?";
    params.push_back(*agent_id);
  }
  sql += " ORDER BY r.created_at DESC, r.id DESC LIMIT ?";
  params.push_back(int64_t{std::clamp(limit, 1, 100)});
  auto st = conn.each(sql, params, [&](const store::Row& r) {
    out.push_back({r.i64(0), r.opt_i64(1).value_or(0), r.i64(2), first_name_of(r.text(3)), r.text(4)});
  });
  if (!st) return fail(st.error());
  return out;
}

Result<Json> leaderboard(store::Conn& conn, const LeaderboardQuery& q, const domain::Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  if (q.to_day <= q.from_day) return fail(Error::invalid("to must be after from"));
  if (q.to_day - q.from_day > 400) return fail(Error::invalid("a leaderboard covers at most 400 days"));
  auto cfg = load_config(conn);
  if (!cfg) return fail(cfg.error());
  struct Sums {
    int64_t agent = 0, answers = 0, stars = 0, csat = 0, dsat = 0, res_n = 0, res_yes = 0, nps_n = 0, pro = 0, det = 0;
    std::string name;
    std::optional<std::string> photo;
    std::optional<int64_t> site;
    double score = 0;
    bool found = false;
  };
  // A window's sums per agent = running totals at its last day - running totals before its first
  // day, over the agent's (group, site) keys (V012): two index seeks per key, whatever the length.
  // CROSS JOIN fixes the loop order (keys outside): without planner statistics SQLite preferred
  // scanning every running total and probing the keys, 25x slower at 1,000 agents.
  std::string keys = "SELECT agent_id, group_id, site_id FROM rating_keys";
  store::Params key_params;
  if (q.group_id || q.site_id) keys += " WHERE ";
  if (q.group_id) {
    keys += "group_id = ?";
    key_params.push_back(*q.group_id);
  }
  if (q.site_id) {
    keys += std::string(q.group_id ? " AND " : "") + "site_id = ?";
    key_params.push_back(*q.site_id);
  }
  const std::string totals_before =
      "SELECT k.agent_id, r.answers, r.stars_sum, r.csat, r.dsat, r.resolved_answers, r.resolved_yes, r.nps_answers, "
      "r.promoters, r.detractors FROM (" + keys + ") k CROSS JOIN rating_running r ON r.agent_id = k.agent_id AND "
      "r.group_id = k.group_id AND r.site_id = k.site_id AND r.day = (SELECT MAX(x.day) FROM rating_running x WHERE "
      "x.agent_id = k.agent_id AND x.group_id = k.group_id AND x.site_id = k.site_id AND x.day < ?)";
  std::unordered_map<int64_t, Sums> by_agent;
  auto add = [&](int64_t day, int64_t sign) -> Status {
    auto params = key_params;
    params.push_back(day);
    return conn.each(totals_before, params, [&](const store::Row& r) {
      auto& x = by_agent[r.i64(0)];
      x.agent = r.i64(0);
      x.answers += sign * r.i64(1);
      x.stars += sign * r.i64(2);
      x.csat += sign * r.i64(3);
      x.dsat += sign * r.i64(4);
      x.res_n += sign * r.i64(5);
      x.res_yes += sign * r.i64(6);
      x.nps_n += sign * r.i64(7);
      x.pro += sign * r.i64(8);
      x.det += sign * r.i64(9);
    });
  };
  if (auto st = add(q.to_day, 1); !st) return fail(st.error());
  if (auto st = add(q.from_day, -1); !st) return fail(st.error());
  std::vector<Sums> rows;
  rows.reserve(by_agent.size());
  for (auto& [id, x] : by_agent)
    if (x.answers > 0) rows.push_back(std::move(x));
  // Names, photos and sites of the ranked agents, in one read.
  if (!rows.empty()) {
    std::unordered_map<int64_t, Sums*> index;
    Json ids = Json::array();
    for (auto& x : rows) {
      index[x.agent] = &x;
      ids.push_back(x.agent);
    }
    auto st = conn.each("SELECT id, name, photo_url, site_id FROM users WHERE id IN (SELECT value FROM json_each(?))",
                        {ids.dump()}, [&](const store::Row& r) {
                          auto it = index.find(r.i64(0));
                          if (it == index.end()) return;
                          it->second->found = true;
                          it->second->name = r.text(1);
                          it->second->photo = r.opt_text(2);
                          it->second->site = r.opt_i64(3);
                        });
    if (!st) return fail(st.error());
    std::erase_if(rows, [](const Sums& x) { return !x.found; });
  }
  int64_t all_n = 0, all_s = 0;
  for (const auto& x : rows) {
    all_n += x.answers;
    all_s += x.stars;
  }
  // The ranking score (metrics.md): (C·m + Σstars) / (C + n), m the mean of everyone ranked here.
  const double m = all_n ? static_cast<double>(all_s) / static_cast<double>(all_n) : 0.0;
  const double c = cfg->leaderboard_prior_weight;
  for (auto& x : rows) x.score = (c * m + static_cast<double>(x.stars)) / (c + static_cast<double>(x.answers));
  std::sort(rows.begin(), rows.end(), [](const Sums& a, const Sums& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.answers != b.answers) return a.answers > b.answers;
    return a.agent < b.agent;
  });
  Json agents = Json::array();
  int rank = 0;
  for (const auto& x : rows) {
    ++rank;
    agents.push_back({{"rank", rank},
                      {"agent_id", x.agent},
                      {"name", x.name},
                      {"photo_url", x.photo ? Json(*x.photo) : Json(nullptr)},
                      {"site_id", x.site ? Json(*x.site) : Json(nullptr)},
                      {"responses", x.answers},
                      {"ranking_score", x.score},
                      {"average_stars", static_cast<double>(x.stars) / static_cast<double>(x.answers)},
                      {"csat", pct(x.csat, x.answers)},
                      {"dsat", pct(x.dsat, x.answers)},
                      {"fcr", x.res_n ? Json(pct(x.res_yes, x.res_n)) : Json(nullptr)},
                      {"nps", x.nps_n ? Json(pct(x.pro, x.nps_n) - pct(x.det, x.nps_n)) : Json(nullptr)}});
  }
  return Json{{"from", iso8601(local_day_start(q.from_day))},
              {"to", iso8601(local_day_start(q.to_day))},
              {"time_zone", organization_time_zone()},
              {"group_id", q.group_id ? Json(*q.group_id) : Json(nullptr)},
              {"site_id", q.site_id ? Json(*q.site_id) : Json(nullptr)},
              {"team_mean_stars", all_n ? Json(m) : Json(nullptr)},
              {"prior_weight", cfg->leaderboard_prior_weight},
              {"responses", all_n},
              {"agents", agents}};
}

Result<Json> feedback_summary(store::Conn& conn, SummaryQuery q, const domain::Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  if (!sees_all_feedback(actor)) {
    if (q.agent_id && *q.agent_id != actor.user_id) return fail(Error::forbidden());
    q.agent_id = actor.user_id;
  }
  if (q.to <= q.from) return fail(Error::invalid("to must be after from"));
  std::string key;
  if (q.by.empty()) key = "0";
  else if (q.by == "agent") key = "COALESCE(agent_id, 0)";
  else if (q.by == "group") key = "COALESCE(group_id, 0)";
  else if (q.by == "site") key = "COALESCE(site_id, 0)";
  else if (q.by == "day") key = "local_day(created_at)";  // the organization's days (store/db.cpp)
  else return fail(Error::invalid("by must be agent, group, site or day"));
  std::string where = " WHERE kind = 'survey' AND created_at >= ? AND created_at < ?";
  store::Params params{q.from, q.to};
  for (auto [col, v] : {std::pair{"agent_id", &q.agent_id}, {"group_id", &q.group_id}, {"site_id", &q.site_id}}) {
    if (!*v) continue;
    where += std::string(" AND ") + col + " = ?";
    params.push_back(**v);
  }
  struct Row {
    int64_t requests = 0, suppressed = 0, delivered = 0, opened = 0, answered = 0;
    std::map<std::string, int64_t> reasons;
    int64_t n = 0, stars = 0, csat = 0, dsat = 0, res_n = 0, res_yes = 0, nps_n = 0, pro = 0, det = 0;
  };
  std::map<int64_t, Row> rows;
  auto st = conn.each("SELECT " + key + ", COUNT(*), SUM(status = 'suppressed'), SUM(delivered_at IS NOT NULL), "
                      "SUM(opened_at IS NOT NULL), SUM(answered_at IS NOT NULL) FROM feedback_requests" + where +
                      " GROUP BY 1",
                      params, [&](const store::Row& r) {
                        auto& x = rows[r.i64(0)];
                        x.requests = r.i64(1);
                        x.suppressed = r.i64(2);
                        x.delivered = r.i64(3);
                        x.opened = r.i64(4);
                        x.answered = r.i64(5);
                      });
  if (!st) return fail(st.error());
  st = conn.each("SELECT " + key + ", suppressed_reason, COUNT(*) FROM feedback_requests" + where +
                     " AND status = 'suppressed' GROUP BY 1, 2",
                 params, [&](const store::Row& r) { rows[r.i64(0)].reasons[r.opt_text(1).value_or("other")] = r.i64(2); });
  if (!st) return fail(st.error());
  st = conn.each("SELECT " + key + ", COUNT(stars), COALESCE(SUM(stars), 0), SUM(stars >= 4), SUM(stars <= 2), "
                 "COUNT(resolved), COALESCE(SUM(resolved), 0), COUNT(nps), SUM(nps >= 9), SUM(nps <= 6) FROM ratings" +
                     where + " AND stars IS NOT NULL GROUP BY 1",
                 params, [&](const store::Row& r) {
                   auto& x = rows[r.i64(0)];
                   x.n = r.i64(1);
                   x.stars = r.i64(2);
                   x.csat = r.i64(3);
                   x.dsat = r.i64(4);
                   x.res_n = r.i64(5);
                   x.res_yes = r.i64(6);
                   x.nps_n = r.i64(7);
                   x.pro = r.opt_i64(8).value_or(0);
                   x.det = r.opt_i64(9).value_or(0);
                 });
  if (!st) return fail(st.error());
  auto encode = [](const Row& x) {
    auto rate = [](int64_t a, int64_t b) { return b ? Json(pct(a, b)) : Json(nullptr); };
    return Json{{"requests", x.requests},
                {"suppressed", x.suppressed},
                {"suppressed_reasons", x.reasons},
                {"delivered", x.delivered},
                {"opened", x.opened},
                {"answered", x.answered},
                {"response_rate", rate(x.answered, x.delivered)},
                {"open_rate", rate(x.opened, x.delivered)},
                {"responses", x.n},
                {"average_stars", x.n ? Json(static_cast<double>(x.stars) / static_cast<double>(x.n)) : Json(nullptr)},
                {"csat", rate(x.csat, x.n)},
                {"dsat", rate(x.dsat, x.n)},
                {"fcr", rate(x.res_yes, x.res_n)},
                {"nps", x.nps_n ? Json(pct(x.pro, x.nps_n) - pct(x.det, x.nps_n)) : Json(nullptr)}};
  };
  Row total;
  for (const auto& [k, x] : rows) {
    for (auto [dst, src] : {std::pair{&total.requests, x.requests}, {&total.suppressed, x.suppressed},
                            {&total.delivered, x.delivered}, {&total.opened, x.opened}, {&total.answered, x.answered},
                            {&total.n, x.n}, {&total.stars, x.stars}, {&total.csat, x.csat}, {&total.dsat, x.dsat},
                            {&total.res_n, x.res_n}, {&total.res_yes, x.res_yes}, {&total.nps_n, x.nps_n},
                            {&total.pro, x.pro}, {&total.det, x.det}})
      *dst += src;
    for (const auto& [reason, n] : x.reasons) total.reasons[reason] += n;
  }
  Json out = {{"from", iso8601(q.from)}, {"to", iso8601(q.to)}, {"time_zone", organization_time_zone()}, {"total", encode(total)}};
  if (!q.by.empty()) {
    Json items = Json::array();
    for (const auto& [k, x] : rows) {
      Json item = encode(x);
      if (q.by == "day") item["date"] = day_date(k);
      else item[q.by + "_id"] = k ? Json(k) : Json(nullptr);
      items.push_back(std::move(item));
    }
    out["rows"] = std::move(items);
  }
  return out;
}

Result<Json> daily_digest(store::Conn& conn, int64_t lead_id, int64_t day, const domain::Principal& actor) {
  // Staff only, like every other feedback report: an end user has no team and no digest.
  if (!actor.is_staff()) return fail(Error::forbidden());
  if (actor.user_id != lead_id && !actor.is_admin() && actor.rapport_role != domain::RapportRole::manager)
    return fail(Error::forbidden());
  struct Item {
    int64_t rating_id, ticket_id, agent_id, stars;
    std::string agent_name, comment, subject;
    std::optional<bool> resolved;
  };
  std::vector<Item> items;
  auto st = conn.each(
      "SELECT r.id, r.ticket_id, r.agent_id, r.stars, u.name, r.comment, t.subject, r.resolved FROM ratings r "
      "JOIN users u ON u.id = r.agent_id JOIN tickets t ON t.id = r.ticket_id "
      "WHERE u.team_lead_id = ? AND r.kind = 'survey' AND r.stars IS NOT NULL AND r.created_at >= ? AND r.created_at < ?",
      {lead_id, local_day_start(day), local_day_start(day + 1)}, [&](const store::Row& r) {
        Item it{r.i64(0), r.i64(1), r.i64(2), r.i64(3), r.text(4), r.text(5), r.text(6), std::nullopt};
        if (!r.is_null(7)) it.resolved = r.i64(7) != 0;
        items.push_back(std::move(it));
      });
  if (!st) return fail(st.error());
  int64_t sum = 0, csat = 0, dsat = 0;
  for (const auto& it : items) {
    sum += it.stars;
    csat += it.stars >= 4;
    dsat += it.stars <= 2;
  }
  // Best: highest stars, those with a comment first; worst: lowest stars, likewise.
  auto by = [](bool best) {
    return [best](const Item& a, const Item& b) {
      if (a.stars != b.stars) return best ? a.stars > b.stars : a.stars < b.stars;
      if (a.comment.empty() != b.comment.empty()) return !a.comment.empty();
      return a.rating_id < b.rating_id;
    };
  };
  auto pick = [&](bool best) {
    std::vector<Item> v = items;
    std::sort(v.begin(), v.end(), by(best));
    Json out = Json::array();
    for (const auto& it : v) {
      if (out.size() >= 3) break;
      if (best ? it.stars < 4 : it.stars > 2) break;
      out.push_back({{"rating_id", it.rating_id}, {"ticket_id", it.ticket_id}, {"agent_id", it.agent_id},
                     {"agent_name", it.agent_name}, {"stars", it.stars}, {"comment", it.comment}, {"subject", it.subject},
                     {"resolved", it.resolved ? Json(*it.resolved) : Json(nullptr)}});
    }
    return out;
  };
  int64_t n = static_cast<int64_t>(items.size());
  return Json{{"lead_id", lead_id},
              {"date", day_date(day)},
              {"time_zone", organization_time_zone()},
              {"responses", n},
              {"average_stars", n ? Json(static_cast<double>(sum) / static_cast<double>(n)) : Json(nullptr)},
              {"csat", n ? Json(pct(csat, n)) : Json(nullptr)},
              {"dsat", n ? Json(pct(dsat, n)) : Json(nullptr)},
              {"best", pick(true)},
              {"worst", pick(false)}};
}

Result<int> queue_digests(store::Tx& tx, int64_t day, const std::string& base_url) {
  auto& conn = tx.conn();
  auto last = conn.scalar_text("SELECT value FROM settings WHERE key = 'digest_last_day'");
  if (!last) return fail(last.error());
  if (*last && parse_int(**last).value_or(0) >= day) return 0;
  std::vector<std::tuple<int64_t, std::string, std::string>> leads;
  auto st = conn.each(
      "SELECT DISTINCT l.id, l.name, l.email FROM ratings r JOIN users a ON a.id = r.agent_id JOIN users l ON l.id = a.team_lead_id "
      "WHERE r.kind = 'survey' AND r.created_at >= ? AND r.created_at < ? AND l.active = 1 AND l.email IS NOT NULL",
      {local_day_start(day), local_day_start(day + 1)}, [&](const store::Row& r) { leads.emplace_back(r.i64(0), r.text(1), r.text(2)); });
  if (!st) return fail(st.error());
  int64_t now = now_epoch();
  int queued = 0;
  domain::Principal system;
  system.role = domain::Role::admin;
  for (const auto& [id, name, email] : leads) {
    auto d = daily_digest(conn, id, day, system);
    if (!d) return fail(d.error());
    std::string date = (*d)["date"];
    std::string text = "Hi " + first_name_of(name) + ",\n\nYour team's feedback on " + date + ": " +
                       std::to_string((*d)["responses"].get<int64_t>()) + " ratings";
    if (!(*d)["average_stars"].is_null()) text += fmt::format(", {:.2f} stars on average", (*d)["average_stars"].get<double>());
    text += ".\n";
    std::string html = "<p>Hi " + html_escape(first_name_of(name)) + ",</p><p>Your team's feedback on " + date + ".</p>";
    for (const char* part : {"best", "worst"}) {
      if ((*d)[part].empty()) continue;
      std::string title = std::string(part) == "best" ? "Best interactions" : "Needs a look";
      text += "\n" + title + ":\n";
      html += "<h3>" + title + "</h3><ul>";
      for (const auto& it : (*d)[part]) {
        std::string line = std::to_string(it["stars"].get<int64_t>()) + "/5 for " + it["agent_name"].get<std::string>() +
                           " on \"" + it["subject"].get<std::string>() + "\"";
        std::string comment = it["comment"];
        text += "- " + line + (comment.empty() ? "" : ": " + comment) + "\n";
        html += "<li>" + html_escape(line) + (comment.empty() ? "" : "<br><q>" + html_escape(comment) + "</q>") + "</li>";
      }
      html += "</ul>";
    }
    text += "\nThe live feed: " + base_url + "/#/feedback\n";
    html += "<p><a href=\"" + html_escape(base_url + "/#/feedback") + "\">Open the live feed</a></p>";
    auto ins = conn.run(
        "INSERT INTO outbox(kind, to_address, subject, body_text, body_html, headers, related_id, next_attempt_at, created_at, "
        "auto_submitted) VALUES ('digest', ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        {email, "Your team's feedback for " + date, text, html, Json{{"Auto-Submitted", "auto-generated"}}.dump(), id, now, now});
    if (!ins) return fail(ins.error());
    ++queued;
  }
  auto u = conn.run("INSERT INTO settings(key, value) VALUES ('digest_last_day', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    {std::to_string(day)});
  if (!u) return fail(u.error());
  return queued;
}

}  // namespace rapport::feedback
