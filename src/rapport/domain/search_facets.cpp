#include <rapport/domain/search_facets.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include <rapport/domain/ticket.hpp>

namespace rapport::domain::facets {

namespace {
std::string hex(char prefix, std::string_view v) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(1, prefix);
  out.reserve(1 + v.size() * 2);
  for (unsigned char c : v) {
    out.push_back(k_digits[c >> 4]);
    out.push_back(k_digits[c & 15]);
  }
  return out;
}
// Statuses, priorities and types are validated words of [a-z_]; drop anything else so a facet
// is always a single token.
std::string word(char prefix, std::string_view v) {
  std::string out(1, prefix);
  for (char c : v) if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
  return out;
}
}  // namespace

std::string status(std::string_view s) { return word('s', s); }
std::string priority(const std::optional<std::string>& p) { return p ? word('p', *p) : "pnone"; }
std::string type(const std::optional<std::string>& t) { return t ? word('y', *t) : "ynone"; }
std::string tag(std::string_view t) { return hex('t', t); }
std::string no_tags() { return "tnone"; }
std::string channel(std::string_view c) { return hex('v', c); }
std::string id(char field, const std::optional<Id>& v) {
  return v ? std::string(1, field) + std::to_string(*v) : std::string(1, field) + "none";
}

bool some_word_starts_with(std::string_view w) {
  if (w.empty()) return true;
  auto rest_all = [&](auto pred) { return std::all_of(w.begin() + 1, w.end(), pred); };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  // u, s, a, o, g and an id; t (tags) and v (channels) and hex.
  if (std::string_view("usaog").find(w[0]) != std::string_view::npos && rest_all(is_digit)) return true;
  if ((w[0] == 't' || w[0] == 'v') && rest_all(is_hex)) return true;
  // The words from fixed lists, made by the functions above.
  auto begins = [&](const std::string& word) { return word.compare(0, w.size(), w) == 0; };
  for (auto fixed : {k_any, k_nothing}) if (begins(std::string(fixed))) return true;
  for (char letter : std::string_view("usaog")) if (begins(id(letter, std::nullopt))) return true;
  if (begins(priority(std::nullopt)) || begins(type(std::nullopt)) || begins(no_tags())) return true;
  for (auto s : k_statuses) if (begins(status(s))) return true;
  for (auto p : k_priorities) if (begins(priority(std::string(p)))) return true;
  for (auto t : k_types) if (begins(type(std::string(t)))) return true;
  return false;
}

namespace {
std::string build(std::string_view st, const std::optional<std::string>& pri, const std::optional<std::string>& ty,
                  const nlohmann::json& tags, Id requester_id, Id submitter_id, const std::optional<Id>& assignee_id,
                  const std::optional<Id>& organization_id, const std::optional<Id>& group_id, std::string_view ch) {
  std::string out(k_any);
  auto add = [&](const std::string& w) {
    out.push_back(' ');
    out += w;
  };
  add(status(st));
  add(priority(pri));
  add(type(ty));
  add(id('u', requester_id));
  add(id('s', submitter_id));
  add(id('a', assignee_id));
  add(id('o', organization_id));
  add(id('g', group_id));
  add(channel(ch));
  bool any_tag = false;
  if (tags.is_array()) {
    for (const auto& t : tags) {
      if (!t.is_string()) continue;
      add(tag(t.get_ref<const std::string&>()));
      any_tag = true;
    }
  }
  if (!any_tag) add(no_tags());
  return out;
}
}  // namespace

std::string of_columns(std::string_view st, const std::optional<std::string>& pri, const std::optional<std::string>& ty,
                       std::string_view tags_json, Id requester_id, Id submitter_id, const std::optional<Id>& assignee_id,
                       const std::optional<Id>& organization_id, const std::optional<Id>& group_id, std::string_view ch) {
  return build(st, pri, ty, nlohmann::json::parse(tags_json, nullptr, false), requester_id, submitter_id, assignee_id,
               organization_id, group_id, ch);
}

std::string of(const Ticket& t) {
  return build(t.status, t.priority, t.type, t.tags, t.requester_id, t.submitter_id, t.assignee_id, t.organization_id,
               t.group_id, t.channel);
}

}  // namespace rapport::domain::facets
