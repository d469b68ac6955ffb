// Contact triage (Rapport-only, in Zendesk's style): categories (admins write, leads read), the
// report, and the requester's verification link for sensitive tickets (a plain page that asks
// for a click, so link scanners that fetch it change nothing). docs/triage.md.
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/triage/triage.hpp>

namespace rapport::http {

namespace {

automation::RuleOptions rule_options(const CtxPtr& c) { return {c->api.config().business_hours}; }

void write_category(const CtxPtr& c, std::function<Result<triage::Category>(store::Tx&)> fn, unsigned status) {
  write_record<triage::Category>(c, status, "category", std::move(fn), [](const triage::Category& x) { return triage::to_json(x); }, "triage/categories");
}

void list(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto r = triage::list_categories(conn, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    Json items = Json::array();
    for (const auto& x : *r) items.push_back(triage::to_json(x));
    c->api.reply_json(c, 200, {{"categories", items}, {"count", items.size()}});
  });
}

void show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto r = triage::get_category(conn, *id, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"category", triage::to_json(*r)}});
  });
}

void create(const CtxPtr& c) {
  auto in = body_object(*c, "category");
  if (!in) return c->api.reply_error(c, in.error());
  write_category(
      c, [in = *in, who = c->who, o = rule_options(c)](store::Tx& tx) { return triage::create_category(tx, in, who, o); },
      201);
}

void update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "category");
  if (!in) return c->api.reply_error(c, in.error());
  write_category(
      c,
      [in = *in, who = c->who, id = *id, o = rule_options(c)](store::Tx& tx) {
        return triage::update_category(tx, id, in, who, o);
      },
      200);
}

void remove(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  c->api.write(
      c, [id = *id, who = c->who](store::Tx& tx) { return triage::delete_category(tx, id, who); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply(c, Response{bhttp::status::no_content, 11});
      });
}

// start_time / end_time as ISO-8601 or epoch seconds; the last 30 days by default, at most 366.
Result<std::pair<int64_t, int64_t>> range(const CtxPtr& c) {
  auto parse = [&](const char* key) -> Result<std::optional<int64_t>> {
    auto v = c->param(key);
    if (!v || v->empty()) return std::optional<int64_t>();
    auto t = parse_iso8601(*v);
    if (!t) t = parse_int(*v);
    if (!t) return fail(Error::invalid(std::string(key) + " must be an ISO-8601 time or epoch seconds"));
    return std::optional<int64_t>(*t);
  };
  auto start = parse("start_time"), end = parse("end_time");
  if (!start) return fail(start.error());
  if (!end) return fail(end.error());
  int64_t to = end->value_or(now_epoch() + 1);
  int64_t from = start->value_or(to - 30 * 86400);
  if (to - from > 366 * 86400) return fail(Error::invalid("the period is at most 366 days"));
  return std::pair{from, to};
}

void report(const CtxPtr& c) {
  auto r = range(c);
  if (!r) return c->api.reply_error(c, r.error());
  with_read(c, [&](store::Conn& conn) {
    auto rep = triage::report(conn, r->first, r->second, c->who);
    if (!rep) return c->api.reply_error(c, rep.error());
    c->api.reply_json(c, 200, {{"triage_report", triage::to_json(*rep)}});
  });
}

Json verification_json(const triage::VerificationView& v) {
  return {{"ticket_id", v.ticket_id}, {"subject", v.subject}, {"used", v.used}, {"expired", v.expired},
          {"expires_at", iso8601(v.expires_at)}};
}

// ---- the requester's page ----

Response page(unsigned status, const std::string& title, const std::string& body) {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "text/html; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");  // the token is in the path
  res.set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'");
  res.body() = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width,initial-scale=1\"><title>" +
               html_escape(title) +
               "</title><style>body{font-family:system-ui,sans-serif;max-width:560px;margin:48px auto;padding:0 16px;"
               "color:#1d2330}button{background:#1f3a93;color:#fff;border:0;border-radius:8px;padding:10px 18px;"
               "font-size:16px}.msg{border-top:1px solid #d8dce1;padding:8px 0}.msg h3{font-size:15px;margin:0}"
               ".msg time{color:#5c6670;font-weight:400;font-size:13px}.msg p{white-space:pre-wrap;margin:4px 0 0}</style></head><body><main>" +
               body + "</main></body></html>";
  return res;
}

