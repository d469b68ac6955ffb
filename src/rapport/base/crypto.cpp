#include <rapport/base/crypto.hpp>

#include <array>
#include <stdexcept>
#include <vector>

#include <sodium.h>

namespace rapport::crypto {

namespace {
std::string to_hex(const unsigned char* data, std::size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, n);
  out.pop_back();
  return out;
}
}  // namespace

void init() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hash_password(std::string_view password) {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("out of memory hashing a password");
  }
  return out;
}

bool verify_password(std::string_view hash, std::string_view password) {
  std::string h(hash);  // needs a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  return base64_encode(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()), true);
}

std::string sha256_hex(std::string_view data) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex(out, sizeof out);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, out);
  return to_hex(out, sizeof out);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {
std::array<unsigned char, crypto_secretbox_KEYBYTES> derive_key(std::string_view material, std::string_view context) {
  std::array<unsigned char, crypto_secretbox_KEYBYTES> key{};
  std::string input = std::string(context) + '\0' + std::string(material);
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const unsigned char*>(input.data()), input.size(), nullptr, 0);
  sodium_memzero(input.data(), input.size());
  return key;
}
}  // namespace

std::string seal(std::string_view key_material, std::string_view context, std::string_view plaintext) {
  auto key = derive_key(key_material, context);
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), nonce, key.data());
  sodium_memzero(key.data(), key.size());
  return base64_encode(out);
}

std::optional<std::string> unseal(std::string_view key_material, std::string_view context, std::string_view sealed) {
  auto raw = base64_decode(sealed);
  if (!raw || raw->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return std::nullopt;
  auto key = derive_key(key_material, context);
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  std::string out(raw->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  int rc = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(out.data()), nonce + crypto_secretbox_NONCEBYTES,
                                      raw->size() - crypto_secretbox_NONCEBYTES, nonce, key.data());
  sodium_memzero(key.data(), key.size());
  if (rc != 0) return std::nullopt;
  return out;
}

std::string base64_encode(std::string_view data, bool url_safe) {
  int variant = url_safe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), variant);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::optional<std::string> base64_decode(std::string_view data, bool url_safe) {
  int variant = url_safe ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
  std::string out(data.size(), '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), data.data(),
                        data.size(), " \t\r\n", &len, &end, variant) != 0 ||
      end != data.data() + data.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace rapport::crypto
