#pragma once
// Thin wrappers over libsodium: the only place that touches key material directly.
#include <optional>
#include <string>
#include <string_view>

namespace rapport::crypto {

// Must be called once before any other function (idempotent, thread-safe).
void init();

// Argon2id with libsodium's interactive limits; the result embeds salt and parameters.
std::string hash_password(std::string_view password);
bool verify_password(std::string_view hash, std::string_view password);

// `bytes` random bytes, base64url without padding: for tokens, session ids, CSRF tokens.
std::string random_token(std::size_t bytes = 32);
// Lower-case hex SHA-256, used to store API tokens and session ids hashed.
std::string sha256_hex(std::string_view data);
// HMAC-SHA-256 of `data` under `key`, lower-case hex.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// The same, as the 32 raw bytes (for signatures sent base64-encoded, such as webhooks').
std::string hmac_sha256(std::string_view key, std::string_view data);
// Compares in constant time.
bool equal_constant_time(std::string_view a, std::string_view b);

// Authenticated encryption of a small secret at rest (XSalsa20-Poly1305, libsodium's secretbox)
// under a key derived from `key_material` and `context` (BLAKE2b), so one server secret yields
// independent keys per use. The result is base64: nonce then ciphertext.
std::string seal(std::string_view key_material, std::string_view context, std::string_view plaintext);
// nullopt when the text was not sealed under this key and context, or was altered.
std::optional<std::string> unseal(std::string_view key_material, std::string_view context, std::string_view sealed);

std::string base64_encode(std::string_view data, bool url_safe = false);
std::optional<std::string> base64_decode(std::string_view data, bool url_safe = false);

}  // namespace rapport::crypto
