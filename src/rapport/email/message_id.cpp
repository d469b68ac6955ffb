#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/email/message_id.hpp>

#include <algorithm>

namespace rapport::email {

std::string normalize_message_id(std::string_view raw) {
  auto s = trim(raw);
  if (!s.empty() && s.front() == '<') s.remove_prefix(1);
  if (!s.empty() && s.back() == '>') s.remove_suffix(1);
  s = trim(s);
  // An ID never contains spaces or angle brackets; whatever does is not one.
  if (s.empty() || s.find_first_of(" \t\r\n<>") != std::string_view::npos) return {};
  return to_lower(s);
}

std::vector<std::string> parse_message_id_list(std::string_view header, std::size_t limit) {
  std::vector<std::string> ids;
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto open = header.find('<', pos);
    if (open == std::string_view::npos) break;
    auto close = header.find('>', open + 1);
    if (close == std::string_view::npos) break;
    auto id = normalize_message_id(header.substr(open, close - open + 1));
    if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    pos = close + 1;
  }
  if (ids.empty()) {  // some clients send a bare ID without brackets
    auto id = normalize_message_id(header);
    if (!id.empty() && id.find('@') != std::string::npos) ids.push_back(std::move(id));
  }
  if (ids.size() > limit) ids.erase(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(limit));
  return ids;
}

std::string new_message_id(std::string_view domain, std::string_view tag) {
  return to_lower(crypto::random_token(18) + "." + std::string(tag) + "@" + std::string(domain));
}

std::string bracket(std::string_view normalized_id) { return "<" + std::string(normalized_id) + ">"; }

}  // namespace rapport::email
