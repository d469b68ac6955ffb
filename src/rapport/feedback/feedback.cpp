#include <rapport/feedback/feedback.hpp>

#include <algorithm>

#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/feedback/recovery.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::feedback {

namespace {

constexpr const char* k_request_columns =
    "id, kind, channel, status, suppressed_reason, ticket_id, agent_id, requester_id, group_id, site_id, "
    "recovery_case_id, nonce, created_at, expires_at, delivered_at, opened_at, answered_at";
constexpr const char* k_rating_columns =
    "id, request_id, agent_id, group_id, site_id, stars, nps, reason_code, kind, score, comment, ticket_id, "
    "requester_id, resolved, tags, answers, public_kudos, created_at, updated_at";

Request map_request(const store::Row& r) {
  Request q;
  q.id = r.i64(0);
  q.kind = r.text(1);
  q.channel = r.text(2);
  q.status = r.text(3);
  q.suppressed_reason = r.opt_text(4);
  q.ticket_id = r.i64(5);
  q.agent_id = r.i64(6);
  q.requester_id = r.i64(7);
  q.group_id = r.opt_i64(8);
  q.site_id = r.opt_i64(9);
  q.recovery_case_id = r.opt_i64(10);
  q.nonce = r.text(11);
  q.created_at = r.i64(12);
  q.expires_at = r.i64(13);
  q.delivered_at = r.opt_i64(14);
  q.opened_at = r.opt_i64(15);
  q.answered_at = r.opt_i64(16);
  return q;
}

Rating map_rating(const store::Row& r) {
  Rating x;
  x.id = r.i64(0);
  x.request_id = r.opt_i64(1);
  x.agent_id = r.opt_i64(2);
  x.group_id = r.opt_i64(3);
  x.site_id = r.opt_i64(4);
  x.stars = r.opt_i64(5);
  x.nps = r.opt_i64(6);
  x.reason_code = r.opt_i64(7);
  x.kind = r.text(8);
  x.score = r.text(9);
  x.comment = r.text(10);
  x.ticket_id = r.i64(11);
  x.requester_id = r.i64(12);
  if (!r.is_null(13)) x.resolved = r.i64(13) != 0;
  x.tags = Json::parse(r.text(14), nullptr, false);
  x.answers = Json::parse(r.text(15), nullptr, false);
  x.public_kudos = r.i64(16) != 0;
  x.created_at = r.i64(17);
  x.updated_at = r.i64(18);
  return x;
}

Result<std::optional<Request>> find_request(store::Conn& conn, int64_t id) {
  std::optional<Request> out;
  auto st = conn.each(std::string("SELECT ") + k_request_columns + " FROM feedback_requests WHERE id = ?", {id},
                      [&](const store::Row& r) { out = map_request(r); });
  if (!st) return fail(st.error());
  return out;
}

Result<std::optional<Rating>> rating_for_request(store::Conn& conn, int64_t request_id) {
  std::optional<Rating> out;
  auto st = conn.each(std::string("SELECT ") + k_rating_columns + " FROM ratings WHERE request_id = ?", {request_id},
                      [&](const store::Row& r) { out = map_rating(r); });
  if (!st) return fail(st.error());
  return out;
}

std::string token_signature(const std::string& secret, int64_t id, int64_t expires, const std::string& nonce) {
  return crypto::hmac_sha256_hex(secret, std::to_string(id) + "." + std::to_string(expires) + "." + nonce).substr(0, 40);
}

bool looks_like_no_reply(const std::string& email) {
  auto e = to_lower(email);
  for (const char* p : {"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "mailer-daemon", "postmaster"})
    if (e.find(p) != std::string::npos) return true;
  return false;
}

std::string first_name(const std::string& name) { return name.substr(0, name.find(' ')); }

Status queue_survey_email(store::Tx& tx, const Request& r, const std::string& to, const std::string& agent_name,
                          const std::string& subject, const std::string& url, int64_t now) {
  bool follow_up = r.kind == "follow_up";
  std::string opening = follow_up ? agent_name + " followed up with you about \"" + subject + "\". Did we make it right?"
                                  : agent_name + " helped you with \"" + subject + "\". How did " + first_name(agent_name) + " do?";
  std::string text = "Hi,\n\n" + opening + "\n\nRate your experience: " + url +
                     "\n\nIt takes ten seconds and goes straight to the team.\n";
  std::string html = "<p>Hi,</p><p>" + html_escape(opening) + "</p><p>";
  for (int s = 1; s <= 5; ++s) {
    // A star in the email pre-selects that star on the page; only the customer's submit records.
    html += "<a href=\"" + html_escape(url + "?stars=" + std::to_string(s)) + "\" style=\"font-size:28px;text-decoration:none\">&#9733;</a> ";
  }
  html += "</p>";
  Json headers = {{"Auto-Submitted", "auto-generated"}};
  auto q = tx.conn().run(
      "INSERT INTO outbox(kind, to_address, subject, body_text, body_html, headers, ticket_id, related_id, next_attempt_at, created_at, "
      "auto_submitted) VALUES ('feedback_request', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
      {to, (follow_up ? "Did we make it right? [#" : "How did " + first_name(agent_name) + " do? [#") + std::to_string(r.ticket_id) + "]",
       text, html, headers.dump(),
       r.ticket_id, r.id, now, now});
  if (!q) return fail(q.error());
  return {};
}

// The leaderboard's rollups, kept in the rating's transaction: the day's sums in `rating_daily`,
// and the running totals in `rating_running` (see V012): the rating's day gets a row, started
// from the totals before it, and that row and every later one (only when a rating is dated in the
// past) grow by the rating.
Status add_to_daily(store::Conn& conn, const Rating& x) {
  if (!x.agent_id || !x.stars) return {};
  int64_t stars = *x.stars;
  bool has_resolved = x.resolved.has_value();
  const int64_t day = local_day(x.created_at), group = x.group_id.value_or(0), site = x.site_id.value_or(0);
  const store::Params deltas{stars,
                             int64_t{stars >= 4},
                             int64_t{stars <= 2},
                             int64_t{has_resolved},
                             int64_t{has_resolved && *x.resolved},
                             int64_t{x.nps.has_value()},
                             int64_t{x.nps && *x.nps >= 9},
                             int64_t{x.nps && *x.nps <= 6}};
  store::Params p{*x.agent_id, day, group, site};
  p.insert(p.end(), deltas.begin(), deltas.end());
  auto r = conn.run(
      "INSERT INTO rating_daily(agent_id, day, group_id, site_id, answers, stars_sum, csat, dsat, resolved_answers, "
      "resolved_yes, nps_answers, promoters, detractors) VALUES (?,?,?,?,1,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(day, agent_id, group_id, site_id) DO UPDATE SET answers = answers + 1, "
      "stars_sum = stars_sum + excluded.stars_sum, csat = csat + excluded.csat, dsat = dsat + excluded.dsat, "
      "resolved_answers = resolved_answers + excluded.resolved_answers, resolved_yes = resolved_yes + excluded.resolved_yes, "
      "nps_answers = nps_answers + excluded.nps_answers, promoters = promoters + excluded.promoters, "
      "detractors = detractors + excluded.detractors",
      p);
  if (!r) return fail(r.error());
  const store::Params key{*x.agent_id, group, site};
  if (auto k = conn.run("INSERT INTO rating_keys(agent_id, group_id, site_id) VALUES (?,?,?) ON CONFLICT DO NOTHING", key); !k)
    return fail(k.error());
  store::Params start{*x.agent_id, group, site, day, *x.agent_id, group, site, day};
  auto s = conn.run(
      "INSERT INTO rating_running(agent_id, group_id, site_id, day, answers, stars_sum, csat, dsat, resolved_answers, "
      "resolved_yes, nps_answers, promoters, detractors) "
      "SELECT ?, ?, ?, ?, COALESCE(b.answers, 0), COALESCE(b.stars_sum, 0), COALESCE(b.csat, 0), COALESCE(b.dsat, 0), "
      "COALESCE(b.resolved_answers, 0), COALESCE(b.resolved_yes, 0), COALESCE(b.nps_answers, 0), "
      "COALESCE(b.promoters, 0), COALESCE(b.detractors, 0) FROM (SELECT 1) LEFT JOIN "
      "(SELECT * FROM rating_running WHERE agent_id = ? AND group_id = ? AND site_id = ? AND day < ? "
      "ORDER BY day DESC LIMIT 1) b WHERE true ON CONFLICT DO NOTHING",
      start);
  if (!s) return fail(s.error());
  store::Params u = deltas;
  u.insert(u.end(), {*x.agent_id, group, site, day});
  auto g = conn.run(
      "UPDATE rating_running SET answers = answers + 1, stars_sum = stars_sum + ?, csat = csat + ?, dsat = dsat + ?, "
      "resolved_answers = resolved_answers + ?, resolved_yes = resolved_yes + ?, nps_answers = nps_answers + ?, "
      "promoters = promoters + ?, detractors = detractors + ? "
      "WHERE agent_id = ? AND group_id = ? AND site_id = ? AND day >= ?",
      u);
  if (!g) return fail(g.error());
  return {};
}

}  // namespace

std::string score_for_stars(int64_t stars) { return stars >= 4 ? "good" : stars <= 2 ? "bad" : "neither"; }

// Parses and verifies a link token; returns the request it names.
Result<Request> verify_link(store::Conn& conn, const std::string& secret, const std::string& token) {
  auto parts = split(token, '.');
  if (parts.size() != 3) return fail(Error::not_found());
  auto id = parse_int(parts[0]);
  auto exp = parse_int(parts[1]);
  if (!id || !exp) return fail(Error::not_found());
  auto req = find_request(conn, *id);
  if (!req) return fail(req.error());
  if (!*req || (*req)->expires_at != *exp) return fail(Error::not_found());
  if (!crypto::equal_constant_time(token_signature(secret, *id, *exp, (*req)->nonce), parts[2]))
    return fail(Error::not_found());  // forged: indistinguishable from unknown
  return **req;
}


Json to_json(const Config& c) {
  return {{"enabled", c.enabled},
          {"first_solve_only", c.first_solve_only},
          {"group_ids", c.group_ids},
          {"channels", c.channels},
          {"suppression_days", c.suppression_days},
          {"expiry_days", c.expiry_days},
          {"ask_nps", c.ask_nps},
          {"improvement_tags", c.improvement_tags},
          {"excellence_tags", c.excellence_tags},
          {"recovery_threshold", c.recovery_threshold},
          {"recovery_group_id", c.recovery_group_id ? Json(*c.recovery_group_id) : Json(nullptr)},
          {"recovery_due_hours", c.recovery_due_hours},
          {"reward_catalog", [&] {
             Json a = Json::array();
             for (const auto& r : c.reward_catalog) a.push_back({{"id", r.id}, {"label", r.label}, {"points", r.points}});
             return a;
           }()},
          {"leaderboard_prior_weight", c.leaderboard_prior_weight},
          {"questions", [&] {
             Json a = Json::array();
             for (const auto& q : c.questions) {
               Json j = {{"id", q.id}, {"label", q.label}, {"type", q.type}};
               if (q.type == "scale") {
                 j["min"] = q.min;
                 j["max"] = q.max;
               } else {
                 j["options"] = q.options;
               }
               a.push_back(std::move(j));
             }
             return a;
           }()}};
}

namespace {
void apply_config(Config& c, JsonInput& in) {
  if (auto b = in.boolean("enabled")) c.enabled = *b;
  if (auto b = in.boolean("first_solve_only")) c.first_solve_only = *b;
  if (auto v = in.integers("group_ids")) c.group_ids = *v;
  if (auto v = in.strings("channels")) c.channels = *v;
  if (auto v = in.integer("suppression_days")) {
    if (*v < 0 || *v > 365) in.validation().add("suppression_days", "InvalidValue", "Suppression days: must be 0..365");
    else c.suppression_days = static_cast<int>(*v);
  }
  if (auto v = in.integer("expiry_days")) {
    if (*v < 1 || *v > 90) in.validation().add("expiry_days", "InvalidValue", "Expiry days: must be 1..90");
    else c.expiry_days = static_cast<int>(*v);
  }
  if (auto b = in.boolean("ask_nps")) c.ask_nps = *b;
  if (auto v = in.strings("improvement_tags")) c.improvement_tags = *v;
  if (auto v = in.strings("excellence_tags")) c.excellence_tags = *v;
  if (auto v = in.integer("recovery_threshold")) {
    if (*v < 1 || *v > 4) in.validation().add("recovery_threshold", "InvalidValue", "Recovery threshold: must be 1..4");
    else c.recovery_threshold = static_cast<int>(*v);
  }
  if (in.is_null("recovery_group_id")) c.recovery_group_id.reset();
  else if (auto v = in.integer("recovery_group_id")) c.recovery_group_id = *v;
  if (auto v = in.integer("recovery_due_hours")) {
    if (*v < 1 || *v > 24 * 30) in.validation().add("recovery_due_hours", "InvalidValue", "Recovery due hours: must be 1..720");
    else c.recovery_due_hours = static_cast<int>(*v);
  }
  if (auto v = in.integer("leaderboard_prior_weight")) {
    if (*v < 0 || *v > 1000) in.validation().add("leaderboard_prior_weight", "InvalidValue", "Leaderboard prior weight: must be 0..1000");
    else c.leaderboard_prior_weight = static_cast<int>(*v);
  }
  if (auto a = in.array("questions")) {
    std::vector<Question> qs;
    const char* msg = "Questions: each needs an id (letters, digits, _), a label, and type scale (min < max, "
                      "0..10) or choice (2 to 10 options)";
    bool ok = a->size() <= 5;
    for (const auto& e : *a) {
      if (!ok || !e.is_object()) {
        ok = false;
        break;
      }
      Validation qv;
      JsonInput item(e, qv);
      Question q;
      q.id = item.str("id", 32).value_or("");
      q.label = item.str("label", 300).value_or("");
      q.type = item.str("type", 16).value_or("");
      q.min = item.integer("min").value_or(1);
      q.max = item.integer("max").value_or(5);
      q.options = item.strings("options").value_or(std::vector<std::string>{});
      bool id_ok = !q.id.empty() && std::all_of(q.id.begin(), q.id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
      });
      bool dup = std::any_of(qs.begin(), qs.end(), [&](const Question& o) { return o.id == q.id; });
      bool type_ok = (q.type == "scale" && q.min >= 0 && q.max <= 10 && q.min < q.max) ||
                     (q.type == "choice" && q.options.size() >= 2 && q.options.size() <= 10);
      if (!qv.ok() || !id_ok || dup || q.label.empty() || !type_ok) {
        ok = false;
        break;
      }
      qs.push_back(std::move(q));
    }
    if (!ok) in.validation().add("questions", "InvalidValue", msg);
    else c.questions = std::move(qs);
  }
  if (auto a = in.array("reward_catalog")) {
    std::vector<RewardItem> items;
    for (const auto& e : *a) {
      Validation item_v;
      JsonInput item(e, item_v);
      auto id = e.is_object() ? item.str("id", 64) : std::nullopt;
      auto label = e.is_object() ? item.str("label", 200) : std::nullopt;
      auto points = e.is_object() ? item.integer("points") : std::nullopt;
      if (!id || id->empty() || !label || label->empty() || !points || *points < 0 || *points > 100000) {
        in.validation().add("reward_catalog", "InvalidValue",
                            "Reward catalog: each item needs an id, a label and points (0..100000)");
        break;
      }
      items.push_back({*id, *label, *points});
    }
    if (items.size() > 20) in.validation().add("reward_catalog", "InvalidValue", "Reward catalog: at most 20 items");
    else c.reward_catalog = std::move(items);
  }
}
}  // namespace

Result<Config> load_config(store::Conn& conn) {
  Config c;
  auto raw = conn.scalar_text("SELECT value FROM settings WHERE key = 'feedback'");
  if (!raw) return fail(raw.error());
  if (*raw) {
    Json j = Json::parse(**raw, nullptr, false);
    Validation v;
    JsonInput in(j, v);
    apply_config(c, in);
  }
  return c;
}

Result<Config> update_config(store::Tx& tx, const Json& in, const domain::Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto c = load_config(tx.conn());
  if (!c) return c;
  Validation v;
  JsonInput input(in, v);
  apply_config(*c, input);
  if (!v.ok()) return fail(v.error());
  auto r = tx.conn().run("INSERT INTO settings(key, value) VALUES ('feedback', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         {to_json(*c).dump()});
  if (!r) return fail(r.error());
  events::Event e{"feedback.config_updated", "settings", std::nullopt, actor.user_id, actor.token_id, to_json(*c)};
  if (auto ev = events::append(tx.conn(), e, now_epoch()); !ev) return fail(ev.error());
  return c;
}

Result<std::string> ensure_secret(store::Tx& tx) {
  auto have = tx.conn().scalar_text("SELECT value FROM settings WHERE key = 'feedback_secret'");
  if (!have) return fail(have.error());
  if (*have) return **have;
  std::string s = crypto::random_token(32);
  auto r = tx.conn().run("INSERT INTO settings(key, value) VALUES ('feedback_secret', ?)", {s});
  if (!r) return fail(r.error());
  return s;
}

Result<bool> align_rollups_to_time_zone(store::Tx& tx) {
  auto& conn = tx.conn();
  const std::string zone = organization_time_zone();
  auto built = conn.scalar_text("SELECT value FROM settings WHERE key = 'rollup_time_zone'");
  if (!built) return fail(built.error());
  if (built->value_or("UTC") == zone) return false;
  // The same sums add_to_daily keeps, recomputed in bulk: local_day() is the SQL face of
  // base::local_day (store/db.cpp), and the running totals are V012's window over the days.
  for (const char* sql :
       {"DELETE FROM rating_daily", "DELETE FROM rating_running", "DELETE FROM rating_keys",
        "INSERT INTO rating_daily(agent_id, day, group_id, site_id, answers, stars_sum, csat, dsat, resolved_answers, "
        "resolved_yes, nps_answers, promoters, detractors) "
        "SELECT agent_id, local_day(created_at), COALESCE(group_id, 0), COALESCE(site_id, 0), COUNT(*), SUM(stars), "
        "SUM(stars >= 4), SUM(stars <= 2), COUNT(resolved), COALESCE(SUM(resolved), 0), COUNT(nps), "
        "COALESCE(SUM(nps >= 9), 0), COALESCE(SUM(nps <= 6), 0) FROM ratings "
        "WHERE kind = 'survey' AND agent_id IS NOT NULL AND stars IS NOT NULL GROUP BY 1, 2, 3, 4",
        "INSERT INTO rating_keys(agent_id, group_id, site_id) SELECT DISTINCT agent_id, group_id, site_id FROM rating_daily",
        "INSERT INTO rating_running SELECT agent_id, group_id, site_id, day, SUM(answers) OVER w, SUM(stars_sum) OVER w, "
        "SUM(csat) OVER w, SUM(dsat) OVER w, SUM(resolved_answers) OVER w, SUM(resolved_yes) OVER w, "
        "SUM(nps_answers) OVER w, SUM(promoters) OVER w, SUM(detractors) OVER w FROM rating_daily "
        "WINDOW w AS (PARTITION BY agent_id, group_id, site_id ORDER BY day ROWS UNBOUNDED PRECEDING)"}) {
    if (auto r = conn.exec(sql); !r) return fail(r.error());
  }
  auto r = conn.run("INSERT INTO settings(key, value) VALUES ('rollup_time_zone', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    {zone});
  if (!r) return fail(r.error());
  return true;
}

Result<std::string> load_secret(store::Conn& conn) {
  auto have = conn.scalar_text("SELECT value FROM settings WHERE key = 'feedback_secret'");
  if (!have) return fail(have.error());
  if (!*have) return fail(Error::unavailable("the feedback secret is not set up yet"));
  return **have;
}

std::string link_token(const std::string& secret, const Request& r) {
  return std::to_string(r.id) + "." + std::to_string(r.expires_at) + "." + token_signature(secret, r.id, r.expires_at, r.nonce);
}

std::string survey_url(const std::string& base_url, const std::string& secret, const Request& r) {
  return base_url + "/s/" + link_token(secret, r);
}

Status on_ticket_event(store::Tx& tx, const events::StoredEvent& e, const std::string& base_url) {
  if (e.kind != "ticket.updated" || !e.entity_id) return {};
  const auto& changes = e.data.value("changes", Json::object());
  if (!changes.contains("status") || changes["status"].size() != 2 || changes["status"][1] != "solved") return {};
  auto& conn = tx.conn();
  auto cfg = load_config(conn);
  if (!cfg) return fail(cfg.error());
  if (!cfg->enabled) return {};
  int64_t ticket_id = *e.entity_id;
  // The ticket as it was solved.
  std::optional<int64_t> assignee, group_id;
  int64_t requester = 0;
  std::string channel, subject, ticket_tags;
  auto st = conn.each("SELECT assignee_id, group_id, requester_id, channel, subject, tags FROM tickets WHERE id = ? AND deleted_at IS NULL",
                      {ticket_id}, [&](const store::Row& r) {
                        assignee = r.opt_i64(0);
                        group_id = r.opt_i64(1);
                        requester = r.i64(2);
                        channel = r.text(3);
                        subject = r.text(4);
                        ticket_tags = r.text(5);
                      });
  if (!st) return fail(st.error());
  if (!requester || !assignee) return {};
  if (!cfg->group_ids.empty() &&
      (!group_id || std::find(cfg->group_ids.begin(), cfg->group_ids.end(), *group_id) == cfg->group_ids.end()))
    return {};
  if (!cfg->channels.empty() && std::find(cfg->channels.begin(), cfg->channels.end(), channel) == cfg->channels.end())
    return {};
  if (cfg->first_solve_only) {
    auto earlier = conn.scalar("SELECT 1 FROM feedback_requests WHERE ticket_id = ? AND kind = 'survey'", {ticket_id});
    if (!earlier) return fail(earlier.error());
    if (*earlier) return {};
  }
  std::string agent_name, requester_role, requester_tags;
  std::optional<std::string> email;
  std::optional<int64_t> site_id;
  st = conn.each("SELECT name, site_id FROM users WHERE id = ?", {*assignee}, [&](const store::Row& r) {
    agent_name = r.text(0);
    site_id = r.opt_i64(1);
  });
  if (!st) return fail(st.error());
  st = conn.each("SELECT role, email, tags FROM users WHERE id = ?", {requester}, [&](const store::Row& r) {
    requester_role = r.text(0);
    email = r.opt_text(1);
    requester_tags = r.text(2);
  });
  if (!st) return fail(st.error());

  int64_t now = now_epoch();
  std::optional<std::string> reason;
  if (requester_role != "end-user") reason = "requester_is_staff";
  // Email intake tags tickets opened or continued by automatic mail (auto-replies, bulk, bounces,
  // rate-limited senders): nothing automatic may answer those.
  else if (ticket_tags.find("\"mail_auto_submitted\"") != std::string::npos) reason = "auto_submitted_mail";
  else if (!email && channel == "email") reason = "no_email_address";
  else if (email && looks_like_no_reply(*email)) reason = "no_reply_address";
  else if (requester_tags.find("\"email_bouncing\"") != std::string::npos) reason = "bouncing_address";
  else if (cfg->suppression_days > 0) {
    auto recent = conn.scalar(
        "SELECT 1 FROM feedback_requests WHERE requester_id = ? AND kind = 'survey' AND status <> 'suppressed' "
        "AND created_at > ? LIMIT 1",
        {requester, now - int64_t{cfg->suppression_days} * 86400});
    if (!recent) return fail(recent.error());
    if (*recent) reason = "recently_surveyed";
  }
  Request r;
  r.kind = "survey";
  r.ticket_id = ticket_id;
  r.agent_id = *assignee;
  r.requester_id = requester;
  r.group_id = group_id;
  r.site_id = site_id;
  r.channel = channel;
  r.suppressed_reason = reason;
  auto issued = issue_request(tx, r, *cfg, email, agent_name, subject, base_url);
  if (!issued) return fail(issued.error());
  return {};
}

Result<Request> issue_request(store::Tx& tx, Request r, const Config& cfg, const std::optional<std::string>& email,
                              const std::string& agent_name, const std::string& subject, const std::string& base_url) {
  auto& conn = tx.conn();
  int64_t now = now_epoch();
  r.nonce = crypto::random_token(16);
  r.created_at = now;
  r.expires_at = now + int64_t{cfg.expiry_days} * 86400;
  // Email requests wait in the outbox until the email channel sends them; on other channels
  // the link is handed to the customer in the conversation, so it counts as delivered now.
  bool by_email = r.channel == "email" && email && !looks_like_no_reply(*email);
  r.status = r.suppressed_reason ? "suppressed" : (by_email ? "pending" : "delivered");
  if (r.status == "delivered") r.delivered_at = now;
  auto ins = conn.run(
      "INSERT INTO feedback_requests(kind, ticket_id, agent_id, requester_id, group_id, site_id, channel, status, "
      "suppressed_reason, nonce, recovery_case_id, created_at, delivered_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {r.kind, r.ticket_id, r.agent_id, r.requester_id, r.group_id, r.site_id, r.channel, r.status, r.suppressed_reason,
       r.nonce, r.recovery_case_id, r.created_at, r.delivered_at, r.expires_at});
  if (!ins) return fail(ins.error());
  r.id = conn.last_insert_id();
  if (r.status == "pending") {
    auto secret = ensure_secret(tx);
    if (!secret) return fail(secret.error());
    if (auto q = queue_survey_email(tx, r, *email, agent_name, subject, survey_url(base_url, *secret, r), now); !q)
      return fail(q.error());
  }
  events::Event ev{"feedback.requested", "feedback_request", r.id, std::nullopt, std::nullopt,
                   {{"ticket_id", r.ticket_id}, {"agent_id", r.agent_id}, {"status", r.status}, {"kind", r.kind},
                    {"suppressed_reason", r.suppressed_reason ? Json(*r.suppressed_reason) : Json(nullptr)}}};
  if (auto a = events::append(conn, ev, now); !a) return fail(a.error());
  return r;
}

Result<std::vector<Request>> requests_for_ticket(store::Conn& conn, int64_t ticket_id) {
  std::vector<Request> out;
  int64_t now = now_epoch();
  auto st = conn.each(std::string("SELECT ") + k_request_columns + " FROM feedback_requests WHERE ticket_id = ? ORDER BY id",
                      {ticket_id}, [&](const store::Row& r) {
                        auto q = map_request(r);
                        if (q.status != "answered" && q.status != "suppressed" && q.expires_at <= now) q.status = "expired";
                        out.push_back(std::move(q));
                      });
  if (!st) return fail(st.error());
  return out;
}

Result<Survey> open_survey(store::Conn& conn, const std::string& secret, const std::string& token) {
  auto r = verify_link(conn, secret, token);
  if (!r) return fail(r.error());
  Survey s;
  s.request = *r;
  if (s.request.status != "answered" && s.request.expires_at <= now_epoch()) s.request.status = "expired";
  auto st = conn.each("SELECT name, bio, photo_url FROM users WHERE id = ?", {r->agent_id}, [&](const store::Row& row) {
    s.agent_name = row.text(0);
    s.agent_bio = row.text(1);
    s.agent_photo = row.opt_text(2);
  });
  if (!st) return fail(st.error());
  s.agent_first_name = first_name(s.agent_name);
  auto subj = conn.scalar_text("SELECT subject FROM tickets WHERE id = ?", {r->ticket_id});
  if (!subj) return fail(subj.error());
  s.ticket_subject = subj->value_or("");
  auto cfg = load_config(conn);
  if (!cfg) return fail(cfg.error());
  s.config = *cfg;
  auto rating = rating_for_request(conn, r->id);
  if (!rating) return fail(rating.error());
  s.rating = *rating;
  return s;
}

Status mark_opened(store::Tx& tx, const std::string& secret, const std::string& token) {
  auto r = verify_link(tx.conn(), secret, token);
  if (!r) return fail(r.error());
  if (r->opened_at) return {};
  int64_t now = now_epoch();
  auto u = tx.conn().run(
      "UPDATE feedback_requests SET opened_at = ?, delivered_at = COALESCE(delivered_at, ?), "
      "status = CASE WHEN status IN ('pending','delivered') THEN 'opened' ELSE status END WHERE id = ?",
      {now, now, r->id});
  if (!u) return fail(u.error());
  events::Event e{"feedback.opened", "feedback_request", r->id, std::nullopt, std::nullopt, {{"ticket_id", r->ticket_id}}};
  if (auto a = events::append(tx.conn(), e, now); !a) return fail(a.error());
  return {};
}

Result<Rating> submit(store::Tx& tx, const std::string& secret, const std::string& token, const Answer& a) {
  auto& conn = tx.conn();
  auto r = verify_link(conn, secret, token);
  if (!r) return fail(r.error());
  int64_t now = now_epoch();
  if (r->status == "answered") return fail(Error::conflict("This survey was already answered. Thank you!"));
  if (r->status == "suppressed") return fail(Error::not_found());
  if (r->expires_at <= now) return fail(Error::invalid("This survey link has expired.", "Expired"));
  auto cfg = load_config(conn);
  if (!cfg) return fail(cfg.error());
  Validation v;
  if (!a.stars || *a.stars < 1 || *a.stars > 5) v.add("stars", "InvalidValue", "Stars: choose 1 to 5 stars");
  if (a.nps && (*a.nps < 0 || *a.nps > 10)) v.add("nps", "InvalidValue", "NPS: must be 0 to 10");
  if (a.comment.size() > 5000) v.add("comment", "InvalidValue", "Comment: is too long (maximum is 5000 characters)");
  Json tags = Json::array();
  if (a.stars && *a.stars >= 1 && *a.stars <= 5) {
    // Improvement areas go with 1-3 stars, excellence areas with 4-5. A form without script shows
    // both lists, so a tag from the other list is dropped rather than failing the customer's answer.
    const auto& allowed = *a.stars >= 4 ? cfg->excellence_tags : cfg->improvement_tags;
    const auto& other = *a.stars >= 4 ? cfg->improvement_tags : cfg->excellence_tags;
    for (const auto& t : a.tags) {
      bool in_band = std::find(allowed.begin(), allowed.end(), t) != allowed.end();
      bool known = in_band || std::find(other.begin(), other.end(), t) != other.end();
      if (!known) v.add("tags", "InvalidValue", "Tags: " + t + " is not an option");
      else if (in_band && std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
    }
  }
  Json answers = Json::object();
  for (const auto& [id, value] : a.custom) {
    auto q = std::find_if(cfg->questions.begin(), cfg->questions.end(), [&](const Question& x) { return x.id == id; });
    if (q == cfg->questions.end() || value.empty()) continue;  // unknown or unanswered: optional
    if (q->type == "scale") {
      auto n = parse_int(value);
      if (!n || *n < q->min || *n > q->max)
        v.add("answers", "InvalidValue", q->label + ": choose " + std::to_string(q->min) + " to " + std::to_string(q->max));
      else answers[id] = *n;
    } else {
      if (std::find(q->options.begin(), q->options.end(), value) == q->options.end())
        v.add("answers", "InvalidValue", q->label + ": " + value + " is not an option");
      else answers[id] = value;
    }
  }
  if (!v.ok()) return fail(v.error());
  Rating x;
  x.request_id = r->id;
  x.kind = r->kind;
  x.ticket_id = r->ticket_id;
  x.agent_id = r->agent_id;
  x.group_id = r->group_id;
  x.site_id = r->site_id;
  x.requester_id = r->requester_id;
  x.stars = a.stars;
  x.score = score_for_stars(*a.stars);
  x.resolved = a.resolved;
  x.nps = cfg->ask_nps ? a.nps : std::nullopt;
  x.comment = a.comment;
  x.tags = tags;
  x.answers = answers;
  x.created_at = x.updated_at = now;
  auto ins = conn.run(
      "INSERT INTO ratings(request_id, kind, ticket_id, agent_id, group_id, site_id, requester_id, stars, score, resolved, "
      "nps, comment, tags, answers, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {x.request_id, x.kind, x.ticket_id, x.agent_id, x.group_id, x.site_id, x.requester_id, x.stars, x.score,
       x.resolved ? std::optional<int64_t>(*x.resolved ? 1 : 0) : std::nullopt, x.nps, x.comment, x.tags.dump(),
       x.answers.dump(), now, now});
  if (!ins) return fail(ins.error().code == ErrorCode::conflict ? Error::conflict("This survey was already answered.") : ins.error());
  x.id = conn.last_insert_id();
  auto u = conn.run(
      "UPDATE feedback_requests SET status = 'answered', answered_at = ?, opened_at = COALESCE(opened_at, ?), "
      "delivered_at = COALESCE(delivered_at, ?) WHERE id = ?",
      {now, now, now, r->id});
  if (!u) return fail(u.error());
  std::optional<int64_t> case_id;
  if (x.kind == "survey") {
    // Zendesk's view of the latest rating: good or bad; a 3-star answer shows as offered.
    auto t = conn.run("UPDATE tickets SET satisfaction_id = ?, satisfaction_score = ?, satisfaction_comment = ? WHERE id = ?",
                      {x.id, x.score == "neither" ? std::string("offered") : x.score, x.comment, x.ticket_id});
    if (!t) return fail(t.error());
    if (auto d = add_to_daily(conn, x); !d) return fail(d.error());
    auto opened = open_case_if_bad(tx, x, *cfg);
    if (!opened) return fail(opened.error());
    case_id = *opened;
  }
  events::Event e{"rating.created", "rating", x.id, std::nullopt, std::nullopt,
                  {{"ticket_id", x.ticket_id}, {"agent_id", *x.agent_id}, {"stars", *x.stars}, {"score", x.score},
                   {"resolved", x.resolved ? Json(*x.resolved) : Json(nullptr)}, {"nps", x.nps ? Json(*x.nps) : Json(nullptr)},
                   {"kind", x.kind}, {"request_id", r->id}, {"group_id", x.group_id ? Json(*x.group_id) : Json(nullptr)},
                   {"site_id", x.site_id ? Json(*x.site_id) : Json(nullptr)},
                   {"recovery_case_id", case_id ? Json(*case_id) : Json(nullptr)},
                   {"recovers_case_id", r->recovery_case_id ? Json(*r->recovery_case_id) : Json(nullptr)}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return x;
}

Result<Rating> rate_ticket(store::Tx& tx, int64_t ticket_id, const Json& in, const domain::Principal& actor) {
  auto& conn = tx.conn();
  std::optional<int64_t> requester, assignee, group_id;
  std::string status;
  auto st = conn.each("SELECT requester_id, assignee_id, group_id, status FROM tickets WHERE id = ? AND deleted_at IS NULL",
                      {ticket_id}, [&](const store::Row& r) {
                        requester = r.i64(0);
                        assignee = r.opt_i64(1);
                        group_id = r.opt_i64(2);
                        status = r.text(3);
                      });
  if (!st) return fail(st.error());
  if (!requester) return fail(Error::not_found());
  if (actor.user_id != *requester) {
    if (actor.is_staff()) return fail(Error::forbidden());
    return fail(Error::not_found());
  }
  if (status != "solved" && status != "closed")
    return fail(Error::field("base", "InvalidValue", "Satisfaction rating: the ticket must be solved first"));
  Validation v;
  JsonInput input(in, v);
  auto score = input.str("score");
  auto comment = input.str("comment", 5000).value_or("");
  auto reason = input.integer("reason_code");
  if (!score || (*score != "good" && *score != "bad"))
    v.add("score", "InvalidValue", "Score: must be good or bad");
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  Rating x;
  x.kind = "zendesk";
  x.ticket_id = ticket_id;
  x.agent_id = assignee;
  x.group_id = group_id;
  x.requester_id = *requester;
  x.score = *score;
  x.comment = comment;
  x.reason_code = reason;
  x.created_at = x.updated_at = now;
  auto ins = conn.run(
      "INSERT INTO ratings(kind, ticket_id, agent_id, group_id, requester_id, score, comment, reason_code, created_at, updated_at) "
      "VALUES (?,?,?,?,?,?,?,?,?,?)",
      {x.kind, x.ticket_id, x.agent_id, x.group_id, x.requester_id, x.score, x.comment, x.reason_code, now, now});
  if (!ins) return fail(ins.error());
  x.id = conn.last_insert_id();
  auto t = conn.run("UPDATE tickets SET satisfaction_id = ?, satisfaction_score = ?, satisfaction_comment = ? WHERE id = ?",
                    {x.id, x.score, x.comment, ticket_id});
  if (!t) return fail(t.error());
  events::Event e{"rating.created", "rating", x.id, actor.user_id, actor.token_id,
                  {{"ticket_id", ticket_id}, {"agent_id", assignee ? Json(*assignee) : Json(nullptr)}, {"score", x.score},
                   {"kind", x.kind}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return x;
}

Result<Rating> get_rating(store::Conn& conn, int64_t id, const domain::Principal& actor) {
  std::optional<Rating> out;
  auto st = conn.each(std::string("SELECT ") + k_rating_columns + " FROM ratings WHERE id = ?", {id},
                      [&](const store::Row& r) { out = map_rating(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  bool allowed = actor.is_admin() || (actor.is_staff() && actor.rapport_role != domain::RapportRole::none) ||
                 (actor.is_staff() && out->agent_id == actor.user_id) || out->requester_id == actor.user_id;
  if (!allowed && actor.is_staff()) {
    // Whoever works the rating's recovery case (assigned, or in its recovery group) reads it too.
    store::Params params{id, actor.user_id};
    std::string groups;
    if (!actor.group_ids.empty()) {
      groups = " OR group_id IN (" + store::placeholders(actor.group_ids.size()) + ")";
      for (auto g : actor.group_ids) params.push_back(g);
    }
    auto works = conn.scalar("SELECT 1 FROM recovery_cases WHERE rating_id = ? AND (assignee_id = ?" + groups + ")", params);
    if (!works) return fail(works.error());
    allowed = works->has_value();
  }
  if (!allowed) return fail(Error::not_found());
  return *out;
}

Result<domain::Page<Rating>> list_ratings(store::Conn& conn, const RatingFilter& f, const domain::PageRequest& pr,
                                          const domain::Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  store::ListQuery q{k_rating_columns, "ratings", {}, {}};
  // Agents see their own feedback; leads, QA, managers and admins see everyone's.
  if (!actor.is_admin() && actor.rapport_role == domain::RapportRole::none) {
    q.where.push_back("agent_id = ?");
    q.params.push_back(actor.user_id);
  }
  if (f.score) {
    const auto& s = *f.score;
    if (s == "good" || s == "good_with_comment" || s == "good_without_comment") q.where.push_back("score = 'good'");
    else if (s == "bad" || s == "bad_with_comment" || s == "bad_without_comment") q.where.push_back("score = 'bad'");
    else if (s == "received" || s == "received_with_comment" || s == "received_without_comment") {
    } else if (s == "offered") {
      q.where.push_back("score = 'neither'");  // a 3-star answer shows as offered: neither good nor bad
    } else if (s == "unoffered") {
      q.where.push_back("0");  // every stored rating is an answer
    } else return fail(Error::invalid("score is not a valid filter"));
    if (s.ends_with("_with_comment")) q.where.push_back("comment <> ''");
    if (s.ends_with("_without_comment")) q.where.push_back("comment = ''");
  }
  for (auto [col, v] : {std::pair{"agent_id = ?", &f.agent_id}, {"group_id = ?", &f.group_id}, {"site_id = ?", &f.site_id}}) {
    if (!*v) continue;
    q.where.push_back(col);
    q.params.push_back(**v);
  }
  if (f.kind) {
    q.where.push_back("kind = ?");
    q.params.push_back(*f.kind);
  }
  if (f.start_time) {
    q.where.push_back("created_at >= ?");
    q.params.push_back(*f.start_time);
  }
  if (f.end_time) {
    q.where.push_back("created_at < ?");
    q.params.push_back(*f.end_time);
  }
  return store::run_list<Rating>(conn, q, pr, map_rating);
}

}  // namespace rapport::feedback
