// The knowledge base over Zendesk's Help Center API (categories, sections, articles, article
// search), Zendesk's end-user requests API (the web form, anonymous when enabled), the form's
// suggestion steps (deflection), article suggestions on a ticket, and the deflection report.
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/triage/triage.hpp>
#include <rapport/http/help_center.hpp>
#include <rapport/knowledge/deflection.hpp>
#include <rapport/knowledge/knowledge.hpp>
#include <rapport/knowledge/markdown.hpp>

namespace rapport::http {

namespace {

using knowledge::Id;

const std::string k_hc = "/api/v2/help_center";
const std::vector<std::string> k_article_sorts = {"position", "id", "created_at", "updated_at"};

std::string hc_url(const CtxPtr& c, const std::string& kind, Id id) {
  return c->base + k_hc + "/" + kind + "/" + std::to_string(id) + ".json";
}

void reply_created(const CtxPtr& c, const std::string& root, const Json& obj, const std::string& kind, Id id) {
  auto res = json_response(201, {{root, obj}});
  res.set(bhttp::field::location, hc_url(c, kind, id));
  c->api.reply(c, std::move(res));
}

// Runs `fn(tx)` producing a T on the writer, then replies with `encode(T)` under `root`.
template <typename T, typename Fn, typename Encode>
void write_and_reply(const CtxPtr& c, Fn fn, Encode encode, unsigned status) {
  auto out = std::make_shared<T>();
  c->api.write(
      c,
      [fn = std::move(fn), out](store::Tx& tx) -> Status {
        auto r = fn(tx);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out, encode = std::move(encode), status](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        encode(*out, status);
      });
}

void reply_deleted(const CtxPtr& c, std::function<Status(store::Tx&)> job) {
  c->api.write(c, std::move(job), [c](Status st) {
    if (!st) return c->api.reply_error(c, st.error());
    c->api.reply(c, Response{bhttp::status::no_content, 11});
  });
}

// ---- categories ----

void categories_list(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto cats = knowledge::list_categories(conn);
    if (!cats) return c->api.reply_error(c, cats.error());
    Json items = Json::array();
    for (const auto& x : *cats) items.push_back(to_json(x, c->base));
    auto n = static_cast<int64_t>(items.size());
    c->api.reply_json(c, 200, {{"categories", items}, {"next_page", nullptr}, {"previous_page", nullptr}, {"count", n},
                               {"page", 1}, {"per_page", n}, {"page_count", 1}});
  });
}

void category_show(const CtxPtr& c) {
  auto id = c->id_arg(c->args.size() - 1);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto x = knowledge::get_category(conn, *id);
    if (!x) return c->api.reply_error(c, x.error());
    c->api.reply_json(c, 200, {{"category", to_json(*x, c->base)}});
  });
}

void category_create(const CtxPtr& c) {
  auto in = body_object(*c, "category");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<knowledge::Category>(
      c, [in = *in, who = c->who](store::Tx& tx) { return knowledge::create_category(tx, in, who); },
      [c](const knowledge::Category& x, unsigned) { reply_created(c, "category", to_json(x, c->base), "categories", x.id); },
      201);
}

void category_update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "category");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<knowledge::Category>(
      c, [in = *in, who = c->who, id = *id](store::Tx& tx) { return knowledge::update_category(tx, id, in, who); },
      [c](const knowledge::Category& x, unsigned) { c->api.reply_json(c, 200, {{"category", to_json(x, c->base)}}); }, 200);
}

void category_delete(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  reply_deleted(c, [who = c->who, id = *id](store::Tx& tx) { return knowledge::delete_category(tx, id, who); });
}

// ---- sections ----

void sections_list(const CtxPtr& c, std::optional<Id> category) {
  with_read(c, [&](store::Conn& conn) {
    if (category) {
      if (auto x = knowledge::get_category(conn, *category); !x) return c->api.reply_error(c, x.error());
    }
    auto secs = knowledge::list_sections(conn, category, c->who);
    if (!secs) return c->api.reply_error(c, secs.error());
    Json items = Json::array();
    for (const auto& s : *secs) items.push_back(to_json(s, c->base));
    auto n = static_cast<int64_t>(items.size());
    c->api.reply_json(c, 200, {{"sections", items}, {"next_page", nullptr}, {"previous_page", nullptr}, {"count", n},
                               {"page", 1}, {"per_page", n}, {"page_count", 1}});
  });
}

