#include <rapport/accounts/auth.hpp>

#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::accounts {

namespace {
Error unauthenticated() { return {ErrorCode::unauthenticated, "Couldn't authenticate you", {}, {}}; }
}  // namespace

Result<Principal> load_principal(store::Conn& conn, int64_t user_id) {
  Principal p;
  bool found = false, usable = false;
  std::string role, rrole;
  auto st = conn.each(
      "SELECT u.id, u.role, u.rapport_role, u.organization_id, u.ticket_restriction, u.active, u.suspended, "
      "u.email, COALESCE(o.shared_tickets, 0) FROM users u LEFT JOIN organizations o ON o.id = u.organization_id "
      "WHERE u.id = ?",
      {user_id}, [&](const store::Row& r) {
        found = true;
        p.user_id = r.i64(0);
        role = r.text(1);
        rrole = r.opt_text(2).value_or("");
        p.organization_id = r.opt_i64(3);
        p.ticket_restriction = r.opt_text(4);
        usable = r.i64(5) != 0 && r.i64(6) == 0;
        p.email = r.opt_text(7).value_or("");
        p.organization_shared = r.i64(8) != 0;
      });
  if (!st) return fail(st.error());
  if (!found || !usable) return fail(unauthenticated());
  p.role = domain::parse_role(role).value_or(domain::Role::end_user);
  p.rapport_role = domain::parse_rapport_role(rrole).value_or(domain::RapportRole::none);
  // Agents see their groups' tickets unless an admin granted them all (ticket_restriction NULL
  // with a Rapport role, or explicitly "all" via null on an agent created by an admin).
  st = conn.each("SELECT group_id FROM group_memberships WHERE user_id = ? ORDER BY group_id", {user_id},
                 [&](const store::Row& r) { p.group_ids.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  return p;
}

Result<Principal> authenticate_token(store::Conn& conn, const std::string& email, const std::string& token) {
  std::optional<int64_t> token_id, owner_id;
  std::string owner_role;
  auto st = conn.each(
      // The owner must be usable too: a suspended or deactivated admin's token acts for nobody.
      "SELECT t.id, t.user_id, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id "
      "WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.active = 1 AND u.suspended = 0",
      {crypto::sha256_hex(token)}, [&](const store::Row& r) {
        token_id = r.i64(0);
        owner_id = r.i64(1);
        owner_role = r.text(2);
      });
  if (!st) return fail(st.error());
  if (!token_id) return fail(unauthenticated());
  auto target = conn.scalar("SELECT id FROM users WHERE email_key = ?", {to_lower(email)});
  if (!target) return fail(target.error());
  if (!*target) return fail(unauthenticated());
  if (**target != *owner_id && owner_role != "admin") return fail(unauthenticated());
  auto p = load_principal(conn, **target);
  if (!p) return p;
  p->token_id = token_id;
  if (**target != *owner_id) p->acting_for = **target;
  return p;
}

Result<Principal> authenticate_password(store::Conn& conn, const std::string& email, const std::string& password) {
  std::optional<int64_t> id;
  std::optional<std::string> hash;
  auto st = conn.each("SELECT id, password_hash FROM users WHERE email_key = ?", {to_lower(email)},
                      [&](const store::Row& r) {
                        id = r.i64(0);
                        hash = r.opt_text(1);
                      });
  if (!st) return fail(st.error());
  if (!id || !hash || !crypto::verify_password(*hash, password)) return fail(unauthenticated());
  return load_principal(conn, *id);
}

Result<Principal> authenticate_bearer(store::Conn& conn, const std::string& token,
                                      const std::optional<std::string>& on_behalf_of) {
  std::optional<int64_t> token_id, owner_id;
  auto st = conn.each("SELECT id, user_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                      {crypto::sha256_hex(token)}, [&](const store::Row& r) {
                        token_id = r.i64(0);
                        owner_id = r.i64(1);
                      });
  if (!st) return fail(st.error());
  if (!token_id) return fail(Error{ErrorCode::unauthenticated, "invalid_token", {}, "invalid_token"});
  auto owner = load_principal(conn, *owner_id);
  if (!owner) return owner;
  owner->token_id = token_id;
  if (!on_behalf_of || iequals(*on_behalf_of, owner->email)) return owner;
  if (!owner->is_admin()) return fail(Error::forbidden());
  auto target = conn.scalar("SELECT id FROM users WHERE email_key = ?", {to_lower(*on_behalf_of)});
  if (!target) return fail(target.error());
  if (!*target) return fail(unauthenticated());
  auto p = load_principal(conn, **target);
  if (!p) return p;
  p->token_id = token_id;
  p->acting_for = **target;
  return p;
}

Result<std::string> create_token(store::Tx& tx, const std::string& email, const std::string& description) {
  auto id = tx.conn().scalar("SELECT id FROM users WHERE email_key = ? AND active = 1", {to_lower(email)});
  if (!id) return fail(id.error());
  if (!*id) return fail(Error::not_found("no active user with email " + email));
  std::string token = crypto::random_token(30);
  int64_t now = now_epoch();
  auto r = tx.conn().run("INSERT INTO api_tokens(user_id, token_hash, description, created_at) VALUES (?, ?, ?, ?)",
                         {**id, crypto::sha256_hex(token), description, now});
  if (!r) return fail(r.error());
  events::Event e{"token.created", "token", tx.conn().last_insert_id(), **id, std::nullopt, {{"description", description}}};
  if (auto ev = events::append(tx.conn(), e, now); !ev) return fail(ev.error());
  return token;
}

Result<std::vector<TokenInfo>> list_tokens(store::Conn& conn, const std::string& email) {
  auto user = conn.scalar("SELECT id FROM users WHERE email_key = ?", {to_lower(email)});
  if (!user) return fail(user.error());
  if (!*user) return fail(Error::not_found("no user with email " + email));
  std::vector<TokenInfo> out;
  auto st = conn.each("SELECT id, description, created_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id",
                      {**user}, [&](const store::Row& r) {
                        out.push_back(TokenInfo{r.i64(0), r.text(1), r.i64(2), r.opt_i64(3)});
                      });
  if (!st) return fail(st.error());
  return out;
}

Status revoke_token(store::Tx& tx, int64_t id) {
  auto owner = tx.conn().scalar("SELECT user_id FROM api_tokens WHERE id = ?", {id});
  if (!owner) return fail(owner.error());
  if (!*owner) return fail(Error::not_found("no API token " + std::to_string(id)));
  int64_t now = now_epoch();
  auto r = tx.conn().run("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", {now, id});
  if (!r) return fail(r.error());
  if (*r == 0) return {};  // already revoked
  events::Event e{"token.revoked", "token", id, std::nullopt, std::nullopt, {{"user_id", **owner}}};
  if (auto ev = events::append(tx.conn(), e, now); !ev) return fail(ev.error());
  return {};
}

Result<NewSession> create_session(store::Tx& tx, int64_t user_id, int64_t ttl_seconds) {
  NewSession s{crypto::random_token(32), crypto::random_token(32), now_epoch() + ttl_seconds};
  int64_t now = now_epoch();
  auto r = tx.conn().run("INSERT INTO sessions(id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?,?,?,?,?)",
                         {crypto::sha256_hex(s.cookie), user_id, s.csrf_token, now, s.expires_at});
  if (!r) return fail(r.error());
  // Old sessions are swept as new ones are made, so the table stays bounded.
  if (auto d = tx.conn().run("DELETE FROM sessions WHERE expires_at < ?", {now}); !d) return fail(d.error());
  if (auto u = tx.conn().run("UPDATE users SET last_login_at = ? WHERE id = ?", {now, user_id}); !u) return fail(u.error());
  events::Event e{"session.created", "user", user_id, user_id, std::nullopt, Json::object()};
  if (auto ev = events::append(tx.conn(), e, now); !ev) return fail(ev.error());
  return s;
}

Result<std::pair<Principal, std::string>> authenticate_session(store::Conn& conn, const std::string& cookie) {
  std::optional<int64_t> user_id;
  std::string csrf;
  auto st = conn.each("SELECT user_id, csrf_token FROM sessions WHERE id_hash = ? AND expires_at > ?",
                      {crypto::sha256_hex(cookie), now_epoch()}, [&](const store::Row& r) {
                        user_id = r.i64(0);
                        csrf = r.text(1);
                      });
  if (!st) return fail(st.error());
  if (!user_id) return fail(unauthenticated());
  auto p = load_principal(conn, *user_id);
  if (!p) return fail(p.error());
  p->via_session = true;
  return std::make_pair(*p, csrf);
}

Status delete_session(store::Tx& tx, const std::string& cookie) {
  auto r = tx.conn().run("DELETE FROM sessions WHERE id_hash = ?", {crypto::sha256_hex(cookie)});
  if (!r) return fail(r.error());
  return {};
}

}  // namespace rapport::accounts
