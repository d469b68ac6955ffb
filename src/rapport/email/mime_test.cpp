#include <gtest/gtest.h>

#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/email/mime.hpp>

using namespace rapport;
using namespace rapport::email;

namespace {

ParsedMessage parse_ok(const std::string& raw, const Limits& limits = {}) {
  auto m = parse_message(raw, limits);
  EXPECT_TRUE(m) << (m ? "" : m.error().message);
  return m ? *m : ParsedMessage{};
}

std::string nested_multipart(int depth) {
  std::string head = "From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n";
  std::string body;
  for (int i = 0; i < depth; ++i) {
    body += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" + std::to_string(i) + "\r\n";
  }
  body += "Content-Type: text/plain\r\n\r\nbottom\r\n";
  for (int i = depth - 1; i >= 0; --i) body += "--b" + std::to_string(i) + "--\r\n";
  return head + body;
}

}  // namespace

TEST(Mime, ReadsAddressesThreadingHeadersAndDecodedSubject) {
  auto m = parse_ok(
      "From: =?UTF-8?Q?Jos=C3=A9_P=C3=A9rez?= <Jose@Example.COM>\r\n"
      "To: Support <support@help.example>, other@help.example\r\n"
      "Cc: \"Ann\" <ann@example.com>, team: bob@example.com, carl@example.com;\r\n"
      "Reply-To: replies@example.com\r\n"
      "Subject: =?ISO-8859-1?Q?R=E9ponse_=E0?= [#12]\r\n"
      "Message-ID: <ABC.1@Mail.Example.com>\r\n"
      "In-Reply-To: <Out.7@help.example>\r\n"
      "References: <first@x> <Out.7@help.example>\r\n"
      "Date: Tue, 02 Jan 2024 10:00:00 +0000\r\n"
      "\r\n"
      "Hello\r\n");
  ASSERT_TRUE(m.from);
  EXPECT_EQ(m.from->name, "José Pérez");
  EXPECT_EQ(m.from->email, "Jose@Example.COM");
  ASSERT_EQ(m.to.size(), 2u);
  EXPECT_EQ(m.to[0].email, "support@help.example");
  ASSERT_EQ(m.cc.size(), 3u);  // group members are flattened
  EXPECT_EQ(m.cc[2].email, "carl@example.com");
  ASSERT_EQ(m.reply_to.size(), 1u);
  EXPECT_EQ(m.subject, "Réponse à [#12]");
  EXPECT_EQ(m.message_id, "abc.1@mail.example.com");
  EXPECT_FALSE(m.message_id_synthesized);
  EXPECT_EQ(m.in_reply_to, std::vector<std::string>{"out.7@help.example"});
  EXPECT_EQ(m.references, (std::vector<std::string>{"first@x", "out.7@help.example"}));
  EXPECT_EQ(m.date.value_or(0), 1704189600);
  EXPECT_EQ(m.text, "Hello\n");
}

TEST(Mime, SynthesizesAStableMessageIdWhenMissing) {
  std::string raw = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";
  auto a = parse_ok(raw), b = parse_ok(raw), c = parse_ok(raw + "more\r\n");
  EXPECT_TRUE(a.message_id_synthesized);
  EXPECT_EQ(a.message_id, b.message_id);
  EXPECT_NE(a.message_id, c.message_id);
  EXPECT_NE(a.message_id.find('@'), std::string::npos);
}

