#include <rapport/email/reply.hpp>

#include <regex>
#include <vector>

#include <rapport/base/strings.hpp>

namespace rapport::email {

namespace {

std::vector<std::string> lines_of(std::string_view text) {
  auto lines = split(text, '\n');
  for (auto& l : lines)
    if (!l.empty() && l.back() == '\r') l.pop_back();
  return lines;
}

bool is_quote(std::string_view line) { return !line.empty() && line.front() == '>'; }

// A line that starts quoted history: "On Tue, 2 Jan 2024, Ann <a@x> wrote:" and its forms.
bool is_attribution(const std::string& line) {
  static const std::regex k_re(
      R"(^\s*(On\s.+wrote:|Am\s.+schrieb.*:|Le\s.+a\s+écrit\s*:|El\s.+escribió:|Op\s.+schreef.*:)\s*$)",
      std::regex::icase | std::regex::optimize);
  return line.size() < 400 && std::regex_match(line, k_re);
}

bool starts_ci(std::string_view s, std::string_view p) { return s.size() >= p.size() && iequals(s.substr(0, p.size()), p); }

}  // namespace

std::string strip_quoted_text(std::string_view text) {
  auto lines = lines_of(text);
  std::size_t cut = lines.size();
  for (std::size_t i = 0; i < lines.size() && cut == lines.size(); ++i) {
    auto t = std::string(trim(lines[i]));
    if (lines[i] == "-- " || lines[i] == "--") cut = i;  // RFC 3676 signature separator
    else if (starts_ci(t, "-----Original Message-----") || starts_ci(t, "----- Original Message -----") ||
             starts_ci(t, "-------- Original Message --------") || starts_ci(t, "---------- Forwarded message"))
      cut = i;
    else if (starts_ci(t, "Sent from my ") && t.size() < 60)
      cut = i;
    else if (is_attribution(t))
      cut = i;
    else if (i + 1 < lines.size() && is_attribution(t + " " + std::string(trim(lines[i + 1]))) &&
             !is_attribution(std::string(trim(lines[i + 1]))) && starts_ci(t, "On "))
      cut = i;  // the attribution wrapped onto two lines
    else if (starts_ci(t, "From: ") || (t.size() > 20 && t.find_first_not_of('_') == std::string::npos)) {
      // Outlook's header block: From: then Sent:/Date: and To:/Subject: within a few lines.
      std::size_t from = starts_ci(t, "From: ") ? i : i + 1;
      if (from < lines.size() && starts_ci(trim(lines[from]), "From: ")) {
        bool sent = false, to = false;
        for (std::size_t j = from + 1; j < std::min(lines.size(), from + 6); ++j) {
          auto u = trim(lines[j]);
          sent = sent || starts_ci(u, "Sent: ") || starts_ci(u, "Date: ");
          to = to || starts_ci(u, "To: ") || starts_ci(u, "Subject: ");
        }
        if (sent && to) cut = i;
      }
    }
  }
  // A trailing block of quoted lines (with blank lines among them) is history too.
  std::size_t end = cut;
  while (end > 0 && (is_quote(lines[end - 1]) || trim(lines[end - 1]).empty())) --end;
  bool any_quote = false;
  for (std::size_t k = end; k < cut; ++k) any_quote = any_quote || is_quote(lines[k]);
  if (any_quote) cut = end;
  while (cut > 0 && trim(lines[cut - 1]).empty()) --cut;
  if (cut == 0) return std::string(text);
  std::string out;
  for (std::size_t i = 0; i < cut; ++i) {
    out += lines[i];
    if (i + 1 < cut) out += '\n';
  }
  return out;
}

std::string strip_quoted_html(std::string_view html) {
  std::string lower = to_lower(html);
  static const char* k_markers[] = {"class=\"gmail_quote",     "class=gmail_quote",       "type=\"cite\"",
                                    "type=cite",               "id=\"divrplyfwdmsg\"",    "id=divrplyfwdmsg",
                                    "id=\"appendonsend\"",     "class=\"moz-cite-prefix", "class=\"yahoo_quoted",
                                    "class=\"gmail_signature", "class=\"moz-signature"};
  std::size_t cut = std::string::npos;
  for (const char* m : k_markers) {
    auto pos = lower.find(m);
    if (pos == std::string::npos) continue;
    auto open = lower.rfind('<', pos);  // the start of the element carrying the marker
    if (open != std::string::npos && open < cut) cut = open;
  }
  if (cut == std::string::npos || cut == 0) return std::string(html);
  return std::string(html.substr(0, cut));
}

}  // namespace rapport::email
