// The one file-name rule that uploads and email attachments share.
#include <rapport/base/strings.hpp>
#include <rapport/tickets/uploads.hpp>

#include <gtest/gtest.h>

namespace rapport::tickets {
namespace {

TEST(SafeFileName, KeepsOnlyTheLastPathComponent) {
  EXPECT_EQ(safe_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(safe_file_name("C:\\Users\\ana\\invoice 42.pdf"), "invoice 42.pdf");
  EXPECT_EQ(safe_file_name("dir/"), "");
  EXPECT_EQ(safe_file_name(".."), "");
  EXPECT_EQ(safe_file_name("a/.."), "");
  EXPECT_EQ(safe_file_name("   "), "");
}

TEST(SafeFileName, ReplacesWhatCouldBreakAHeader) {
  EXPECT_EQ(safe_file_name("a\"b;c.txt"), "a_b_c.txt");
  EXPECT_EQ(safe_file_name("x\r\nBcc: e@evil.test.txt"), "x__Bcc: e@evil.test.txt");
  EXPECT_EQ(safe_file_name(std::string("nul\0byte\x7f.bin", 13)), "nul_byte_.bin");
  EXPECT_EQ(safe_file_name("  padded.txt \t"), "padded.txt");
}

TEST(SafeFileName, KeepsUtf8AndReplacesBytesThatAreNot) {
  EXPECT_EQ(safe_file_name("Rechnung März.pdf"), "Rechnung März.pdf");
  EXPECT_EQ(safe_file_name("日本語.txt"), "日本語.txt");
  EXPECT_EQ(safe_file_name("caf\xe9.txt"), "caf_.txt");           // Latin-1, not UTF-8
  EXPECT_EQ(safe_file_name("\xc0\xaf.txt"), "__.txt");            // an overlong '/'
  EXPECT_EQ(safe_file_name("half\xe2\x82.txt"), "half__.txt");    // a cut character
  EXPECT_TRUE(valid_utf8(safe_file_name("\xff\xfe\xed\xa0\x80")));
}

TEST(SafeFileName, CutsLongNamesFromTheFrontKeepingTheExtensionAndWholeCharacters) {
  auto long_ascii = safe_file_name(std::string(300, 'a') + ".pdf");
  EXPECT_EQ(long_ascii.size(), k_max_file_name_bytes);
  EXPECT_TRUE(long_ascii.ends_with(".pdf"));
  std::string umlauts;
  for (int i = 0; i < 150; ++i) umlauts += "ä";  // 2 bytes each
  auto cut = safe_file_name(umlauts + "x.pdf");
  EXPECT_LE(cut.size(), k_max_file_name_bytes);
  EXPECT_TRUE(valid_utf8(cut));
  EXPECT_TRUE(cut.ends_with("äx.pdf"));
}

}  // namespace
}  // namespace rapport::tickets
