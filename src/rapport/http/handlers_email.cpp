// The email channel's intake side: the inbound endpoint for providers that post raw mail, a
// comment's original message, and attachments (metadata and content, served with safe headers).
#include <rapport/email/attachments.hpp>
#include <rapport/email/html.hpp>
#include <rapport/email/intake.hpp>
#include <rapport/email/mailboxes.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::http {

namespace {

Json intake_json(const email::IngestResult& r) {
  return {{"outcome", r.outcome},
          {"message_id", r.message_id},
          {"ticket_id", r.ticket_id ? Json(*r.ticket_id) : Json(nullptr)},
          {"comment_id", r.comment_id ? Json(*r.comment_id) : Json(nullptr)},
          {"auto_submitted", r.auto_submitted},
          {"rate_limited", r.rate_limited},
          {"reason", r.reason.empty() ? Json(nullptr) : Json(r.reason)}};
}

void reply_rejected(const CtxPtr& c, const Error& e) {
  c->api.reply_json(c, 422, {{"error", "MessageRejected"}, {"description", e.message}});
}

// Stores one posted message as arriving at `mailbox_address` (empty: the first of our addresses
// among its recipients).
void inbound_to(const CtxPtr& c, const std::string& mailbox_address) {
  auto ct = to_lower(c->header("Content-Type").value_or(""));
  if (ct.rfind("message/rfc822", 0) != 0)
    return c->api.reply_json(c, 415, {{"error", "UnsupportedMediaType"},
                                      {"description", "Send the raw message with Content-Type: message/rfc822"}});
  const auto& cfg = c->api.config().mail_intake;
  auto raw = std::make_shared<std::string>(std::move(c->req.body()));
  // Parsing is CPU work on this database thread; the writer only stores.
  auto parsed = email::parse_message(*raw, cfg.limits);
  if (!parsed) return reply_rejected(c, parsed.error());
  email::IngestOptions opts;
  opts.mailbox_address = mailbox_address;
  auto msg = std::make_shared<email::ParsedMessage>(std::move(*parsed));
  auto out = std::make_shared<email::IngestResult>();
  c->api.write(
      c,
      [raw, msg, out, cfg, opts](store::Tx& tx) -> Status {
        auto r = email::ingest(tx, *msg, *raw, cfg, opts);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out](Status st) {
        if (!st) {
          if (st.error().kind == "MessageRejected") return reply_rejected(c, st.error());
          return c->api.reply_error(c, st.error());
        }
        auto res = json_response(out->outcome == "duplicate" ? 200 : 201, {{"email", intake_json(*out)}});
        if (out->ticket_id) res.set(bhttp::field::location, path_of(c, "tickets", *out->ticket_id));
        c->api.reply(c, std::move(res));
      });
}

// POST /api/v2/channels/email/inbound: one raw RFC 5322 message, as an MTA or a mail provider
// posts it. 201 when stored (a ticket, a comment, a bounce, or a recorded drop), 200 for a
// message already received, 422 with the reason when the message is refused. Who may post: an
// admin (to any mailbox, ?mailbox= or by the recipients), or a mailbox's own integration token
// (`Authorization: Bearer rin_...`, to that mailbox only), so an MTA need not hold an admin's
// credentials. The route authenticates optionally: the generic bearer lookup does not know these
// tokens, so they arrive here as an anonymous request and are checked here.
void inbound(const CtxPtr& c) {
  if (c->who.is_admin()) return inbound_to(c, c->param("mailbox").value_or(""));
  auto auth = c->header("Authorization").value_or("");
  if (!c->authenticated && auth.rfind("Bearer rin_", 0) == 0) {
    std::optional<std::string> address;
    with_read(c, [&](store::Conn& conn) {
      auto m = email::inbound_token_mailbox(conn, trim(std::string_view(auth).substr(7)));
      if (!m) return c->api.reply_error(c, m.error());
      if (!*m) return c->api.reply_error(c, Error{ErrorCode::unauthenticated, "invalid_token", {}, "invalid_token"});
      address = std::move(*m);
    });
    if (!address) return;
    if (auto named = c->param("mailbox"); named && !iequals(*named, *address))
      return c->api.reply_error(c, Error{ErrorCode::forbidden, "This token posts mail to " + *address + " only", {},
                                         "WrongMailbox"});
    return inbound_to(c, *address);
  }
  if (!c->authenticated) return c->api.reply_error(c, Error{ErrorCode::unauthenticated, "Couldn't authenticate you", {}, {}});
  c->api.reply_error(c, Error::forbidden());
}

// POST /api/v2/channels/email/mailboxes/{id}/inbound_token: a new integration token for the
// inbound endpoint (replacing the old one), shown this once. DELETE revokes it. Admins only.
void inbound_token_create(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto out = std::make_shared<std::string>();
  c->api.write(
      c,
      [id = *id, who = c->who, out](store::Tx& tx) -> Status {
        auto t = email::create_inbound_token(tx, id, who);
        if (!t) return fail(t.error());
        *out = std::move(*t);
        return {};
      },
      [c, out, id = *id](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 201, {{"inbound_token", {{"mailbox_id", id}, {"token", *out}}}});
      });
}

