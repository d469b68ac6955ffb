// A corpus of real-world MIME shapes, generated here (the 20 MB one at run time, never committed),
// each run through the parser and intake: every one gives a ticket or a clear rejection, never a
// crash, and stored text is always valid UTF-8.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rapport/base/strings.hpp>
#include <rapport/email/reply.hpp>
#include <rapport/email/testing.hpp>

using namespace rapport;
using namespace rapport::email;

namespace {

struct Shape {
  std::string name, raw;
};

std::string head(const std::string& id, const std::string& extra = "") {
  return "From: Sender <sender@customer.example>\r\nTo: support@help.example\r\nSubject: corpus " + id + "\r\nMessage-ID: <" + id +
         "@corpus>\r\n" + extra;
}

std::vector<Shape> corpus() {
  std::vector<Shape> c;
  auto add = [&](const std::string& name, const std::string& raw) { c.push_back({name, raw}); };
  add("iso-8859-1 qp", head("latin1") + "Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nD=E9j=E0 vu=\r\n, na=EFve\r\n");
  add("windows-1252 8bit", head("cp1252") + "Content-Type: text/plain; charset=windows-1252\r\n\r\n\x93quoted\x94 \x80 5\r\n");
  add("shift_jis base64", head("sjis") + "Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\ngrGC8YLJgr+CzQ==\r\n");
  add("koi8-r", head("koi8") + "Content-Type: text/plain; charset=KOI8-R\r\n\r\n\xf0\xd2\xc9\xd7\xc5\xd4, \xcd\xc9\xd2\r\n");
  add("utf-7", head("utf7") + "Content-Type: text/plain; charset=UTF-7\r\n\r\nHi Mom -+Jjo--!\r\n");
  add("unknown charset", head("unknown") + "Content-Type: text/plain; charset=x-klingon\r\n\r\nbyte \xff\xfe soup\r\n");
  add("invalid utf-8 declared", head("badutf8") + "Content-Type: text/plain; charset=utf-8\r\n\r\n\xc3\x28 \xe2\x82 \xf0\x28\x8c\x28\r\n");
  add("rfc2047 subject in broken charset",
      "From: =?x-nope?B?////?= <a@customer.example>\r\nSubject: =?utf-8?B?////?= =?iso-8859-1?q?caf=E9?=\r\nMessage-ID: <rfc2047@corpus>\r\n\r\nhi\r\n");
  add("raw 8-bit headers", "From: J\xf6rg <j@customer.example>\r\nSubject: Gr\xfc\xdf\x65\r\nMessage-ID: <raw8@corpus>\r\n\r\nbody\r\n");
  add("nested multiparts",
      head("nested") + "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/related; boundary=b\r\n\r\n"
                       "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
                       "--c\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--c--\r\n--b\r\nContent-Type: image/gif\r\nContent-ID: <g@x>\r\n\r\nGIF89a\r\n"
                       "--b--\r\n--a\r\nContent-Type: message/rfc822\r\n\r\nFrom: inner@x\r\nSubject: forwarded\r\n\r\ninner body\r\n--a--\r\n");
  add("missing boundary parameter", head("noboundary") + "Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nlost\r\n--x--\r\n");
  add("boundary never closed", head("unclosed") + "Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain\r\n\r\nopen end\r\n");
  add("broken headers", head("broken", "Content-Type: text/plain; charset=\"utf-8\r\nDate: 99 Foo 20x\r\nX-Junk\r\n: empty name\r\n") + "\r\nbody\r\n");
  add("no body at all", head("nobody"));
  add("bare LF line endings", "From: lf@customer.example\nSubject: lf\nMessage-ID: <lf@corpus>\n\nunix\nlines\n");
  add("base64 with garbage", head("b64") + "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8@@@!!! d29ybGQ=\r\n");
  add("attachment with hostile name", head("hostile") + "Content-Type: multipart/mixed; boundary=h\r\n\r\n--h\r\nContent-Type: text/plain\r\n\r\nsee\r\n"
                                                        "--h\r\nContent-Type: text/html; name=\"x\"\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\\r\\n.html\"\r\n\r\n<script>1</script>\r\n--h--\r\n");
  add("dsn without failures", "From: MAILER-DAEMON@mx.x\r\nSubject: delayed\r\nMessage-ID: <delay@corpus>\r\n"
                              "Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nlater\r\n"
                              "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\nFinal-Recipient: rfc822; s@x\r\nAction: delayed\r\n--r--\r\n");
  // Zip-bomb-like nesting: far deeper than the limit.
  std::string bomb = head("bomb");
  for (int i = 0; i < 5000; ++i) bomb += "Content-Type: multipart/mixed; boundary=\"q" + std::to_string(i) + "\"\r\n\r\n--q" + std::to_string(i) + "\r\n";
  add("nesting bomb", bomb);
  std::string wide = head("wide") + "Content-Type: multipart/mixed; boundary=w\r\n\r\n";
  for (int i = 0; i < 1000; ++i) wide += "--w\r\nContent-Type: text/plain\r\n\r\n.\r\n";
  add("a thousand parts", wide + "--w--\r\n");
  add("not a message", std::string("\x00\x01\x02 binary \xff", 12));
  add("empty", "");
  return c;
}

// A 20 MB attachment (base64 on the wire), made here so nothing that large is committed.
std::string big_message() {
  std::string data(20u * 1024 * 1024, '\0');
  uint32_t x = 12345;
  for (auto& b : data) {
    x = x * 1103515245u + 12345u;
    b = static_cast<char>(x >> 24);
  }
  auto b64 = crypto::base64_encode(data);
  std::string wrapped;
  wrapped.reserve(b64.size() + b64.size() / 38);
  for (std::size_t i = 0; i < b64.size(); i += 76) wrapped += b64.substr(i, 76) + "\r\n";
  return head("big20mb") + "Content-Type: multipart/mixed; boundary=big\r\n\r\n--big\r\nContent-Type: text/plain\r\n\r\nthe logs\r\n"
                           "--big\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=logs.zip\r\n"
                           "Content-Transfer-Encoding: base64\r\n\r\n" + wrapped + "--big--\r\n";
}

}  // namespace