void section_show(const CtxPtr& c) {
  auto id = c->id_arg(c->args.size() - 1);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto x = knowledge::get_section(conn, *id);
    if (!x) return c->api.reply_error(c, x.error());
    c->api.reply_json(c, 200, {{"section", to_json(*x, c->base)}});
  });
}

void section_create(const CtxPtr& c) {
  auto category = c->id_arg(0);
  if (!category) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "section");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<knowledge::Section>(
      c,
      [in = *in, who = c->who, category = *category](store::Tx& tx) {
        return knowledge::create_section(tx, category, in, who);
      },
      [c](const knowledge::Section& x, unsigned) { reply_created(c, "section", to_json(x, c->base), "sections", x.id); }, 201);
}

void section_update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "section");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<knowledge::Section>(
      c, [in = *in, who = c->who, id = *id](store::Tx& tx) { return knowledge::update_section(tx, id, in, who); },
      [c](const knowledge::Section& x, unsigned) { c->api.reply_json(c, 200, {{"section", to_json(x, c->base)}}); }, 200);
}

void section_delete(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  reply_deleted(c, [who = c->who, id = *id](store::Tx& tx) { return knowledge::delete_section(tx, id, who); });
}

// ---- articles ----

void articles_list(const CtxPtr& c, knowledge::ArticleFilter f) {
  auto pr = page_request(*c, true, k_article_sorts);
  if (!pr) return c->api.reply_error(c, pr.error());
  if (!c->param("sort_by") && !c->param("sort")) pr->sort_by = "position";
  if (auto l = c->param("label_names"); l && !l->empty()) {
    for (auto& part : split(*l, ',')) {
      auto t = std::string(trim(part));
      if (!t.empty() && f.label_names.size() < 20) f.label_names.push_back(t);
    }
  }
  with_read(c, [&](store::Conn& conn) {
    auto page = knowledge::list_articles(conn, f, *pr, c->who);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<knowledge::Article>(c, "articles", *page, *pr,
                                   [&](const knowledge::Article& a) { return to_json(a, c->base); });
  });
}

void article_show(const CtxPtr& c) {
  auto id = c->id_arg(c->args.size() - 1);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto a = knowledge::get_article(conn, *id, c->who);
    if (!a) return c->api.reply_error(c, a.error());
    c->api.reply_json(c, 200, {{"article", to_json(*a, c->base)}});
  });
}

void article_create(const CtxPtr& c) {
  auto section = c->id_arg(0);
  if (!section) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "article");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<knowledge::Article>(
      c,
      [in = *in, who = c->who, section = *section](store::Tx& tx) {
        return knowledge::create_article(tx, section, in, who);
      },
      [c](const knowledge::Article& x, unsigned) { reply_created(c, "article", to_json(x, c->base), "articles", x.id); }, 201);
}

void article_update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "article");
  if (!in) return c->api.reply_error(c, in.error());
  write_and_reply<knowledge::Article>(
      c, [in = *in, who = c->who, id = *id](store::Tx& tx) { return knowledge::update_article(tx, id, in, who); },
      [c](const knowledge::Article& x, unsigned) { c->api.reply_json(c, 200, {{"article", to_json(x, c->base)}}); }, 200);
}

void article_delete(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  reply_deleted(c, [who = c->who, id = *id](store::Tx& tx) { return knowledge::delete_article(tx, id, who); });
}

// POST /help_center/articles/preview {article:{body}}: the editor's live preview, rendered exactly
// as saving would render it. Editors only; nothing is stored.
void article_preview(const CtxPtr& c) {
  if (!knowledge::can_edit(c->who)) return c->api.reply_error(c, Error::forbidden());
  auto in = body_object(*c, "article");
  if (!in) return c->api.reply_error(c, in.error());
  Validation v;
  JsonInput input(*in, v);
  auto body = input.str("body", knowledge::k_max_body).value_or("");
  if (!v.ok()) return c->api.reply_error(c, v.error());
  c->api.reply_json(c, 200, {{"article", {{"body", knowledge::render_markdown(body)}, {"body_markdown", body}}}});
}

std::optional<Id> id_param(const Ctx& c, const std::string& key) {
  auto v = c.param(key);
  if (!v || v->empty()) return std::nullopt;
  return parse_int(*v).value_or(-1);
}

