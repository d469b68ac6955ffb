// The public help center (/hc): home, category, section and article pages, search results, and
// the contact form with its suggestion step. Server-rendered and usable without JavaScript and
// without signing in: visitors see published public articles only. Every text is escaped; article
// bodies are cmark-gfm's safe HTML; snippets are escaped by the service.
//
// The contact form works in two steps: the customer's question is first matched against the
// articles ("Did one of these answer your question?"); "Yes, this solved it" records a contact
// avoided, "No, submit my request" creates the ticket (channel web) through the requests service.
#include <algorithm>
#include <map>

#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/http/help_center.hpp>
#include <rapport/knowledge/deflection.hpp>
#include <rapport/knowledge/incidents.hpp>
#include <rapport/knowledge/knowledge.hpp>

namespace rapport::http {

namespace {

using knowledge::Id;

const domain::Principal k_visitor{};  // anonymous: published public articles only

std::string esc(const std::string& s) { return html_escape(s); }

constexpr const char* k_css =
    "body{font:16px/1.55 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}"
    "header{background:#1f3a93;color:#fff;padding:20px 16px}header a{color:#fff;text-decoration:none}"
    "header .bar{max-width:880px;margin:0 auto;display:flex;gap:16px;align-items:center;flex-wrap:wrap}"
    "header .brand{font-weight:700;font-size:20px;margin-right:auto}"
    "main{max-width:880px;margin:0 auto;padding:24px 16px}"
    ".card{background:#fff;border-radius:12px;padding:20px 24px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:16px}"
    "form.search{display:flex;gap:8px}form.search input{flex:1}"
    "input,textarea,select{font:inherit;padding:8px;border-radius:8px;border:1px solid #b8bfcc;box-sizing:border-box}"
    "label{display:block;font-weight:600;margin:12px 0 4px}.field input,.field textarea,.field select{width:100%}"
    "textarea{min-height:140px}"
    "button{background:#1f3a93;color:#fff;border:0;border-radius:8px;padding:10px 18px;font-size:16px;cursor:pointer}"
    "button.secondary{background:#fff;color:#1f3a93;border:1px solid #1f3a93}"
    "ul.articles{list-style:none;padding:0;margin:0}ul.articles li{padding:6px 0;border-bottom:1px solid #eef0f3}"
    ".muted{color:#5b6474}.snippet em{font-style:normal;background:#fff3bf}"
    ".error{background:#fdecea;color:#8a1c1c;padding:12px;border-radius:8px}"
    ".ok{background:#e6f4ea;color:#1e5631;padding:12px;border-radius:8px}"
    ".crumbs{font-size:14px;margin-bottom:8px}.crumbs a{color:#1f3a93}"
    ".suggestion{border:1px solid #dfe3ea;border-radius:10px;padding:12px 16px;margin:12px 0}"
    ".actions{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}"
    "article table{border-collapse:collapse}article td,article th{border:1px solid #dfe3ea;padding:4px 8px}"
    "article pre{background:#f0f2f5;padding:12px;border-radius:8px;overflow:auto}";

Response page(unsigned status, const std::string& title, const std::string& body, const std::string& nonce = "") {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "text/html; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Frame-Options", "DENY");
  res.set("Content-Security-Policy",
          "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'self'; base-uri 'none'" +
              (nonce.empty() ? std::string() : "; script-src 'nonce-" + nonce + "'; connect-src 'self'"));
  res.body() = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width,initial-scale=1\"><title>" +
               esc(title) + " · Help Center</title><style>" + k_css +
               "</style></head><body><header><div class=\"bar\"><a class=\"brand\" href=\"/hc\">Help Center</a>"
               "<a href=\"/hc/requests/new\" data-testid=\"hc-contact-link\">Contact us</a></div></header><main>" +
               body + "</main></body></html>";
  return res;
}

std::string search_form(const std::string& query = "") {
  return "<form class=\"search\" method=\"get\" action=\"/hc/search\" role=\"search\"><label for=\"q\" "
         "style=\"position:absolute;left:-9999px\">Search the help center</label><input id=\"q\" name=\"query\" "
         "type=\"search\" maxlength=\"200\" placeholder=\"Search articles\" value=\"" +
         esc(query) + "\"><button type=\"submit\">Search</button></form>";
}

std::string article_link(const knowledge::Article& a) {
  return "<a href=\"/hc/articles/" + std::to_string(a.id) + "\">" + esc(a.title) + "</a>";
}

Response not_found() {
  return page(404, "Not found",
              "<div class=\"card\"><h1>We couldn't find that page</h1><p>It may have moved, or it is not public. "
              "Try a search:</p>" + search_form() + "</div>");
}

void fail_page(const CtxPtr& c, const Error& e) {
  if (e.code == ErrorCode::not_found) return c->api.reply(c, not_found());
  if (e.code == ErrorCode::internal || e.code == ErrorCode::unavailable) return c->api.reply_error(c, e);
  c->api.reply(c, page(400, "Something is wrong", "<div class=\"card\"><p class=\"error\" role=\"alert\">" + esc(e.message) +
                                                     "</p></div>"));
}

// Articles of a section as a list, at most `limit`.
Result<std::string> section_block(store::Conn& conn, const knowledge::Section& s, int64_t limit) {
  domain::PageRequest pr;
  pr.per_page = limit;
  pr.sort_by = "position";
  knowledge::ArticleFilter f;
  f.section_id = s.id;
  auto arts = knowledge::list_articles(conn, f, pr, k_visitor);
  if (!arts) return fail(arts.error());
  std::string out = "<section class=\"card\" data-testid=\"hc-section\"><h3><a href=\"/hc/sections/" + std::to_string(s.id) +
                    "\">" + esc(s.name) + "</a></h3>";
  if (!s.description.empty()) out += "<p class=\"muted\">" + esc(s.description) + "</p>";
  out += "<ul class=\"articles\">";
  for (const auto& a : arts->items) out += "<li>" + article_link(a) + "</li>";
  out += "</ul>";
  if (arts->count > limit)
    out += "<p><a href=\"/hc/sections/" + std::to_string(s.id) + "\">See all " + std::to_string(arts->count) + " articles</a></p>";
  return out + "</section>";
}

Result<std::string> category_block(store::Conn& conn, const knowledge::Category& cat, int64_t per_section) {
  auto secs = knowledge::list_sections(conn, cat.id, k_visitor);
  if (!secs) return fail(secs.error());
  std::string inner;
  for (const auto& s : *secs) {
    if (s.article_count == 0) continue;  // a section with nothing public is not shown (nor its name)
    auto b = section_block(conn, s, per_section);
    if (!b) return fail(b.error());
    inner += *b;
  }
  if (inner.empty()) return std::string();
  return "<h2><a href=\"/hc/categories/" + std::to_string(cat.id) + "\" style=\"color:inherit\">" + esc(cat.name) +
         "</a></h2>" + (cat.description.empty() ? "" : "<p class=\"muted\">" + esc(cat.description) + "</p>") + inner;
}

void home(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto cats = knowledge::list_categories(conn);
    if (!cats) return fail_page(c, cats.error());
    std::string body = "<div class=\"card\"><h1>How can we help?</h1>" + search_form() + "</div>";
    std::string blocks;
    for (const auto& cat : *cats) {
      auto b = category_block(conn, cat, 6);
      if (!b) return fail_page(c, b.error());
      blocks += *b;
    }
    if (blocks.empty()) blocks = "<div class=\"card\"><p>No articles yet.</p></div>";
    body += blocks + "<div class=\"card\"><p>Can't find what you need? <a href=\"/hc/requests/new\">Contact us</a>.</p></div>";
    c->api.reply(c, page(200, "Help Center", body));
  });
}

