#include <rapport/email/outbox.hpp>

#include <algorithm>

#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/email/message_id.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::email {

namespace {

constexpr const char* k_delivery_columns =
    "id, kind, to_address, subject, status, cc, ticket_id, comment_id, attempts, next_attempt_at, last_error, "
    "smtp_response, message_id, permanent, auto_submitted, created_at, sent_at, last_attempt_at";

Delivery map_delivery(const store::Row& r) {
  Delivery d;
  d.id = r.i64(0);
  d.kind = r.text(1);
  d.to_address = r.text(2);
  d.subject = r.text(3);
  d.status = r.text(4);
  d.cc = Json::parse(r.text(5), nullptr, false);
  if (!d.cc.is_array()) d.cc = Json::array();
  d.ticket_id = r.opt_i64(6);
  d.comment_id = r.opt_i64(7);
  d.attempts = r.i64(8);
  d.next_attempt_at = r.i64(9);
  d.last_error = r.opt_text(10);
  d.smtp_response = r.opt_text(11);
  d.message_id = r.opt_text(12);
  d.permanent = r.i64(13) != 0;
  d.auto_submitted = r.i64(14) != 0;
  d.created_at = r.i64(15);
  d.sent_at = r.opt_i64(16);
  d.last_attempt_at = r.opt_i64(17);
  return d;
}

Status append_event(store::Conn& conn, const std::string& kind, int64_t id, std::optional<int64_t> actor, Json data,
                    int64_t now) {
  events::Event e{kind, "outbox", id, actor, std::nullopt, std::move(data)};
  if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  return {};
}

// Fails a row for good (nothing will make it deliverable) with `reason`.
Status fail_row(store::Conn& conn, int64_t id, const std::string& reason, std::optional<int64_t> ticket_id, int64_t now) {
  auto u = conn.run(
      "UPDATE outbox SET status = 'failed', permanent = 1, last_error = ?, last_attempt_at = ? WHERE id = ? AND status = 'queued'",
      {reason, now, id});
  if (!u) return fail(u.error());
  return append_event(conn, "mail.failed", id, std::nullopt,
                      {{"ticket_id", ticket_id ? Json(*ticket_id) : Json(nullptr)}, {"reason", reason}, {"permanent", true}}, now);
}

// The display name of a support address (its mailbox), or the default when it is the default.
std::optional<std::string> mailbox_name(store::Conn& conn, const std::string& address) {
  auto n = conn.scalar_text("SELECT name FROM mailboxes WHERE address_key = ?", {to_lower(address)});
  return n ? *n : std::nullopt;
}

std::string reply_subject(const std::string& subject, int64_t ticket_id) {
  std::string token = "[#" + std::to_string(ticket_id) + "]";
  std::string s = header_text(subject, 900);
  if (s.empty()) s = "Your request";
  bool has_re = s.size() >= 3 && iequals(s.substr(0, 3), "re:");
  if (!has_re) s = "Re: " + s;
  if (s.find(token) == std::string::npos) s += " " + token;
  return s;
}

std::string join_refusals(const SmtpResult& r) {
  std::string out;
  for (const auto& x : r.refused) {
    if (!out.empty()) out += "; ";
    out += x.address + ": " + x.response;
  }
  return out;
}

}  // namespace

bool is_automatic_kind(const std::string& kind) {
  return kind == "feedback_request" || kind == "digest" || kind == "notification";
}

Json to_json(const Delivery& d) {
  auto t = [](std::optional<int64_t> v) { return v ? Json(iso8601(*v)) : Json(nullptr); };
  auto s = [](const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); };
  return {{"id", d.id},
          {"kind", d.kind},
          {"to", d.to_address},
          {"cc", d.cc},
          {"subject", d.subject},
          {"status", d.status},
          {"permanent", d.permanent},
          {"automatic", d.auto_submitted || is_automatic_kind(d.kind)},
          {"attempts", d.attempts},
          {"next_attempt_at", d.status == "queued" ? Json(iso8601(d.next_attempt_at)) : Json(nullptr)},
          {"last_attempt_at", t(d.last_attempt_at)},
          {"last_error", s(d.last_error)},
          {"smtp_response", s(d.smtp_response)},
          {"message_id", d.message_id ? Json(bracket(*d.message_id)) : Json(nullptr)},
          {"ticket_id", d.ticket_id ? Json(*d.ticket_id) : Json(nullptr)},
          {"comment_id", d.comment_id ? Json(*d.comment_id) : Json(nullptr)},
          {"created_at", iso8601(d.created_at)},
          {"sent_at", t(d.sent_at)}};
}

