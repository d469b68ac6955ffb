#include <rapport/email/mime.hpp>

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

#include <gmime/gmime.h>

#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/email/message_id.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::email {

namespace {

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// GObject references released at scope end.
struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <class T>
using GPtr = std::unique_ptr<T, Unref>;

Error rejected(std::string msg) {
  Error e{ErrorCode::validation, std::move(msg), {}, "MessageRejected"};
  return e;
}
Error too_large(std::string msg) { return Error{ErrorCode::too_large, std::move(msg), {}, "MessageRejected"}; }

std::string str_or_empty(const char* s) { return s ? std::string(s) : std::string(); }

std::string lower_trim(const char* s) { return s ? to_lower(trim(s)) : std::string(); }

// Counts header lines that start a MIME entity's Content-Type. Every multipart or message/rfc822
// container needs one, so this bounds the entities (and the nesting) GMime's recursive parser
// could build, before it runs. Hand-written: it is one pass over bytes already in memory.
std::size_t count_content_type_lines(std::string_view raw, std::size_t stop_after) {
  std::size_t n = 0;
  constexpr std::string_view k_name = "content-type:";
  std::size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos >= k_name.size() && (raw[pos] == 'c' || raw[pos] == 'C') &&
        iequals(raw.substr(pos, k_name.size()), k_name)) {
      if (++n > stop_after) return n;
    }
    auto nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return n;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";

// Windows-1252's 0x80-0x9F; the rest of the byte range is Latin-1.
constexpr uint16_t k_cp1252[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                   0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                   0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

std::string from_cp1252(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (unsigned char c : bytes) {
    if (c < 0x80) out.push_back(static_cast<char>(c));
    else if (c < 0xA0) append_utf8(out, k_cp1252[c - 0x80]);
    else append_utf8(out, c);
  }
  return out;
}

// iconv with every invalid or unconvertible input byte replaced by U+FFFD. nullopt when the
// charset is unknown to iconv.
std::optional<std::string> iconv_to_utf8(std::string_view bytes, const char* charset) {
  iconv_t cd = iconv_open("UTF-8", charset);
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out;
  out.reserve(bytes.size() + 16);
  char buf[4096];
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  while (true) {
    char* o = buf;
    std::size_t o_left = sizeof buf;
    std::size_t r = in_left ? iconv(cd, &in, &in_left, &o, &o_left) : iconv(cd, nullptr, nullptr, &o, &o_left);
    out.append(buf, static_cast<std::size_t>(o - buf));
    if (r != static_cast<std::size_t>(-1)) {
      if (in_left == 0) {
        // flush the shift state (ISO-2022-JP, UTF-7) once
        o = buf;
        o_left = sizeof buf;
        iconv(cd, nullptr, nullptr, &o, &o_left);
        out.append(buf, static_cast<std::size_t>(o - buf));
        break;
      }
      continue;
    }
    if (errno == E2BIG) continue;
    // EILSEQ (invalid or unconvertible) and EINVAL (incomplete at the end): one replacement
    // character for the byte, then go on with the next.
    out += k_replacement;
    ++in;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset the shift state
    if (in_left == 0) break;
  }
  iconv_close(cd);
  return out;
}

Address to_address(InternetAddress* ia) {
  Address a;
  a.name = scrub_utf8(str_or_empty(internet_address_get_name(ia)));
  if (INTERNET_ADDRESS_IS_MAILBOX(ia))
    a.email = scrub_utf8(str_or_empty(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
  return a;
}

void collect_addresses(InternetAddressList* list, std::vector<Address>& out, std::size_t limit = 200) {
  if (!list) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n && out.size() < limit; ++i) {
    auto* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      collect_addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, limit);
    } else {
      auto a = to_address(ia);
      if (!a.email.empty() && a.email.find('@') != std::string::npos) out.push_back(std::move(a));
    }
  }
}

std::string part_bytes(GMimePart* part) {
  auto* wrapper = g_mime_part_get_content(part);
  if (!wrapper) return {};
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(wrapper, mem.get());  // decodes base64 / quoted-printable
  auto* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return arr ? std::string(reinterpret_cast<const char*>(arr->data), arr->len) : std::string();
}

// The fields of RFC 822-style header blocks separated by blank lines (a delivery-status body or
// text/rfc822-headers): each block as (lower-cased name, unfolded value) pairs.
std::vector<std::vector<std::pair<std::string, std::string>>> header_blocks(std::string_view text) {
  std::vector<std::vector<std::pair<std::string, std::string>>> blocks(1);
  for (auto& raw_line : split(text, '\n')) {
    std::string_view line = raw_line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) {
      if (!blocks.back().empty()) blocks.emplace_back();
      continue;
    }
    if ((line.front() == ' ' || line.front() == '\t') && !blocks.back().empty()) {
      blocks.back().back().second += " " + std::string(trim(line));
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    blocks.back().emplace_back(to_lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    if (blocks.size() > 1000) break;
  }
  if (blocks.back().empty()) blocks.pop_back();
  return blocks;
}

// "rfc822; user@example.com" -> "user@example.com"
std::string dsn_address(std::string_view v) {
  auto semi = v.find(';');
  if (semi != std::string_view::npos) v = v.substr(semi + 1);
  auto s = std::string(trim(v));
  if (!s.empty() && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
  return s;
}

struct Walker {
  const Limits& limits;
  ParsedMessage& out;
  std::string text_plain, text_html;
  bool in_report = false;
  std::optional<Error> error;

  void walk(GMimeObject* obj, int depth) {
    if (error || !obj) return;
    if (++out.parts > limits.max_parts) {
      error = rejected("the message has more than " + std::to_string(limits.max_parts) + " MIME parts");
      return;
    }
    if (depth > limits.max_depth) {
      error = rejected("the message's MIME parts nest deeper than " + std::to_string(limits.max_depth) + " levels");
      return;
    }
    auto* ct = g_mime_object_get_content_type(obj);
    if (GMIME_IS_MULTIPART(obj)) {
      auto* mp = GMIME_MULTIPART(obj);
      bool report = ct && g_mime_content_type_is_type(ct, "multipart", "report") &&
                    iequals(str_or_empty(g_mime_content_type_get_parameter(ct, "report-type")), "delivery-status");
      if (report) {
        in_report = true;
        if (!out.dsn) out.dsn = Dsn{};
      }
      int n = g_mime_multipart_get_count(mp);
      for (int i = 0; i < n && !error; ++i) {
        walk(g_mime_multipart_get_part(mp, i), depth + 1);
      }
      return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
      auto* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (in_report && out.dsn && inner) {
        // The returned original: its Message-ID threads the bounce to our ticket. Its parts are
        // not the bounce's attachments.
        if (out.dsn->original_message_id.empty())
          out.dsn->original_message_id = normalize_message_id(str_or_empty(g_mime_message_get_message_id(inner)));
        return;
      }
      // A forwarded message: keep it whole as an attachment (.eml), as mail clients show it.
      GPtr<GMimeStream> mem(g_mime_stream_mem_new());
      if (inner) g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      auto* arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
      Attachment a;
      a.content_type = "message/rfc822";
      a.data = arr ? std::string(reinterpret_cast<const char*>(arr->data), arr->len) : std::string();
      auto subj = inner ? scrub_utf8(str_or_empty(g_mime_message_get_subject(inner))) : std::string();
      a.file_name = (subj.empty() ? std::string("message") : subj.substr(0, 100)) + ".eml";
      add_attachment(std::move(a));
      return;
    }
    if (!GMIME_IS_PART(obj)) return;
    auto* part = GMIME_PART(obj);
    std::string media = ct ? to_lower(str_or_empty(g_mime_content_type_get_media_type(ct))) : "text";
    std::string sub = ct ? to_lower(str_or_empty(g_mime_content_type_get_media_subtype(ct))) : "plain";
    auto* disp = g_mime_object_get_content_disposition(obj);
    bool is_attachment = disp && g_mime_content_disposition_is_attachment(disp);
    auto filename = scrub_utf8(str_or_empty(g_mime_part_get_filename(part)));
    auto content_id = normalize_message_id(str_or_empty(g_mime_object_get_content_id(obj)));

    if (in_report && out.dsn && media == "message" && (sub == "delivery-status" || sub == "global-delivery-status")) {
      parse_delivery_status(part_bytes(part));
      return;
    }
    if (in_report && out.dsn && media == "text" && sub == "rfc822-headers") {
      for (const auto& block : header_blocks(part_bytes(part))) {
        for (const auto& [k, v] : block)
          if (k == "message-id" && out.dsn->original_message_id.empty()) out.dsn->original_message_id = normalize_message_id(v);
      }
      return;
    }
    bool body_text = media == "text" && (sub == "plain" || sub == "html") && !is_attachment && filename.empty();
    if (body_text) {
      auto bytes = part_bytes(part);
      if (bytes.size() > limits.max_attachment_bytes) {
        error = too_large("a text part is larger than " + std::to_string(limits.max_attachment_bytes) + " bytes");
        return;
      }
      auto text = to_utf8(bytes, str_or_empty(g_mime_object_get_content_type_parameter(obj, "charset")));
      auto& target = sub == "plain" ? text_plain : text_html;
      if (!target.empty() && !text.empty()) target += sub == "plain" ? "\n\n" : "<br>";
      target += text;
      return;
    }
    Attachment a;
    a.content_type = media + "/" + sub;
    a.content_id = content_id;
    a.is_inline = !is_attachment && !content_id.empty() && media == "image";
    a.file_name = filename.empty() ? (a.is_inline ? "image" : "attachment") : filename;
    if (a.file_name == "image" || a.file_name == "attachment") {
      if (sub.size() < 10 && std::all_of(sub.begin(), sub.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }))
        a.file_name += "." + sub;
    }
    a.data = part_bytes(part);
    add_attachment(std::move(a));
  }

  void add_attachment(Attachment a) {
    if (a.data.size() > limits.max_attachment_bytes) {
      error = too_large("the attachment \"" + a.file_name + "\" is " + std::to_string(a.data.size()) +
                        " bytes; the limit is " + std::to_string(limits.max_attachment_bytes));
      return;
    }
    out.attachments.push_back(std::move(a));
  }

  void parse_delivery_status(const std::string& body) {
    auto blocks = header_blocks(body);
    // The first block is per-message; the rest are per-recipient.
    for (std::size_t i = 1; i < blocks.size() && out.dsn->failed.size() < 100; ++i) {
      DsnRecipient r;
      for (const auto& [k, v] : blocks[i]) {
        if (k == "final-recipient" || (k == "original-recipient" && r.address.empty())) r.address = dsn_address(v);
        else if (k == "action") r.action = to_lower(trim(v));
        else if (k == "status") r.status = std::string(trim(v)).substr(0, 16);
        else if (k == "diagnostic-code") r.diagnostic = scrub_utf8(dsn_address(v)).substr(0, 500);
      }
      if (r.action == "failed" && !r.address.empty()) out.dsn->failed.push_back(std::move(r));
    }
  }
};

const char* k_fallback_charsets[] = {"UTF-8", "windows-1252", nullptr};

}  // namespace

std::string scrub_utf8(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  auto converted = iconv_to_utf8(s, "UTF-8").value_or(std::string());
  if (valid_utf8(converted)) return converted;
  // iconv let through a sequence valid_utf8 refuses (the fuzzer found one:
  // fuzz/regressions/html-to-plain-invalid-utf8.eml): replace every byte that does not start a
  // well-formed character with U+FFFD.
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len > 0 && i + len <= s.size() && valid_utf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  std::string cs = to_lower(trim(charset));
  if (cs.empty() || cs == "us-ascii" || cs == "ascii" || cs == "utf-8" || cs == "utf8") {
    if (valid_utf8(bytes)) return std::string(bytes);
    // Undeclared or mislabelled 8-bit text: far more often Windows-1252 than broken UTF-8.
    if (cs.empty() || cs == "us-ascii" || cs == "ascii") return from_cp1252(bytes);
    return scrub_utf8(bytes);
  }
  // ISO-8859-1 labels mean Windows-1252 in practice (the WHATWG encoding standard does the same).
  if (cs == "iso-8859-1" || cs == "latin1" || cs == "windows-1252" || cs == "cp1252") return from_cp1252(bytes);
  init_gmime();
  std::string name = cs;
  if (auto* mapped = g_mime_charset_iconv_name(cs.c_str())) name = mapped;
  // iconv can emit sequences valid_utf8 refuses (a Shift_JIS part the fuzzer found): scrub them.
  if (auto converted = iconv_to_utf8(bytes, name.c_str())) return scrub_utf8(*converted);
  if (valid_utf8(bytes)) return std::string(bytes);
  return from_cp1252(bytes);
}

std::string html_to_plain(std::string_view html) {
  // Hand-written over a full HTML parser: mail HTML is only read for its text here (the original
  // stays viewable), and tickets::html_to_text already turns the remaining markup into lines.
  std::string s(html);
  std::string lower = to_lower(s);
  // Drop elements whose content is not text.
  for (const char* tag : {"head", "style", "script", "title"}) {
    std::string open = std::string("<") + tag, close = std::string("</") + tag;
    std::size_t pos = 0;
    while ((pos = lower.find(open, pos)) != std::string::npos) {
      char after = pos + open.size() < lower.size() ? lower[pos + open.size()] : '>';
      if (after != '>' && after != ' ' && after != '\t' && after != '\n' && after != '\r' && after != '/') {
        pos += open.size();
        continue;
      }
      auto end = lower.find(close, pos);
      end = end == std::string::npos ? lower.size() : lower.find('>', end);
      end = end == std::string::npos ? lower.size() : end + 1;
      s.erase(pos, end - pos);
      lower.erase(pos, end - pos);
    }
  }
  // Block elements end lines; tickets::html_to_text knows <br>, </p> and </div> only.
  std::string marked;
  marked.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') {
      for (const char* t : {"</tr", "</li", "</h1", "</h2", "</h3", "</h4", "</blockquote", "</table"}) {
        if (lower.compare(i, std::strlen(t), t) == 0) {
          marked += "<br>";
          break;
        }
      }
    }
    if (s[i] == '\r') continue;
    if (s[i] == '\n' || s[i] == '\t') {
      marked.push_back(' ');  // HTML source line breaks are spaces
      continue;
    }
    marked.push_back(s[i]);
  }
  auto text = tickets::html_to_text(marked);
  // Numeric entities (&#8217; &#x2019;) that html_to_text leaves alone.
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&' && i + 2 < text.size() && text[i + 1] == '#') {
      auto semi = text.find(';', i);
      if (semi != std::string::npos && semi - i <= 10) {
        std::string_view num(text.data() + i + 2, semi - i - 2);
        bool hex = !num.empty() && (num[0] == 'x' || num[0] == 'X');
        if (hex) num.remove_prefix(1);
        uint32_t cp = 0;
        bool ok = !num.empty();
        for (char c : num) {
          int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                  : hex && std::isxdigit(static_cast<unsigned char>(c)) ? (std::tolower(c) - 'a' + 10)
                                                                        : -1;
          if (d < 0) {
            ok = false;
            break;
          }
          cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
          if (cp > 0x10FFFF) ok = false;
        }
        if (ok && cp != 0 && !(cp >= 0xD800 && cp <= 0xDFFF)) {
          append_utf8(out, cp);
          i = semi;
          continue;
        }
      }
    }
    out.push_back(text[i]);
  }
  // Trim each line; collapse runs of blank lines to one.
  std::string result;
  int blank = 0;
  for (auto& line : split(out, '\n')) {
    auto t = trim(line);
    if (t.empty()) {
      if (++blank == 1 && !result.empty()) result += "\n";
      continue;
    }
    blank = 0;
    std::string collapsed;
    for (char c : t) {
      if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
      collapsed.push_back(c);
    }
    result += collapsed + "\n";
  }
  while (!result.empty() && result.back() == '\n') result.pop_back();
  return scrub_utf8(result);
}

