#include <rapport/domain/paging.hpp>

#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>

namespace rapport::domain {

std::string encode_cursor(const Cursor& c) {
  return crypto::base64_encode(std::to_string(c.key) + "." + std::to_string(c.id), true);
}

std::optional<Cursor> decode_cursor(const std::string& s) {
  auto raw = crypto::base64_decode(s, true);
  if (!raw) return std::nullopt;
  auto dot = raw->find('.');
  if (dot == std::string::npos) return std::nullopt;
  auto k = parse_int(std::string_view(*raw).substr(0, dot));
  auto i = parse_int(std::string_view(*raw).substr(dot + 1));
  if (!k || !i) return std::nullopt;
  return Cursor{*k, *i};
}

}  // namespace rapport::domain