void inbound_token_revoke(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  c->api.write(
      c, [id = *id, who = c->who](store::Tx& tx) { return email::revoke_inbound_token(tx, id, who); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        Response res{bhttp::status::no_content, 11};
        c->api.reply(c, std::move(res));
      });
}

// `Content-Disposition` with a plain fallback name and the UTF-8 name (RFC 6266 / 5987).
std::string disposition(const std::string& kind, const std::string& file_name) {
  std::string ascii;
  for (unsigned char ch : file_name) ascii.push_back(ch < 0x80 && ch >= 0x20 && ch != '"' && ch != '\\' ? static_cast<char>(ch) : '_');
  return kind + "; filename=\"" + ascii + "\"; filename*=UTF-8''" + url_encode(file_name);
}

// GET /api/v2/tickets/{id}/comments/{comment_id}/original: the message a comment came from, as
// received. Agents only. ?format=text shows it as text in the browser instead of a download.
void original(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto id = c->id_arg(0), cid = c->id_arg(1);
  if (!id || !cid) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    if (auto t = tickets::get_ticket(conn, *id, c->who); !t) return c->api.reply_error(c, t.error());
    auto o = email::original_message(conn, *id, *cid);
    if (!o) return c->api.reply_error(c, o.error());
    Response res{bhttp::status::ok, 11};
    if (c->param("format") == std::optional<std::string>("text")) {
      res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
      res.body() = email::scrub_utf8(o->data);
    } else {
      res.set(bhttp::field::content_type, "message/rfc822");
      res.set(bhttp::field::content_disposition,
              disposition("attachment", "ticket-" + std::to_string(*id) + "-comment-" + std::to_string(*cid) + ".eml"));
      res.body() = std::move(o->data);
    }
    res.set("Content-Security-Policy", "default-src 'none'; sandbox");
    c->api.reply(c, std::move(res));
  });
}

