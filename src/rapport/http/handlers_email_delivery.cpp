// The email channel's delivery side: what happened to each outgoing message of a ticket, the
// admins' view of the whole outbox, and "retry now".
#include <rapport/email/outbox.hpp>
#include <rapport/http/handler_util.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::http {

namespace {

// GET /api/v2/tickets/{id}/deliveries: staff who can see the ticket (others get 404, as for the
// ticket itself); end users are refused.
void ticket_deliveries(const CtxPtr& c) {
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
  with_read(c, [&](store::Conn& conn) {
    auto t = tickets::get_ticket(conn, *id, c->who);
    if (!t) return c->api.reply_error(c, t.error());
    auto ds = email::deliveries_for_ticket(conn, *id);
    if (!ds) return c->api.reply_error(c, ds.error());
    Json items = Json::array();
    for (const auto& d : *ds) items.push_back(email::to_json(d));
    c->api.reply_json(c, 200, {{"deliveries", items}, {"count", items.size()}});
  });
}

// GET /api/v2/channels/email/outbox?status=: admins.
void outbox_list(const CtxPtr& c) {
  if (!c->who.is_admin()) return c->api.reply_error(c, Error::forbidden());
  auto pr = page_request(*c, false);
  if (!pr) return c->api.reply_error(c, pr.error());
  if (!c->param("sort_order")) pr->desc = true;  // newest first unless asked otherwise
  std::optional<std::string> status;
  if (auto s = c->param("status"); s && !s->empty()) status = *s;
  with_read(c, [&](store::Conn& conn) {
    auto page = email::list_outbox(conn, status, *pr);
    if (!page) return c->api.reply_error(c, page.error());
    reply_page<email::Delivery>(c, "deliveries", *page, *pr, [](const email::Delivery& d) { return email::to_json(d); });
  });
}

// POST /api/v2/channels/email/outbox/{id}/retry: admins. A failed (or waiting) message is queued
// again, due now, with a fresh retry budget.
void outbox_retry(const CtxPtr& c) {
  if (!c->who.is_admin()) return c->api.reply_error(c, Error::forbidden());
  auto id = c->id_arg(0);
  if (!id) return c->api.reply_error(c, Error::not_found());
  auto out = std::make_shared<email::Delivery>();
  c->api.write(
      c,
      [id = *id, who = c->who, out](store::Tx& tx) -> Status {
        auto d = email::retry_now(tx, id, who);
        if (!d) return fail(d.error());
        *out = std::move(*d);
        return {};
      },
      [c, out](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, 200, {{"delivery", email::to_json(*out)}});
      });
}

}  // namespace

void register_email_delivery_routes(Api& api) {
  auto R = AuthMode::required;
  api.add("GET", "/api/v2/tickets/{}/deliveries", R, ticket_deliveries);
  api.add("GET", "/api/v2/channels/email/outbox", R, outbox_list);
  api.add("POST", "/api/v2/channels/email/outbox/{}/retry", R, outbox_retry);
}

}  // namespace rapport::http