bool is_auto_submitted(const ParsedMessage& m) {
  if (!m.auto_submitted.empty() && m.auto_submitted != "no") return true;
  if (m.precedence == "bulk" || m.precedence == "list" || m.precedence == "junk") return true;
  if (m.dsn) return true;
  if (m.from) {
    auto local = to_lower(m.from->email.substr(0, m.from->email.find('@')));
    if (local == "mailer-daemon" || local == "postmaster") return true;
  }
  return false;
}

Result<ParsedMessage> parse_message(std::string_view raw, const Limits& limits) {
  if (raw.size() > limits.max_message_bytes)
    return fail(too_large("the message is " + std::to_string(raw.size()) + " bytes; the limit is " +
                          std::to_string(limits.max_message_bytes)));
  if (trim(raw).empty()) return fail(rejected("the message is empty"));
  // Bound what GMime's recursive parser may build before it runs (see count_content_type_lines).
  if (auto n = count_content_type_lines(raw, static_cast<std::size_t>(limits.max_parts) * 2);
      n > static_cast<std::size_t>(limits.max_parts) * 2)
    return fail(rejected("the message has more than " + std::to_string(limits.max_parts) + " MIME parts"));
  init_gmime();

  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  std::unique_ptr<GMimeParserOptions, void (*)(GMimeParserOptions*)> options(g_mime_parser_options_new(),
                                                                             g_mime_parser_options_free);
  g_mime_parser_options_set_fallback_charsets(options.get(), k_fallback_charsets);
  g_mime_parser_options_set_address_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_rfc2047_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  GPtr<GMimeMessage> msg(g_mime_parser_construct_message(parser.get(), options.get()));
  if (!msg) return fail(rejected("the input is not an RFC 5322 message (no header block)"));

  ParsedMessage out;
  auto* obj = GMIME_OBJECT(msg.get());
  std::vector<Address> from;
  collect_addresses(g_mime_message_get_from(msg.get()), from, 1);
  if (!from.empty()) out.from = from.front();
  collect_addresses(g_mime_message_get_to(msg.get()), out.to);
  collect_addresses(g_mime_message_get_cc(msg.get()), out.cc);
  collect_addresses(g_mime_message_get_reply_to(msg.get()), out.reply_to, 5);
  out.subject = scrub_utf8(str_or_empty(g_mime_message_get_subject(msg.get())));
  // Headers are one line in a ticket's subject.
  std::replace_if(out.subject.begin(), out.subject.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
  if (out.subject.size() > 1024) out.subject.resize(1024);
  out.subject = scrub_utf8(out.subject);  // the cut may split a character

  if (auto* mid = g_mime_object_get_header(obj, "Message-ID")) {
    auto ids = parse_message_id_list(mid, 1);
    if (!ids.empty()) out.message_id = ids.front();
  }
  if (out.message_id.empty() || out.message_id.size() > 250) {
    // The same bytes get the same ID, so a redelivered message without one is still deduplicated.
    out.message_id = crypto::sha256_hex(raw).substr(0, 40) + "@rapport.synthesized";
    out.message_id_synthesized = true;
  }
  if (auto* v = g_mime_object_get_header(obj, "In-Reply-To")) out.in_reply_to = parse_message_id_list(v, 5);
  if (auto* v = g_mime_object_get_header(obj, "References")) out.references = parse_message_id_list(v, 50);
  if (auto* d = g_mime_message_get_date(msg.get())) out.date = g_date_time_to_unix(d);
  out.auto_submitted = lower_trim(g_mime_object_get_header(obj, "Auto-Submitted"));
  out.precedence = lower_trim(g_mime_object_get_header(obj, "Precedence"));
  // Auto-Submitted may carry parameters: "auto-replied; owner-email=..."
  if (auto semi = out.auto_submitted.find(';'); semi != std::string::npos)
    out.auto_submitted = std::string(trim(out.auto_submitted.substr(0, semi)));

  Walker w{limits, out, {}, {}, false, std::nullopt};
  w.walk(g_mime_message_get_mime_part(msg.get()), 0);
  if (w.error) return fail(*w.error);
  if (!w.text_plain.empty()) {
    out.text = std::move(w.text_plain);
    out.html = std::move(w.text_html);
  } else if (!w.text_html.empty()) {
    out.html = std::move(w.text_html);
    out.text = html_to_plain(out.html);
    out.html_only = true;
  }
  // Line endings as the rest of the system keeps them.
  out.text.erase(std::remove(out.text.begin(), out.text.end(), '\r'), out.text.end());
  // A report without a failed recipient (delayed, relayed) is not a bounce: it is mail from the
  // mailer daemon, which is_auto_submitted() still flags.
  if (out.dsn && out.dsn->failed.empty()) out.dsn.reset();
  return out;
}

}  // namespace rapport::email
