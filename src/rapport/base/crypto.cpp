#include <rapport/base/crypto.hpp>

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