TEST(Mime, ConvertsCharsetsAndReplacesInvalidBytes) {
  auto latin = parse_ok(
      "From: a@example.com\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
      "quoted-printable\r\n\r\nCaf=E9 cr=E8me =80\r\n");
  EXPECT_EQ(latin.text, "Café crème €\n");  // ISO-8859-1 read as Windows-1252, as browsers do
  auto koi = parse_ok("From: a@example.com\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xF0\xD2\xC9\xD7\xC5\xD4\r\n");
  EXPECT_EQ(koi.text, "Привет\n");
  auto sjis = parse_ok("From: a@example.com\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\n\x82\xb1\x82\xf1\r\n");
  EXPECT_EQ(sjis.text, "こん\n");
  auto utf7 = parse_ok("From: a@example.com\r\nContent-Type: text/plain; charset=utf-7\r\n\r\nHi +AOk-t+AOk-\r\n");
  EXPECT_EQ(utf7.text, "Hi été\n");
  auto broken = parse_ok("From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok \xC3\x28 \xFF end\r\n");
  EXPECT_TRUE(valid_utf8(broken.text));
  EXPECT_NE(broken.text.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_NE(broken.text.find("end"), std::string::npos);
  auto unknown = parse_ok("From: a@example.com\r\nContent-Type: text/plain; charset=x-made-up\r\n\r\nna\xEFve\r\n");
  EXPECT_EQ(unknown.text, "naïve\n");
  EXPECT_TRUE(valid_utf8(to_utf8("\x1b$B$3$s\x1b(B", "iso-2022-jp")));
}

TEST(Mime, HtmlOnlyMailBecomesReadableText) {
  auto m = parse_ok(
      "From: a@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><head><title>T</title><style>p{color:red}</style></head><body><p>Hello&nbsp;there,</p>"
      "<p>Order&nbsp;&#35;12 &amp; &#x2019;s</p><ul><li>one</li><li>two</li></ul><script>alert(1)</script></body></html>\r\n");
  EXPECT_TRUE(m.html_only);
  EXPECT_EQ(m.text, "Hello there,\nOrder #12 & ’s\none\ntwo");
  EXPECT_NE(m.html.find("<p>"), std::string::npos);
}

TEST(Mime, SeparatesAttachmentsAndInlineImagesFromTheBody) {
  std::string png = "\x89PNG\r\n\x1a\n fake image bytes";
  std::string raw =
      "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"
      "--mix\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
      "--rel\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
      "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the picture\r\n"
      "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See <img src=\"cid:img1@x\"></p>\r\n"
      "--alt--\r\n"
      "--rel\r\nContent-Type: image/png\r\nContent-ID: <IMG1@x>\r\nContent-Disposition: inline\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" + crypto::base64_encode(png) + "\r\n"
      "--rel--\r\n"
      "--mix\r\nContent-Type: application/pdf; name=\"=?UTF-8?Q?Rechnung_M=C3=A4rz.pdf?=\"\r\n"
      "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" + crypto::base64_encode("%PDF-1.4 body") + "\r\n"
      "--mix--\r\n";
  auto m = parse_ok(raw);
  EXPECT_EQ(m.text, "See the picture");  // the line break before a boundary belongs to the boundary
  EXPECT_FALSE(m.html_only);
  ASSERT_EQ(m.attachments.size(), 2u);
  EXPECT_TRUE(m.attachments[0].is_inline);
  EXPECT_EQ(m.attachments[0].content_id, "img1@x");
  EXPECT_EQ(m.attachments[0].content_type, "image/png");
  EXPECT_EQ(m.attachments[0].data, png);
  EXPECT_FALSE(m.attachments[1].is_inline);
  EXPECT_EQ(m.attachments[1].file_name, "Rechnung März.pdf");
  EXPECT_EQ(m.attachments[1].data, "%PDF-1.4 body");
}

TEST(Mime, EnforcesEveryLimitWithAClearError) {
  Limits small;
  small.max_message_bytes = 100;
  auto big = parse_message(std::string(200, 'x'), small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::too_large);
  EXPECT_NE(big.error().message.find("limit is 100"), std::string::npos);

  Limits att;
  att.max_attachment_bytes = 10;
  auto a = parse_message(
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
      "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n"
      "0123456789012345\r\n--b--\r\n",
      att);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::too_large);
  EXPECT_NE(a.error().message.find("big.bin"), std::string::npos);

  auto deep = parse_message(nested_multipart(15));
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, ErrorCode::validation);
  EXPECT_NE(deep.error().message.find("nest deeper than 10"), std::string::npos);
  EXPECT_TRUE(parse_message(nested_multipart(8)));

  // A "zip bomb" of nesting is refused before GMime's recursive parser sees it.
  auto bomb = parse_message(nested_multipart(20000));
  ASSERT_FALSE(bomb);
  EXPECT_NE(bomb.error().message.find("more than 100 MIME parts"), std::string::npos);

  std::string many = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 150; ++i) many += "--b\r\nContent-Type: text/plain\r\n\r\npart\r\n";
  many += "--b--\r\n";
  auto parts = parse_message(many);
  ASSERT_FALSE(parts);
  EXPECT_NE(parts.error().message.find("more than 100 MIME parts"), std::string::npos);

  EXPECT_FALSE(parse_message("   \r\n"));
}

TEST(Mime, DetectsDeliveryStatusNotifications) {
  auto m = parse_ok(
      "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: support@help.example\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\nAuto-Submitted: auto-replied\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"
      "--r\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
      "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
      "Reporting-MTA: dns; mx.example.com\r\n\r\n"
      "Final-Recipient: rfc822; gone@example.com\r\nOriginal-Recipient: rfc822;gone@example.com\r\nAction: failed\r\n"
      "Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <gone@example.com>: Recipient address rejected\r\n\r\n"
      "Final-Recipient: rfc822; slow@example.com\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
      "--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@help.example\r\nMessage-ID: <Out.9@help.example>\r\n"
      "Subject: Re: your order\r\n\r\n"
      "--r--\r\n");
  ASSERT_TRUE(m.dsn);
  ASSERT_EQ(m.dsn->failed.size(), 1u);
  EXPECT_EQ(m.dsn->failed[0].address, "gone@example.com");
  EXPECT_EQ(m.dsn->failed[0].status, "5.1.1");
  EXPECT_NE(m.dsn->failed[0].diagnostic.find("550 5.1.1"), std::string::npos);
  EXPECT_EQ(m.dsn->original_message_id, "out.9@help.example");
  EXPECT_TRUE(is_auto_submitted(m));
  EXPECT_TRUE(m.attachments.empty());
}

TEST(Mime, FlagsAutomaticMail) {
  auto plain = parse_ok("From: a@example.com\r\nAuto-Submitted: no\r\n\r\nhi\r\n");
  EXPECT_FALSE(is_auto_submitted(plain));
  EXPECT_TRUE(is_auto_submitted(parse_ok("From: a@example.com\r\nAuto-Submitted: auto-replied; owner=x\r\n\r\nhi\r\n")));
  EXPECT_TRUE(is_auto_submitted(parse_ok("From: a@example.com\r\nPrecedence: Bulk\r\n\r\nhi\r\n")));
  EXPECT_TRUE(is_auto_submitted(parse_ok("From: postmaster@example.com\r\n\r\nhi\r\n")));
}

TEST(Mime, SurvivesBrokenHeadersAndMissingBoundaries) {
  auto m = parse_ok(
      "From: broken <<not an address\r\nSubject: \xE9t\xE9 raw 8-bit\r\nDate: yesterday-ish\r\n"
      "Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n");
  EXPECT_TRUE(valid_utf8(m.subject));
  EXPECT_FALSE(m.date);
  auto unterminated = parse_ok(
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nstill "
      "here\r\n");
  EXPECT_NE(unterminated.text.find("still here"), std::string::npos);
}
