#include <rapport/accounts/users.hpp>
#include <rapport/email/attachments.hpp>
#include <rapport/email/html.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/http/sla_json.hpp>
#include <rapport/tickets/tickets.hpp>
#include <rapport/triage/triage.hpp>

namespace rapport::http {

namespace {

const std::vector<std::string> k_ticket_sorts = {"id", "created_at", "updated_at"};

// A posted comment's html_body is made safe before anything stores it: the API hands html_body
// to every integration and the outbox mails it to the customer, so a raw <script> or onerror
// posted here would run in readers we do not control. Done here, on the HTTP thread, with the
// email sanitizer (tickets cannot link it); email intake stores its own sanitized HTML. Staff keep
// their remote images (a signature's logo is meant to load); anyone else's stay unloaded until
// the reader asks, as an inbound email's do. Everything else about the input is left to tickets.
void sanitize_posted_html(Json& ticket, const domain::Principal& who) {
  auto c = ticket.find("comment");
  if (c == ticket.end() || !c->is_object()) return;
  auto h = c->find("html_body");
  if (h == c->end() || !h->is_string()) return;
  auto safe = email::sanitize_html(h->get_ref<const std::string&>());
  *h = who.is_staff() ? email::with_remote_images(safe.html) : std::move(safe.html);
}

void list(const CtxPtr& c, tickets::TicketFilter f) {
  auto pr = page_request(*c, true, k_ticket_sorts);
  if (!pr) return c->api.reply_error(c, pr.error());
  if (auto s = c->param("status"); s && !s->empty()) f.status = *s;
  if (auto g = c->param("group_id"); g && !g->empty()) f.group_id = parse_int(*g).value_or(-1);
  if (auto a = c->param("assignee_id"); a && !a->empty()) {
    if (*a == "none") f.assignee = std::optional<int64_t>();
    else f.assignee = std::optional<int64_t>(parse_int(*a).value_or(-1));
  }
  if (auto o = c->param("organization_id"); o && !o->empty()) f.organization_id = parse_int(*o).value_or(-1);
  if (auto e = c->param("external_id"); e && !e->empty()) f.external_id = *e;
  with_read(c, [&](store::Conn& conn) {
    auto page = tickets::list_tickets(conn, f, *pr, c->who);
    if (!page) return c->api.reply_error(c, page.error());
    if (wants_slas(*c)) {
      // One query for the page's clocks, keyed by id as each ticket is encoded.
      Json all = Json::array();
      for (const auto& t : page->items) all.push_back({{"id", t.id}});
      if (auto st = add_slas(conn, all); !st) return c->api.reply_error(c, st.error());
      std::size_t i = 0;
      return reply_page<domain::Ticket>(c, "tickets", *page, *pr, [&](const domain::Ticket& t) {
        Json j = to_json(t, c->base);
        j["slas"] = all[i++]["slas"];
        return j;
      });
    }
    reply_page_written<domain::Ticket>(c, "tickets", *page, *pr,
                                       [&](std::string& out, const domain::Ticket& t) { write_json(out, t, c->base); });
  });
}

void show(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  with_read(c, [&](store::Conn& conn) {
    auto t = tickets::get_ticket(conn, *id, c->who);
    if (!t) return c->api.reply_error(c, t.error());
    if (!wants_slas(*c)) {
      std::string body = "{\"ticket\":";
      write_json(body, *t, c->base);
      body.push_back('}');
      return c->api.reply_json_text(c, 200, std::move(body));
    }
    Json one = Json::array({to_json(*t, c->base)});
    if (auto st = add_slas(conn, one); !st) return c->api.reply_error(c, st.error());
    c->api.reply_json(c, 200, {{"ticket", one[0]}});
  });
}

void show_many(const CtxPtr& c) {
  auto ids = id_list(*c);
  if (!ids) return c->api.reply_error(c, ids.error());
  with_read(c, [&](store::Conn& conn) {
    auto ts = tickets::tickets_by_ids(conn, *ids, c->who);
    if (!ts) return c->api.reply_error(c, ts.error());
    Json items = Json::array();
    for (auto& t : *ts) items.push_back(to_json(t, c->base));
    if (wants_slas(*c)) {
      if (auto st = add_slas(conn, items); !st) return c->api.reply_error(c, st.error());
    }
    c->api.reply_json(c, 200, {{"tickets", items}, {"next_page", nullptr}, {"previous_page", nullptr},
                               {"count", items.size()}});
  });
}

void create(const CtxPtr& c) {
  auto in = body_object(*c, "ticket");
  if (!in) return c->api.reply_error(c, in.error());
  sanitize_posted_html(*in, c->who);
  auto out = std::make_shared<tickets::Change>();
  c->api.write(
      c,
      [in = std::move(*in), who = c->who, out](store::Tx& tx) -> Status {
        auto r = tickets::create_ticket(tx, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        // The bytes json_response would send ({"audit":…,"ticket":…}), with the ticket written
        // directly as show writes it, instead of built as a JSON tree and freed again.
        Response res{bhttp::status::created, 11};
        res.set(bhttp::field::content_type, "application/json; charset=utf-8");
        res.set(bhttp::field::location, path_of(c, "tickets", out->ticket.id));
        std::string& body = res.body();
        body = "{\"audit\":";
        body += to_json(out->audit).dump(-1, ' ', false, Json::error_handler_t::replace);
        body += ",\"ticket\":";
        write_json(body, out->ticket, c->base);
        body.push_back('}');
        c->api.reply(c, std::move(res));
      });
}

void update(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto in = body_object(*c, "ticket");
  if (!in) return c->api.reply_error(c, in.error());
  sanitize_posted_html(*in, c->who);
  auto out = std::make_shared<tickets::Change>();
  c->api.write(
      c,
      [in = std::move(*in), who = c->who, out, id = *id](store::Tx& tx) -> Status {
        auto r = tickets::update_ticket(tx, id, in, who);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        Json body = {{"ticket", to_json(out->ticket, c->base)}};
        if (out->audit.id) body["audit"] = to_json(out->audit);
        c->api.reply_json(c, 200, body);
      });
}

void destroy(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  c->api.write(
      c, [who = c->who, id = *id](store::Tx& tx) { return tickets::delete_ticket(tx, id, who); },
      [c](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply(c, Response{bhttp::status::no_content, 11});
      });
}

void create_many(const CtxPtr& c) {
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  const auto& body = c->req.body();
  if (!valid_utf8(body)) return c->api.reply_error(c, Error::invalid("The request body is not valid UTF-8"));
  if (json_depth(body, 64) > 64) return c->api.reply_error(c, Error::invalid("The JSON is nested too deeply"));
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return c->api.reply_error(c, Error::invalid("Malformed JSON"));
  if (!j.is_object() || !j.contains("tickets") || !j["tickets"].is_array())
    return c->api.reply_error(c, Error::invalid("The request body must be a JSON object with a \"tickets\" array"));
  auto items = j["tickets"];
  if (items.empty() || items.size() > 100)
    return c->api.reply_error(c, Error::invalid("tickets must hold between 1 and 100 tickets"));
  for (auto& item : items)
    if (item.is_object()) sanitize_posted_html(item, c->who);
  auto job = std::make_shared<domain::JobStatus>();
  auto total = static_cast<int64_t>(items.size());
  c->api.write(
      c,
      [who = c->who, job, total](store::Tx& tx) -> Status {
        auto r = tickets::queue_job(tx, "bulk_create_tickets", total, who);
        if (!r) return fail(r.error());
        *job = *r;
        return {};
      },
      [c, job, items = std::move(items)](Status st) mutable {
        if (!st) return c->api.reply_error(c, st.error());
        // The job is durable and visible; the tickets are created as the next write.
        c->api.store().writer().submit(
            [who = c->who, id = job->id, items = std::move(items)](store::Tx& tx) {
              return tickets::run_create_many(tx, id, items, who);
            },
            [](Status) {});
        c->api.reply_json(c, 200, {{"job_status", to_json(*job, c->base)}});
      });
}

void job_status(const CtxPtr& c) {
  with_read(c, [&](store::Conn& conn) {
    auto j = tickets::get_job(conn, c->args.at(0), c->who);
    if (!j) return c->api.reply_error(c, j.error());
    c->api.reply_json(c, 200, {{"job_status", to_json(*j, c->base)}});
  });
}

// metadata.email.html of an email comment: "sanitized" (html_body is the sender's HTML, made safe
// by email/html), "too_large" (shown as text), or empty.
std::string email_html(const domain::Comment& x) {
  if (!x.metadata.is_object() || !x.metadata.contains("email") || !x.metadata["email"].is_object()) return {};
  const auto& v = x.metadata["email"];
  return v.contains("html") && v["html"].is_string() ? v["html"].get<std::string>() : std::string();
}

void comments(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto pr = page_request(*c, true, {"id", "created_at"});
  if (!pr) return c->api.reply_error(c, pr.error());
  if (!pr->cursor && c->param("sort_order") == std::optional<std::string>("desc")) pr->desc = true;
  with_read(c, [&](store::Conn& conn) {
    auto page = tickets::list_comments(conn, *id, *pr, c->who);
    if (!page) return c->api.reply_error(c, page.error());
    // A sensitive ticket shows the requester's side only what they wrote until they verified
    // their address (docs/triage.md).
    bool redact = false;
    if (!c->who.is_staff()) {
      auto held = triage::withholds_replies(conn, *id);
      if (!held) return c->api.reply_error(c, held.error());
      redact = *held;
    }
    if (redact) {
      for (auto& x : page->items) {
        if (x.author_id == c->who.user_id) continue;
        x.body = "This reply is waiting for you to confirm your address. Open the link in our email to read it.";
        x.html_body = "<p>" + x.body + "</p>";
      }
    }
    std::vector<int64_t> ids;
    for (const auto& x : page->items) ids.push_back(x.id);
    auto files = email::attachments_for_comments(conn, ids);
    if (!files) return c->api.reply_error(c, files.error());
    reply_page<domain::Comment>(c, "comments", *page, *pr, [&](const domain::Comment& x) {
      auto j = to_json(x);
      if (auto it = files->find(x.id); it != files->end() && !(redact && x.author_id != c->who.user_id)) {
        std::map<std::string, std::string> inline_images;  // Content-ID -> content_url
        for (const auto& a : it->second) {
          j["attachments"].push_back(to_json(a, c->base));
          if (!a.content_id.empty()) inline_images[a.content_id] = j["attachments"].back()["content_url"];
        }
        // An email's inline images (`cid:` in its sanitized HTML) point at their attachments.
        if (!inline_images.empty() && email_html(x) == "sanitized")
          j["html_body"] = email::resolve_inline_images(x.html_body, inline_images);
      }
      return j;
    });
  });
}

void audits(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto pr = page_request(*c, true, {"id", "created_at"});
  if (!pr) return c->api.reply_error(c, pr.error());
  with_read(c, [&](store::Conn& conn) {
    auto page = tickets::list_audits(conn, *id, *pr, c->who);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<domain::Audit>(c, "audits", *page, *pr, [](const domain::Audit& x) { return to_json(x); });
  });
}

}  // namespace

void register_ticket_routes(Api& api) {
  auto R = AuthMode::required;
  api.add("GET", "/api/v2/tickets", R, [](const CtxPtr& c) { list(c, {}); });
  api.add("GET", "/api/v2/tickets/show_many", R, show_many);
  api.add("POST", "/api/v2/tickets/create_many", R, create_many);
  api.add("GET", "/api/v2/tickets/{}", R, show, RunOn::point);
  api.add("POST", "/api/v2/tickets", R, create, RunOn::point);
  api.add("PUT", "/api/v2/tickets/{}", R, update, RunOn::point);
  api.add("DELETE", "/api/v2/tickets/{}", R, destroy);
  api.add("GET", "/api/v2/tickets/{}/comments", R, comments);
  api.add("GET", "/api/v2/tickets/{}/audits", R, audits);
  api.add("GET", "/api/v2/job_statuses/{}", R, job_status);
  api.add("GET", "/api/v2/organizations/{}/tickets", R, [](const CtxPtr& c) {
    tickets::TicketFilter f;
    f.organization_id = c->id_arg(0).value_or(-1);
    list(c, f);
  });
  api.add("GET", "/api/v2/users/{}/tickets/requested", R, [](const CtxPtr& c) {
    tickets::TicketFilter f;
    f.requester_id = c->id_arg(0).value_or(-1);
    list(c, f);
  });
  api.add("GET", "/api/v2/users/{}/tickets/assigned", R, [](const CtxPtr& c) {
    tickets::TicketFilter f;
    f.assignee = std::optional<int64_t>(c->id_arg(0).value_or(-1));
    list(c, f);
  });
}

}  // namespace rapport::http
