// Routing (Rapport-only, in Zendesk's style): skills, agents' skills and capacity, routing
// policies per group, and the live queue of waiting tickets with why each waits. docs/api.md has
// the shapes, docs/routing.md the algorithm.
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/routing/config.hpp>
#include <rapport/routing/router.hpp>

namespace rapport::http {

namespace {

// `{root: [...]}`: the bodies that replace a list.
Result<Json> body_array(const Ctx& c, const char* root) {
  const auto& body = c.req.body();
  const std::string want = std::string("The request body must be a JSON object with a \"") + root + "\" array";
  if (trim(body).empty()) return fail(Error::invalid(want));
  if (!valid_utf8(body)) return fail(Error::invalid("The request body is not valid UTF-8"));
  const int depth = static_cast<int>(c.api.config().max_json_depth);
  if (json_depth(body, depth) > depth)
    return fail(Error::invalid("The JSON is nested deeper than " + std::to_string(depth) + " levels"));
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return fail(Error::invalid("Malformed JSON"));
  if (!j.is_object() || !j.contains(root) || !j[root].is_array()) return fail(Error::invalid(want));
  return j[root];
}

// The agent a path names: an id, or "me".
std::optional<int64_t> agent_arg(const CtxPtr& c) {
  if (!c->args.empty() && c->args[0] == "me") return c->who.user_id;
  return c->id_arg(0);
}


void write_status(const CtxPtr& c, store::Writer::Job job) {
  c->api.write(c, std::move(job), [c](Status st) {
    if (!st) return c->api.reply_error(c, st.error());
    c->api.reply(c, Response{bhttp::status::no_content, 11});
  });
}

// ---- skills ----

void list_skills(const CtxPtr& c) {
  auto pr = page_request(*c, false);
  if (!pr) return c->api.reply_error(c, pr.error());
  std::optional<std::string> type;
  if (auto t = c->param("type"); t && !t->empty()) type = *t;
  with_read(c, [&](store::Conn& conn) {
    auto page = routing::list_skills(conn, c->who, type, *pr);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<routing::Skill>(c, "skills", *page, *pr, [](const routing::Skill& s) { return routing::to_json(s); });
  });
}

void show_skill(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto s = routing::get_skill(conn, *id, c->who);
    if (!s) return c->api.reply_error(c, s.error());
    c->api.reply_json(c, 200, {{"skill", routing::to_json(*s)}});
  });
}

void save_skill(const CtxPtr& c, bool creating) {
  auto id = c->id_arg(0);
  if (!creating && !id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "skill");
  if (!in) return c->api.reply_error(c, in.error());
  write_record<routing::Skill>(
      c, creating ? 201 : 200, "skill",
      [in = std::move(*in), who = c->who, creating, id = id.value_or(0)](store::Tx& tx) {
        return creating ? routing::create_skill(tx, in, who) : routing::update_skill(tx, id, in, who);
      },
      [](const routing::Skill& s) { return routing::to_json(s); }, "routing/skills");
}

void delete_skill(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  write_status(c, [id = *id, who = c->who](store::Tx& tx) { return routing::delete_skill(tx, id, who); });
}

// ---- an agent's skills and capacity ----

Json agent_skills_json(const std::vector<routing::AgentSkill>& skills) {
  Json out = Json::array();
  for (const auto& s : skills) out.push_back(routing::to_json(s));
  return out;
}

void show_agent_skills(const CtxPtr& c) {
  auto id = agent_arg(c);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = routing::agent_skills(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"agent_skills", agent_skills_json(*r)}});
  });
}

void set_agent_skills(const CtxPtr& c) {
  auto id = agent_arg(c);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_array(*c, "agent_skills");
  if (!in) return c->api.reply_error(c, in.error());
  auto out = std::make_shared<std::vector<routing::AgentSkill>>();
  c->api.write(
      c,
      [in = std::move(*in), id = *id, who = c->who, out](store::Tx& tx) -> Status {
        auto r = routing::set_agent_skills(tx, id, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 200, {{"agent_skills", agent_skills_json(*out)}});
      });
}

// {"capacity": {"email": 10}, "load": {"email": 2}, "online": true}: the load is the router's live
// count of the agent's new and open tickets per channel.
Json capacity_json(const CtxPtr& c, int64_t agent, const std::map<std::string, int>& caps) {
  Json load = Json::object();
  bool online = false;
  if (c->api.router) {
    auto l = c->api.router->load(agent);
    online = l.online;
    for (const auto& [channel, n, cap] : l.channels) load[channel] = n;
  }
  for (const auto& [channel, cap] : caps)
    if (!load.contains(channel)) load[channel] = 0;
  return {{"capacity", caps}, {"load", load}, {"online", online}};
}

void show_capacity(const CtxPtr& c) {
  auto id = agent_arg(c);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = routing::agent_capacity(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, capacity_json(c, *id, *r));
  });
}

void set_capacity(const CtxPtr& c) {
  auto id = agent_arg(c);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "capacity");
  if (!in) return c->api.reply_error(c, in.error());
  auto out = std::make_shared<std::map<std::string, int>>();
  c->api.write(
      c,
      [in = std::move(*in), id = *id, who = c->who, out](store::Tx& tx) -> Status {
        auto r = routing::set_agent_capacity(tx, id, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out, id = *id](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 200, capacity_json(c, id, *out));
      });
}

