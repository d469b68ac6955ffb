#pragma once
// Authentication: API tokens (stored as SHA-256; shown once), passwords (Argon2id) and browser
// sessions (cookie id stored hashed, with a CSRF token).
#include <optional>
#include <string>

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
