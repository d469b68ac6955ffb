#include <rapport/email/mailboxes.hpp>

#include <regex>

#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::email {

namespace {

constexpr const char* k_columns =
    "id, address, name, group_id, imap_host, imap_port, imap_tls, imap_user, imap_secret IS NOT NULL, imap_folder, "
    "uidvalidity, last_uid, enabled, last_poll_at, last_error, created_at, updated_at, inbound_token_created_at";
// The sealing key is derived from the server secret (settings.feedback_secret, which also signs
// survey links) with this context, so the two uses never share a key.
constexpr const char* k_seal_context = "rapport.mailbox.imap_password.v1";

MailboxRecord map_mailbox(const store::Row& r) {
  MailboxRecord m;
  m.id = r.i64(0);
  m.address = r.text(1);
  m.name = r.text(2);
  m.group_id = r.opt_i64(3);
  m.imap_host = r.opt_text(4);
  m.imap_port = r.opt_i64(5);
  m.imap_tls = r.text(6);
  m.imap_user = r.opt_text(7);
  m.password_set = r.i64(8) != 0;
  m.imap_folder = r.text(9);
  m.uidvalidity = r.opt_i64(10);
  m.last_uid = r.i64(11);
  m.enabled = r.i64(12) != 0;
  m.last_poll_at = r.opt_i64(13);
  m.last_error = r.opt_text(14);
  m.created_at = r.i64(15);
  m.updated_at = r.i64(16);
  m.inbound_token_created_at = r.opt_i64(17);
  return m;
}

Result<MailboxRecord> read_mailbox(store::Conn& conn, int64_t id) {
  std::optional<MailboxRecord> m;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM mailboxes WHERE id = ?", {id},
                      [&](const store::Row& r) { m = map_mailbox(r); });
  if (!st) return fail(st.error());
  if (!m) return fail(Error::not_found());
  return *m;
}

// The server secret, created on first use (the same row feedback::ensure_secret keeps).
Result<std::string> server_secret(store::Conn& conn, bool create) {
  auto have = conn.scalar_text("SELECT value FROM settings WHERE key = 'feedback_secret'");
  if (!have) return fail(have.error());
  if (*have) return **have;
  if (!create) return fail(Error::unavailable("the server secret is not set up yet"));
  std::string s = crypto::random_token(32);
  auto r = conn.run("INSERT INTO settings(key, value) VALUES ('feedback_secret', ?)", {s});
  if (!r) return fail(r.error());
  return s;
}