// ---- policies ----

void list_policies(const CtxPtr& c) {
  auto pr = page_request(*c, false);
  if (!pr) return c->api.reply_error(c, pr.error());
  with_read(c, [&](store::Conn& conn) {
    auto page = routing::list_policies(conn, c->who, *pr);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<routing::PolicyRecord>(c, "routing_policies", *page, *pr,
                                      [](const routing::PolicyRecord& p) { return routing::to_json(p); });
  });
}

void show_policy(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto p = routing::get_policy(conn, *id, c->who);
    if (!p) return c->api.reply_error(c, p.error());
    c->api.reply_json(c, 200, {{"routing_policy", routing::to_json(*p)}});
  });
}

void save_policy(const CtxPtr& c, bool creating) {
  auto id = c->id_arg(0);
  if (!creating && !id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "routing_policy");
  if (!in) return c->api.reply_error(c, in.error());
  write_record<routing::PolicyRecord>(
      c, creating ? 201 : 200, "routing_policy",
      [in = std::move(*in), who = c->who, creating, id = id.value_or(0)](store::Tx& tx) {
        return creating ? routing::create_policy(tx, in, who) : routing::update_policy(tx, id, in, who);
      },
      [](const routing::PolicyRecord& p) { return routing::to_json(p); }, "routing/policies");
}

void delete_policy(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  write_status(c, [id = *id, who = c->who](store::Tx& tx) { return routing::delete_policy(tx, id, who); });
}

// ---- the queue ----

void queue(const CtxPtr& c) {
  if (!routing::can_read(c->who))
    return c->api.reply_error(c, Error::forbidden("team leads, managers and admins read the routing queue"));
  std::optional<int64_t> group;
  if (auto g = c->param("group_id"); g && !g->empty()) {
    group = parse_int(*g);
    if (!group) return c->api.reply_error(c, Error::invalid("group_id must be an id"));
  }
  int64_t limit = 100;
  if (auto l = c->param("limit"); l && !l->empty()) {
    auto v = parse_int(*l);
    if (!v || *v < 1 || *v > 1000) return c->api.reply_error(c, Error::invalid("limit must be 1 to 1000"));
    limit = *v;
  }
  if (!c->api.router) return c->api.reply_error(c, Error::unavailable("routing is not running"));
  const int64_t now = now_epoch();
  auto view = c->api.router->queue(group, static_cast<std::size_t>(limit), now);
  if (!view.ready) return c->api.reply_error(c, Error::unavailable("routing is starting; try again shortly"));
  Json items = Json::array();
  for (const auto& e : view.items) {
    Json required = Json::array();
    for (const auto& [skill, level] : e.required) required.push_back({{"skill_id", skill}, {"min_level", level}});
    items.push_back({{"ticket_id", e.ticket_id},
                     {"group_id", e.group_id},
                     {"policy_id", e.policy_id},
                     {"channel", e.channel},
                     {"priority", e.priority ? Json(*e.priority) : Json(nullptr)},
                     {"enqueued_at", iso8601(e.enqueued_at)},
                     {"waiting_seconds", std::max<int64_t>(0, now - e.enqueued_at)},
                     {"sla_breach_at", e.sla_due ? Json(iso8601(*e.sla_due)) : Json(nullptr)},
                     {"reason", std::string(routing::to_string(e.reason))},
                     {"requirements", required},
                     {"next_relaxation_at",
                      e.next_relaxation_at ? Json(iso8601(*e.next_relaxation_at)) : Json(nullptr)}});
  }
  c->api.reply_json(c, 200, {{"queue", items}, {"count", view.total}});
}

}  // namespace

void register_routing_routes(Api& api) {
  auto R = AuthMode::required;
  const std::string s = "/api/v2/routing/skills";
  api.add("GET", s, R, list_skills);
  api.add("POST", s, R, [](const CtxPtr& c) { save_skill(c, true); });
  api.add("GET", s + "/{}", R, show_skill);
  api.add("PUT", s + "/{}", R, [](const CtxPtr& c) { save_skill(c, false); });
  api.add("DELETE", s + "/{}", R, delete_skill);
  const std::string a = "/api/v2/routing/agents/{}";
  api.add("GET", a + "/skills", R, show_agent_skills);
  api.add("PUT", a + "/skills", R, set_agent_skills);
  api.add("GET", a + "/capacity", R, show_capacity);
  api.add("PUT", a + "/capacity", R, set_capacity);
  const std::string p = "/api/v2/routing/policies";
  api.add("GET", p, R, list_policies);
  api.add("POST", p, R, [](const CtxPtr& c) { save_policy(c, true); });
  api.add("GET", p + "/{}", R, show_policy);
  api.add("PUT", p + "/{}", R, [](const CtxPtr& c) { save_policy(c, false); });
  api.add("DELETE", p + "/{}", R, delete_policy);
  api.add("GET", "/api/v2/routing/queue", R, queue);
}

}  // namespace rapport::http