// GET /api/v2/tickets/{id}/comments/{comment_id}/html: an email comment's sanitized HTML as a
// document for the ticket view's frame (web/src/email_view.ts), under its own policy: no script,
// nothing loaded but this server's images (and, with ?remote_images=1, the remote ones the reader
// asked for), sandboxed even when opened on its own, framable by our own pages only. Agents only.
// A document of its own rather than an <iframe srcdoc>: a srcdoc frame inherits the page's policy,
// which forbids the inline styles email formatting is made of.
void comment_html(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  auto id = c->id_arg(0), cid = c->id_arg(1);
  if (!id || !cid) return c->api.reply_error(c, Error::not_found());
  bool remote = c->param("remote_images") == std::optional<std::string>("1");
  with_read(c, [&](store::Conn& conn) {
    if (auto t = tickets::get_ticket(conn, *id, c->who); !t) return c->api.reply_error(c, t.error());
    auto html = email::email_comment_html(conn, *id, *cid);
    if (!html) return c->api.reply_error(c, html.error());
    static const std::string k_style =
        "html,body{margin:0;padding:0}body{font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;"
        "color:#1d2329;overflow-wrap:anywhere}img{max-width:100%;height:auto}table{border-collapse:collapse;"
        "max-width:100%}blockquote{margin:.5em 0 .5em .5em;padding-left:.75em;border-left:3px solid #d8dce1;"
        "color:#5c6670}details[data-quoted]{margin-top:.75em}details[data-quoted]>summary{cursor:pointer;"
        "color:#5c6670;font-size:13px}a{color:#1f73b7}";
    Response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/html; charset=utf-8");
    res.set(bhttp::field::cache_control, "private, no-store");
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "SAMEORIGIN");
    res.set("Content-Security-Policy", std::string("default-src 'none'; img-src 'self' data:") +
                                           (remote ? " https: http:" : "") +
                                           "; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                                           "frame-ancestors 'self'; sandbox allow-same-origin allow-popups "
                                           "allow-popups-to-escape-sandbox");
    res.body() = "<!doctype html><html><head><meta charset=\"utf-8\"><style>" + k_style + "</style></head><body>" +
                 (remote ? email::with_remote_images(*html) : *html) + "</body></html>";
    c->api.reply(c, std::move(res));
  });
}

void attachment_show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto a = email::get_attachment(conn, *id, c->who);
    if (!a) return c->api.reply_error(c, a.error());
    c->api.reply_json(c, 200, {{"attachment", to_json(*a, c->base)}});
  });
}

// The bytes, with headers that keep a browser from running them: only a few raster image types
// are shown inline; everything else downloads, and HTML/SVG/XML arrive as octet-stream.
void attachment_content(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto a = email::get_attachment(conn, *id, c->who);
    if (!a) return c->api.reply_error(c, a.error());
    auto data = email::blob_data(conn, a->sha256);
    if (!data) return c->api.reply_error(c, data.error());
    auto how = email::serve_as(a->content_type);
    Response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, how.content_type);
    res.set(bhttp::field::content_disposition, disposition(how.inline_ok ? "inline" : "attachment", a->file_name));
    res.set("Content-Security-Policy", "default-src 'none'; sandbox");
    res.set("Cross-Origin-Resource-Policy", "same-origin");
    res.body() = std::move(*data);
    c->api.reply(c, std::move(res));
  });
}

std::string mailbox_path(const CtxPtr& c, int64_t id) {
  return c->base + "/api/v2/channels/email/mailboxes/" + std::to_string(id) + ".json";
}

Json mailbox_json(const CtxPtr& c, const email::MailboxRecord& m) {
  auto j = email::to_json(m);
  j["url"] = mailbox_path(c, m.id);
  return j;
}

void mailboxes_list(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto list = email::list_mailboxes(conn, c->who);
    if (!list) return c->api.reply_error(c, list.error());
    Json items = Json::array();
    for (const auto& m : *list) items.push_back(mailbox_json(c, m));
    c->api.reply_json(c, 200, {{"mailboxes", items}, {"count", items.size()}, {"next_page", nullptr}, {"previous_page", nullptr}});
  });
}

void mailbox_show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto m = email::get_mailbox(conn, *id, c->who);
    if (!m) return c->api.reply_error(c, m.error());
    c->api.reply_json(c, 200, {{"mailbox", mailbox_json(c, *m)}});
  });
}

