// Organizations, groups and sites: the same five routes each.
#include <rapport/accounts/directory.hpp>
#include <rapport/http/handler_util.hpp>

namespace rapport::http {

namespace {

using Conn = store::Conn;
using Tx = store::Tx;

// The shape every directory resource shares; the functions differ, the HTTP handling does not.
template <typename T>
struct Resource {
  std::string one, many;  // "organization", "organizations"
  std::function<Result<T>(Conn&, domain::Id)> get;
  std::function<Result<domain::Page<T>>(Conn&, const domain::PageRequest&)> list;
  std::function<Result<T>(Tx&, const Json&, const domain::Principal&)> create;
  std::function<Result<T>(Tx&, domain::Id, const Json&, const domain::Principal&)> update;
  std::function<Status(Tx&, domain::Id, const domain::Principal&)> remove;
  bool end_users_may_read = false;
};

template <typename T>
void register_resource(Api& api, const std::shared_ptr<Resource<T>>& res) {
  auto base = "/api/v2/" + res->many;
  auto R = AuthMode::required;
  api.add("GET", base, R, [res](const CtxPtr& c) {
    if (!c->who.is_staff() && !res->end_users_may_read) return c->api.reply_error(c, Error::forbidden());
    auto pr = page_request(*c, true, {"id", "created_at", "updated_at"});
    if (!pr) return c->api.reply_error(c, pr.error());
    with_read(c, [&](Conn& conn) {
      auto page = res->list(conn, *pr);
      if (!page) return c->api.reply_error(c, page.error());
      reply_page<T>(c, res->many, *page, *pr, [&](const T& x) { return to_json(x, c->base); });
    });
  });
  api.add("GET", base + "/{}", R, [res](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    if (!c->who.is_staff()) {
      bool own_org = res->one == "organization" && c->who.organization_id == id;
      if (!own_org && !res->end_users_may_read) return c->api.reply_error(c, Error::forbidden());
    }
    with_read(c, [&](Conn& conn) {
      auto x = res->get(conn, *id);
      if (!x) return c->api.reply_error(c, x.error());
      c->api.reply_json(c, 200, {{res->one, to_json(*x, c->base)}});
    });
  });
  api.add("POST", base, R, [res](const CtxPtr& c) {
    auto in = body_object(*c, res->one.c_str());
    if (!in) return c->api.reply_error(c, in.error());
    auto out = std::make_shared<T>();
    c->api.write(
        c,
        [res, in = std::move(*in), who = c->who, out](Tx& tx) -> Status {
          auto r = res->create(tx, in, who);
          if (!r) return fail(r.error());
          *out = std::move(*r);
          return {};
        },
        [c, res, out](Status st) {
          if (!st) return c->api.reply_error(c, st.error());
          auto rsp = json_response(201, {{res->one, to_json(*out, c->base)}});
          rsp.set(bhttp::field::location, path_of(c, res->many, out->id));
          c->api.reply(c, std::move(rsp));
        });
  });
  api.add("PUT", base + "/{}", R, [res](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    auto in = body_object(*c, res->one.c_str());
    if (!in) return c->api.reply_error(c, in.error());
    auto out = std::make_shared<T>();
    c->api.write(
        c,
        [res, in = std::move(*in), who = c->who, out, id = *id](Tx& tx) -> Status {
          auto r = res->update(tx, id, in, who);
          if (!r) return fail(r.error());
          *out = std::move(*r);
          return {};
        },
        [c, res, out](Status st) {
          if (!st) return c->api.reply_error(c, st.error());
          c->api.reply_json(c, 200, {{res->one, to_json(*out, c->base)}});
        });
  });
  if (res->remove) {
    api.add("DELETE", base + "/{}", R, [res](const CtxPtr& c) {
      auto id = c->id_arg(0);
      if (!id) return c->api.reply_error(c, Error::not_found());
      c->api.write(
          c, [res, who = c->who, id = *id](Tx& tx) { return res->remove(tx, id, who); },
          [c](Status st) {
            if (!st) return c->api.reply_error(c, st.error());
            c->api.reply(c, Response{bhttp::status::no_content, 11});
          });
    });
  }
}

}  // namespace

void register_directory_routes(Api& api) {
  register_resource<domain::Organization>(
      api, std::make_shared<Resource<domain::Organization>>(Resource<domain::Organization>{
               "organization", "organizations", accounts::get_organization, accounts::list_organizations,
               accounts::create_organization, accounts::update_organization, accounts::delete_organization}));
  register_resource<domain::Group>(
      api, std::make_shared<Resource<domain::Group>>(Resource<domain::Group>{
               "group", "groups", accounts::get_group, accounts::list_groups, accounts::create_group,
               accounts::update_group, accounts::delete_group}));
  register_resource<domain::Site>(
      api, std::make_shared<Resource<domain::Site>>(Resource<domain::Site>{
               "site", "sites", accounts::get_site, accounts::list_sites, accounts::create_site,
               accounts::update_site, nullptr}));
}

}  // namespace rapport::http