Result<std::vector<int64_t>> due_rows(store::Conn& conn, int64_t now, std::size_t limit, const std::vector<int64_t>& busy) {
  std::vector<int64_t> ids;
  // Read past the rows other threads hold, so a full batch of them cannot hide the rest.
  auto st = conn.each("SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                      {now, static_cast<int64_t>(limit + busy.size())}, [&](const store::Row& r) {
                        auto id = r.i64(0);
                        if (ids.size() < limit && std::find(busy.begin(), busy.end(), id) == busy.end()) ids.push_back(id);
                      });
  if (!st) return fail(st.error());
  return ids;
}

Result<std::optional<int64_t>> next_due(store::Conn& conn) {
  return conn.scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued'");
}

int64_t backoff(int64_t attempts, const DeliveryConfig& cfg, std::mt19937_64& rng) {
  int64_t wait = std::max<int64_t>(cfg.retry_base, 1);
  for (int64_t i = 1; i < attempts && wait < cfg.retry_cap; ++i) wait *= 2;
  wait = std::min(wait, std::max<int64_t>(cfg.retry_cap, 1));
  int64_t half = wait / 2;
  std::uniform_int_distribution<int64_t> jitter(0, wait - half);
  return std::max<int64_t>(1, half + jitter(rng));
}

