// The staffing command's argument parsers: what they accept and how they refuse.
#include <rapport/workforce/parse.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rapport::workforce {
namespace {

using ::testing::HasSubstr;

template <typename T>
std::string error_of(const Result<T>& r) {
  EXPECT_FALSE(r);
  if (r) return "";
  EXPECT_EQ(r.error().code, ErrorCode::invalid);
  return r.error().message;
}

TEST(ParseDuration, AcceptsSecondsMinutesAndHours) {
  EXPECT_EQ(parse_duration("90").value(), 90);
  EXPECT_EQ(parse_duration("180s").value(), 180);
  EXPECT_EQ(parse_duration("30m").value(), 1800);
  EXPECT_EQ(parse_duration("2h").value(), 7200);
  EXPECT_EQ(parse_duration("1.5h").value(), 5400);
  EXPECT_EQ(parse_duration("0").value(), 0);
  EXPECT_EQ(parse_duration(" 20s ").value(), 20);
  EXPECT_EQ(parse_duration("0.5").value(), 0.5);
}

TEST(ParseDuration, RejectsAnythingElse) {
  for (const char* bad : {"", "s", "m", "abc", "30x", "-5", "+5", "1h30m", "5ms", "1..5h", "inf",
                          "nan", "1e3", "30 m", "20S"}) {
    const std::string msg = error_of(parse_duration(bad));
    EXPECT_THAT(msg, HasSubstr("invalid duration \"" + std::string(bad) + "\"")) << bad;
    EXPECT_THAT(msg, HasSubstr("\"30m\"")) << bad;  // shows what is accepted
  }
}

TEST(ParseFraction, AcceptsPercentagesAndFractions) {
  EXPECT_DOUBLE_EQ(parse_fraction("30%").value(), 0.30);
  EXPECT_DOUBLE_EQ(parse_fraction("0.3").value(), 0.30);
  EXPECT_DOUBLE_EQ(parse_fraction("12.5%").value(), 0.125);
  EXPECT_DOUBLE_EQ(parse_fraction("0").value(), 0);
  EXPECT_DOUBLE_EQ(parse_fraction("1").value(), 1);
  EXPECT_DOUBLE_EQ(parse_fraction("100%").value(), 1);
}

TEST(ParseFraction, RejectsAmbiguousAndOutOfRange) {
  EXPECT_THAT(error_of(parse_fraction("30")),
              HasSubstr("ambiguous fraction \"30\": a bare number must be from 0 to 1; write "
                        "\"30%\" for a percentage"));
  EXPECT_THAT(error_of(parse_fraction("150%")), HasSubstr("must be at most 100%"));
  EXPECT_THAT(error_of(parse_fraction("-10%")), HasSubstr("invalid percentage \"-10%\""));
  EXPECT_THAT(error_of(parse_fraction("%")), HasSubstr("invalid percentage"));
  EXPECT_THAT(error_of(parse_fraction("thirty")), HasSubstr("invalid fraction \"thirty\""));
  EXPECT_THAT(error_of(parse_fraction("")), HasSubstr("invalid fraction"));
}

TEST(ParseServiceTarget, ReadsPercentWithinSeconds) {
  auto t = parse_service_target("80/20").value();
  EXPECT_DOUBLE_EQ(t.fraction, 0.80);
  EXPECT_DOUBLE_EQ(t.threshold_s, 20);
  t = parse_service_target("80%/20s").value();
  EXPECT_DOUBLE_EQ(t.fraction, 0.80);
  EXPECT_DOUBLE_EQ(t.threshold_s, 20);
  t = parse_service_target("90/1m").value();
  EXPECT_DOUBLE_EQ(t.fraction, 0.90);
  EXPECT_DOUBLE_EQ(t.threshold_s, 60);
  t = parse_service_target("99.5/30").value();
  EXPECT_DOUBLE_EQ(t.fraction, 0.995);
  t = parse_service_target("0.8%/20").value();  // unusual, but explicit
  EXPECT_DOUBLE_EQ(t.fraction, 0.008);
  t = parse_service_target("80/0").value();
  EXPECT_DOUBLE_EQ(t.threshold_s, 0);
}

TEST(ParseServiceTarget, RejectsWithTheReason) {
  EXPECT_THAT(error_of(parse_service_target("80")), HasSubstr("expected PERCENT/SECONDS"));
  EXPECT_THAT(error_of(parse_service_target("80/20/5")), HasSubstr("expected PERCENT/SECONDS"));
  EXPECT_THAT(error_of(parse_service_target("abc/20")), HasSubstr("\"abc\" is not a percentage"));
  EXPECT_THAT(error_of(parse_service_target("100/20")),
              HasSubstr("the percentage must be above 0 and below 100"));
  EXPECT_THAT(error_of(parse_service_target("0/20")), HasSubstr("above 0"));
  EXPECT_THAT(error_of(parse_service_target("0.8/20")),
              HasSubstr("write the service level as a percentage"));
  EXPECT_THAT(error_of(parse_service_target("80/soon")),
              HasSubstr("threshold \"soon\" is not a duration"));
  EXPECT_THAT(error_of(parse_service_target("80/")), HasSubstr("threshold \"\" is not a duration"));
  EXPECT_THAT(error_of(parse_service_target("")), HasSubstr("invalid service level target"));
}

TEST(ParseVolumeAndConcurrency, AcceptOnlyWhatMakesSense) {
  EXPECT_EQ(parse_volume("120").value(), 120);
  EXPECT_EQ(parse_volume("87.5").value(), 87.5);
  EXPECT_EQ(parse_volume("0").value(), 0);
  EXPECT_THAT(error_of(parse_volume("-3")), HasSubstr("invalid volume \"-3\""));
  EXPECT_THAT(error_of(parse_volume("lots")), HasSubstr("contacts >= 0"));

  EXPECT_EQ(parse_concurrency("3").value(), 3);
  EXPECT_EQ(parse_concurrency(" 1 ").value(), 1);
  for (const char* bad : {"0", "101", "2.5", "-1", "", "two"})
    EXPECT_THAT(error_of(parse_concurrency(bad)),
                HasSubstr("invalid concurrency \"" + std::string(bad) + "\""))
        << bad;
}

}  // namespace
}  // namespace rapport::workforce