void category_page(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply(c, not_found());
  with_read(c, [&](store::Conn& conn) {
    auto cat = knowledge::get_category(conn, *id);
    if (!cat) return fail_page(c, cat.error());
    auto b = category_block(conn, *cat, 20);
    if (!b) return fail_page(c, b.error());
    if (b->empty()) return c->api.reply(c, not_found());
    c->api.reply(c, page(200, cat->name, "<p class=\"crumbs\"><a href=\"/hc\">Help Center</a></p>" + *b));
  });
}

void section_page(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply(c, not_found());
  with_read(c, [&](store::Conn& conn) {
    auto s = knowledge::get_section(conn, *id);
    if (!s) return fail_page(c, s.error());
    auto secs = knowledge::list_sections(conn, s->category_id, k_visitor);
    if (!secs) return fail_page(c, secs.error());
    for (const auto& x : *secs) {
      if (x.id == s->id && x.article_count == 0) return c->api.reply(c, not_found());
    }
    auto cat = knowledge::get_category(conn, s->category_id);
    if (!cat) return fail_page(c, cat.error());
    auto b = section_block(conn, *s, 100);
    if (!b) return fail_page(c, b.error());
    c->api.reply(c, page(200, s->name,
                         "<p class=\"crumbs\"><a href=\"/hc\">Help Center</a> › <a href=\"/hc/categories/" +
                             std::to_string(cat->id) + "\">" + esc(cat->name) + "</a></p>" + *b));
  });
}