std::string problem_text(const Error& e) {
  if (e.code == ErrorCode::not_found) return "This link is not valid. Please use the link from our most recent email.";
  return e.message;
}

void verify_page(const CtxPtr& c) {
  const auto& token = c->args.at(0);
  with_read(c, [&](store::Conn& conn) {
    auto v = triage::open_verification(conn, token);
    if (!v) return c->api.reply(c, page(404, "Link not valid", "<p>" + html_escape(problem_text(v.error())) + "</p>"));
    if (v->used)
      return c->api.reply(c, page(200, "Already confirmed", "<p data-testid=\"verified\">You have already confirmed your address.</p>"));
    if (v->expired)
      return c->api.reply(c, page(410, "Link expired", "<p>This link has expired. Reply to our email to get a new one.</p>"));
    c->api.reply(c, page(200, "Confirm it's you",
                         "<h1>Confirm it's you</h1><p>About your request <strong>" + html_escape(v->subject) +
                             "</strong>. Confirm that you wrote to us, so our specialists can continue the conversation "
                             "with you privately.</p><form method=\"post\"><button type=\"submit\">Yes, it's me"
                             "</button></form>"));
  });
}

void verify_submit(const CtxPtr& c, bool html) {
  auto token = c->args.at(0);
  auto out = std::make_shared<triage::VerificationView>();
  c->api.write(
      c,
      [token, out](store::Tx& tx) -> Status {
        auto r = triage::verify(tx, token);
        if (!r) return fail(r.error());
        *out = *r;
        return {};
      },
      [c, out, html](Status st) {
        if (!html) {
          if (!st) return c->api.reply_error(c, st.error());
          auto j = verification_json(*out);
          j["replies_released"] = out->replies_released;
          return c->api.reply_json(c, 200, {{"verification", j}});
        }
        if (!st) {
          unsigned code = st.error().code == ErrorCode::not_found ? 404 : st.error().code == ErrorCode::conflict ? 409 : 400;
          return c->api.reply(c, page(code, "Not confirmed", "<p>" + html_escape(problem_text(st.error())) + "</p>"));
        }
        // The conversation so far, public comments only and as text (escaped), so the requester
        // reads what was held back right here; the held replies are on their way by email too.
        std::string thread;
        for (const auto& m : out->conversation)
          thread += "<article class=\"msg\" data-testid=\"message\"><h3>" + html_escape(m.author.empty() ? "Support" : m.author) +
                    " <time>" + html_escape(iso8601(m.created_at)) + "</time></h3><p>" + html_escape(m.body) + "</p></article>";
        c->api.reply(c, page(200, "Thank you",
                             "<p data-testid=\"verified\">Thank you, your address is confirmed. Our replies about \"" +
                                 html_escape(out->subject) + "\" will now reach you.</p>" +
                                 (thread.empty() ? "" : "<h2>Your conversation</h2><section data-testid=\"conversation\">" + thread +
                                                            "</section>")));
      });
}

}  // namespace

void register_triage_routes(Api& api) {
  constexpr auto R = AuthMode::required;
  constexpr auto N = AuthMode::none;
  api.add("GET", "/api/v2/triage/categories", R, list);
  api.add("POST", "/api/v2/triage/categories", R, create);
  api.add("GET", "/api/v2/triage/categories/{}", R, show);
  api.add("PUT", "/api/v2/triage/categories/{}", R, update);
  api.add("DELETE", "/api/v2/triage/categories/{}", R, remove);
  api.add("GET", "/api/v2/triage/report", R, report);
  // The requester's link: anyone holding it; the signature is the credential.
  api.add("GET", "/api/v2/triage/verifications/{}", N, [](const CtxPtr& c) {
    with_read(c, [&](store::Conn& conn) {
      auto v = triage::open_verification(conn, c->args.at(0));
      if (!v) return c->api.reply_error(c, v.error());
      c->api.reply_json(c, 200, {{"verification", verification_json(*v)}});
    });
  });
  api.add("POST", "/api/v2/triage/verifications/{}", N, [](const CtxPtr& c) { verify_submit(c, false); });
  api.add("GET", "/triage/verify/{}", N, verify_page);
  api.add("POST", "/triage/verify/{}", N, [](const CtxPtr& c) { verify_submit(c, true); });
}

}  // namespace rapport::http