Result<std::optional<Prepared>> prepare(store::Tx& tx, int64_t id, const DeliveryConfig& cfg, int64_t now) {
  auto& conn = tx.conn();
  struct RowData {
    std::string kind, to, cc, subject, text, html, headers, status, from, in_reply_to, refs;
    std::optional<std::string> message_id;
    std::optional<int64_t> ticket_id;
    bool auto_submitted = false;
  };
  std::optional<RowData> row;
  auto st = conn.each(
      "SELECT kind, to_address, cc, subject, body_text, body_html, headers, status, from_address, COALESCE(in_reply_to, ''), "
      "refs, message_id, ticket_id, auto_submitted FROM outbox WHERE id = ?",
      {id}, [&](const store::Row& r) {
        row = RowData{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6), r.text(7),
                      r.text(8), r.text(9), r.text(10), r.opt_text(11), r.opt_i64(12), r.i64(13) != 0};
      });
  if (!st) return fail(st.error());
  if (!row || row->status != "queued") return std::optional<Prepared>();

  Json headers = Json::parse(row->headers, nullptr, false);
  bool automatic = row->auto_submitted || is_automatic_kind(row->kind);
  if (automatic) {
    // Automatic mail never goes where it could start or feed a loop.
    auto bouncing = conn.scalar("SELECT 1 FROM mail_bounces WHERE address_key = ?", {to_lower(row->to)});
    if (!bouncing) return fail(bouncing.error());
    if (*bouncing) {
      if (auto f = fail_row(conn, id, "suppressed: address is bouncing", row->ticket_id, now); !f) return fail(f.error());
      return std::optional<Prepared>();
    }
    if (row->ticket_id) {
      auto tagged = conn.scalar("SELECT 1 FROM ticket_tags WHERE ticket_id = ? AND tag = 'mail_auto_submitted'", {*row->ticket_id});
      if (!tagged) return fail(tagged.error());
      if (*tagged) {
        if (auto f = fail_row(conn, id, "suppressed: the ticket came from an automatic sender", row->ticket_id, now); !f)
          return fail(f.error());
        return std::optional<Prepared>();
      }
    }
  }

  // The Message-ID is minted once and stored before the first attempt: a retry, even after a
  // crash mid-send, sends the same ID, so a receiver that got the first copy can tell.
  if (!row->message_id) {
    row->message_id = new_message_id(cfg.domain);
    if (auto u = conn.run("UPDATE outbox SET message_id = ? WHERE id = ?", {*row->message_id, id}); !u) return fail(u.error());
  }
  if (row->from.empty()) {
    // Mail about a ticket comes from the address the customer wrote to, when it is one of ours.
    std::optional<std::string> from;
    if (row->ticket_id) {
      auto f = conn.scalar_text("SELECT m.address FROM tickets t JOIN mailboxes m ON m.address_key = lower(t.recipient) WHERE t.id = ?",
                                {*row->ticket_id});
      if (!f) return fail(f.error());
      from = *f;
    }
    row->from = from.value_or(cfg.default_from.address);
    if (auto u = conn.run("UPDATE outbox SET from_address = ? WHERE id = ?", {row->from, id}); !u) return fail(u.error());
  }

  Outgoing m;
  auto name = mailbox_name(conn, row->from);
  m.from = {name ? *name : cfg.default_from.name, row->from};
  m.reply_to = m.from;
  auto to_name = conn.scalar_text("SELECT name FROM users WHERE email_key = ?", {to_lower(row->to)});
  if (!to_name) return fail(to_name.error());
  m.to = {{to_name->value_or(""), row->to}};
  Json cc = Json::parse(row->cc, nullptr, false);
  std::vector<std::string> recipients = {row->to};
  if (cc.is_array()) {
    for (const auto& a : cc) {
      if (!a.is_string()) continue;
      auto addr = a.get<std::string>();
      bool dup = std::any_of(recipients.begin(), recipients.end(), [&](const std::string& r) { return iequals(r, addr); });
      if (dup) continue;
      m.cc.push_back({"", addr});
      recipients.push_back(addr);
    }
  }
  m.subject = row->subject;
  m.text = row->text;
  m.html = row->html;
  m.message_id = *row->message_id;
  m.in_reply_to = row->in_reply_to;
  for (auto& ref : split(row->refs, ' '))
    if (!ref.empty()) m.references.push_back(ref);
  if (automatic) {
    std::string v = headers.is_object() && headers.contains("Auto-Submitted") && headers["Auto-Submitted"].is_string()
                        ? headers["Auto-Submitted"].get<std::string>()
                        : "";
    m.auto_submitted = v == "auto-replied" ? v : "auto-generated";
  }
  m.date = now;
  st = conn.each(
      "SELECT a.file_name, a.content_type, a.inline, COALESCE(a.content_id, ''), b.data FROM attachments a "
      "JOIN blobs b ON b.sha256 = a.blob_sha256 WHERE a.outbox_id = ? ORDER BY a.id LIMIT 50",
      {id}, [&](const store::Row& r) { m.attachments.push_back({r.text(0), r.text(1), r.text(4), r.i64(2) != 0, r.text(3)}); });
  if (!st) return fail(st.error());

  auto bytes = compose(m);
  if (!bytes) {
    std::string why = bytes.error().message;
    for (const auto& [field, errs] : bytes.error().details)
      for (const auto& e : errs) why = e.description;
    if (auto f = fail_row(conn, id, "cannot be sent: " + why, row->ticket_id, now); !f) return fail(f.error());
    return std::optional<Prepared>();
  }
  return std::optional<Prepared>(Prepared{id, row->from, std::move(recipients), std::move(*bytes)});
}

