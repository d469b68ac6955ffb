// Compose: the bytes are parsed back with GMime and every header checked as a mail client reads it.
#include <gmime/gmime.h>
#include <gtest/gtest.h>

#include <rapport/email/compose.hpp>
#include <rapport/email/message_id.hpp>

using namespace rapport::email;

namespace {

struct Parsed {
  GMimeMessage* msg = nullptr;
  explicit Parsed(const std::string& bytes) {
    GMimeStream* stream = g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size());
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, nullptr);
    g_object_unref(parser);
    g_object_unref(stream);
  }
  ~Parsed() {
    if (msg) g_object_unref(msg);
  }
  std::string header(const char* name) const {
    const char* v = g_mime_object_get_header(GMIME_OBJECT(msg), name);
    return v ? v : "";
  }
  bool has(const char* name) const { return g_mime_object_get_header(GMIME_OBJECT(msg), name) != nullptr; }
  std::string addresses(GMimeAddressType type) const {
    char* s = internet_address_list_to_string(g_mime_message_get_addresses(msg, type), nullptr, FALSE);
    std::string out = s ? s : "";
    g_free(s);
    return out;
  }
  std::string subject() const {
    const char* s = g_mime_message_get_subject(msg);
    return s ? s : "";
  }
  std::string content_type(GMimeObject* o) const {
    char* s = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o));
    std::string out = s;
    g_free(s);
    return out;
  }
};

std::string part_text(GMimeObject* o) {
  char* s = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
  std::string out = s ? s : "";
  g_free(s);
  return out;
}

Outgoing basic() {
  Outgoing m;
  m.from = {"Acme Support", "support@acme.test"};
  m.to = {{"Cara Customer", "cara@example.test"}};
  m.cc = {{"", "boss@example.test"}};
  m.reply_to = MailAddress{"Acme Support", "support@acme.test"};
  m.subject = "Re: Broken kettle [#42]";
  m.text = "Hello Cara,\n\nA new kettle is on its way.\n";
  m.message_id = "abc.rapport@acme.test";
  m.in_reply_to = "cara-1@example.test";
  m.references = {"cara-1@example.test"};
  m.date = 1700000000;
  return m;
}

// Every header line of the raw bytes (before the first blank line), unfolded.
std::vector<std::string> header_lines(const std::string& raw) {
  std::vector<std::string> lines;
  auto end = raw.find("\r\n\r\n");
  std::size_t pos = 0;
  while (pos < end) {
    auto eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty()) lines.back() += line;
    else lines.push_back(line);
    pos = eol + 2;
  }
  return lines;
}

}  // namespace

TEST(Compose, WritesEveryHeaderAClientNeeds) {
  auto raw = compose(basic());
  ASSERT_TRUE(raw) << raw.error().message;
  Parsed p(*raw);
  ASSERT_NE(p.msg, nullptr);
  EXPECT_EQ(p.addresses(GMIME_ADDRESS_TYPE_FROM), "Acme Support <support@acme.test>");
  EXPECT_EQ(p.addresses(GMIME_ADDRESS_TYPE_TO), "Cara Customer <cara@example.test>");
  EXPECT_EQ(p.addresses(GMIME_ADDRESS_TYPE_CC), "boss@example.test");
  EXPECT_EQ(p.addresses(GMIME_ADDRESS_TYPE_REPLY_TO), "Acme Support <support@acme.test>");
  EXPECT_EQ(p.subject(), "Re: Broken kettle [#42]");
  EXPECT_EQ(std::string(g_mime_message_get_message_id(p.msg)), "abc.rapport@acme.test");
  EXPECT_EQ(p.header("In-Reply-To"), "<cara-1@example.test>");
  EXPECT_EQ(p.header("References"), "<cara-1@example.test>");
  EXPECT_EQ(p.header("MIME-Version"), "1.0");
  EXPECT_FALSE(p.has("Auto-Submitted")) << "a person's reply is not automatic";
  GDateTime* date = g_mime_message_get_date(p.msg);
  ASSERT_NE(date, nullptr);
  EXPECT_EQ(g_date_time_to_unix(date), 1700000000);
  // SMTP wants CRLF line ends and nothing else.
  for (std::size_t i = 0; i < raw->size(); ++i)
    if ((*raw)[i] == '\n') {
      ASSERT_TRUE(i > 0 && (*raw)[i - 1] == '\r') << "bare LF at byte " << i;
    }
}

TEST(Compose, TextAndHtmlAlternativesWithHtmlFromText) {
  auto raw = compose(basic());
  ASSERT_TRUE(raw);
  Parsed p(*raw);
  auto* top = g_mime_message_get_mime_part(p.msg);
  ASSERT_EQ(p.content_type(top), "multipart/alternative");
  auto* mp = GMIME_MULTIPART(top);
  ASSERT_EQ(g_mime_multipart_get_count(mp), 2);
  auto* text = g_mime_multipart_get_part(mp, 0);
  auto* html = g_mime_multipart_get_part(mp, 1);
  EXPECT_EQ(p.content_type(text), "text/plain");
  EXPECT_EQ(p.content_type(html), "text/html");
  EXPECT_EQ(part_text(text), "Hello Cara,\r\n\r\nA new kettle is on its way.\r\n");
  auto h = part_text(html);
  EXPECT_NE(h.find("<p>Hello Cara,</p><p>A new kettle is on its way."), std::string::npos) << h;
}