// GET /api/v2/help_center/articles/search?query=...: Zendesk's article search, offset pages.
void article_search(const CtxPtr& c) {
  knowledge::SearchQuery q;
  q.text = c->param("query").value_or("");
  if (q.text.size() > 1000) return c->api.reply_error(c, Error::invalid("query is longer than 1000 characters", "invalid"));
  q.section_id = id_param(*c, "section");
  q.category_id = id_param(*c, "category");
  auto pr = page_request(*c, false);
  if (!pr) return c->api.reply_error(c, pr.error());
  q.page = pr->page;
  q.per_page = std::min<int64_t>(pr->per_page == 100 && !c->param("per_page") ? 25 : pr->per_page, 100);
  if ((q.page - 1) * q.per_page >= 1000)
    return c->api.reply_error(c, Error::invalid("Search returns at most the first 1,000 results", "InvalidPaginationParameter"));
  with_read(c, [&](store::Conn& conn) {
    auto r = knowledge::search_articles(conn, q, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    Json items = Json::array();
    for (const auto& h : r->hits) items.push_back(to_json(h, c->base));
    domain::PageRequest shown = *pr;
    shown.per_page = q.per_page;
    Json out = offset_envelope(*c, "results", items, shown, std::min<int64_t>(r->count, 1000));
    out["count"] = r->count;
    out["page"] = q.page;
    out["per_page"] = q.per_page;
    out["page_count"] = (r->count + q.per_page - 1) / q.per_page;
    c->api.reply_json(c, 200, out);
  });
}

// ---- requests and deflection ----

Json request_json(const domain::Ticket& t, const std::string& base) {
  // Zendesk's Request object: the end-user's view of a ticket.
  return {{"id", t.id},
          {"url", base + "/api/v2/requests/" + std::to_string(t.id) + ".json"},
          {"subject", t.subject},
          {"description", t.description},
          {"status", t.status},
          {"priority", t.priority ? Json(*t.priority) : Json(nullptr)},
          {"type", t.type ? Json(*t.type) : Json(nullptr)},
          {"requester_id", t.requester_id},
          {"organization_id", t.organization_id ? Json(*t.organization_id) : Json(nullptr)},
          {"assignee_id", t.assignee_id ? Json(*t.assignee_id) : Json(nullptr)},
          {"via", {{"channel", t.channel}, {"source", t.via_source}}},
          {"is_public", t.is_public},
          {"created_at", iso8601(t.created_at)},
          {"updated_at", iso8601(t.updated_at)}};
}

void reply_limited(const CtxPtr& c, int64_t retry_after, const std::string& what) {
  Response res = error_response({ErrorCode::rate_limited, what, {}, {}});
  res.set(bhttp::field::retry_after, std::to_string(std::max<int64_t>(1, retry_after)));
  c->api.reply(c, std::move(res));
}

void request_create(const CtxPtr& c, const std::shared_ptr<FormLimiter>& limiter) {
  if (!c->authenticated && !c->api.config().anonymous_requests)
    return c->api.reply_error(c, {ErrorCode::unauthenticated, "Couldn't authenticate you", {}, {}});
  auto in = body_object(*c, "request");
  if (!in) return c->api.reply_error(c, in.error());
  std::string email = c->authenticated ? c->who.email : "";
  if (!c->authenticated && (*in).contains("requester") && (*in)["requester"].is_object() &&
      (*in)["requester"].contains("email") && (*in)["requester"]["email"].is_string())
    email = to_lower((*in)["requester"]["email"].get<std::string>());
  if (auto wait = limiter->admit(c->ip, email))
    return reply_limited(c, *wait, "Too many requests from this address or email; try again later");
  std::optional<domain::Principal> who;
  if (c->authenticated) who = c->who;
  write_and_reply<domain::Ticket>(
      c, [in = *in, who](store::Tx& tx) { return knowledge::submit_request(tx, in, who); },
      [c](const domain::Ticket& t, unsigned) {
        auto res = json_response(201, {{"request", request_json(t, c->base)}});
        res.set(bhttp::field::location, c->base + "/api/v2/requests/" + std::to_string(t.id) + ".json");
        c->api.reply(c, std::move(res));
      },
      201);
}

Json attempt_json(const knowledge::Attempt& a) {
  return {{"token", a.token},
          {"outcome", a.outcome},
          {"article_id", a.article_id ? Json(*a.article_id) : Json(nullptr)},
          {"ticket_id", a.ticket_id ? Json(*a.ticket_id) : Json(nullptr)},
          {"created_at", iso8601(a.created_at)}};
}

// POST /api/v2/help_center/deflections {contact:{name,email,subject,description,region}}: step one
// of the form. Returns the attempt's token and the suggested articles.
void deflection_create(const CtxPtr& c, const std::shared_ptr<FormLimiter>& limiter) {
  auto in = body_object(*c, "contact");
  if (!in) return c->api.reply_error(c, in.error());
  if (auto wait = limiter->admit_suggestions(c->ip)) return reply_limited(c, *wait, "Too many contact forms from this address");
  Validation v;
  JsonInput input(*in, v);
  knowledge::ContactForm f{input.str("name", 1000).value_or(""), input.str("email", 1000).value_or(""),
                           input.str("subject", 1000).value_or(""), input.str("description", 64 * 1024).value_or(""),
                           input.str("region", 100)};
  if (!v.ok()) return c->api.reply_error(c, v.error());
  write_and_reply<knowledge::Started>(
      c, [f](store::Tx& tx) { return knowledge::start_attempt(tx, f); },
      [c](const knowledge::Started& s, unsigned) {
        Json arts = Json::array();
        for (const auto& h : s.suggestions) arts.push_back(to_json(h, c->base));
        Json d = attempt_json(s.attempt);
        d["articles"] = arts;
        c->api.reply_json(c, 201, {{"deflection", d}});
      },
      201);
}

std::optional<Id> article_id_of(const Json& in) {
  if (!in.contains("article_id") || !in["article_id"].is_number_integer()) return std::nullopt;
  return in["article_id"].get<Id>();
}

void deflection_click(const CtxPtr& c) {
  auto in = body_object(*c, "deflection");
  if (!in) return c->api.reply_error(c, in.error());
  auto article = article_id_of(*in);
  if (!article) return c->api.reply_error(c, Error::field("article_id", "BlankValue", "Article id: cannot be blank"));
  c->api.write(
      c, [token = c->args.at(0), a = *article](store::Tx& tx) { return knowledge::record_click(tx, token, a); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply(c, Response{bhttp::status::no_content, 11});
      });
}

void deflection_resolve(const CtxPtr& c) {
  auto in = body_object(*c, "deflection");
  if (!in) return c->api.reply_error(c, in.error());
  auto article = article_id_of(*in);
  if (!article) return c->api.reply_error(c, Error::field("article_id", "BlankValue", "Article id: cannot be blank"));
  write_and_reply<knowledge::Attempt>(
      c, [token = c->args.at(0), a = *article](store::Tx& tx) { return knowledge::accept_suggestion(tx, token, a); },
      [c](const knowledge::Attempt& a, unsigned) { c->api.reply_json(c, 200, {{"deflection", attempt_json(a)}}); }, 200);
}

// ---- agents ----

void ticket_suggestions(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto hits = knowledge::suggestions_for_ticket(conn, *id, c->who);
    if (!hits) return c->api.reply_error(c, hits.error());
    Json items = Json::array();
    for (const auto& h : *hits) items.push_back(to_json(h, c->base));
    c->api.reply_json(c, 200, {{"articles", items}, {"count", items.size()}});
  });
}

