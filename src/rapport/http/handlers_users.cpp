#include <rapport/accounts/users.hpp>
#include <rapport/http/handler_util.hpp>

namespace rapport::http {

namespace {

void reply_user_write(const CtxPtr& c, unsigned status, const std::shared_ptr<domain::User>& out, Status st) {
  if (!st) return c->api.reply_error(c, st.error());
  auto res = json_response(status, {{"user", to_json(*out, c->base)}});
  if (status == 201) res.set(bhttp::field::location, path_of(c, "users", out->id));
  c->api.reply(c, std::move(res));
}

void list(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto pr = page_request(*c, true, {"id", "created_at", "updated_at"});
  if (!pr) return c->api.reply_error(c, pr.error());
  accounts::UserFilter f;
  for (auto key : {"role", "role[]"}) {
    for (auto& r : c->params(key)) {
      if (!domain::parse_role(r)) return c->api.reply_error(c, Error::invalid("role must be end-user, agent or admin"));
      f.roles.push_back(std::string(domain::to_string(*domain::parse_role(r))));
    }
  }
  if (auto g = c->param("group_id")) f.group_id = parse_int(*g).value_or(-1);
  if (auto s = c->param("site_id")) f.site_id = parse_int(*s).value_or(-1);
  if (auto o = c->param("organization_id")) f.organization_id = parse_int(*o).value_or(-1);
  with_read(c, [&](store::Conn& conn) {
    auto page = accounts::list_users(conn, f, *pr);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<domain::User>(c, "users", *page, *pr, [&](const domain::User& u) { return to_json(u, c->base); });
  });
}

void show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto u = accounts::get_user(conn, *id);
    if (!u) return c->api.reply_error(c, u.error());
    if (!accounts::can_view_user(c->who, *u)) return c->api.reply_error(c, Error::forbidden());
    c->api.reply_json(c, 200, {{"user", to_json(*u, c->base)}});
  });
}

void me(const CtxPtr& c) {
  if (!c->authenticated) return c->api.reply_json(c, 200, {{"user", anonymous_user()}});
  with_read(c, [&](store::Conn& conn) {
    auto u = accounts::get_user(conn, c->who.user_id);
    if (!u) return c->api.reply_error(c, u.error());
    c->api.reply_json(c, 200, {{"user", to_json(*u, c->base)}});
  });
}

void show_many(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto ids = id_list(*c);
  if (!ids) return c->api.reply_error(c, ids.error());
  with_read(c, [&](store::Conn& conn) {
    auto us = accounts::users_by_ids(conn, *ids);
    if (!us) return c->api.reply_error(c, us.error());
    Json items = Json::array();
    for (auto& u : *us) items.push_back(to_json(u, c->base));
    c->api.reply_json(c, 200, {{"users", items}, {"next_page", nullptr}, {"previous_page", nullptr}, {"count", items.size()}});
  });
}

void search(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto pr = page_request(*c, false);
  if (!pr) return c->api.reply_error(c, pr.error());
  auto query = c->param("query").value_or("");
  auto external_id = c->param("external_id");
  if (query.empty() && !external_id) return c->api.reply_error(c, Error::invalid("query or external_id is required"));
  with_read(c, [&](store::Conn& conn) {
    auto page = accounts::search_users(conn, query, external_id, *pr);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<domain::User>(c, "users", *page, *pr, [&](const domain::User& u) { return to_json(u, c->base); });
  });
}

void create(const CtxPtr& c) {
  auto in = body_object(*c, "user");
  if (!in) return c->api.reply_error(c, in.error());
  auto out = std::make_shared<domain::User>();
  c->api.write(
      c,
      [in = std::move(*in), who = c->who, out](store::Tx& tx) -> Status {
        auto r = accounts::create_user(tx, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out](Status st) { reply_user_write(c, 201, out, std::move(st)); });
}

void update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "user");
  if (!in) return c->api.reply_error(c, in.error());
  auto out = std::make_shared<domain::User>();
  c->api.write(
      c,
      [in = std::move(*in), who = c->who, out, id = *id](store::Tx& tx) -> Status {
        auto r = accounts::update_user(tx, id, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out](Status st) { reply_user_write(c, 200, out, std::move(st)); });
}

}  // namespace

void register_user_routes(Api& api) {
  auto R = AuthMode::required;
  api.add("GET", "/api/v2/users", R, list);
  api.add("GET", "/api/v2/users/me", AuthMode::optional, me, RunOn::point);
  api.add("GET", "/api/v2/users/search", R, search);
  api.add("GET", "/api/v2/users/show_many", R, show_many);
  api.add("GET", "/api/v2/users/{}", R, show, RunOn::point);
  api.add("POST", "/api/v2/users", R, create);
  api.add("PUT", "/api/v2/users/{}", R, update);
}

}  // namespace rapport::http