Json opt(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }
Json opt(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

// Applies the fields of `in`; the sealed password goes to `secret` when one is given.
Status apply(store::Tx& tx, const Json& body, MailboxRecord& m, std::optional<std::optional<std::string>>& secret,
             bool creating) {
  Validation v;
  JsonInput in(body, v);
  if (creating || in.has("address")) {
    auto a = in.str("address", 254);
    static const std::regex k_email(R"(^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$)");
    if (!a || !std::regex_match(*a, k_email)) v.add("address", "InvalidValue", "Address: must be an email address");
    else m.address = *a;
  }
  if (in.has("name")) m.name = in.str("name", 255).value_or("");
  if (in.has("group_id")) {
    m.group_id = in.integer("group_id");
    if (m.group_id) {
      auto g = tx.conn().scalar("SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {*m.group_id});
      if (!g) return fail(g.error());
      if (!*g) v.add("group_id", "InvalidValue", "Group: does not exist");
    }
  }
  if (in.has("imap_host")) {
    m.imap_host = in.str("imap_host", 253);
    if (m.imap_host && (m.imap_host->empty() || m.imap_host->find_first_of(" /\\@:\r\n") != std::string::npos))
      v.add("imap_host", "InvalidValue", "Imap host: must be a host name or address");
    if (m.imap_host && m.imap_host->empty()) m.imap_host.reset();
  }
  if (in.has("imap_port")) {
    m.imap_port = in.integer("imap_port");
    if (m.imap_port && (*m.imap_port < 1 || *m.imap_port > 65535))
      v.add("imap_port", "InvalidValue", "Imap port: must be 1 to 65535");
  }
  if (in.has("imap_tls")) {
    auto t = in.str("imap_tls").value_or("");
    if (t != "imaps" && t != "starttls" && t != "none")
      v.add("imap_tls", "InvalidValue", "Imap tls: must be imaps, starttls or none");
    else m.imap_tls = t;
  }
  if (in.has("imap_user")) m.imap_user = in.str("imap_user", 255);
  if (in.has("imap_folder")) {
    auto f = in.str("imap_folder", 255).value_or("");
    if (f.empty() || f.find_first_of("\r\n") != std::string::npos)
      v.add("imap_folder", "InvalidValue", "Imap folder: must be a folder name");
    else m.imap_folder = f;
  }
  if (in.has("imap_password")) {
    auto p = in.str("imap_password", 1024);
    if (p && p->find_first_of("\r\n") != std::string::npos)
      v.add("imap_password", "InvalidValue", "Imap password: cannot contain line breaks");
    else if (!p || p->empty())
      secret = std::optional<std::string>();  // null or "" clears it
    else {
      auto key = server_secret(tx.conn(), true);
      if (!key) return fail(key.error());
      secret = std::optional<std::string>(crypto::seal(*key, k_seal_context, *p));
    }
  }
  if (auto e = in.boolean("enabled")) m.enabled = *e;
  if (m.imap_host && !m.imap_port) m.imap_port = m.imap_tls == "imaps" ? 993 : 143;
  if (!v.ok()) return fail(v.error());
  return {};
}

Status check_admin(const domain::Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  return {};
}

Status mailbox_event(store::Conn& conn, const std::string& kind, int64_t id, const domain::Principal& actor,
                     const Json& data, int64_t now) {
  events::Event e{kind, "mailbox", id, actor.user_id ? std::optional<int64_t>(actor.user_id) : std::nullopt, actor.token_id,
                  data};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return {};
}

}  // namespace

Json to_json(const MailboxRecord& m) {
  return {{"id", m.id},
          {"address", m.address},
          {"name", m.name},
          {"group_id", opt(m.group_id)},
          {"imap_host", opt(m.imap_host)},
          {"imap_port", opt(m.imap_port)},
          {"imap_tls", m.imap_tls},
          {"imap_user", opt(m.imap_user)},
          {"imap_password_set", m.password_set},
          {"imap_folder", m.imap_folder},
          {"enabled", m.enabled},
          {"uidvalidity", opt(m.uidvalidity)},
          {"last_uid", m.last_uid},
          {"last_poll_at", m.last_poll_at ? Json(iso8601(*m.last_poll_at)) : Json(nullptr)},
          {"last_error", opt(m.last_error)},
          {"inbound_token_set", m.inbound_token_created_at.has_value()},
          {"inbound_token_created_at",
           m.inbound_token_created_at ? Json(iso8601(*m.inbound_token_created_at)) : Json(nullptr)},
          {"created_at", iso8601(m.created_at)},
          {"updated_at", iso8601(m.updated_at)}};
}

Result<std::vector<MailboxRecord>> list_mailboxes(store::Conn& conn, const domain::Principal& actor) {
  if (auto st = check_admin(actor); !st) return fail(st.error());
  std::vector<MailboxRecord> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM mailboxes ORDER BY id LIMIT 1000", {},
                      [&](const store::Row& r) { out.push_back(map_mailbox(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<MailboxRecord> get_mailbox(store::Conn& conn, int64_t id, const domain::Principal& actor) {
  if (auto st = check_admin(actor); !st) return fail(st.error());
  return read_mailbox(conn, id);
}

Result<MailboxRecord> create_mailbox(store::Tx& tx, const Json& in, const domain::Principal& actor) {
  if (auto st = check_admin(actor); !st) return fail(st.error());
  MailboxRecord m;
  std::optional<std::optional<std::string>> secret;
  if (auto st = apply(tx, in, m, secret, true); !st) return fail(st.error());
  auto& conn = tx.conn();
  auto taken = conn.scalar("SELECT 1 FROM mailboxes WHERE address_key = ?", {to_lower(m.address)});
  if (!taken) return fail(taken.error());
  if (*taken) return fail(Error::field("address", "DuplicateValue", "Address: " + m.address + " is already a mailbox"));
  int64_t now = now_epoch();
  auto r = conn.run(
      "INSERT INTO mailboxes(address, address_key, name, group_id, imap_host, imap_port, imap_tls, imap_user, imap_secret, "
      "imap_folder, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {m.address, to_lower(m.address), m.name, m.group_id, m.imap_host, m.imap_port, m.imap_tls, m.imap_user,
       secret ? *secret : std::optional<std::string>(), m.imap_folder, m.enabled, now, now});
  if (!r) return fail(r.error());
  int64_t id = conn.last_insert_id();
  if (auto st = mailbox_event(conn, "mailbox.created", id, actor, {{"address", m.address}}, now); !st) return fail(st.error());
  return read_mailbox(conn, id);
}

Result<MailboxRecord> update_mailbox(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& actor) {
  if (auto st = check_admin(actor); !st) return fail(st.error());
  auto& conn = tx.conn();
  auto current = read_mailbox(conn, id);
  if (!current) return fail(current.error());
  MailboxRecord m = *current;
  std::optional<std::optional<std::string>> secret;
  if (auto st = apply(tx, in, m, secret, false); !st) return fail(st.error());
  if (to_lower(m.address) != to_lower(current->address)) {
    auto taken = conn.scalar("SELECT 1 FROM mailboxes WHERE address_key = ? AND id <> ?", {to_lower(m.address), id});
    if (!taken) return fail(taken.error());
    if (*taken) return fail(Error::field("address", "DuplicateValue", "Address: " + m.address + " is already a mailbox"));
  }
  // A different server or folder is a different UID space: start over (dedupe prevents doubles).
  bool moved = m.imap_host != current->imap_host || m.imap_port != current->imap_port ||
               m.imap_user != current->imap_user || m.imap_folder != current->imap_folder;
  int64_t now = now_epoch();
  auto r = conn.run(
      "UPDATE mailboxes SET address = ?, address_key = ?, name = ?, group_id = ?, imap_host = ?, imap_port = ?, imap_tls = ?, "
      "imap_user = ?, imap_folder = ?, enabled = ?, updated_at = ?, last_error = NULL, "
      "uidvalidity = CASE WHEN ? THEN NULL ELSE uidvalidity END, last_uid = CASE WHEN ? THEN 0 ELSE last_uid END "
      "WHERE id = ?",
      {m.address, to_lower(m.address), m.name, m.group_id, m.imap_host, m.imap_port, m.imap_tls, m.imap_user, m.imap_folder,
       m.enabled, now, moved, moved, id});
  if (!r) return fail(r.error());
  if (secret) {
    if (auto r2 = conn.run("UPDATE mailboxes SET imap_secret = ? WHERE id = ?", {*secret, id}); !r2) return fail(r2.error());
  }
  Json changed = Json::array();
  for (auto it = in.begin(); it != in.end(); ++it) changed.push_back(it.key());  // names only: never the password
  if (auto st = mailbox_event(conn, "mailbox.updated", id, actor, {{"fields", changed}}, now); !st) return fail(st.error());
  return read_mailbox(conn, id);
}

namespace {
constexpr std::string_view k_inbound_prefix = "rin_";
}  // namespace

Result<std::string> create_inbound_token(store::Tx& tx, int64_t id, const domain::Principal& actor) {
  if (auto st = check_admin(actor); !st) return fail(st.error());
  auto& conn = tx.conn();
  if (auto m = read_mailbox(conn, id); !m) return fail(m.error());
  std::string secret = crypto::random_token(32);
  int64_t now = now_epoch();
  auto r = conn.run("UPDATE mailboxes SET inbound_token_sha256 = ?, inbound_token_created_at = ?, updated_at = ? WHERE id = ?",
                    {crypto::sha256_hex(secret), now, now, id});
  if (!r) return fail(r.error());
  if (auto st = mailbox_event(conn, "mailbox.inbound_token_created", id, actor, Json::object(), now); !st) return fail(st.error());
  return std::string(k_inbound_prefix) + std::to_string(id) + "_" + secret;
}

Status revoke_inbound_token(store::Tx& tx, int64_t id, const domain::Principal& actor) {
  if (auto st = check_admin(actor); !st) return st;
  auto& conn = tx.conn();
  auto m = read_mailbox(conn, id);
  if (!m) return fail(m.error());
  if (!m->inbound_token_created_at) return fail(Error::not_found("this mailbox has no inbound token"));
  int64_t now = now_epoch();
  auto r = conn.run("UPDATE mailboxes SET inbound_token_sha256 = NULL, inbound_token_created_at = NULL, updated_at = ? WHERE id = ?",
                    {now, id});
  if (!r) return fail(r.error());
  return mailbox_event(conn, "mailbox.inbound_token_revoked", id, actor, Json::object(), now);
}

Result<std::optional<std::string>> inbound_token_mailbox(store::Conn& conn, std::string_view token) {
  using None = std::optional<std::string>;
  if (token.size() > 200 || token.substr(0, k_inbound_prefix.size()) != k_inbound_prefix) return None();
  token.remove_prefix(k_inbound_prefix.size());
  auto sep = token.find('_');
  if (sep == std::string_view::npos) return None();
  auto id = parse_int(token.substr(0, sep));
  if (!id) return None();
  auto secret = token.substr(sep + 1);
  std::optional<std::string> address, hash;
  auto st = conn.each("SELECT address, inbound_token_sha256 FROM mailboxes WHERE id = ? AND inbound_token_sha256 IS NOT NULL",
                      {*id}, [&](const store::Row& r) {
                        address = r.text(0);
                        hash = r.text(1);
                      });
  if (!st) return fail(st.error());
  // The hashes are compared, in constant time, so neither the secret nor its hash leaks by timing.
  if (!hash || !crypto::equal_constant_time(crypto::sha256_hex(secret), *hash)) return None();
  return address;
}

Status delete_mailbox(store::Tx& tx, int64_t id, const domain::Principal& actor) {
  if (auto st = check_admin(actor); !st) return st;
  auto current = read_mailbox(tx.conn(), id);
  if (!current) return fail(current.error());
  // Mail already received keeps its record; mail_messages.mailbox_id is only a note.
  if (auto r = tx.conn().run("DELETE FROM mailboxes WHERE id = ?", {id}); !r) return fail(r.error());
  return mailbox_event(tx.conn(), "mailbox.deleted", id, actor, {{"address", current->address}}, now_epoch());
}

Result<std::vector<PollTarget>> poll_targets(store::Conn& conn, int timeout_seconds) {
  std::vector<int64_t> ids;
  auto st = conn.each("SELECT id FROM mailboxes WHERE enabled = 1 AND imap_host IS NOT NULL ORDER BY id", {},
                      [&](const store::Row& r) { ids.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  std::vector<PollTarget> out;
  for (auto id : ids) {
    auto t = poll_target(conn, id, timeout_seconds);
    if (!t) return fail(t.error());
    out.push_back(std::move(*t));
  }
  return out;
}

Result<PollTarget> poll_target(store::Conn& conn, int64_t id, int timeout_seconds) {
  auto m = read_mailbox(conn, id);
  if (!m) return fail(m.error());
  if (!m->imap_host) return fail(Error::invalid("the mailbox has no IMAP host"));
  auto sealed = conn.scalar_text("SELECT imap_secret FROM mailboxes WHERE id = ?", {id});
  if (!sealed) return fail(sealed.error());
  PollTarget t;
  t.id = m->id;
  t.address = m->address;
  t.imap.host = *m->imap_host;
  t.imap.port = static_cast<int>(m->imap_port.value_or(m->imap_tls == "imaps" ? 993 : 143));
  t.imap.tls = m->imap_tls;
  t.imap.user = m->imap_user.value_or("");
  t.imap.folder = m->imap_folder;
  t.imap.timeout_seconds = timeout_seconds;
  if (*sealed) {
    auto key = server_secret(conn, false);
    if (!key) return fail(key.error());
    auto plain = crypto::unseal(*key, k_seal_context, **sealed);
    if (!plain) return fail(Error::invalid("the stored IMAP password cannot be read with this server's secret; set it again"));
    t.imap.password = *plain;
  }
  t.uidvalidity = m->uidvalidity;
  t.last_uid = m->last_uid;
  return t;
}

Status set_uidvalidity(store::Tx& tx, int64_t mailbox_id, int64_t uidvalidity) {
  auto r = tx.conn().run("UPDATE mailboxes SET uidvalidity = ?, last_uid = 0 WHERE id = ? AND uidvalidity IS NOT ?",
                         {uidvalidity, mailbox_id, uidvalidity});
  if (!r) return fail(r.error());
  if (*r > 0) {
    events::Event e{"mailbox.uidvalidity_changed", "mailbox", mailbox_id, std::nullopt, std::nullopt,
                    {{"uidvalidity", uidvalidity}}};
    if (auto ev = events::append(tx.conn(), e, now_epoch()); !ev) return fail(ev.error());
  }
  return {};
}

Status advance_uid(store::Tx& tx, int64_t mailbox_id, int64_t uidvalidity, int64_t uid) {
  auto r = tx.conn().run("UPDATE mailboxes SET last_uid = ?, last_poll_at = ?, last_error = NULL "
                         "WHERE id = ? AND uidvalidity = ? AND last_uid < ?",
                         {uid, now_epoch(), mailbox_id, uidvalidity, uid});
  if (!r) return fail(r.error());
  return {};
}

Status record_poll(store::Tx& tx, int64_t mailbox_id, const std::optional<std::string>& error) {
  auto r = tx.conn().run("UPDATE mailboxes SET last_poll_at = ?, last_error = ? WHERE id = ?",
                         {now_epoch(), error ? std::optional<std::string>(error->substr(0, 1000)) : std::nullopt, mailbox_id});
  if (!r) return fail(r.error());
  return {};
}

}  // namespace rapport::email