void article_page(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply(c, not_found());
  with_read(c, [&](store::Conn& conn) {
    auto a = knowledge::get_article(conn, *id, k_visitor);
    if (!a) return fail_page(c, a.error());
    auto s = knowledge::get_section(conn, a->section_id);
    if (!s) return fail_page(c, s.error());
    auto cat = knowledge::get_category(conn, s->category_id);
    if (!cat) return fail_page(c, cat.error());
    std::string body = "<p class=\"crumbs\"><a href=\"/hc\">Help Center</a> › <a href=\"/hc/categories/" +
                       std::to_string(cat->id) + "\">" + esc(cat->name) + "</a> › <a href=\"/hc/sections/" +
                       std::to_string(s->id) + "\">" + esc(s->name) + "</a></p><article class=\"card\"><h1 data-testid=\"hc-article-title\">" +
                       esc(a->title) + "</h1><p class=\"muted\">Updated " + iso8601(a->edited_at).substr(0, 10) +
                       "</p><div data-testid=\"hc-article-body\">" + a->body_html +
                       "</div></article><div class=\"card\"><p>Still need help? <a href=\"/hc/requests/new\">Contact us</a>.</p></div>";
    // Opened from the contact form's suggestions: count the click (a script beacon, so link
    // scanners that fetch the page do not count).
    std::string nonce;
    auto token = c->param("attempt");
    // Tokens are base64url; anything else is not ours and is not echoed into the page.
    bool plain = token && !token->empty() && token->size() <= 64 &&
                 std::all_of(token->begin(), token->end(), [](char ch) {
                   return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
                 });
    if (plain) {
      nonce = crypto::random_token(12);
      Json payload = {{"deflection", {{"article_id", a->id}}}};
      body += "<script nonce=\"" + nonce + "\">fetch('/api/v2/help_center/deflections/'+encodeURIComponent(" +
              Json(*token).dump() + ")+'/clicks',{method:'POST',headers:{'Content-Type':'application/json'},body:" +
              Json(payload.dump()).dump() + "}).catch(function(){});</script>";
    }
    c->api.reply(c, page(200, a->title, body, nonce));
  });
}

