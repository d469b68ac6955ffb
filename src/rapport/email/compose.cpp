#include <rapport/email/compose.hpp>

#include <gmime/gmime.h>

#include <memory>
#include <mutex>

#include <rapport/base/strings.hpp>
#include <rapport/email/message_id.hpp>
#include <rapport/tickets/tickets.hpp>
#include <rapport/tickets/uploads.hpp>

namespace rapport::email {

namespace {

// GMime objects are GObjects: one reference each, dropped at scope end.
struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, Unref>;

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

bool atext(unsigned char c) {
  // RFC 5322 atext, without the characters that only confuse other software ('`', '|', '{', '}').
  return std::isalnum(c) || std::string_view("!#$%&'*+-/=?^_~").find(static_cast<char>(c)) != std::string_view::npos;
}

// A Message-ID as it may appear between <>: printable ASCII, no brackets or spaces, one '@'.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 250 || id.find('@') == std::string_view::npos) return false;
  for (unsigned char c : id)
    if (c <= 0x20 || c >= 0x7F || c == '<' || c == '>' || c == '"' || c == '\\') return false;
  return true;
}

InternetAddress* mailbox(const MailAddress& a) {
  auto name = header_text(a.name, k_max_display_name);
  return internet_address_mailbox_new(name.empty() ? nullptr : name.c_str(), a.address.c_str());
}

// Text in canonical form: every line ends in CRLF (RFC 2045), also when it is base64-encoded.
std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

GMimeObject* text_part(const char* subtype, const std::string& text) {
  // The bytes stay UTF-8 (g_mime_text_part_set_text would pick another charset for Latin text).
  auto body = crlf(text);
  auto* part = g_mime_text_part_new_with_subtype(subtype);
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(body.data(), body.size()));
  GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(GMIME_PART(part), content.get());
  g_mime_object_set_content_type_parameter(GMIME_OBJECT(part), "charset", "utf-8");
  // Quoted-printable or base64 when the text is not short-lined ASCII: SMTP needs 7-bit-safe lines.
  g_mime_part_set_content_encoding(GMIME_PART(part),
                                   g_mime_part_get_best_content_encoding(GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
  return GMIME_OBJECT(part);
}

GMimeObject* attachment_part(const MailAttachment& a) {
  auto ct = tickets::safe_content_type(a.content_type);
  auto slash = ct.find('/');
  auto* part = g_mime_part_new_with_type(ct.substr(0, slash).c_str(), ct.substr(slash + 1).c_str());
  GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(a.data.data(), a.data.size()));
  GPtr<GMimeDataWrapper> content(g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
  g_mime_part_set_content(part, content.get());
  g_mime_object_set_disposition(GMIME_OBJECT(part), a.is_inline ? "inline" : "attachment");
  auto name = header_text(a.file_name, 255);
  for (auto& ch : name)
    if (ch == '/' || ch == '\\') ch = '_';
  g_mime_part_set_filename(part, name.empty() ? "attachment" : name.c_str());
  if (!a.content_id.empty() && valid_id(a.content_id)) g_mime_part_set_content_id(part, a.content_id.c_str());
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  return GMIME_OBJECT(part);
}

}  // namespace

bool valid_address(std::string_view a) {
  if (a.empty() || a.size() > 254) return false;
  auto at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  auto local = a.substr(0, at), domain = a.substr(at + 1);
  // Local part: dot-atom (no leading, trailing or double dot).
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  for (unsigned char c : local)
    if (c != '.' && !atext(c)) return false;
  // Domain: labels of letters, digits and hyphens (IDNs arrive as xn--), at least two of them.
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos) return false;
  for (auto& label : split(domain, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (unsigned char c : label)
      if (!std::isalnum(c) && c != '-') return false;
  }
  return true;
}

std::string header_text(std::string_view s, std::size_t limit) {
  std::string out;
  out.reserve(std::min(s.size(), limit));
  bool space = false;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size() || !valid_utf8(s.substr(i, n))) {
      ++i;  // a stray byte: dropped, it cannot be encoded honestly
      continue;
    }
    // C0 controls, DEL, and the C1 controls (U+0080..U+009F, 0xC2 0x80..0x9F) all read as space.
    bool control = n == 1 ? (c < 0x20 || c == 0x7F) : (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0);
    if (control || c == ' ') {
      space = !out.empty();
      i += n;
      continue;
    }
    if (space) {
      if (out.size() + 1 > limit) break;
      out.push_back(' ');
      space = false;
    }
    if (out.size() + n > limit) break;
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

Result<std::string> compose(const Outgoing& m) {
  init_gmime();
  Validation v;
  auto check = [&](const MailAddress& a, const char* field) {
    if (!valid_address(a.address)) v.add(field, "InvalidValue", std::string(field) + ": \"" + header_text(a.address, 100) + "\" is not a valid email address");
  };
  check(m.from, "from");
  if (m.reply_to) check(*m.reply_to, "reply_to");
  for (const auto& a : m.to) check(a, "to");
  for (const auto& a : m.cc) check(a, "cc");
  if (m.to.empty()) v.add("to", "BlankValue", "To: a message needs a recipient");
  if (m.to.size() + m.cc.size() > k_max_recipients)
    v.add("cc", "InvalidValue", "Cc: at most " + std::to_string(k_max_recipients) + " recipients");
  if (!valid_id(m.message_id)) v.add("message_id", "InvalidValue", "Message-ID: is not valid");
  if (!v.ok()) return fail(v.error());

  GPtr<GMimeMessage> msg(g_mime_message_new(TRUE));
  auto* obj = GMIME_OBJECT(msg.get());
  internet_address_list_add(g_mime_message_get_addresses(msg.get(), GMIME_ADDRESS_TYPE_FROM), GPtr<InternetAddress>(mailbox(m.from)).get());
  for (const auto& a : m.to)
    internet_address_list_add(g_mime_message_get_addresses(msg.get(), GMIME_ADDRESS_TYPE_TO), GPtr<InternetAddress>(mailbox(a)).get());
  for (const auto& a : m.cc)
    internet_address_list_add(g_mime_message_get_addresses(msg.get(), GMIME_ADDRESS_TYPE_CC), GPtr<InternetAddress>(mailbox(a)).get());
  if (m.reply_to)
    internet_address_list_add(g_mime_message_get_addresses(msg.get(), GMIME_ADDRESS_TYPE_REPLY_TO),
                              GPtr<InternetAddress>(mailbox(*m.reply_to)).get());
  // GMime writes non-ASCII as RFC 2047 encoded words; header_text removed anything that could end the line.
  g_mime_message_set_subject(msg.get(), header_text(m.subject).c_str(), "utf-8");
  {
    GDateTime* date = g_date_time_new_from_unix_utc(m.date);
    g_mime_message_set_date(msg.get(), date);
    g_date_time_unref(date);
  }
  g_mime_message_set_message_id(msg.get(), m.message_id.c_str());
  if (valid_id(m.in_reply_to)) g_mime_object_set_header(obj, "In-Reply-To", bracket(m.in_reply_to).c_str(), nullptr);
  std::string refs;
  std::size_t first = m.references.size() > k_max_references ? m.references.size() - k_max_references : 0;
  for (std::size_t i = first; i < m.references.size(); ++i) {
    if (!valid_id(m.references[i])) continue;
    if (!refs.empty()) refs += ' ';
    refs += bracket(m.references[i]);
  }
  if (!refs.empty()) g_mime_object_set_header(obj, "References", refs.c_str(), nullptr);
  if (m.auto_submitted == "auto-generated" || m.auto_submitted == "auto-replied")
    g_mime_object_set_header(obj, "Auto-Submitted", m.auto_submitted.c_str(), nullptr);
  g_mime_object_set_header(obj, "MIME-Version", "1.0", nullptr);

  GPtr<GMimeMultipart> alternative(g_mime_multipart_new_with_subtype("alternative"));
  g_mime_multipart_add(alternative.get(), GPtr<GMimeObject>(text_part("plain", m.text)).get());
  g_mime_multipart_add(alternative.get(),
                       GPtr<GMimeObject>(text_part("html", m.html.empty() ? tickets::text_to_html(m.text) : m.html)).get());
  if (m.attachments.empty()) {
    g_mime_message_set_mime_part(msg.get(), GMIME_OBJECT(alternative.get()));
  } else {
    GPtr<GMimeMultipart> mixed(g_mime_multipart_new_with_subtype("mixed"));
    g_mime_multipart_add(mixed.get(), GMIME_OBJECT(alternative.get()));
    for (const auto& a : m.attachments) g_mime_multipart_add(mixed.get(), GPtr<GMimeObject>(attachment_part(a)).get());
    g_mime_message_set_mime_part(msg.get(), GMIME_OBJECT(mixed.get()));
  }

  GMimeFormatOptions* options = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(options, GMIME_NEWLINE_FORMAT_DOS);
  GByteArray* bytes = g_byte_array_new();
  {
    GPtr<GMimeStream> out(g_mime_stream_mem_new_with_byte_array(bytes));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(out.get()), FALSE);
    g_mime_object_write_to_stream(obj, options, out.get());
  }
  g_mime_format_options_free(options);
  std::string result(reinterpret_cast<const char*>(bytes->data), bytes->len);
  g_byte_array_free(bytes, TRUE);
  return result;
}

}  // namespace rapport::email
