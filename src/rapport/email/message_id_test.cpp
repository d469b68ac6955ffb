#include <gtest/gtest.h>
#include <rapport/base/crypto.hpp>
#include <rapport/email/message_id.hpp>

using namespace rapport::email;

TEST(MessageId, NormalizesBracketsCaseAndSpace) {
  EXPECT_EQ(normalize_message_id(" <Abc.123@Example.COM> "), "abc.123@example.com");
  EXPECT_EQ(normalize_message_id("abc@example.com"), "abc@example.com");
  EXPECT_EQ(normalize_message_id("<>"), "");
  EXPECT_EQ(normalize_message_id("<a b@c>"), "");
}

TEST(MessageId, ParsesReferencesInOrderWithoutDuplicates) {
  auto ids = parse_message_id_list("<one@x>\r\n <Two@X> <one@x>  garbage <three@x>");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[0], "one@x");
  EXPECT_EQ(ids[1], "two@x");
  EXPECT_EQ(ids[2], "three@x");
  EXPECT_EQ(parse_message_id_list("bare@host"), std::vector<std::string>{"bare@host"});
  EXPECT_TRUE(parse_message_id_list("no id here").empty());
}

TEST(MessageId, KeepsTheNewestWhenBounded) {
  std::string header;
  for (int i = 0; i < 100; ++i) header += "<m" + std::to_string(i) + "@x> ";
  auto ids = parse_message_id_list(header, 10);
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_EQ(ids.front(), "m90@x");
  EXPECT_EQ(ids.back(), "m99@x");
}

TEST(MessageId, MintsUniqueIdsForOurDomain) {
  rapport::crypto::init();
  auto a = new_message_id("Support.Example.com");
  auto b = new_message_id("support.example.com");
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.ends_with(".rapport@support.example.com"));
  EXPECT_EQ(normalize_message_id(bracket(a)), a);
}
