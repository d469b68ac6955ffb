// Known incidents (Rapport-only, in Zendesk's style): admins and managers open and resolve them,
// agents read them, and an embedding product asks which open incidents affect a service, a region
// or one of its customers before that customer contacts support.
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/knowledge/incidents.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::http {

namespace {

const std::vector<std::string> k_sorts = {"id", "created_at", "updated_at"};

Json strings(const std::vector<std::string>& v) {
  Json out = Json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

Json opt_time(const std::optional<int64_t>& t) { return t ? Json(iso8601(*t)) : Json(nullptr); }

Json incident_json(const knowledge::Incident& i, const std::string& base) {
  return {{"id", i.id},
          {"url", base + "/api/v2/incidents/" + std::to_string(i.id) + ".json"},
          {"title", i.title},
          {"service", i.service},
          {"regions", strings(i.regions)},
          {"keywords", strings(i.keywords)},
          {"category_tag", i.category_tag ? Json(*i.category_tag) : Json(nullptr)},
          {"public_message", i.public_message},
          {"resolution_message", i.resolution_message},
          {"status", i.status},
          {"starts_at", iso8601(i.starts_at)},
          {"ends_at", opt_time(i.ends_at)},
          {"created_by", i.created_by},
          {"resolved_by", i.resolved_by ? Json(*i.resolved_by) : Json(nullptr)},
          {"resolved_at", opt_time(i.resolved_at)},
          {"linked_tickets", i.linked_count},
          {"solved_tickets", i.solved_count},
          {"created_at", iso8601(i.created_at)},
          {"updated_at", iso8601(i.updated_at)}};
}

// What the public may know of an incident: no matching rules, no counts, no people.
Json public_json(const knowledge::Incident& i) {
  return {{"id", i.id},
          {"title", i.title},
          {"service", i.service},
          {"regions", strings(i.regions)},
          {"public_message", i.public_message},
          {"status", i.status},
          {"starts_at", iso8601(i.starts_at)},
          {"ends_at", opt_time(i.ends_at)}};
}

void write_incident(const CtxPtr& c, std::function<Result<knowledge::Incident>(store::Tx&)> fn, unsigned status) {
  write_record<knowledge::Incident>(c, status, "incident", std::move(fn), [c](const knowledge::Incident& x) { return incident_json(x, c->base); }, "incidents");
}

void list(const CtxPtr& c) {
  auto pr = page_request(*c, true, k_sorts);
  if (!pr) return c->api.reply_error(c, pr.error());
  std::optional<std::string> status;
  if (auto s = c->param("status"); s && !s->empty()) {
    if (*s != "open" && *s != "resolved") return c->api.reply_error(c, Error::invalid("status must be open or resolved"));
    status = *s;
  }
  with_read(c, [&](store::Conn& conn) {
    auto page = knowledge::list_incidents(conn, status, *pr, c->who);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<knowledge::Incident>(c, "incidents", *page, *pr,
                                    [&](const knowledge::Incident& i) { return incident_json(i, c->base); });
  });
}

void show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto i = knowledge::get_incident(conn, *id, c->who);
    if (!i) return c->api.reply_error(c, i.error());
    c->api.reply_json(c, 200, {{"incident", incident_json(*i, c->base)}});
  });
}

void tickets_of(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto ids = knowledge::incident_ticket_ids(conn, *id, c->who);
    if (!ids) return c->api.reply_error(c, ids.error());
    Json items = Json::array();
    // Shown 100 at a time at most through show_many's rules: only tickets this agent may see.
    std::vector<int64_t> first(ids->begin(), ids->begin() + std::min<std::size_t>(ids->size(), 100));
    auto ts = tickets::tickets_by_ids(conn, first, c->who);
    if (!ts) return c->api.reply_error(c, ts.error());
    for (const auto& t : *ts) items.push_back(to_json(t, c->base));
    c->api.reply_json(c, 200, {{"tickets", items}, {"count", ids->size()}});
  });
}

void create(const CtxPtr& c) {
  auto in = body_object(*c, "incident");
  if (!in) return c->api.reply_error(c, in.error());
  write_incident(c, [in = *in, who = c->who](store::Tx& tx) { return knowledge::create_incident(tx, in, who); }, 201);
}

void update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "incident");
  if (!in) return c->api.reply_error(c, in.error());
  write_incident(c, [in = *in, who = c->who, id = *id](store::Tx& tx) { return knowledge::update_incident(tx, id, in, who); },
                 200);
}

void resolve(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  std::optional<std::string> message;
  if (!trim(c->req.body()).empty()) {
    auto in = body_object(*c, "incident");
    if (!in) return c->api.reply_error(c, in.error());
    if (in->contains("resolution_message")) {
      if (!(*in)["resolution_message"].is_string())
        return c->api.reply_error(c, Error::field("resolution_message", "InvalidValue", "Resolution message: must be a string"));
      message = (*in)["resolution_message"].get<std::string>();
    }
  }
  write_incident(c, [message, who = c->who, id = *id](store::Tx& tx) { return knowledge::resolve_incident(tx, id, message, who); },
                 200);
}

// GET /api/v2/incidents/status?service=&region= (anyone) or ?email= / ?external_id= (a staff
// credential: customer data is not public).
void status(const CtxPtr& c) {
  knowledge::StatusQuery q;
  auto take = [&](const char* key, std::optional<std::string>& target) {
    if (auto v = c->param(key); v && !v->empty()) target = v->substr(0, 254);
  };
  take("service", q.service);
  take("region", q.region);
  take("email", q.email);
  take("external_id", q.external_id);
  if (q.email || q.external_id) {
    if (!c->authenticated)
      return c->api.reply_error(c, {ErrorCode::unauthenticated, "Couldn't authenticate you", {}, {}});
    if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  }
  with_read(c, [&](store::Conn& conn) {
    auto r = knowledge::incident_status(conn, q, now_epoch());
    if (!r) return c->api.reply_error(c, r.error());
    Json items = Json::array();
    for (const auto& i : r->incidents) items.push_back(public_json(i));
    Json out = {{"incidents", items}, {"count", items.size()}, {"region", r->region ? Json(*r->region) : Json(nullptr)}};
    if (q.email || q.external_id) out["customer_id"] = r->customer_id ? Json(*r->customer_id) : Json(nullptr);
    c->api.reply_json(c, 200, out);
  });
}

}  // namespace

void register_incident_routes(Api& api) {
  constexpr auto R = AuthMode::required;
  api.add("GET", "/api/v2/incidents/status", AuthMode::optional, status);  // before /incidents/{}
  api.add("GET", "/api/v2/incidents", R, list);
  api.add("POST", "/api/v2/incidents", R, create);
  api.add("GET", "/api/v2/incidents/{}", R, show);
  api.add("PUT", "/api/v2/incidents/{}", R, update);
  api.add("POST", "/api/v2/incidents/{}/resolve", R, resolve);
  api.add("GET", "/api/v2/incidents/{}/tickets", R, tickets_of);
}

}  // namespace rapport::http