Status record(store::Tx& tx, int64_t id, const SmtpResult& r, const DeliveryConfig& cfg, int64_t now, std::mt19937_64& rng) {
  using O = SmtpResult::Outcome;
  if (r.outcome == O::aborted) return {};  // shutdown: not an attempt; the row stays due
  auto& conn = tx.conn();
  struct RowData {
    std::string status, kind, from, subject;
    int64_t attempts = 0, since = 0;
    std::optional<int64_t> ticket_id, related_id, comment_id;
    std::optional<std::string> message_id;
    std::string to;
  };
  std::optional<RowData> row;
  auto st = conn.each(
      "SELECT status, kind, from_address, subject, attempts, COALESCE(queued_at, created_at), ticket_id, related_id, comment_id, "
      "message_id, to_address FROM outbox WHERE id = ?",
      {id}, [&](const store::Row& x) {
        row = RowData{x.text(0), x.text(1), x.text(2), x.text(3), x.i64(4), x.i64(5), x.opt_i64(6), x.opt_i64(7), x.opt_i64(8),
                      x.opt_text(9), x.text(10)};
      });
  if (!st) return fail(st.error());
  if (!row || row->status != "queued") return {};  // an admin changed it meanwhile
  int64_t attempts = row->attempts + 1;
  Json ticket = row->ticket_id ? Json(*row->ticket_id) : Json(nullptr);
  std::string response = r.response.substr(0, 1000);

  if (r.outcome == O::sent) {
    std::optional<std::string> refused;
    if (!r.refused.empty()) refused = "some recipients refused: " + join_refusals(r).substr(0, 1000);
    auto u = conn.run(
        "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = ?, last_attempt_at = ?, smtp_response = ?, last_error = ?, "
        "permanent = 0 WHERE id = ?",
        {now, attempts, now, response, refused, id});
    if (!u) return fail(u.error());
    if (row->message_id) {
      auto mailbox = conn.scalar("SELECT id FROM mailboxes WHERE address_key = ?", {to_lower(row->from)});
      if (!mailbox) return fail(mailbox.error());
      auto m = conn.run(
          "INSERT INTO mail_messages(message_id, direction, ticket_id, comment_id, outbox_id, mailbox_id, from_address, subject, "
          "created_at) VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(message_id, direction) DO NOTHING",
          {*row->message_id, row->ticket_id, row->comment_id, id, *mailbox, row->from, row->subject, now});
      if (!m) return fail(m.error());
    }
    if (row->kind == "feedback_request" && row->related_id) {
      // The survey reached the customer's server: the request counts as delivered (response
      // rates are computed over delivered requests).
      auto f = conn.run("UPDATE feedback_requests SET status = 'delivered', delivered_at = ? WHERE id = ? AND status = 'pending'",
                        {now, *row->related_id});
      if (!f) return fail(f.error());
    }
    return append_event(conn, "mail.sent", id, std::nullopt,
                        {{"ticket_id", ticket}, {"kind", row->kind}, {"attempts", attempts}, {"smtp_response", response}}, now);
  }

  std::string error = r.error.empty() ? response : r.error + (response.empty() || response == r.error ? "" : ": " + response);
  if (!r.refused.empty()) error = "refused: " + join_refusals(r);
  error = error.substr(0, 1000);
  bool out_of_budget = attempts >= cfg.max_attempts || now - row->since >= cfg.max_age;
  if (r.outcome == O::permanent || out_of_budget) {
    std::string reason = r.outcome == O::permanent ? error
                                                   : "gave up after " + std::to_string(attempts) + " attempts: " + error;
    auto u = conn.run(
        "UPDATE outbox SET status = 'failed', permanent = 1, attempts = ?, last_attempt_at = ?, last_error = ?, smtp_response = ? "
        "WHERE id = ?",
        {attempts, now, reason, response, id});
    if (!u) return fail(u.error());
    return append_event(conn, "mail.failed", id, std::nullopt,
                        {{"ticket_id", ticket}, {"kind", row->kind}, {"attempts", attempts}, {"reason", reason},
                         {"smtp_code", r.code}, {"permanent", true}},
                        now);
  }
  int64_t next = now + backoff(attempts, cfg, rng);
  auto u = conn.run(
      "UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_attempt_at = ?, last_error = ?, smtp_response = ? WHERE id = ?",
      {attempts, next, now, error, response, id});
  if (!u) return fail(u.error());
  return append_event(conn, "mail.deferred", id, std::nullopt,
                      {{"ticket_id", ticket}, {"kind", row->kind}, {"attempts", attempts}, {"error", error},
                       {"smtp_code", r.code}, {"next_attempt_at", next}},
                      now);
}

