// Zendesk's uploads: POST /api/v2/uploads?filename=x with the raw file as the body gives a token
// that a comment names in `comment.uploads`; DELETE /api/v2/uploads/{token} drops an unused one.
#include <rapport/http/handler_util.hpp>
#include <rapport/tickets/uploads.hpp>

namespace rapport::http {

namespace {

void upload_create(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto name = c->param("filename");
  if (!name || name->empty())
    return c->api.reply_error(c, Error::invalid("filename is required, e.g. POST /api/v2/uploads?filename=photo.png"));
  auto out = std::make_shared<tickets::Attachment>();
  c->api.write(
      c,
      [c, name = *name, out](store::Tx& tx) -> Status {
        auto a = tickets::create_upload(tx, name, c->header("Content-Type").value_or(""), c->req.body(), c->who);
        if (!a) return fail(a.error());
        *out = std::move(*a);
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        Json att = tickets::attachment_json(*out, c->base);
        c->api.reply_json(c, 201, {{"upload", {{"token", *out->upload_token}, {"expires_at", nullptr},
                                               {"attachments", Json::array({att})}, {"attachment", att}}}});
      });
}

void upload_delete(const CtxPtr& c) {
  if (c->args.empty()) return c->api.reply_error(c, Error::not_found());
  c->api.write(
      c, [token = c->args[0], who = c->who](store::Tx& tx) { return tickets::delete_upload(tx, token, who); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply(c, Response{bhttp::status::no_content, 11});
      });
}

}  // namespace

void register_upload_routes(Api& api) {
  api.add("POST", "/api/v2/uploads", AuthMode::required, upload_create);
  api.add("DELETE", "/api/v2/uploads/{}", AuthMode::required, upload_delete);
}

}  // namespace rapport::http