void search_page(const CtxPtr& c) {
  auto query = c->param("query").value_or("");
  if (query.size() > 200) query.resize(200);
  auto pg = parse_int(c->param("page").value_or("1")).value_or(1);
  pg = std::clamp<int64_t>(pg, 1, 40);
  with_read(c, [&](store::Conn& conn) {
    std::string body = "<div class=\"card\"><h1>Search</h1>" + search_form(query) + "</div>";
    if (trim(query).empty()) return c->api.reply(c, page(200, "Search", body));
    knowledge::SearchQuery q;
    q.text = query;
    q.page = pg;
    q.per_page = 25;
    auto r = knowledge::search_articles(conn, q, k_visitor);
    if (!r && r.error().code == ErrorCode::invalid) {
      return c->api.reply(c, page(200, "Search", body + "<div class=\"card\"><p>Type a word to search for.</p></div>"));
    }
    if (!r) return fail_page(c, r.error());
    body += "<div class=\"card\"><p data-testid=\"hc-result-count\">" + std::to_string(r->count) + " result" +
            (r->count == 1 ? "" : "s") + " for “" + esc(query) + "”</p><ul class=\"articles\">";
    for (const auto& h : r->hits)
      body += "<li data-testid=\"hc-result\">" + article_link(h.article) + "<div class=\"snippet muted\">" + h.snippet_html +
              "</div></li>";
    body += "</ul>";
    if (pg * 25 < r->count)
      body += "<p><a href=\"/hc/search?query=" + esc(url_encode(query)) + "&amp;page=" + std::to_string(pg + 1) +
              "\">More results</a></p>";
    if (r->count == 0) body += "<p>Nothing matched. <a href=\"/hc/requests/new\">Contact us</a> and we'll help.</p>";
    c->api.reply(c, page(200, "Search: " + query, body + "</div>"));
  });
}

// ---- the contact form ----

std::map<std::string, std::string> form_fields(const std::string& body) {
  std::map<std::string, std::string> out;
  for (const auto& pair : split(body, '&')) {
    auto eq = pair.find('=');
    if (eq == std::string::npos) continue;
    auto k = url_decode(pair.substr(0, eq)), v = url_decode(pair.substr(eq + 1));
    if (out.size() < 20 && !out.count(k)) out[k] = v;
  }
  return out;
}

knowledge::ContactForm contact_of(std::map<std::string, std::string>& f) {
  knowledge::ContactForm form{f["name"], f["email"], f["subject"], f["description"], std::nullopt};
  if (!f["region"].empty()) form.region = f["region"];
  return form;
}

std::string hidden(const std::string& name, const std::string& value) {
  return "<input type=\"hidden\" name=\"" + esc(name) + "\" value=\"" + esc(value) + "\">";
}

std::string contact_form(const knowledge::ContactForm& f, const std::vector<std::string>& regions, const Error* error) {
  std::string out = "<div class=\"card\"><h1>Contact us</h1>";
  auto field_error = [&](const char* key) -> std::string {
    if (!error || !error->details.count(key)) return "";
    return "<p class=\"error\" role=\"alert\" data-testid=\"hc-error-" + std::string(key) + "\">" +
           esc(error->details.at(key).front().description) + "</p>";
  };
  if (error && error->details.empty()) out += "<p class=\"error\" role=\"alert\">" + esc(error->message) + "</p>";
  out += "<form method=\"post\" action=\"/hc/requests/new\" data-testid=\"hc-contact-form\">";
  out += "<div class=\"field\"><label for=\"name\">Your name</label><input id=\"name\" name=\"name\" maxlength=\"255\" required "
         "autocomplete=\"name\" value=\"" + esc(f.name) + "\">" + field_error("name") + "</div>";
  out += "<div class=\"field\"><label for=\"email\">Your email</label><input id=\"email\" name=\"email\" type=\"email\" "
         "maxlength=\"254\" required autocomplete=\"email\" value=\"" + esc(f.email) + "\">" + field_error("email") + "</div>";
  out += "<div class=\"field\"><label for=\"subject\">Subject</label><input id=\"subject\" name=\"subject\" maxlength=\"255\" "
         "required value=\"" + esc(f.subject) + "\">" + field_error("subject") + "</div>";
  out += "<div class=\"field\"><label for=\"description\">How can we help?</label><textarea id=\"description\" "
         "name=\"description\" maxlength=\"32768\" required>" + esc(f.description) + "</textarea>" +
         field_error("description") + "</div>";
  if (!regions.empty()) {
    out += "<div class=\"field\"><label for=\"region\">Where are you? (optional)</label><select id=\"region\" name=\"region\">"
           "<option value=\"\">Not sure</option>";
    for (const auto& r : regions)
      out += "<option value=\"" + esc(r) + "\"" + (f.region == r ? " selected" : "") + ">" + esc(r) + "</option>";
    out += "</select>" + field_error("region") + "</div>";
  }
  return out + "<div class=\"actions\"><button type=\"submit\">Continue</button></div></form></div>";
}