void ticket_suggestion_action(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "article_suggestion");
  if (!in) return c->api.reply_error(c, in.error());
  auto article = article_id_of(*in);
  std::string action = in->contains("action") && (*in)["action"].is_string() ? (*in)["action"].get<std::string>() : "";
  if (!article) return c->api.reply_error(c, Error::field("article_id", "BlankValue", "Article id: cannot be blank"));
  c->api.write(
      c,
      [who = c->who, id = *id, a = *article, action](store::Tx& tx) {
        return knowledge::record_agent_action(tx, id, a, action, who);
      },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply(c, Response{bhttp::status::no_content, 11});
      });
}

void deflection_report(const CtxPtr& c) {
  auto start = period_param(*c, "start_time"), end = period_param(*c, "end_time");
  if (!start) return c->api.reply_error(c, start.error());
  if (!end) return c->api.reply_error(c, end.error());
  int64_t to = end->value_or(now_epoch() + 1);  // by default up to and including this second
  int64_t from = start->value_or(to - 30 * 86400);
  if (to - from > 366 * 86400) return c->api.reply_error(c, Error::invalid("the period is at most 366 days"));
  with_read(c, [&](store::Conn& conn) {
    auto r = knowledge::deflection_report(conn, from, to, c->who);
    if (!r) return c->api.reply_error(c, r.error());
    auto body = knowledge::to_json(*r);
    // Contacts a self-service triage category answered at once, per category (docs/triage.md).
    auto t = triage::report(conn, from, to, c->who);
    if (!t) return c->api.reply_error(c, t.error());
    Json cats = Json::array();
    int64_t answered = 0;
    for (const auto& row : t->by_category) {
      if (row.outcome != "self_service") continue;
      answered += row.auto_answered;
      cats.push_back({{"category_id", row.category_id ? Json(*row.category_id) : Json(nullptr)},
                      {"name", row.name},
                      {"contacts", row.contacts},
                      {"auto_answered", row.auto_answered}});
    }
    body["triage"] = {{"auto_answered", answered}, {"by_category", cats}};
    c->api.reply_json(c, 200, {{"deflection_report", body}});
  });
}

