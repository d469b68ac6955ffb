#include <rapport/email/intake.hpp>

#include <algorithm>
#include <regex>

#include <rapport/accounts/users.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/email/attachments.hpp>
#include <rapport/email/html.hpp>
#include <rapport/email/reply.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::email {

namespace {

using domain::Principal;

struct Mailbox {
  int64_t id = 0;
  std::string address, name;
  std::optional<int64_t> group_id;
};

Result<std::optional<Mailbox>> mailbox_by_address(store::Conn& conn, const std::string& address) {
  std::optional<Mailbox> mb;
  auto st = conn.each(
      "SELECT m.id, m.address, m.name, g.id FROM mailboxes m LEFT JOIN groups g ON g.id = m.group_id AND g.deleted = 0 "
      "WHERE m.address_key = ?",
      {to_lower(address)}, [&](const store::Row& r) {
        mb = Mailbox{r.i64(0), r.text(1), r.text(2), r.opt_i64(3)};
      });
  if (!st) return fail(st.error());
  return mb;
}

// The mail system acting for the sender: the sender authors the comment, with the rights intake
// needs to set requester, group and CCs. Never reaches the API.
Principal mail_actor(int64_t sender_id) {
  auto p = accounts::system_principal();
  p.user_id = sender_id;
  return p;
}

Json ids_json(const std::vector<int64_t>& ids) {
  Json a = Json::array();
  for (auto id : ids) a.push_back(id);
  return a;
}

std::vector<int64_t> ids_of(const Json& arr) {
  std::vector<int64_t> out;
  if (arr.is_array())
    for (const auto& v : arr)
      if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  return out;
}

bool contains(const std::vector<int64_t>& v, int64_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// The comment text: what the sender wrote this time.
std::string comment_body(const ParsedMessage& m) {
  std::string text = m.html_only ? html_to_plain(strip_quoted_html(m.html)) : m.text;
  std::string body = strip_quoted_text(text);
  if (trim(body).empty()) body = m.text;
  if (trim(body).empty()) body = m.attachments.empty() ? "(This email had no text.)" : "(This email had only attachments.)";
  if (body.size() > (1u << 20) - 1024) body = scrub_utf8(body.substr(0, (1u << 20) - 1024)) + "\n[cut: the text was over 1 MB]";
  return body;
}

// The HTML shown for an email comment: the sender's HTML, sanitized (email/html.hpp), with the
// quoted history folded. `state` goes into the comment's metadata.email.html: "sanitized", or
// "too_large" when the HTML is over the limit and the comment is shown as its text, or empty for
// mail without HTML.
struct CommentHtml {
  std::optional<std::string> html;
  std::string state;
};

CommentHtml comment_html(const ParsedMessage& m) {
  if (trim(m.html).empty()) return {};
  auto safe = sanitize_email_html(m.html);
  // The sanitized form must also fit the comment's own html_body limit (escaping can grow it).
  if (!safe || safe->html.size() > (1u << 20) - 1024) return {std::nullopt, "too_large"};
  if (trim(safe->html).empty()) return {};
  return {std::move(safe->html), "sanitized"};
}

struct Work {
  store::Tx& tx;
  const ParsedMessage& m;
  std::string_view raw;
  const IntakeConfig& cfg;
  std::optional<Mailbox> mailbox;
  int64_t now = now_epoch();
  std::string from_key;  // sender, lower-cased
  IngestResult result;
  CommentHtml html = comment_html(m);

  store::Conn& conn() { return tx.conn(); }

  // The comment as create_ticket and update_ticket read it.
  Json comment(int64_t sender_id) const {
    Json c = {{"body", comment_body(m)}, {"author_id", sender_id}, {"public", true}};
    if (html.html) c["html_body"] = *html.html;
    return c;
  }

  // Records the message in the threading index (and the raw bytes once in `blobs`).
  Status record(const std::string& outcome, std::optional<int64_t> ticket_id, std::optional<int64_t> comment_id) {
    auto sha = put_blob(conn(), raw, now);
    if (!sha) return fail(sha.error());
    Json flags = Json::array();
    if (result.auto_submitted) flags.push_back("auto_submitted");
    if (result.rate_limited) flags.push_back("rate_limited");
    auto r = conn().run(
        "INSERT INTO mail_messages(message_id, direction, ticket_id, comment_id, mailbox_id, from_address, subject, "
        "raw_sha256, created_at, outcome, flags) VALUES (?, 'in', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {m.message_id, ticket_id, comment_id, mailbox ? std::optional<int64_t>(mailbox->id) : std::nullopt, from_key,
         scrub_utf8(m.subject.substr(0, 255)), *sha, now, outcome, flags.dump()});
    if (!r) return fail(r.error());
    result.outcome = outcome;
    result.ticket_id = ticket_id;
    result.comment_id = comment_id;
    events::Event e{outcome == "dropped" ? "mail.dropped" : "mail.received", "mail_message", conn().last_insert_id(),
                    std::nullopt, std::nullopt,
                    {{"message_id", m.message_id}, {"outcome", outcome},
                     {"ticket_id", ticket_id ? Json(*ticket_id) : Json(nullptr)},
                     {"comment_id", comment_id ? Json(*comment_id) : Json(nullptr)},
                     {"mailbox_id", mailbox ? Json(mailbox->id) : Json(nullptr)}, {"from", from_key}, {"flags", flags}}};
    if (!result.reason.empty()) e.data["reason"] = result.reason;
    if (auto ev = events::append(conn(), e, now); !ev) return fail(ev.error());
    return {};
  }

  Status store_attachments(int64_t ticket_id, int64_t comment_id) {
    for (const auto& a : m.attachments) {
      if (auto s = add_attachment(conn(), a, ticket_id, comment_id, now); !s) return fail(s.error());
    }
    return {};
  }

  Result<std::optional<int64_t>> existing_user(const std::string& email) {
    return conn().scalar("SELECT id FROM users WHERE email_key = ?", {to_lower(email)});
  }

  // The CC'd and other To addresses as users (created when new), without our own addresses, the
  // sender, and anything malformed. Bounded by cfg.max_collaborators.
  Result<std::vector<int64_t>> collaborators(int64_t sender_id) {
    std::vector<int64_t> out;
    std::vector<Address> all = m.cc;
    all.insert(all.end(), m.to.begin(), m.to.end());
    for (const auto& a : all) {
      if (out.size() >= cfg.max_collaborators) break;
      auto key = to_lower(a.email);
      if (key == from_key) continue;
      auto ours = conn().scalar("SELECT 1 FROM mailboxes WHERE address_key = ?", {key});
      if (!ours) return fail(ours.error());
      if (*ours) continue;
      auto id = accounts::find_or_create_requester(tx, a.name, a.email, mail_actor(sender_id));
      if (!id) {
        if (id.error().code == ErrorCode::validation) continue;  // a malformed address is skipped
        return fail(id.error());
      }
      if (*id != sender_id && !contains(out, *id)) out.push_back(*id);
    }
    return out;
  }

  Json comment_metadata() const {
    Json email = {{"message_id", m.message_id}, {"from", m.from ? m.from->email : ""},
                  {"to", Json::array()}, {"cc", Json::array()}};
    for (const auto& a : m.to) email["to"].push_back(a.email);
    for (const auto& a : m.cc) email["cc"].push_back(a.email);
    if (!html.state.empty()) email["html"] = html.state;
    Json md = {{"email", email}};
    if (result.auto_submitted) md["auto_submitted"] = true;
    if (result.rate_limited) md["rate_limited"] = true;
    return md;
  }

  Json flag_tags() const {
    Json tags = Json::array();
    if (result.auto_submitted) tags.push_back("mail_auto_submitted");
    if (result.rate_limited) tags.push_back("mail_rate_limited");
    return tags;
  }

  Json via_source(const std::optional<int64_t>& followup_of = std::nullopt) const {
    Json from = {{"address", m.from->email}, {"name", m.from->name}};
    if (followup_of) from["ticket_id"] = *followup_of;
    Json to = Json::object();
    if (mailbox) to = {{"address", mailbox->address}, {"name", mailbox->name}};
    else if (!m.to.empty()) to = {{"address", m.to.front().email}, {"name", m.to.front().name}};
    return {{"from", from}, {"to", to}, {"rel", followup_of ? Json("follow_up") : Json(nullptr)}};
  }

  Status create(int64_t sender_id, std::optional<domain::Ticket> followup_of) {
    auto collab = collaborators(sender_id);
    if (!collab) return fail(collab.error());
    Json in = {{"subject", m.subject},
               {"comment", comment(sender_id)},
               {"requester_id", sender_id},
               {"tags", flag_tags()},
               {"collaborator_ids", ids_json(*collab)},
               {"email_cc_ids", ids_json(*collab)}};
    std::optional<int64_t> group = mailbox ? mailbox->group_id : std::nullopt;
    if (!group && followup_of) group = followup_of->group_id;
    if (group) in["group_id"] = *group;
    if (mailbox) in["recipient"] = mailbox->address;
    else if (!m.to.empty()) in["recipient"] = m.to.front().email;
    tickets::CreateOptions opts;
    opts.channel = "email";
    opts.via_source = via_source(followup_of ? std::optional<int64_t>(followup_of->id) : std::nullopt);
    opts.comment_metadata = comment_metadata();
    if (followup_of) opts.followup_source_id = followup_of->id;
    auto t = tickets::create_ticket(tx, in, mail_actor(sender_id), opts);
    if (!t) return fail(t.error());
    // By ticket first: comments are indexed by (ticket_id, id), not by audit.
    auto cid = conn().scalar("SELECT id FROM comments WHERE ticket_id = ? AND audit_id = ? ORDER BY id LIMIT 1",
                             {t->ticket.id, t->audit.id});
    if (!cid) return fail(cid.error());
    int64_t comment_id = cid->value_or(0);
    if (auto st = store_attachments(t->ticket.id, comment_id); !st) return st;
    return record(followup_of ? "followup" : "created", t->ticket.id, comment_id);
  }

  Status comment_on(const domain::Ticket& t, int64_t sender_id) {
    auto collab = collaborators(sender_id);
    if (!collab) return fail(collab.error());
    Json in = {{"comment", comment(sender_id)}};
    auto tags = flag_tags();
    if (!tags.empty()) in["additional_tags"] = tags;
    // New CCs join the ticket's collaborators (the requester is never one).
    auto have_collab = ids_of(t.collaborator_ids), have_cc = ids_of(t.email_cc_ids);
    bool more = false;
    for (auto id : *collab) {
      if (id == t.requester_id) continue;
      if (!contains(have_collab, id)) have_collab.push_back(id), more = true;
      if (!contains(have_cc, id)) have_cc.push_back(id), more = true;
    }
    if (more && have_collab.size() <= 100) {
      in["collaborator_ids"] = ids_json(have_collab);
      in["email_cc_ids"] = ids_json(have_cc);
    }
    // A reply reopens a solved (or waiting) ticket, whoever on the thread sends it; automatic
    // mail never does.
    if (result.auto_submitted) in["status"] = t.status;
    else if (t.status == "solved" || t.status == "pending" || t.status == "hold") in["status"] = "open";
    tickets::UpdateOptions opts;
    opts.channel = "email";
    opts.via_source = via_source();
    opts.comment_metadata = comment_metadata();
    auto u = tickets::update_ticket(tx, t.id, in, mail_actor(sender_id), opts);
    if (!u) return fail(u.error());
    auto cid = conn().scalar("SELECT id FROM comments WHERE ticket_id = ? AND audit_id = ? ORDER BY id LIMIT 1",
                             {t.id, u->audit.id});
    if (!cid) return fail(cid.error());
    if (auto st = store_attachments(t.id, cid->value_or(0)); !st) return st;
    return record("commented", t.id, *cid);
  }

  Result<std::optional<domain::Ticket>> live_ticket(int64_t id) {
    auto t = tickets::get_ticket(conn(), id, accounts::system_principal());
    if (!t) {
      if (t.error().code == ErrorCode::not_found) return std::optional<domain::Ticket>();
      return fail(t.error());
    }
    return std::optional<domain::Ticket>(*t);
  }

  // In-Reply-To first, then References newest first: the ticket of the first one we know.
  Result<std::optional<int64_t>> thread_by_headers() {
    std::vector<std::string> ids = m.in_reply_to;
    for (auto it = m.references.rbegin(); it != m.references.rend(); ++it)
      if (std::find(ids.begin(), ids.end(), *it) == ids.end()) ids.push_back(*it);
    if (ids.empty()) return std::optional<int64_t>();
    std::map<std::string, int64_t> found;
    store::Params params(ids.begin(), ids.end());
    auto st = conn().each("SELECT message_id, ticket_id FROM mail_messages WHERE ticket_id IS NOT NULL AND message_id IN (" +
                              store::placeholders(ids.size()) + ")",
                          params, [&](const store::Row& r) { found.emplace(r.text(0), r.i64(1)); });
    if (!st) return fail(st.error());
    for (const auto& id : ids)
      if (auto it = found.find(id); it != found.end()) return std::optional<int64_t>(it->second);
    return std::optional<int64_t>();
  }

  Status bounce() {
    const auto& dsn = *m.dsn;
    std::optional<int64_t> ticket_id;
    if (!dsn.original_message_id.empty()) {
      auto t = conn().scalar("SELECT ticket_id FROM mail_messages WHERE message_id = ? AND ticket_id IS NOT NULL "
                             "ORDER BY direction = 'out' DESC, id LIMIT 1",
                             {dsn.original_message_id});
      if (!t) return fail(t.error());
      ticket_id = *t;
    }
    std::string note = "Delivery failed:";
    for (const auto& f : dsn.failed) {
      auto key = to_lower(f.address);
      auto reason = f.diagnostic.empty() ? f.status : f.diagnostic;
      auto r = conn().run(
          "INSERT INTO mail_bounces(address_key, reason, status_code, bounced_at, count) VALUES (?, ?, ?, ?, 1) "
          "ON CONFLICT(address_key) DO UPDATE SET reason = excluded.reason, status_code = excluded.status_code, "
          "bounced_at = excluded.bounced_at, count = mail_bounces.count + 1",
          {key, reason, f.status, now});
      if (!r) return fail(r.error());
      // The user's tag is what feedback suppression and the UI read.
      std::optional<domain::User> user;
      if (auto u = accounts::find_user_by_email(conn(), key); !u) return fail(u.error());
      else user = *u;
      if (user) {
        std::vector<std::string> tags;
        for (const auto& t : user->tags) tags.push_back(t.get<std::string>());
        if (std::find(tags.begin(), tags.end(), "email_bouncing") == tags.end()) {
          tags.push_back("email_bouncing");
          if (auto u = accounts::update_user(tx, user->id, {{"tags", tags}}, accounts::system_principal()); !u)
            return fail(u.error());
        }
      }
      events::Event e{"mail.bounced", "mail_bounce", std::nullopt, std::nullopt, std::nullopt,
                      {{"address", key}, {"status", f.status}, {"diagnostic", f.diagnostic},
                       {"ticket_id", ticket_id ? Json(*ticket_id) : Json(nullptr)},
                       {"original_message_id", dsn.original_message_id}}};
      if (auto ev = events::append(conn(), e, now); !ev) return fail(ev.error());
      note += "\n- " + f.address + (f.status.empty() ? "" : " (" + f.status + ")") +
              (f.diagnostic.empty() ? "" : ": " + f.diagnostic);
    }
    std::optional<int64_t> comment_id;
    if (ticket_id) {
      auto t = live_ticket(*ticket_id);
      if (!t) return fail(t.error());
      if (*t && (*t)->status != "closed") {
        int64_t author = (*t)->requester_id;
        if (m.from) {
          auto daemon = accounts::find_or_create_requester(tx, m.from->name, m.from->email, accounts::system_principal());
          if (daemon) author = *daemon;
        }
        Json in = {{"comment", {{"body", note}, {"public", false}, {"author_id", author}}}, {"status", (*t)->status}};
        tickets::UpdateOptions opts;
        opts.channel = "email";
        opts.via_source = via_source();
        opts.comment_metadata = comment_metadata();
        auto u = tickets::update_ticket(tx, (*t)->id, in, mail_actor(author), opts);
        if (!u) return fail(u.error());
        auto cid = conn().scalar("SELECT id FROM comments WHERE ticket_id = ? AND audit_id = ? ORDER BY id LIMIT 1",
                                 {(*t)->id, u->audit.id});
        if (!cid) return fail(cid.error());
        comment_id = *cid;
      }
    }
    return record("bounce", ticket_id, comment_id);
  }

  Status run(const IngestOptions& opts) {
    result.message_id = m.message_id;
    // 1. Already received: acknowledge, store nothing.
    std::optional<IngestResult> dup;
    auto st = conn().each("SELECT ticket_id, comment_id FROM mail_messages WHERE message_id = ? AND direction = 'in'",
                          {m.message_id}, [&](const store::Row& r) {
                            dup = IngestResult{"duplicate", r.opt_i64(0), r.opt_i64(1), m.message_id, false, false, ""};
                          });
    if (!st) return st;
    if (dup) {
      result = *dup;
      return {};
    }
    if (!m.from || m.from->email.find('@') == std::string::npos)
      return fail(Error{ErrorCode::validation, "the message has no usable From address", {}, "MessageRejected"});
    from_key = to_lower(m.from->email);

    // The mailbox it arrived at: as told, else the first of our addresses among the recipients.
    if (!opts.mailbox_address.empty()) {
      auto mb = mailbox_by_address(conn(), opts.mailbox_address);
      if (!mb) return fail(mb.error());
      mailbox = *mb;
    } else {
      std::vector<Address> rcpt = m.to;
      rcpt.insert(rcpt.end(), m.cc.begin(), m.cc.end());
      for (const auto& a : rcpt) {
        auto mb = mailbox_by_address(conn(), a.email);
        if (!mb) return fail(mb.error());
        if (*mb) {
          mailbox = *mb;
          break;
        }
      }
    }
    result.auto_submitted = is_auto_submitted(m);

    // 2. Our own address as sender: a loop. Recorded, no ticket.
    auto ours = conn().scalar("SELECT 1 FROM mailboxes WHERE address_key = ?", {from_key});
    if (!ours) return fail(ours.error());
    if (*ours) {
      result.reason = "sent from our own address " + from_key;
      return record("dropped", std::nullopt, std::nullopt);
    }
    // 3. Bounces.
    if (m.dsn) return bounce();

    // The per-sender rate limit.
    if (cfg.rate_limit_messages > 0) {
      auto n = conn().scalar("SELECT COUNT(*) FROM mail_messages WHERE from_address = ? AND created_at > ? AND direction = 'in'",
                             {from_key, now - cfg.rate_limit_window});
      if (!n) return fail(n.error());
      if (n->value_or(0) >= cfg.rate_limit_messages) result.rate_limited = result.auto_submitted = true;
    }

    auto sender = accounts::find_or_create_requester(tx, m.from->name, m.from->email, accounts::system_principal());
    if (!sender) {
      if (sender.error().code == ErrorCode::validation)
        return fail(Error{ErrorCode::validation, "the From address " + m.from->email + " is not valid", {}, "MessageRejected"});
      return fail(sender.error());
    }

    // 4. Threading.
    std::optional<domain::Ticket> target;
    auto by_header = thread_by_headers();
    if (!by_header) return fail(by_header.error());
    if (*by_header) {
      auto t = live_ticket(**by_header);
      if (!t) return fail(t.error());
      target = *t;
    }
    if (!target) {
      if (auto token = find_ticket_token(m.subject)) {
        auto t = live_ticket(*token);
        if (!t) return fail(t.error());
        // Only someone already on the ticket may write into it by its number.
        if (*t && ((*t)->requester_id == *sender || contains(ids_of((*t)->collaborator_ids), *sender) ||
                   contains(ids_of((*t)->email_cc_ids), *sender)))
          target = *t;
      }
    }
    if (!target && result.rate_limited) {
      auto latest = conn().scalar(
          "SELECT id FROM tickets WHERE requester_id = ? AND status IN ('new', 'open', 'pending', 'hold') AND deleted_at IS NULL "
          "ORDER BY updated_at DESC, id DESC LIMIT 1",
          {*sender});
      if (!latest) return fail(latest.error());
      if (*latest) {
        auto t = live_ticket(**latest);
        if (!t) return fail(t.error());
        target = *t;
      }
    }
    // 5. Closed: a follow-up. Otherwise a comment, or a new ticket.
    if (target && target->status == "closed") return create(*sender, target);
    if (target) return comment_on(*target, *sender);
    return create(*sender, std::nullopt);
  }
};

}  // namespace