void reply_form(const CtxPtr& c, unsigned status, const knowledge::ContactForm& f, const Error* error) {
  with_read(c, [&](store::Conn& conn) {
    auto regions = knowledge::known_regions(conn);
    if (!regions) return fail_page(c, regions.error());
    c->api.reply(c, page(status, "Contact us", contact_form(f, *regions, error)));
  });
}

void limited_page(const CtxPtr& c, int64_t retry_after) {
  Response res = page(429, "Please wait",
                      "<div class=\"card\"><h1>Please wait a little</h1><p class=\"error\" role=\"alert\" "
                      "data-testid=\"hc-rate-limited\">We received many requests from you in a short time. Please try "
                      "again later; nothing you typed was sent.</p></div>");
  res.set(bhttp::field::retry_after, std::to_string(std::max<int64_t>(1, retry_after)));
  c->api.reply(c, std::move(res));
}

std::string carried_fields(const knowledge::ContactForm& f, const std::string& token) {
  return hidden("attempt", token) + hidden("name", f.name) + hidden("email", f.email) + hidden("subject", f.subject) +
         hidden("description", f.description) + hidden("region", f.region.value_or(""));
}

void submit_and_confirm(const CtxPtr& c, const std::shared_ptr<FormLimiter>& limiter, const knowledge::ContactForm& f,
                        const std::string& token) {
  if (auto wait = limiter->admit(c->ip, f.email)) return limited_page(c, *wait);
  Json in = {{"subject", f.subject},
             {"comment", {{"body", f.description}}},
             {"requester", {{"name", f.name}, {"email", f.email}}}};
  if (f.region) in["region"] = *f.region;
  if (!token.empty()) in["attempt"] = token;
  auto out = std::make_shared<domain::Ticket>();
  c->api.write(
      c,
      [in, out](store::Tx& tx) -> Status {
        auto t = knowledge::submit_request(tx, in, std::nullopt);
        if (!t) return fail(t.error());
        *out = *t;
        return {};
      },
      [c, out, f](Status st) {
        if (!st) {
          const auto& e = st.error();
          if (e.code == ErrorCode::validation) return reply_form(c, 422, f, &e);
          if (e.code == ErrorCode::conflict)
            return c->api.reply(c, page(409, "Already sent", "<div class=\"card\"><p class=\"ok\">" + esc(e.message) + "</p></div>"));
          return fail_page(c, e);
        }
        c->api.reply(c, page(201, "Request received",
                             "<div class=\"card\"><h1>We got your request</h1><p class=\"ok\" data-testid=\"hc-request-received\">"
                             "Your request <strong>#" + std::to_string(out->id) + "</strong> was received. We'll reply to " +
                                 esc(f.email) + ".</p><p><a href=\"/hc\">Back to the help center</a></p></div>"));
      });
}