int64_t hour_now() { return now_epoch() / 3600; }

}  // namespace

Json to_json(const knowledge::Category& x, const std::string& base) {
  return {{"id", x.id},
          {"url", base + k_hc + "/categories/" + std::to_string(x.id) + ".json"},
          {"html_url", base + "/hc/categories/" + std::to_string(x.id)},
          {"name", x.name},
          {"description", x.description},
          {"position", x.position},
          {"locale", "en-us"},
          {"source_locale", "en-us"},
          {"outdated", false},
          {"created_at", iso8601(x.created_at)},
          {"updated_at", iso8601(x.updated_at)}};
}

Json to_json(const knowledge::Section& x, const std::string& base) {
  return {{"id", x.id},
          {"url", base + k_hc + "/sections/" + std::to_string(x.id) + ".json"},
          {"html_url", base + "/hc/sections/" + std::to_string(x.id)},
          {"category_id", x.category_id},
          {"name", x.name},
          {"description", x.description},
          {"position", x.position},
          {"sorting", "manual"},
          {"parent_section_id", nullptr},
          {"locale", "en-us"},
          {"source_locale", "en-us"},
          {"outdated", false},
          {"article_count", x.article_count},
          {"created_at", iso8601(x.created_at)},
          {"updated_at", iso8601(x.updated_at)}};
}

Json to_json(const knowledge::Article& a, const std::string& base) {
  return {{"id", a.id},
          {"url", base + k_hc + "/articles/" + std::to_string(a.id) + ".json"},
          {"html_url", base + "/hc/articles/" + std::to_string(a.id)},
          {"author_id", a.author_id ? Json(*a.author_id) : Json(nullptr)},
          {"comments_disabled", true},
          {"draft", a.draft},
          {"promoted", a.promoted},
          {"position", a.position},
          {"vote_sum", 0},
          {"vote_count", 0},
          {"section_id", a.section_id},
          {"category_id", a.category_id},
          {"created_at", iso8601(a.created_at)},
          {"updated_at", iso8601(a.updated_at)},
          {"edited_at", iso8601(a.edited_at)},
          {"published_at", a.published_at ? Json(iso8601(*a.published_at)) : Json(nullptr)},
          {"name", a.title},
          {"title", a.title},
          {"source_locale", "en-us"},
          {"locale", "en-us"},
          {"outdated", false},
          {"outdated_locales", Json::array()},
          {"permission_group_id", nullptr},
          {"user_segment_id", nullptr},
          {"visibility", a.visibility},
          {"label_names", a.label_names},
          {"body", a.body_html},
          {"body_markdown", a.body_markdown}};
}

Json to_json(const knowledge::SearchHit& h, const std::string& base) {
  Json j = to_json(h.article, base);
  j.erase("body_markdown");  // results carry the rendered body, as Zendesk's do
  j["snippet"] = h.snippet_html;
  j["result_type"] = "article";
  return j;
}