std::string ticket_token(int64_t id) { return "[#" + std::to_string(id) + "]"; }

std::optional<int64_t> find_ticket_token(std::string_view subject) {
  static const std::regex k_re(R"(\[#(\d{1,15})\])", std::regex::optimize);
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(subject.begin(), subject.end(), match, k_re)) return std::nullopt;
  return parse_int(std::string_view(&*match[1].first, static_cast<std::size_t>(match[1].length())));
}

Result<IngestResult> ingest(store::Tx& tx, const ParsedMessage& m, std::string_view raw, const IntakeConfig& cfg,
                            const IngestOptions& opts) {
  Work w{tx, m, raw, cfg, std::nullopt};
  if (auto st = w.run(opts); !st) return fail(st.error());
  return w.result;
}

Result<Original> original_message(store::Conn& conn, int64_t ticket_id, int64_t comment_id) {
  std::optional<Original> out;
  std::string sha;
  auto st = conn.each(
      "SELECT mm.message_id, mm.raw_sha256 FROM mail_messages mm JOIN comments c ON c.id = mm.comment_id "
      "WHERE mm.comment_id = ? AND c.ticket_id = ? AND mm.direction = 'in' AND mm.raw_sha256 IS NOT NULL",
      {comment_id, ticket_id}, [&](const store::Row& r) {
        out = Original{"", r.text(0)};
        sha = r.text(1);
      });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  auto data = blob_data(conn, sha);
  if (!data) return fail(data.error());
  out->data = std::move(*data);
  return *out;
}

}  // namespace rapport::email
