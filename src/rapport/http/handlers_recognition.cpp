// Service recovery cases, reactions to ratings, rewards, leaderboards, the daily digest and the
// public kudos wall.
#include <algorithm>

#include <spdlog/spdlog.h>

#include <rapport/base/time.hpp>
#include <rapport/feedback/recognition.hpp>
#include <rapport/feedback/recovery.hpp>
#include <rapport/feedback/recognition.hpp>
#include <rapport/http/feedback_stream.hpp>
#include <rapport/http/handler_util.hpp>

namespace rapport::http {

namespace {

std::optional<int64_t> int_param(const Ctx& c, const std::string& key, bool& bad) {
  auto s = c.param(key);
  if (!s || s->empty()) return std::nullopt;
  auto v = parse_int(*s);
  if (!v) bad = true;
  return v;
}

// A day parameter: "2026-11-30" (or a full ISO time, which names its UTC day).
Result<std::optional<int64_t>> day_param(const Ctx& c, const std::string& key) {
  auto s = c.param(key);
  if (!s || s->empty()) return std::optional<int64_t>{};
  // A date names the organization's calendar day; a timestamp, the local day it falls in.
  if (auto d = parse_day(*s)) return std::optional<int64_t>(*d);
  auto t = parse_iso8601(*s);
  if (!t) return fail(Error::invalid(key + " must be a date like 2026-11-30"));
  return std::optional<int64_t>(local_day(*t));
}

std::string link_base(const CtxPtr& c) {
  const auto& configured = c->api.config().public_url;
  return configured.empty() ? c->base : configured;
}

template <typename T, typename Run, typename Encode>
void write_and_reply(const CtxPtr& c, unsigned status, const std::string& key, Run run, Encode encode) {
  auto out = std::make_shared<T>();
  c->api.write(
      c, [run, out](store::Tx& tx) -> Status {
        auto r = run(tx);
        if (!r) return fail(r.error());
        *out = *r;
        return {};
      },
      [c, status, key, out, encode](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, status, {{key, encode(*out)}});
      });
}

// ---- recovery cases ------------------------------------------------------------------------

void cases_list(const CtxPtr& c) {
  auto pr = page_request(*c, true, {"id", "due_at", "created_at"});
  if (!pr) return c->api.reply_error(c, pr.error());
  feedback::CaseFilter f;
  bool bad = false;
  if (auto s = c->param("status"); s && !s->empty()) f.status = *s;
  f.group_id = int_param(*c, "group_id", bad);
  f.assignee_id = int_param(*c, "assignee_id", bad);
  f.agent_id = int_param(*c, "agent_id", bad);
  f.overdue = c->param("overdue").value_or("") == "true";
  if (bad) return c->api.reply_error(c, Error::invalid("group_id, assignee_id and agent_id must be ids"));
  with_read(c, [&](store::Conn& conn) {
    auto page = feedback::list_cases(conn, f, *pr, c->who);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<feedback::RecoveryCase>(c, "recovery_cases", *page, *pr,
                                       [](const feedback::RecoveryCase& x) { return feedback::to_json(x); });
  });
}

void case_show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = feedback::get_case(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"recovery_case", feedback::to_json(*r)}});
  });
}

void case_update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "recovery_case");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<feedback::RecoveryCase>(
      c, 200, "recovery_case",
      [in = *in, id = *id, who = c->who, base = link_base(c)](store::Tx& tx) {
        return feedback::update_case(tx, id, in, who, base);
      },
      [](const feedback::RecoveryCase& x) { return feedback::to_json(x); });
}

void cases_report(const CtxPtr& c) {
  auto from = day_param(*c, "from");
  auto to = day_param(*c, "to");
  if (!from || !to) return c->api.reply_error(c, (!from ? from : to).error());
  bool bad = false;
  auto group = int_param(*c, "group_id", bad);
  if (bad) return c->api.reply_error(c, Error::invalid("group_id must be an id"));
  int64_t today = local_day(now_epoch());
  int64_t to_day = to->value_or(today) + 1;  // `to` is inclusive
  int64_t from_day = from->value_or(to_day - 30);
  if (to_day <= from_day) return c->api.reply_error(c, Error::invalid("to must not be before from"));
  with_read(c, [&](store::Conn& conn) {
    auto r = feedback::recovery_report(conn, local_day_start(from_day), local_day_start(to_day), group, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"recovery_report", *r}});
  });
}

// ---- reactions and rewards -----------------------------------------------------------------

void reaction_create(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "reaction");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<feedback::Reaction>(
      c, 201, "reaction",
      [in = *in, id = *id, who = c->who](store::Tx& tx) { return feedback::add_reaction(tx, id, in, who); },
      [](const feedback::Reaction& r) { return feedback::to_json(r); });
}