bool FormLimiter::take(std::unordered_map<std::string, Window>& table, const std::string& key, int limit, int64_t hour) {
  if (limit <= 0 || key.empty()) return true;
  if (table.size() > 100000) table.clear();
  auto& w = table[key];
  if (w.hour != hour) w = {hour, 0};
  return ++w.count <= limit;
}

std::optional<int64_t> FormLimiter::admit(const std::string& ip, const std::string& email) {
  int64_t hour = hour_now();
  std::lock_guard lock(m_mu);
  bool ok = take(m_ip, ip, m_per_ip, hour);
  ok = take(m_email, to_lower(email), m_per_email, hour) && ok;
  if (ok) return std::nullopt;
  return (hour + 1) * 3600 - now_epoch();
}

std::optional<int64_t> FormLimiter::admit_suggestions(const std::string& ip) {
  int64_t hour = hour_now();
  std::lock_guard lock(m_mu);
  if (take(m_suggest, ip, m_per_ip * 10, hour)) return std::nullopt;
  return (hour + 1) * 3600 - now_epoch();
}

void register_knowledge_routes(Api& api) {
  constexpr auto R = AuthMode::required;
  constexpr auto O = AuthMode::optional;
  auto limiter = std::make_shared<FormLimiter>(api.config().requests_per_ip_per_hour,
                                               api.config().requests_per_email_per_hour);
  // Reads take an optional login: anonymous visitors see published public articles. Each list and
  // show also answers under a locale (/help_center/en-us/...), which Rapport does not vary by.
  for (const std::string& prefix : {k_hc, k_hc + "/{}"}) {
    api.add("GET", prefix + "/categories", O, categories_list);
    api.add("GET", prefix + "/categories/{}", O, category_show);
    api.add("GET", prefix + "/sections", O, [](const CtxPtr& c) { sections_list(c, std::nullopt); });
    api.add("GET", prefix + "/categories/{}/sections", O,
            [](const CtxPtr& c) { sections_list(c, c->id_arg(c->args.size() - 1).value_or(-1)); });
    api.add("GET", prefix + "/sections/{}", O, section_show);
    api.add("GET", prefix + "/articles/search", O, article_search);
    api.add("GET", prefix + "/articles", O, [](const CtxPtr& c) { articles_list(c, {}); });
    api.add("GET", prefix + "/articles/{}", O, article_show);
    api.add("GET", prefix + "/sections/{}/articles", O, [](const CtxPtr& c) {
      knowledge::ArticleFilter f;
      f.section_id = c->id_arg(c->args.size() - 1).value_or(-1);
      articles_list(c, f);
    });
    api.add("GET", prefix + "/categories/{}/articles", O, [](const CtxPtr& c) {
      knowledge::ArticleFilter f;
      f.category_id = c->id_arg(c->args.size() - 1).value_or(-1);
      articles_list(c, f);
    });
  }
  api.add("POST", k_hc + "/categories", R, category_create);
  api.add("PUT", k_hc + "/categories/{}", R, category_update);
  api.add("DELETE", k_hc + "/categories/{}", R, category_delete);
  api.add("POST", k_hc + "/categories/{}/sections", R, section_create);
  api.add("PUT", k_hc + "/sections/{}", R, section_update);
  api.add("DELETE", k_hc + "/sections/{}", R, section_delete);
  api.add("POST", k_hc + "/sections/{}/articles", R, article_create);
  api.add("POST", k_hc + "/articles/preview", R, article_preview);
  api.add("PUT", k_hc + "/articles/{}", R, article_update);
  api.add("DELETE", k_hc + "/articles/{}", R, article_delete);

  api.add("POST", "/api/v2/requests", O, [limiter](const CtxPtr& c) { request_create(c, limiter); });
  api.add("POST", k_hc + "/deflections", AuthMode::none, [limiter](const CtxPtr& c) { deflection_create(c, limiter); });
  api.add("POST", k_hc + "/deflections/{}/clicks", AuthMode::none, deflection_click);
  api.add("POST", k_hc + "/deflections/{}/resolution", AuthMode::none, deflection_resolve);
  api.add("GET", k_hc + "/deflection_report", R, deflection_report);
  api.add("GET", "/api/v2/tickets/{}/article_suggestions", R, ticket_suggestions);
  api.add("POST", "/api/v2/tickets/{}/article_suggestions", R, ticket_suggestion_action);

  register_help_center_pages(api, limiter);
}

}  // namespace rapport::http
