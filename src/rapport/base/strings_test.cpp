#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>

#include <gtest/gtest.h>

namespace rapport {

TEST(Utf8, AcceptsValidAndRejectsMalformed) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(JsonDepth, CountsOnlyStructuralBrackets) {
  EXPECT_EQ(json_depth(R"({"a":[1,{"b":"[[[["}]})", 100), 3);
  EXPECT_EQ(json_depth(std::string(500, '['), 64), 65);  // stops early
}

TEST(UrlDecode, DecodesPercentAndPlus) {
  EXPECT_EQ(url_decode("type%3Aticket+status%3Aopen"), "type:ticket status:open");
  EXPECT_EQ(url_decode("page%5Bsize%5D"), "page[size]");
  EXPECT_EQ(url_decode("100%"), "100%");
}

TEST(Time, RoundTripsIso8601) {
  auto t = parse_iso8601("2024-05-01T10:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(iso8601(*t), "2024-05-01T10:00:00Z");
  EXPECT_EQ(parse_iso8601("2024-05-01T12:00:00+02:00"), t);
  EXPECT_EQ(*parse_iso8601("2024-05-01"), *t - 10 * 3600);
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

TEST(Crypto, PasswordsVerifyOnlyWithTheRightPassword) {
  crypto::init();
  auto h = crypto::hash_password("correct horse");
  EXPECT_NE(h.find("$argon2id$"), std::string::npos);
  EXPECT_TRUE(crypto::verify_password(h, "correct horse"));
  EXPECT_FALSE(crypto::verify_password(h, "correct horsf"));
}

TEST(Crypto, Base64RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(crypto::base64_encode("a@b.c/token:xyz"), "YUBiLmMvdG9rZW46eHl6");
  EXPECT_EQ(*crypto::base64_decode("YUBiLmMvdG9rZW46eHl6"), "a@b.c/token:xyz");
  EXPECT_FALSE(crypto::base64_decode("!!!"));
  EXPECT_EQ(crypto::random_token(32).size(), 43u);
  EXPECT_NE(crypto::random_token(), crypto::random_token());
}

}  // namespace rapport