void rewards_list(const CtxPtr& c) {
  auto pr = page_request(*c, true, {"id", "created_at"});
  if (!pr) return c->api.reply_error(c, pr.error());
  feedback::RewardFilter f;
  bool bad = false;
  f.agent_id = int_param(*c, "agent_id", bad);
  if (bad) return c->api.reply_error(c, Error::invalid("agent_id must be an id"));
  if (auto s = c->param("status"); s && !s->empty()) f.status = *s;
  with_read(c, [&](store::Conn& conn) {
    auto ledger = feedback::list_rewards(conn, f, *pr, c->who);
    if (!ledger) return c->api.reply_error(c, ledger.error());
    Json items = Json::array();
    for (const auto& w : ledger->page.items) items.push_back(feedback::to_json(w));
    Json body = pr->cursor ? Json::object() : offset_envelope(*c, "rewards", Json::array(), *pr, ledger->page.count);
    if (pr->cursor) {
      std::optional<domain::Cursor> first, last;
      const auto& v = ledger->page.items;
      if (!v.empty()) {
        first = domain::Cursor{sort_key(v.front(), pr->sort_by), v.front().id};
        last = domain::Cursor{sort_key(v.back(), pr->sort_by), v.back().id};
      }
      body = cursor_envelope(*c, "rewards", Json::array(), *pr, first, last, ledger->page.has_more);
    }
    body["rewards"] = items;
    body["points_earned"] = ledger->points_earned;
    body["points_fulfilled"] = ledger->points_fulfilled;
    c->api.reply_json(c, 200, body);
  });
}

void reward_update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "reward");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<feedback::Reward>(
      c, 200, "reward", [in = *in, id = *id, who = c->who](store::Tx& tx) { return feedback::update_reward(tx, id, in, who); },
      [](const feedback::Reward& w) { return feedback::to_json(w); });
}

// ---- the live stream ---------------------------------------------------------------------

void stream(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto* hub = c->api.feedback_stream;
  if (!hub) return c->api.reply_error(c, Error::unavailable("the live stream is not running"));
  StreamFilter f;
  bool bad = false;
  f.group_id = int_param(*c, "group_id", bad);
  f.site_id = int_param(*c, "site_id", bad);
  f.agent_id = int_param(*c, "agent_id", bad);
  auto backfill = int_param(*c, "backfill", bad);
  // EventSource sends Last-Event-ID itself when it reconnects; the parameter is for other clients.
  auto last = c->header("Last-Event-ID");
  if (!last || last->empty()) last = c->param("last_event_id");
  std::optional<int64_t> last_id;
  if (last && !last->empty()) {
    last_id = parse_int(*last);
    if (!last_id) bad = true;
  }
  if (bad) return c->api.reply_error(c, Error::invalid("group_id, site_id, agent_id, backfill and Last-Event-ID must be numbers"));
  if (auto s = c->param("score"); s && !s->empty()) {
    if (*s != "good" && *s != "bad" && *s != "neither")
      return c->api.reply_error(c, Error::invalid("score must be good, bad or neither"));
    f.score = *s;
  }
  // Agents follow their own feedback; leads, QA, managers and admins anyone's.
  if (!feedback::sees_all_feedback(c->who)) {
    if (f.agent_id && *f.agent_id != c->who.user_id) return c->api.reply_error(c, Error::forbidden());
    f.agent_id = c->who.user_id;
  }
  Response head{bhttp::status::ok, 11};
  head.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  head.set("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
  auto sink = c->api.stream(c, std::move(head));
  if (!sink) return;
  auto st = hub->subscribe(sink, f, last_id, static_cast<int>(std::clamp<int64_t>(backfill.value_or(20), 0, 200)));
  if (!st) {
    spdlog::error("request_id={} event=stream_subscribe_failed error=\"{}\"", c->request_id, st.error().message);
    sink->close();
  }
}

// ---- leaderboards, digest, kudos -----------------------------------------------------------

void leaderboard(const CtxPtr& c) {
  auto from = day_param(*c, "from");
  auto to = day_param(*c, "to");
  if (!from || !to) return c->api.reply_error(c, (!from ? from : to).error());
  feedback::LeaderboardQuery q;
  bool bad = false;
  q.group_id = int_param(*c, "group_id", bad);
  q.site_id = int_param(*c, "site_id", bad);
  if (bad) return c->api.reply_error(c, Error::invalid("group_id and site_id must be ids"));
  int64_t today = local_day(now_epoch());
  q.to_day = to->value_or(today) + 1;  // `to` is inclusive
  q.from_day = from->value_or(q.to_day - 30);
  with_read(c, [&](store::Conn& conn) {
    auto r = feedback::leaderboard(conn, q, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"leaderboard", *r}});
  });
}