Status queue_agent_reply(store::Tx& tx, const domain::Ticket& t, const domain::Comment& c, const DeliveryConfig& cfg) {
  if (!c.is_public || c.author_id == t.requester_id) return {};
  // An automatic answer (a known incident's reply) queues its own Auto-Submitted mail with the
  // comment: mailing it here too would send the customer the same answer twice.
  if (c.metadata.is_object() && c.metadata.contains("system") && c.metadata["system"].is_object() &&
      c.metadata["system"].value("auto_submitted", false))
    return {};
  // A ticket is answered by email when it came by email, or names the support address it was
  // sent to (`recipient`, which API clients and web forms set).
  bool by_email = t.channel == "email" || (t.recipient && !trim(*t.recipient).empty());
  if (!by_email) return {};
  auto& conn = tx.conn();
  auto role = conn.scalar_text("SELECT role FROM users WHERE id = ?", {c.author_id});
  if (!role) return fail(role.error());
  if (!*role || (**role != "agent" && **role != "admin")) return {};  // an end user (a CC) writing is not a reply
  auto to = conn.scalar_text("SELECT email FROM users WHERE id = ?", {t.requester_id});
  if (!to) return fail(to.error());
  if (!*to || trim(**to).empty()) return {};  // nobody to write to
  int64_t now = c.created_at;

  Json cc = Json::array();
  std::vector<int64_t> cc_ids;
  for (const auto& v : t.email_cc_ids)
    if (v.is_number_integer() && v.get<int64_t>() != t.requester_id) cc_ids.push_back(v.get<int64_t>());
  if (cc_ids.size() > k_max_recipients - 1) cc_ids.resize(k_max_recipients - 1);
  if (!cc_ids.empty()) {
    store::Params p(cc_ids.begin(), cc_ids.end());
    auto st = conn.each("SELECT email FROM users WHERE id IN (" + store::placeholders(cc_ids.size()) + ") AND email IS NOT NULL ORDER BY id",
                        p, [&](const store::Row& r) { cc.push_back(r.text(0)); });
    if (!st) return fail(st.error());
  }

  std::string from = cfg.default_from.address;
  if (t.recipient) {
    auto mb = conn.scalar_text("SELECT address FROM mailboxes WHERE address_key = ?", {to_lower(trim(*t.recipient))});
    if (!mb) return fail(mb.error());
    if (*mb) from = **mb;
  }

  // The thread: every message in and out on this ticket, including replies still waiting in the
  // outbox (a second reply must answer the first even before it went out). Newest last. Times
  // are seconds: within one, mail_messages rows keep their insertion order (id), and a queued
  // reply counts as newer than them. A reply already sent is taken from its mail_messages row
  // only (its send time), never from its outbox row (its queue time): the customer's answer to
  // it, in the same second, must come after it.
  std::vector<std::string> thread;
  auto st = conn.each(
      "SELECT message_id FROM (SELECT message_id, created_at, id, 0 AS src FROM mail_messages WHERE ticket_id = ? "
      "UNION ALL SELECT message_id, created_at, id, 1 AS src FROM outbox WHERE ticket_id = ? AND kind = 'agent_reply' "
      "AND status = 'queued' AND message_id IS NOT NULL) ORDER BY created_at DESC, src DESC, id DESC LIMIT ?",
      {t.id, t.id, static_cast<int64_t>(2 * k_max_references)}, [&](const store::Row& r) {
        auto id = normalize_message_id(r.text(0));
        if (!id.empty() && std::find(thread.begin(), thread.end(), id) == thread.end()) thread.push_back(id);
      });
  if (!st) return fail(st.error());
  if (thread.size() > k_max_references) thread.resize(k_max_references);
  std::reverse(thread.begin(), thread.end());
  std::string refs;
  for (const auto& id : thread) refs += (refs.empty() ? "" : " ") + id;
  std::optional<std::string> in_reply_to;
  if (!thread.empty()) in_reply_to = thread.back();

  // A reply a business rule wrote (a trigger's or automation's comment, a triage category's
  // self-service answer: via.channel "rule") is automatic mail (RFC 3834): marked Auto-Submitted,
  // and held back from bouncing addresses and automatic senders like every automatic kind.
  // "auto-replied" answers the customer's message; a time-based automation's is "auto-generated".
  std::optional<std::string> automatic;
  if (c.via.is_object() && c.via.value("channel", "") == "rule") {
    std::string rel = c.via.contains("source") && c.via["source"].is_object() ? c.via["source"].value("rel", "") : "";
    automatic = rel == "automation" ? "auto-generated" : "auto-replied";
  }
  Json headers = automatic ? Json{{"Auto-Submitted", *automatic}} : Json::object();

  auto message_id = new_message_id(cfg.domain);
  auto ins = conn.run(
      "INSERT INTO outbox(kind, to_address, subject, body_text, body_html, headers, ticket_id, comment_id, from_address, "
      "message_id, in_reply_to, refs, cc, auto_submitted, next_attempt_at, created_at, queued_at) "
      "VALUES ('agent_reply', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {trim(**to), reply_subject(t.subject, t.id), c.body, c.html_body, headers.dump(), t.id, c.id, from, message_id,
       in_reply_to, refs, cc.dump(), automatic.has_value(), now, now, now});
  if (!ins) return fail(ins.error());
  int64_t outbox_id = conn.last_insert_id();
  // The comment's attachments go with it.
  if (auto u = conn.run("UPDATE attachments SET outbox_id = ? WHERE comment_id = ? AND outbox_id IS NULL", {outbox_id, c.id}); !u)
    return fail(u.error());
  return append_event(conn, "mail.queued", outbox_id, c.author_id,
                      {{"ticket_id", t.id}, {"comment_id", c.id}, {"kind", "agent_reply"}}, now);
}

