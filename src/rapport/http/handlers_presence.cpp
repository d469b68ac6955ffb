// Collision detection on the ticket page: POST/DELETE /api/v2/tickets/{id}/presence (the agent's
// heartbeat and leave), GET (who else is there) and GET .../presence/stream (the same, live, as
// Server-Sent Events). Agents only, and only on tickets they may see (404 otherwise, as for the
// ticket itself). The registry is in memory on this node (ticket_presence.hpp).
#include <spdlog/spdlog.h>

#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/http/ticket_presence.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::http {

namespace {

// The state from {"state": ...} or Zendesk-style {"presence": {"state": ...}}.
Result<std::string> read_state(const Ctx& c) {
  const auto& body = c.req.body();
  const std::string want = "The request body must be {\"state\": \"viewing\" | \"replying\"}";
  if (body.size() > 1024 || trim(body).empty()) return fail(Error::invalid(want));
  auto j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(Error::invalid(want));
  if (j.contains("presence") && j["presence"].is_object()) j = j["presence"];
  if (!j.contains("state") || !j["state"].is_string()) return fail(Error::invalid(want));
  auto s = j["state"].get<std::string>();
  if (s != "viewing" && s != "replying")
    return fail(Error::field("state", "InvalidValue", "State: must be viewing or replying"));
  return s;
}

// The checks every presence call makes: an agent, the registry running, a ticket they may see.
// Replies and returns nullopt on failure; the agent's name otherwise.
template <typename F>
void with_ticket(const CtxPtr& c, F&& fn) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto* reg = c->api.presence;
  if (!reg) return c->api.reply_error(c, Error::unavailable("presence is not running"));
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto t = tickets::get_ticket(conn, *id, c->who);
    if (!t) return c->api.reply_error(c, t.error());
    fn(conn, *reg, *id);
  });
}

void heartbeat(const CtxPtr& c) {
  auto state = read_state(*c);
  if (!state) return c->api.reply_error(c, state.error());
  with_ticket(c, [&](store::Conn& conn, TicketPresence& reg, int64_t id) {
    auto u = accounts::get_user(conn, c->who.user_id);
    if (!u) return c->api.reply_error(c, u.error());
    if (auto st = reg.heartbeat(id, c->who.user_id, u->name, *state, now_epoch()); !st)
      return c->api.reply_error(c, st.error());
    c->api.reply_json(c, 200, {{"presence", TicketPresence::to_json(reg.others(id, c->who.user_id))}});
  });
}

void show(const CtxPtr& c) {
  with_ticket(c, [&](store::Conn&, TicketPresence& reg, int64_t id) {
    c->api.reply_json(c, 200, {{"presence", TicketPresence::to_json(reg.others(id, c->who.user_id))}});
  });
}

void leave(const CtxPtr& c) {
  with_ticket(c, [&](store::Conn&, TicketPresence& reg, int64_t id) {
    reg.leave(id, c->who.user_id);
    c->api.reply(c, Response{bhttp::status::no_content, 11});
  });
}

void stream(const CtxPtr& c) {
  with_ticket(c, [&](store::Conn&, TicketPresence& reg, int64_t id) {
    Response head{bhttp::status::ok, 11};
    head.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
    head.set(bhttp::field::cache_control, "no-store");
    head.set("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
    auto sink = c->api.stream(c, std::move(head));
    if (!sink) return;
    if (auto st = reg.subscribe(id, c->who.user_id, sink); !st) {
      spdlog::warn("request_id={} event=presence_subscribe_failed error=\"{}\"", c->request_id, st.error().message);
      sink->close();
    }
  });
}

}  // namespace

void register_presence_routes(Api& api) {
  constexpr auto R = AuthMode::required;
  api.add("GET", "/api/v2/tickets/{}/presence/stream", R, stream);
  api.add("GET", "/api/v2/tickets/{}/presence", R, show);
  api.add("POST", "/api/v2/tickets/{}/presence", R, heartbeat);
  api.add("DELETE", "/api/v2/tickets/{}/presence", R, leave);
}

}  // namespace rapport::http