void summary(const CtxPtr& c) {
  auto from = day_param(*c, "from");
  auto to = day_param(*c, "to");
  if (!from || !to) return c->api.reply_error(c, (!from ? from : to).error());
  feedback::SummaryQuery q;
  bool bad = false;
  q.group_id = int_param(*c, "group_id", bad);
  q.site_id = int_param(*c, "site_id", bad);
  q.agent_id = int_param(*c, "agent_id", bad);
  if (bad) return c->api.reply_error(c, Error::invalid("group_id, site_id and agent_id must be ids"));
  q.by = c->param("by").value_or("");
  int64_t to_day = to->value_or(local_day(now_epoch())) + 1;  // `to` is inclusive
  int64_t from_day = from->value_or(to_day - 30);
  if (to_day - from_day > 400) return c->api.reply_error(c, Error::invalid("a summary covers at most 400 days"));
  q.from = local_day_start(from_day);
  q.to = local_day_start(to_day);
  with_read(c, [&](store::Conn& conn) {
    auto r = feedback::feedback_summary(conn, q, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"feedback_summary", *r}});
  });
}

void digest(const CtxPtr& c) {
  auto date = day_param(*c, "date");
  if (!date) return c->api.reply_error(c, date.error());
  bool bad = false;
  auto lead = int_param(*c, "lead_id", bad);
  if (bad) return c->api.reply_error(c, Error::invalid("lead_id must be an id"));
  with_read(c, [&](store::Conn& conn) {
    auto r = feedback::daily_digest(conn, lead.value_or(c->who.user_id), date->value_or(local_day(now_epoch())), c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"digest", *r}});
  });
}

Json kudos_json(const feedback::Kudos& k) {
  return {{"rating_id", k.rating_id}, {"agent_first_name", k.agent_first_name}, {"stars", k.stars},
          {"comment", k.comment}, {"created_at", iso8601(k.created_at)}};
}

void kudos_api(const CtxPtr& c) {
  bool bad = false;
  auto agent = int_param(*c, "agent_id", bad);
  auto limit = int_param(*c, "limit", bad);
  if (bad) return c->api.reply_error(c, Error::invalid("agent_id and limit must be numbers"));
  with_read(c, [&](store::Conn& conn) {
    auto k = feedback::public_kudos(conn, agent, static_cast<int>(limit.value_or(30)));
    if (!k) return c->api.reply_error(c, k.error());
    Json items = Json::array();
    for (const auto& x : *k) items.push_back(kudos_json(x));
    c->api.reply_json(c, 200, {{"kudos", items}});
  });
}

void kudos_page(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto k = feedback::public_kudos(conn, std::nullopt, 50);
    if (!k) return c->api.reply_error(c, k.error());
    std::string body = "<h1>Thank you notes</h1><p class=\"muted\">What customers chose to share about the people who helped them.</p>";
    if (k->empty()) body += "<p>No thank-you notes shared yet.</p>";
    for (const auto& x : *k) {
      body += "<figure class=\"card\"><blockquote>" + html_escape(x.comment) + "</blockquote><figcaption>" +
              std::string(static_cast<std::size_t>(x.stars), '*') + " for " + html_escape(x.agent_first_name) + ", " +
              iso8601(x.created_at).substr(0, 10) + "</figcaption></figure>";
    }
    Response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/html; charset=utf-8");
    res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.body() = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                 "content=\"width=device-width,initial-scale=1\"><title>Thank you notes</title><style>"
                 "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}"
                 "main{max-width:640px;margin:0 auto;padding:24px 16px}.card{background:#fff;border-radius:12px;"
                 "padding:16px 20px;margin:12px 0}blockquote{margin:0 0 8px;font-size:18px}.muted,figcaption{color:#5b6474}"
                 "</style></head><body><main>" + body + "</main></body></html>";
    c->api.reply(c, std::move(res));
  });
}

}  // namespace

void register_recognition_routes(Api& api) {
  auto R = AuthMode::required;
  api.add("GET", "/api/v2/recovery_cases", R, cases_list);
  api.add("GET", "/api/v2/recovery_cases/report", R, cases_report);
  api.add("GET", "/api/v2/recovery_cases/{}", R, case_show);
  api.add("PUT", "/api/v2/recovery_cases/{}", R, case_update);
  api.add("POST", "/api/v2/satisfaction_ratings/{}/reactions", R, reaction_create);
  api.add("GET", "/api/v2/rewards", R, rewards_list);
  api.add("PUT", "/api/v2/rewards/{}", R, reward_update);
  api.add("GET", "/api/v2/leaderboards/agents", R, leaderboard);
  api.add("GET", "/api/v2/feedback/digest", R, digest);
  api.add("GET", "/api/v2/feedback/summary", R, summary);
  api.add("GET", "/api/v2/feedback/stream", R, stream);
  api.add("GET", "/api/v2/kudos", AuthMode::none, kudos_api);
  api.add("GET", "/kudos", AuthMode::none, kudos_page);
}

}  // namespace rapport::http