// Step one: the question, matched against the articles before anything is submitted.
void form_post(const CtxPtr& c, const std::shared_ptr<FormLimiter>& limiter) {
  if (!valid_utf8(c->req.body())) return fail_page(c, Error::invalid("The form is not valid UTF-8"));
  auto fields = form_fields(c->req.body());
  auto f = contact_of(fields);
  if (auto st = knowledge::validate_form(f); !st) return reply_form(c, 422, f, &st.error());
  if (auto wait = limiter->admit_suggestions(c->ip)) return limited_page(c, *wait);
  auto started = std::make_shared<knowledge::Started>();
  c->api.write(
      c,
      [f, started](store::Tx& tx) -> Status {
        auto s = knowledge::start_attempt(tx, f);
        if (!s) return fail(s.error());
        *started = std::move(*s);
        return {};
      },
      [c, f, started, limiter](Status st) {
        if (!st) {
          if (st.error().code == ErrorCode::validation) return reply_form(c, 422, f, &st.error());
          return fail_page(c, st.error());
        }
        const auto& token = started->attempt.token;
        if (started->suggestions.empty()) return submit_and_confirm(c, limiter, f, token);
        std::string body = "<div class=\"card\"><h1>Did one of these answer your question?</h1><p class=\"muted\">Based on "
                           "what you wrote, these articles might help. Nothing has been sent yet.</p>";
        for (const auto& h : started->suggestions) {
          // Opens beside the form, so the customer's answer is still there when they come back.
          std::string href = "/hc/articles/" + std::to_string(h.article.id) + "?attempt=" + url_encode(token);
          body += "<div class=\"suggestion\" data-testid=\"hc-suggestion\"><h3 style=\"margin:0\"><a href=\"" + esc(href) +
                  "\" target=\"_blank\" rel=\"noopener\">" + esc(h.article.title) + "</a></h3><p class=\"snippet muted\">" + h.snippet_html +
                  "</p><form method=\"post\" action=\"/hc/requests/deflect\">" + hidden("attempt", token) +
                  hidden("article_id", std::to_string(h.article.id)) +
                  "<button type=\"submit\" class=\"secondary\" data-testid=\"hc-solved\">Yes, this solved it</button></form></div>";
        }
        body += "<form method=\"post\" action=\"/hc/requests/submit\">" + carried_fields(f, token) +
                "<div class=\"actions\"><button type=\"submit\" data-testid=\"hc-submit-anyway\">No, submit my request</button>"
                "</div></form></div>";
        c->api.reply(c, page(200, "Did this answer your question?", body));
      });
}

void form_submit(const CtxPtr& c, const std::shared_ptr<FormLimiter>& limiter) {
  if (!valid_utf8(c->req.body())) return fail_page(c, Error::invalid("The form is not valid UTF-8"));
  auto fields = form_fields(c->req.body());
  auto f = contact_of(fields);
  if (auto st = knowledge::validate_form(f); !st) return reply_form(c, 422, f, &st.error());
  submit_and_confirm(c, limiter, f, fields["attempt"]);
}

void form_deflect(const CtxPtr& c) {
  auto fields = form_fields(c->req.body());
  auto article = parse_int(fields["article_id"]);
  if (!article) return fail_page(c, Error::invalid("Which article answered your question?"));
  c->api.write(
      c,
      [token = fields["attempt"], a = *article](store::Tx& tx) -> Status {
        auto r = knowledge::accept_suggestion(tx, token, a);
        if (!r) return fail(r.error());
        return {};
      },
      [c](Status st) {
        if (!st && st.error().code != ErrorCode::conflict) return fail_page(c, st.error());
        c->api.reply(c, page(200, "Glad we could help",
                             "<div class=\"card\"><h1>Glad that helped!</h1><p class=\"ok\" data-testid=\"hc-deflected\">"
                             "Thanks for letting us know. No request was sent.</p><p><a href=\"/hc\">Back to the help "
                             "center</a></p></div>"));
      });
}

}  // namespace

void register_help_center_pages(Api& api, std::shared_ptr<FormLimiter> limiter) {
  constexpr auto N = AuthMode::none;
  api.add("GET", "/hc", N, home);
  api.add("GET", "/hc/categories/{}", N, category_page);
  api.add("GET", "/hc/sections/{}", N, section_page);
  api.add("GET", "/hc/articles/{}", N, article_page);
  api.add("GET", "/hc/search", N, search_page);
  api.add("GET", "/hc/requests/new", N, [](const CtxPtr& c) {
    if (!c->api.config().anonymous_requests)
      return c->api.reply(c, page(403, "Contact us", "<div class=\"card\"><p>Please sign in to contact us.</p></div>"));
    reply_form(c, 200, {}, nullptr);
  });
  api.add("POST", "/hc/requests/new", N, [limiter](const CtxPtr& c) {
    if (!c->api.config().anonymous_requests) return c->api.reply(c, not_found());
    form_post(c, limiter);
  });
  api.add("POST", "/hc/requests/submit", N, [limiter](const CtxPtr& c) {
    if (!c->api.config().anonymous_requests) return c->api.reply(c, not_found());
    form_submit(c, limiter);
  });
  api.add("POST", "/hc/requests/deflect", N, form_deflect);
}

}  // namespace rapport::http