TEST_F(EmailTest, EveryCorpusShapeGivesATicketOrAClearRejection) {
  int stored = 0;
  std::vector<std::string> rejected;
  for (const auto& shape : corpus()) {
    SCOPED_TRACE(shape.name);
    auto r = receive(shape.raw);
    if (!r) {
      rejected.push_back(shape.name);
      EXPECT_TRUE(r.error().code == ErrorCode::validation || r.error().code == ErrorCode::too_large) << r.error().message;
      EXPECT_FALSE(r.error().message.empty());
      continue;
    }
    ++stored;
    ASSERT_TRUE(r->ticket_id) << r->outcome;
    for (const auto& c : comments(*r->ticket_id)) EXPECT_TRUE(valid_utf8(c.body)) << c.body;
    EXPECT_TRUE(valid_utf8(ticket(*r->ticket_id).subject));
  }
  // The bombs, the binary and the empty input are refused; the rest, however broken, is kept.
  EXPECT_EQ(rejected, (std::vector<std::string>{"nesting bomb", "a thousand parts", "not a message", "empty"}));
  EXPECT_EQ(stored, static_cast<int>(corpus().size()) - 4);
}

TEST_F(EmailTest, ATwentyMegabyteAttachmentIsStoredWithinTheDefaultLimits) {
  auto raw = big_message();
  ASSERT_GT(raw.size(), 27u * 1024 * 1024);
  auto r = receive(raw);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(count("SELECT MAX(size) FROM attachments"), 20 * 1024 * 1024);
  // (Refusal over a smaller limit is Mime.EnforcesEveryLimitWithAClearError: parsing 27 MB again
  // would double this test's time for nothing new.)
}

// The fuzzer's seeds and every input it ever crashed on (fuzz/regressions), through the real
// intake in this (gcc, ASan) build too, so a fixed crash stays fixed even where clang is missing.
TEST_F(EmailTest, EveryFuzzSeedAndPastCrashGivesATicketOrAClearRejection) {
  namespace fs = std::filesystem;
  int files = 0;
  for (const char* sub : {"corpus", "regressions"}) {
    fs::path dir = fs::path(RAPPORT_FUZZ_DIR) / sub;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      SCOPED_TRACE(entry.path().string());
      ++files;
      std::ifstream in(entry.path(), std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      auto raw = bytes.str();
      auto parsed = parse_message(raw, cfg.limits);
      if (parsed) {
        EXPECT_TRUE(valid_utf8(parsed->text));
        EXPECT_TRUE(valid_utf8(parsed->subject));
        EXPECT_TRUE(valid_utf8(strip_quoted_text(parsed->text)));
        EXPECT_TRUE(valid_utf8(html_to_plain(strip_quoted_html(parsed->html))));
      }
      auto r = receive(raw);
      if (!r) {
        EXPECT_TRUE(r.error().code == ErrorCode::validation || r.error().code == ErrorCode::too_large) << r.error().message;
        continue;
      }
      if (!r->ticket_id) continue;
      for (const auto& c : comments(*r->ticket_id)) {
        EXPECT_TRUE(valid_utf8(c.body)) << c.body;
      }
    }
  }
  EXPECT_GE(files, 20) << "the seed corpus is in fuzz/corpus";
}