TEST(Compose, NonAsciiSubjectAndNamesAreEncodedWords) {
  auto m = basic();
  m.subject = "Rückerstattung für Bestellung №7";
  m.to = {{"Zoë Ölund", "zoe@example.test"}};
  m.text = "Grüße\n";
  auto raw = compose(m);
  ASSERT_TRUE(raw);
  for (auto& line : header_lines(*raw)) {
    for (unsigned char c : line) ASSERT_LT(c, 0x80) << "8-bit header: " << line;
  }
  EXPECT_NE(raw->find("Subject: =?UTF-8?"), std::string::npos) << *raw;
  Parsed p(*raw);
  EXPECT_EQ(p.subject(), "Rückerstattung für Bestellung №7");
  EXPECT_EQ(p.addresses(GMIME_ADDRESS_TYPE_TO), "Zoë Ölund <zoe@example.test>");
  auto* text = g_mime_multipart_get_part(GMIME_MULTIPART(g_mime_message_get_mime_part(p.msg)), 0);
  EXPECT_EQ(part_text(text), "Grüße\r\n");
}

TEST(Compose, AutomaticMailSaysSo) {
  auto m = basic();
  m.auto_submitted = "auto-generated";
  auto raw = compose(m);
  ASSERT_TRUE(raw);
  EXPECT_EQ(Parsed(*raw).header("Auto-Submitted"), "auto-generated");
  m.auto_submitted = "auto-replied\r\nBcc: x@evil.test";
  raw = compose(m);
  ASSERT_TRUE(raw);
  EXPECT_FALSE(Parsed(*raw).has("Auto-Submitted")) << "only the two known values are written";
}

TEST(Compose, NoHeaderInjectionThroughSubjectOrNames) {
  auto m = basic();
  m.subject = "Hello\r\nBcc: victim@evil.test\r\n\r\nbody";
  m.from.name = "Support\nX-Injected: 1";
  m.to[0].name = "Cara\r\nCc: other@evil.test";
  m.references = {"ok@x.test", "bad\r\nX-Evil: 1@x"};
  m.in_reply_to = std::string("a\0b@x.test", 10);
  auto raw = compose(m);
  ASSERT_TRUE(raw) << raw.error().message;
  for (auto& line : header_lines(*raw)) {
    EXPECT_NE(line.rfind("Bcc:", 0), 0u) << line;
    EXPECT_NE(line.rfind("X-Injected:", 0), 0u) << line;
    EXPECT_NE(line.rfind("X-Evil:", 0), 0u) << line;
  }
  EXPECT_EQ(raw->find('\0'), std::string::npos);
  Parsed p(*raw);
  EXPECT_FALSE(p.has("Bcc"));
  EXPECT_FALSE(p.has("X-Injected"));
  EXPECT_EQ(p.addresses(GMIME_ADDRESS_TYPE_CC), "boss@example.test");
  EXPECT_EQ(p.subject(), "Hello Bcc: victim@evil.test body");
  EXPECT_EQ(p.header("References"), "<ok@x.test>");
  EXPECT_FALSE(p.has("In-Reply-To"));
}

TEST(Compose, RejectsAddressesThatAreNotAddresses) {
  for (const char* bad : {"", "plain", "a@b", "x@evil.test\r\nBcc: y@evil.test", "a b@c.test", "<a@b.test>",
                          "a@b.test, c@d.test", "\"q\"@b.test", ".a@b.test", "a..b@c.test", "a@-b.test", "a@b..test"}) {
    EXPECT_FALSE(valid_address(bad)) << bad;
    auto m = basic();
    m.to[0].address = bad;
    auto r = compose(m);
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error().details.count("to")) << bad;
  }
  for (const char* good : {"a@b.test", "first.last+tag@sub.example.co.uk", "o'neil@x-y.test"}) EXPECT_TRUE(valid_address(good)) << good;
}

TEST(Compose, AttachmentsGoInMultipartMixedAsBase64) {
  auto m = basic();
  std::string binary("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  m.attachments.push_back({"photo.png", "image/png", binary, false, ""});
  m.attachments.push_back({"../../etc/passwd résumé.txt", "text/plain\r\nX-Evil: 1", "hello", false, ""});
  auto raw = compose(m);
  ASSERT_TRUE(raw);
  Parsed p(*raw);
  auto* top = g_mime_message_get_mime_part(p.msg);
  ASSERT_EQ(p.content_type(top), "multipart/mixed");
  auto* mp = GMIME_MULTIPART(top);
  ASSERT_EQ(g_mime_multipart_get_count(mp), 3);
  EXPECT_EQ(p.content_type(g_mime_multipart_get_part(mp, 0)), "multipart/alternative");
  auto* png = GMIME_PART(g_mime_multipart_get_part(mp, 1));
  EXPECT_EQ(p.content_type(GMIME_OBJECT(png)), "image/png");
  EXPECT_EQ(std::string(g_mime_part_get_filename(png)), "photo.png");
  EXPECT_EQ(g_mime_part_get_content_encoding(png), GMIME_CONTENT_ENCODING_BASE64);
  GMimeStream* decoded = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(png), decoded);
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(decoded));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(bytes->data), bytes->len), binary);
  g_object_unref(decoded);
  auto* txt = GMIME_PART(g_mime_multipart_get_part(mp, 2));
  EXPECT_EQ(p.content_type(GMIME_OBJECT(txt)), "application/octet-stream") << "an unparsable type is not passed on";
  EXPECT_EQ(std::string(g_mime_part_get_filename(txt)), ".._.._etc_passwd résumé.txt");
  EXPECT_EQ(raw->find("X-Evil"), std::string::npos);
}

TEST(Compose, HeaderTextIsOneBoundedLine) {
  EXPECT_EQ(header_text("  a\r\n\tb\x01" "c  "), "a b c");
  EXPECT_EQ(header_text("x\xC2\x85y"), "x y") << "NEL (a C1 control) is a line break to some software";
  EXPECT_EQ(header_text("ok\xFF\xFEok"), "okok");
  EXPECT_EQ(header_text("äääää", 5), "ää") << "cut on a character boundary";
}