Result<std::vector<Delivery>> deliveries_for_ticket(store::Conn& conn, int64_t ticket_id) {
  std::vector<Delivery> out;
  auto st = conn.each(std::string("SELECT ") + k_delivery_columns + " FROM outbox WHERE ticket_id = ? ORDER BY id LIMIT 500",
                      {ticket_id}, [&](const store::Row& r) { out.push_back(map_delivery(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<domain::Page<Delivery>> list_outbox(store::Conn& conn, const std::optional<std::string>& status,
                                           const domain::PageRequest& pr) {
  store::ListQuery q{k_delivery_columns, "outbox", {}, {}};
  if (status) {
    if (*status != "queued" && *status != "sent" && *status != "failed")
      return fail(Error::invalid("status must be queued, sent or failed"));
    q.where.push_back("status = ?");
    q.params.push_back(*status);
  }
  return store::run_list<Delivery>(conn, q, pr, map_delivery);
}

Result<Delivery> retry_now(store::Tx& tx, int64_t id, const domain::Principal& actor) {
  auto& conn = tx.conn();
  int64_t now = now_epoch();
  std::optional<Delivery> d;
  auto load = [&]() {
    d.reset();
    return conn.each(std::string("SELECT ") + k_delivery_columns + " FROM outbox WHERE id = ?", {id},
                     [&](const store::Row& r) { d = map_delivery(r); });
  };
  if (auto st = load(); !st) return fail(st.error());
  if (!d) return fail(Error::not_found());
  if (d->status == "sent") return fail(Error::field("status", "InvalidValue", "Status: this message was already sent"));
  auto u = conn.run(
      "UPDATE outbox SET status = 'queued', permanent = 0, attempts = 0, next_attempt_at = ?, queued_at = ? WHERE id = ?",
      {now, now, id});
  if (!u) return fail(u.error());
  if (auto e = append_event(conn, "mail.retried", id, actor.user_id,
                            {{"ticket_id", d->ticket_id ? Json(*d->ticket_id) : Json(nullptr)}, {"previous_status", d->status}},
                            now);
      !e)
    return fail(e.error());
  if (auto st = load(); !st) return fail(st.error());
  return *d;
}

}  // namespace rapport::email
