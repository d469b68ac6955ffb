// Search (offset, at most 1,000 results), search export (cursor) and incremental ticket exports.
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/tickets/search.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::http {

namespace {

constexpr int64_t k_max_search_results = 1000;

Error search_error(const std::string& m) { return Error::invalid(m, "invalid"); }

Result<tickets::SearchQuery> read_query(const Ctx& c) {
  auto q = c.param("query");
  if (!q || trim(*q).empty()) return fail(search_error("query is required"));
  return tickets::parse_search(*q);
}

// One kind of searchable record: how many match, and a slice of them as JSON.
struct Source {
  std::function<Result<int64_t>()> count;
  std::function<Result<Json>(int64_t offset, int64_t limit)> fetch;
};

// `first_page`: the (offset, limit) the caller will fetch from the first source, if it fetches.
std::vector<Source> sources(const CtxPtr& c, store::Conn& conn, const tickets::SearchQuery& q,
                            const tickets::SearchSort& sort,
                            std::optional<std::pair<int64_t, int64_t>> first_page = std::nullopt) {
  std::vector<Source> out;
  bool all = !q.type;
  auto text = q.free_text();
  auto tagged = [](Json j, const char* type) {
    j["result_type"] = type;
    return j;
  };
  if (all || q.type == "ticket") {
    // Tickets come first, so the caller's page of them is known before the count: one
    // search_tickets answers both. It reads every match's id for the exact count anyway, and
    // asking for the count and then the page ran the full-text intersection twice.
    auto kept = std::make_shared<std::optional<domain::Page<domain::Ticket>>>();
    out.push_back({[&conn, &c, q, sort, first_page, kept]() -> Result<int64_t> {
                     auto [off, lim] = first_page.value_or(std::pair<int64_t, int64_t>{0, 0});
                     auto p = tickets::search_tickets(conn, q, c->who, sort, off, lim);
                     if (!p) return fail(p.error());
                     int64_t n = p->count;
                     if (first_page) *kept = std::move(*p);
                     return n;
                   },
                   [&conn, &c, q, sort, tagged, first_page, kept](int64_t off, int64_t lim) -> Result<Json> {
                     auto p = *kept && first_page == std::pair<int64_t, int64_t>{off, lim}
                                  ? Result<domain::Page<domain::Ticket>>(std::move(**kept))
                                  : tickets::search_tickets(conn, q, c->who, sort, off, lim);
                     kept->reset();
                     if (!p) return fail(p.error());
                     Json items = Json::array();
                     for (auto& t : p->items) items.push_back(tagged(to_json(t, c->base), "ticket"));
                     return items;
                   }});
  }
  // Only staff search people and organizations; ticket-only filters rule them out.
  if (c->who.is_staff() && !q.has_ticket_fields && !text.empty()) {
    auto offset_page = [](int64_t off, int64_t lim) {
      domain::PageRequest pr;
      pr.per_page = std::max<int64_t>(lim, 1);
      pr.page = 1;
      return std::make_pair(pr, off);
    };
    if (all || q.type == "user") {
      auto run = [&conn, text](int64_t off, int64_t lim) -> Result<domain::Page<domain::User>> {
        domain::PageRequest pr;
        pr.per_page = lim;
        pr.page = 1;
        // run_list pages by page number; slice by offset through a wider page.
        pr.per_page = off + lim;
        auto r = accounts::search_users(conn, text, std::nullopt, pr);
        if (r && off > 0) r->items.erase(r->items.begin(), r->items.begin() + std::min<int64_t>(off, r->items.size()));
        return r;
      };
      out.push_back({[run]() -> Result<int64_t> {
                       auto r = run(0, 1);
                       if (!r) return fail(r.error());
                       return r->count;
                     },
                     [run, &c, tagged](int64_t off, int64_t lim) -> Result<Json> {
                       auto r = run(off, lim);
                       if (!r) return fail(r.error());
                       Json items = Json::array();
                       for (auto& u : r->items) items.push_back(tagged(to_json(u, c->base), "user"));
                       return items;
                     }});
    }
    if (all || q.type == "organization") {
      auto run = [&conn, text](int64_t off, int64_t lim) -> Result<domain::Page<domain::Organization>> {
        domain::PageRequest pr;
        pr.page = 1;
        pr.per_page = off + lim;
        auto r = accounts::search_organizations(conn, text, pr);
        if (r && off > 0) r->items.erase(r->items.begin(), r->items.begin() + std::min<int64_t>(off, r->items.size()));
        return r;
      };
      out.push_back({[run]() -> Result<int64_t> {
                       auto r = run(0, 1);
                       if (!r) return fail(r.error());
                       return r->count;
                     },
                     [run, &c, tagged](int64_t off, int64_t lim) -> Result<Json> {
                       auto r = run(off, lim);
                       if (!r) return fail(r.error());
                       Json items = Json::array();
                       for (auto& o : r->items) items.push_back(tagged(to_json(o, c->base), "organization"));
                       return items;
                     }});
    }
    (void)offset_page;
  }
  return out;
}

void search(const CtxPtr& c) {
  auto q = read_query(*c);
  if (!q) return c->api.reply_error(c, q.error());
  tickets::SearchSort sort;
  if (auto s = c->param("sort_by"); s && !s->empty()) {
    if (*s != "updated_at" && *s != "created_at" && *s != "priority" && *s != "status" && *s != "ticket_type")
      return c->api.reply_error(c, search_error("sort_by must be updated_at, created_at, priority, status or ticket_type"));
    sort.column = *s;
  }
  if (auto o = c->param("sort_order")) sort.desc = *o != "asc";
  // The search sorts are checked above; page_request only reads page and per_page here.
  auto pr = page_request(*c, false, {"updated_at", "created_at", "priority", "status", "ticket_type"});
  if (!pr) return c->api.reply_error(c, pr.error());
  int64_t offset = (pr->page - 1) * pr->per_page;
  if (offset >= k_max_search_results)
    return c->api.reply_error(c, search_error("Search returns at most 1,000 results; narrow the query"));
  int64_t limit = std::min(pr->per_page, k_max_search_results - offset);
  with_read(c, [&](store::Conn& conn) {
    auto srcs = sources(c, conn, *q, sort, std::pair<int64_t, int64_t>{offset, limit});
    int64_t total = 0;
    Json results = Json::array();
    int64_t skip = offset, want = limit;
    for (auto& s : srcs) {
      auto n = s.count();
      if (!n) return c->api.reply_error(c, n.error());
      total += *n;
      if (want > 0 && skip < *n) {
        auto items = s.fetch(skip, want);
        if (!items) return c->api.reply_error(c, items.error());
        for (auto& i : *items) results.push_back(std::move(i));
        want -= static_cast<int64_t>(items->size());
        skip = 0;
      } else {
        skip = std::max<int64_t>(0, skip - *n);
      }
    }
    Json env = offset_envelope(*c, "results", std::move(results), *pr, std::min(total, k_max_search_results));
    env["count"] = total;
    env["facets"] = nullptr;
    c->api.reply_json(c, 200, env);
  });
}

void count(const CtxPtr& c) {
  auto q = read_query(*c);
  if (!q) return c->api.reply_error(c, q.error());
  with_read(c, [&](store::Conn& conn) {
    int64_t total = 0;
    for (auto& s : sources(c, conn, *q, {})) {
      auto n = s.count();
      if (!n) return c->api.reply_error(c, n.error());
      total += *n;
    }
    c->api.reply_json(c, 200, {{"count", total}});
  });
}

void export_search(const CtxPtr& c) {
  auto q = read_query(*c);
  if (!q) return c->api.reply_error(c, q.error());
  auto type = c->param("filter[type]");
  if (!type || *type != "ticket")
    return c->api.reply_error(c, search_error("filter[type] is required; this server exports type ticket"));
  q->type = "ticket";
  auto pr = page_request(*c, true);
  if (!pr) return c->api.reply_error(c, pr.error());
  pr->cursor = true;
  with_read(c, [&](store::Conn& conn) {
    auto page = tickets::export_tickets(conn, *q, c->who, *pr);
    if (!page) return c->api.reply_error(c, page.error());
    Json items = Json::array();
    for (auto& t : page->items) {
      auto j = to_json(t, c->base);
      j["result_type"] = "ticket";
      items.push_back(j);
    }
    std::optional<domain::Cursor> last;
    if (!page->items.empty()) last = domain::Cursor{page->items.back().id, page->items.back().id};
    Json env = cursor_envelope(*c, "results", std::move(items), *pr, std::nullopt, last, page->has_more);
    env["facets"] = nullptr;
    if (!page->has_more) env["links"]["next"] = nullptr;
    c->api.reply_json(c, 200, env);
  });
}

// Exports read every ticket, deleted ones included, so they are for admins.
bool export_allowed(const CtxPtr& c) {
  if (!c->who.is_admin()) {
    c->api.reply_error(c, Error::forbidden());
    return false;
  }
  if (!c->api.allow_export(c->who.token_id ? "t" + std::to_string(*c->who.token_id) : "u" + std::to_string(c->who.user_id))) {
    auto res = error_response({ErrorCode::rate_limited, "Incremental exports allow 10 requests per minute", {}, {}});
    res.set(bhttp::field::retry_after, "60");
    c->api.reply(c, std::move(res));
    return false;
  }
  return true;
}

void incremental_cursor(const CtxPtr& c) {
  if (!export_allowed(c)) return;
  int64_t per_page = 1000;
  if (auto p = c->param("per_page"); p && !p->empty()) {
    auto n = parse_int(*p);
    if (!n || *n < 1) return c->api.reply_error(c, Error::invalid("per_page must be a positive integer"));
    per_page = std::min<int64_t>(*n, 1000);
  }
  bool exclude_deleted = c->param("exclude_deleted") == std::optional<std::string>("true");
  domain::Cursor from{0, 0};
  auto start = c->param("start_time");
  auto cursor = c->param("cursor");
  int64_t now = now_epoch();
  if (start && !start->empty()) {
    auto t = parse_int(*start);
    if (!t || *t < 0) return c->api.reply_error(c, Error::invalid("start_time must be a Unix epoch time"));
    if (*t > now) return c->api.reply_error(c, Error::invalid("start_time cannot be in the future"));
    from = {*t - 1, std::numeric_limits<int64_t>::max()};  // everything at or after start_time
  } else if (cursor && !cursor->empty() && *cursor != "undefined") {
    auto d = domain::decode_cursor(*cursor);
    if (!d) return c->api.reply_error(c, Error::invalid("cursor is not valid"));
    from = *d;
  } else {
    return c->api.reply_error(c, Error::invalid("start_time or cursor is required"));
  }
  // Changes from the newest moments are withheld, so a change committed in the same second
  // as a read is never skipped by a cursor that already passed that second.
  int64_t before = now - std::max<int64_t>(1, c->api.config().export_lag_seconds) + 1;
  with_read(c, [&](store::Conn& conn) {
    auto ts = tickets::tickets_changed_since(conn, from, before, per_page);
    if (!ts) return c->api.reply_error(c, ts.error());
    Json items = Json::array();
    for (auto& t : *ts) {
      if (exclude_deleted && t.deleted_at) continue;
      items.push_back(to_json(t, c->base));
    }
    domain::Cursor after = ts->empty() ? from : domain::Cursor{ts->back().generated_ts, ts->back().id};
    auto after_cursor = domain::encode_cursor(after);
    Json before_cursor = ts->empty() ? Json(nullptr) : Json(domain::encode_cursor({ts->front().generated_ts, ts->front().id - 1}));
    std::string url = c->base + "/api/v2/incremental/tickets/cursor.json?cursor=";
    c->api.reply_json(c, 200,
                      {{"tickets", items},
                       {"after_url", url + url_encode(after_cursor)},
                       {"after_cursor", after_cursor},
                       {"before_url", before_cursor.is_null() ? Json(nullptr) : Json(url + url_encode(before_cursor.get<std::string>()))},
                       {"before_cursor", before_cursor},
                       {"end_of_stream", static_cast<int64_t>(ts->size()) < per_page}});
  });
}

void incremental_time(const CtxPtr& c) {
  if (!export_allowed(c)) return;
  auto start = c->param("start_time");
  auto t = start ? parse_int(*start) : std::nullopt;
  int64_t now = now_epoch();
  if (!t || *t < 0) return c->api.reply_error(c, Error::invalid("start_time must be a Unix epoch time"));
  if (*t > now) return c->api.reply_error(c, Error::invalid("start_time cannot be in the future"));
  int64_t per_page = 1000;
  if (auto p = c->param("per_page"); p && !p->empty()) per_page = std::clamp<int64_t>(parse_int(*p).value_or(1000), 1, 1000);
  int64_t before = now - std::max<int64_t>(1, c->api.config().export_lag_seconds) + 1;
  with_read(c, [&](store::Conn& conn) {
    auto ts = tickets::tickets_changed_since(conn, {*t - 1, std::numeric_limits<int64_t>::max()}, before, per_page);
    if (!ts) return c->api.reply_error(c, ts.error());
    Json items = Json::array();
    for (auto& x : *ts) items.push_back(to_json(x, c->base));
    int64_t end_time = ts->empty() ? *t : ts->back().generated_ts;
    bool end = static_cast<int64_t>(ts->size()) < per_page;
    c->api.reply_json(c, 200,
                      {{"tickets", items},
                       {"next_page", c->base + "/api/v2/incremental/tickets.json?start_time=" + std::to_string(end_time)},
                       {"count", items.size()},
                       {"end_time", end_time},
                       {"end_of_stream", end}});
  });
}

}  // namespace

void register_search_routes(Api& api) {
  auto R = AuthMode::required;
  api.add("GET", "/api/v2/search", R, search);
  api.add("GET", "/api/v2/search/count", R, count);
  api.add("GET", "/api/v2/search/export", R, export_search);
  api.add("GET", "/api/v2/incremental/tickets/cursor", R, incremental_cursor);
  api.add("GET", "/api/v2/incremental/tickets", R, incremental_time);
}

}  // namespace rapport::http
