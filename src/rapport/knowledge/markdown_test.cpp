#include <rapport/knowledge/knowledge.hpp>
#include <rapport/knowledge/markdown.hpp>

#include <gtest/gtest.h>

namespace rapport::knowledge {
namespace {

TEST(Markdown, RendersGithubFlavour) {
  auto html = render_markdown("# Refunds\n\n**Bold** and ~~gone~~.\n\n| Plan | Days |\n|---|---|\n| Basic | 14 |\n\n"
                              "See https://example.com/help\n\n- [x] done\n");
  EXPECT_NE(html.find("<h1>Refunds</h1>"), std::string::npos) << html;
  EXPECT_NE(html.find("<strong>Bold</strong>"), std::string::npos) << html;
  EXPECT_NE(html.find("<del>gone</del>"), std::string::npos) << html;
  EXPECT_NE(html.find("<table>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"https://example.com/help\">"), std::string::npos) << html;
  EXPECT_NE(html.find("checkbox"), std::string::npos) << html;
}

TEST(Markdown, NeverPassesRawHtmlOrScriptLinks) {
  auto html = render_markdown(
      "Hi <script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3)) "
      "[data](data:text/html;base64,PHNjcmlwdD4=) <a href=\"javascript:alert(4)\">a</a>\n\n"
      "<iframe src=\"https://evil.example\"></iframe>\n");
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << html;
  EXPECT_EQ(html.find("onerror"), std::string::npos) << html;
  EXPECT_EQ(html.find("javascript:"), std::string::npos) << html;
  EXPECT_EQ(html.find("data:text/html"), std::string::npos) << html;
  EXPECT_EQ(html.find("<iframe"), std::string::npos) << html;
  EXPECT_EQ(html.find("<a href=\"javascript"), std::string::npos) << html;
  // The words around the removed markup are still there, escaped.
  EXPECT_NE(html.find("click"), std::string::npos) << html;
}

TEST(Markdown, TextDropsMarkup) {
  auto text = markdown_text("## Reset your **password**\n\nOpen [Settings](https://x.example/settings) & pick *Reset*.");
  EXPECT_NE(text.find("Reset your password"), std::string::npos) << text;
  EXPECT_EQ(text.find("**"), std::string::npos) << text;
  EXPECT_EQ(text.find("##"), std::string::npos) << text;
}

TEST(FtsQuery, QuotesEveryWordSoNothingIsSyntax) {
  EXPECT_EQ(fts_query("refund policy", true), "\"refund\" AND \"policy\"*");
  // FTS5 operators, column filters and quotes in the input stay words.
  EXPECT_EQ(fts_query("title:x OR \"y NEAR(z", true), "\"title\" AND \"x\" AND \"or\" AND \"y\" AND \"near\" AND \"z\"");
  // A prefix needs three letters: "pa" would expand to half the vocabulary.
  EXPECT_EQ(fts_query("how to pa", true), "\"how\" AND \"to\" AND \"pa\"");
  EXPECT_EQ(fts_query("*** \"\" ()", true), "");
}

TEST(FtsQuery, SuggestionsDropStopWordsAndJoinWithOr) {
  EXPECT_EQ(fts_query("Hi, how do I get a refund for my order?", false), "\"refund\" OR \"order\"");
  EXPECT_EQ(fts_query("the and of", false), "");
}

}  // namespace
}  // namespace rapport::knowledge
