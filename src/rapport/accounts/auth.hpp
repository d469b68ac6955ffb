#pragma once
// Authentication: API tokens (stored as SHA-256; shown once), passwords (Argon2id) and browser
// sessions (cookie id stored hashed, with a CSRF token).
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::accounts {

using domain::Principal;

// Builds the principal for an active, unsuspended user (their role, groups, restriction).
Result<Principal> load_principal(store::Conn& conn, int64_t user_id);

// `email/token:TOKEN`: the token must be live; its owner acts as themself, or, when the owner is
// an admin, as whichever active user `email` names (integrations act for end users this way).
Result<Principal> authenticate_token(store::Conn& conn, const std::string& email, const std::string& token);
// `email:password`.
Result<Principal> authenticate_password(store::Conn& conn, const std::string& email, const std::string& password);
// `Bearer TOKEN`, optionally `X-On-Behalf-Of: email` for admins.
Result<Principal> authenticate_bearer(store::Conn& conn, const std::string& token,
                                      const std::optional<std::string>& on_behalf_of);

// Creates an API token for the user with this email; returns the token (shown once).
Result<std::string> create_token(store::Tx& tx, const std::string& email, const std::string& description);

// A token as an operator sees it: never the token itself (only its hash is stored).
struct TokenInfo {
  int64_t id = 0;
  std::string description;
  int64_t created_at = 0;
  std::optional<int64_t> revoked_at;
};
// The tokens of the user with this email, oldest first. not_found: no such user.
Result<std::vector<TokenInfo>> list_tokens(store::Conn& conn, const std::string& email);
// Revokes token `id`: it stops authenticating on the next request (the server's cache of checked
// tokens is keyed to auth_epoch, which this moves). not_found: no such token; revoking a revoked
// token changes nothing.
Status revoke_token(store::Tx& tx, int64_t id);

struct NewSession {
  std::string cookie;  // the value for the cookie; only its hash is stored
  std::string csrf_token;
  int64_t expires_at = 0;
};
Result<NewSession> create_session(store::Tx& tx, int64_t user_id, int64_t ttl_seconds);
// The principal for a session cookie, with its CSRF token.
Result<std::pair<Principal, std::string>> authenticate_session(store::Conn& conn, const std::string& cookie);
Status delete_session(store::Tx& tx, const std::string& cookie);

}  // namespace rapport::accounts
