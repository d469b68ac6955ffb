// Browser sessions for the web UI: an HttpOnly, SameSite cookie plus a CSRF token that the UI
// sends back in X-CSRF-Token on every state-changing request.
#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/http/handler_util.hpp>

namespace rapport::http {

namespace {

std::string cookie(const CtxPtr& c, const std::string& value, int64_t max_age) {
  return "rapport_session=" + value + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age) +
         (c->api.config().secure_cookies ? "; Secure" : "");
}

void session_body(const CtxPtr& c, store::Conn& conn, int64_t user_id, const std::string& csrf, Response* out) {
  auto u = accounts::get_user(conn, user_id);
  if (!u) {
    *out = error_response(u.error());
    return;
  }
  *out = json_response(200, {{"session", {{"user", to_json(*u, c->base)}, {"csrf_token", csrf}}}});
}

void login(const CtxPtr& c) {
  const auto& body = c->req.body();
  if (!valid_utf8(body)) return c->api.reply_error(c, Error::invalid("The request body is not valid UTF-8"));
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return c->api.reply_error(c, Error::invalid("Malformed JSON"));
  Validation v;
  JsonInput in(j, v);
  auto email = in.str("email", 254), password = in.str("password", 1024);
  if (!email || !password) return c->api.reply_error(c, Error::invalid("email and password are required"));
  if (!c->api.allow_login_attempt(c->ip) || !c->api.allow_login_attempt(to_lower(*email))) {
    auto res = json_response(429, {{"error", "TooManyLoginAttempts"}, {"description", "Too many login attempts; wait a minute"}});
    res.set(bhttp::field::retry_after, "60");
    return c->api.reply(c, std::move(res));
  }
  std::optional<domain::Principal> who;
  {
    auto lease = c->api.store().reads().acquire();
    if (!lease) return c->api.reply_error(c, lease.error());
    auto p = accounts::authenticate_password(**lease, *email, *password);
    if (!p) return c->api.reply_error(c, p.error());
    who = *p;
  }
  auto session = std::make_shared<accounts::NewSession>();
  auto ttl = c->api.config().session_ttl_seconds;
  c->api.write(
      c,
      [uid = who->user_id, session, ttl](store::Tx& tx) -> Status {
        auto s = accounts::create_session(tx, uid, ttl);
        if (!s) return fail(s.error());
        *session = *s;
        return {};
      },
      [c, session, uid = who->user_id, ttl](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        Response res;
        with_read(c, [&](store::Conn& conn) { session_body(c, conn, uid, session->csrf_token, &res); });
        if (c->replied) return;
        res.set(bhttp::field::set_cookie, cookie(c, session->cookie, ttl));
        c->api.reply(c, std::move(res));
      });
}

std::optional<std::string> session_cookie(const CtxPtr& c) {
  auto header = c->header("Cookie");
  if (!header) return std::nullopt;
  for (auto& part : split(*header, ';')) {
    auto kv = trim(part);
    if (kv.rfind("rapport_session=", 0) == 0) return std::string(kv.substr(16));
  }
  return std::nullopt;
}

void current(const CtxPtr& c) {
  auto value = session_cookie(c);
  if (!value) return c->api.reply_error(c, {ErrorCode::unauthenticated, "", {}, {}});
  with_read(c, [&](store::Conn& conn) {
    auto s = accounts::authenticate_session(conn, *value);
    if (!s) return c->api.reply_error(c, s.error());
    Response res;
    session_body(c, conn, s->first.user_id, s->second, &res);
    c->api.reply(c, std::move(res));
  });
}

void logout(const CtxPtr& c) {
  auto value = session_cookie(c);
  if (!value || !c->who.via_session) return c->api.reply_error(c, {ErrorCode::unauthenticated, "", {}, {}});
  c->api.write(
      c, [v = *value](store::Tx& tx) { return accounts::delete_session(tx, v); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        Response res{bhttp::status::no_content, 11};
        res.set(bhttp::field::set_cookie, cookie(c, "", 0));
        c->api.reply(c, std::move(res));
      });
}

}  // namespace

void register_session_routes(Api& api) {
  api.add("POST", "/api/v2/session", AuthMode::none, login);
  api.add("GET", "/api/v2/session", AuthMode::none, current);
  api.add("DELETE", "/api/v2/session", AuthMode::required, logout);
}

}  // namespace rapport::http