void mailbox_write(const CtxPtr& c, std::optional<int64_t> id) {
  if (!c->who.is_admin()) return c->api.reply_error(c, Error::forbidden());
  auto in = body_object(*c, "mailbox");
  if (!in) return c->api.reply_error(c, in.error());
  auto out = std::make_shared<email::MailboxRecord>();
  c->api.write(
      c,
      [in = std::move(*in), who = c->who, out, id](store::Tx& tx) -> Status {
        auto r = id ? email::update_mailbox(tx, *id, in, who) : email::create_mailbox(tx, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out, id](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        auto res = json_response(id ? 200 : 201, {{"mailbox", mailbox_json(c, *out)}});
        if (!id) res.set(bhttp::field::location, mailbox_path(c, out->id));
        c->api.reply(c, std::move(res));
        // New settings: poll with them now rather than at the next interval.
        if (c->api.poll_mail) c->api.poll_mail();
      });
}

void mailbox_delete(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  c->api.write(
      c, [id = *id, who = c->who](store::Tx& tx) { return email::delete_mailbox(tx, id, who); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        Response res{bhttp::status::no_content, 11};
        c->api.reply(c, std::move(res));
      });
}

// POST .../mailboxes/{id}/test: connects, logs in and selects the folder with the saved settings,
// and reports the server's answer or its error (200 either way: the test ran).
void mailbox_test(const CtxPtr& c) {
  if (!c->who.is_admin()) return c->api.reply_error(c, Error::forbidden());
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  std::optional<email::PollTarget> target;
  with_read(c, [&](store::Conn& conn) {
    auto t = email::poll_target(conn, *id, 10);
    if (!t) {
      if (t.error().code == ErrorCode::invalid)
        return c->api.reply_json(c, 200, {{"ok", false}, {"answer", nullptr}, {"error", t.error().message}});
      return c->api.reply_error(c, t.error());
    }
    target = std::move(*t);
  });
  if (!target) return;
  // Network I/O on this database thread, bounded by the 10 s timeout.
  auto r = email::test_imap(target->imap);
  if (!r) return c->api.reply_json(c, 200, {{"ok", false}, {"answer", nullptr}, {"error", r.error().message}});
  c->api.reply_json(c, 200, {{"ok", true}, {"answer", *r}, {"error", nullptr}});
}

// POST .../mailboxes/{id}/poll: poll now instead of at the next interval (202: it runs in the
// background; the mailbox's last_poll_at and last_error show the result).
void mailbox_poll(const CtxPtr& c) {
  if (!c->who.is_admin()) return c->api.reply_error(c, Error::forbidden());
  if (!c->api.poll_mail) return c->api.reply_error(c, Error::unavailable("the mail poller is not running"));
  c->api.poll_mail();
  c->api.reply_json(c, 202, {{"status", "queued"}});
}

}  // namespace

void register_email_routes(Api& api) {
  api.add("GET", "/api/v2/channels/email/mailboxes", AuthMode::required, mailboxes_list);
  api.add("POST", "/api/v2/channels/email/mailboxes", AuthMode::required, [](const CtxPtr& c) { mailbox_write(c, std::nullopt); });
  api.add("GET", "/api/v2/channels/email/mailboxes/{}", AuthMode::required, mailbox_show);
  api.add("PUT", "/api/v2/channels/email/mailboxes/{}", AuthMode::required, [](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    mailbox_write(c, *id);
  });
  api.add("DELETE", "/api/v2/channels/email/mailboxes/{}", AuthMode::required, mailbox_delete);
  api.add("POST", "/api/v2/channels/email/mailboxes/{}/test", AuthMode::required, mailbox_test);
  api.add("POST", "/api/v2/channels/email/mailboxes/{}/poll", AuthMode::required, mailbox_poll);
  auto R = AuthMode::required;
  api.add("POST", "/api/v2/channels/email/mailboxes/{}/inbound_token", R, inbound_token_create);
  api.add("DELETE", "/api/v2/channels/email/mailboxes/{}/inbound_token", R, inbound_token_revoke);
  // Optional: a mailbox's integration token is checked by the handler (see inbound).
  api.add("POST", "/api/v2/channels/email/inbound", AuthMode::optional, inbound);
  api.add("GET", "/api/v2/tickets/{}/comments/{}/original", R, original);
  api.add("GET", "/api/v2/tickets/{}/comments/{}/html", R, comment_html);
  api.add("GET", "/api/v2/attachments/{}", R, attachment_show);
  api.add("GET", "/api/v2/attachments/{}/content", R, attachment_content);
}

}  // namespace rapport::http
