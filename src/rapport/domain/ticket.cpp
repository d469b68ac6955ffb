#include <rapport/domain/ticket.hpp>

#include <algorithm>
#include <cctype>

namespace rapport::domain {

std::optional<int> status_rank(std::string_view status) {
  for (int i = 0; i < 6; ++i) {
    if (k_statuses[i] == status) return i;
  }
  return std::nullopt;
}

bool valid_priority(std::string_view p) {
  return std::find(std::begin(k_priorities), std::end(k_priorities), p) != std::end(k_priorities);
}
bool valid_type(std::string_view t) {
  return std::find(std::begin(k_types), std::end(k_types), t) != std::end(k_types);
}
bool valid_channel(std::string_view c) {
  return std::find(std::begin(k_channels), std::end(k_channels), c) != std::end(k_channels);
}

std::string normalize_tag(std::string_view tag) {
  std::string out;
  for (unsigned char c : tag) {
    if (std::isspace(c)) out.push_back('_');
    else if (std::isalnum(c) || c == '_' || c == ':' || c == '/' || c == '.' || c == '-') out.push_back(static_cast<char>(std::tolower(c)));
    else if (c >= 0x80) out.push_back(static_cast<char>(c));  // keep non-ASCII letters as they are
  }
  return out;
}

bool is_unsolved(std::string_view status) {
  return status == "new" || status == "open" || status == "pending" || status == "hold";
}

}  // namespace rapport::domain
