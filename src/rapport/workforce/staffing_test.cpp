// The staffing table and its JSON, text and CSV forms, as a planner reads them.
#include <rapport/workforce/staffing.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include <rapport/workforce/erlang.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rapport::workforce {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 100 calls per 30 minutes at 180 s AHT = 10 erlangs; 80 % within 20 s; 30 % shrinkage.
StaffingInput textbook() {
  StaffingInput in;
  in.volume = 100;
  in.interval_s = 1800;
  in.aht_s = 180;
  in.target.service_level = 0.80;
  in.target.threshold_s = 20;
  in.shrinkage = 0.30;
  return in;
}

std::set<std::string> keys(const Json& object) {
  std::set<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.insert(it.key());
  return out;
}

TEST(StaffingTable, TextbookAnswerAndRows) {
  const auto table = staffing_table(textbook()).value();
  EXPECT_EQ(table.answer, 14);
  EXPECT_EQ(table.scheduled, 20);
  EXPECT_DOUBLE_EQ(table.traffic_erlangs, 10);
  EXPECT_THAT(table.approximation, HasSubstr("Erlang C"));
  ASSERT_EQ(table.rows.size(), 7u);  // 11 .. 17
  EXPECT_EQ(table.rows.front().agents, 11);
  EXPECT_EQ(table.rows.back().agents, 17);
  int answers = 0;
  for (const auto& r : table.rows) {
    answers += r.answer;
    EXPECT_EQ(r.answer, r.agents == 14);
    EXPECT_FALSE(r.abandonment.has_value());
    EXPECT_DOUBLE_EQ(r.service_level, service_level(r.agents, 10, 180, 20));
    EXPECT_DOUBLE_EQ(r.asa_s, asa_seconds(r.agents, 10, 180));
    EXPECT_DOUBLE_EQ(r.p_wait, erlang_c(r.agents, 10));
    EXPECT_DOUBLE_EQ(r.occupancy, 10.0 / r.agents);
  }
  EXPECT_EQ(answers, 1);
  EXPECT_NEAR(table.rows[2].service_level, 0.7956, 5e-5);  // 13 agents: just short of 80 %
  EXPECT_NEAR(table.rows[3].service_level, 0.8884, 5e-5);  // 14 agents
}

TEST(StaffingTable, JsonHasExactlyTheDocumentedShape) {
  const Json j = to_json(staffing_table(textbook()).value());
  EXPECT_EQ(keys(j), (std::set<std::string>{"answer", "scheduled", "traffic_erlangs",
                                            "approximation", "rows"}));
  EXPECT_EQ(j["answer"], 14);
  EXPECT_EQ(j["scheduled"], 20);
  EXPECT_EQ(j["traffic_erlangs"], 10.0);
  ASSERT_TRUE(j["rows"].is_array());
  for (const auto& row : j["rows"]) {
    EXPECT_EQ(keys(row), (std::set<std::string>{"agents", "service_level", "asa_s", "p_wait",
                                                "occupancy", "answer"}));
    EXPECT_EQ(row["answer"], row["agents"] == 14);
    EXPECT_GE(row["service_level"].get<double>(), 0);
    EXPECT_LE(row["service_level"].get<double>(), 1);
  }
  EXPECT_NEAR(j["rows"][3]["asa_s"].get<double>(), 7.836, 1e-3);
}

TEST(StaffingTable, RowsStopAtTheLoadAndInfiniteAsaIsNull) {
  auto in = textbook();
  in.rows_each_side = 6;  // 8 .. 20, but N < A = 10 cannot be described: from 10
  const auto table = staffing_table(in).value();
  EXPECT_EQ(table.rows.front().agents, 10);
  EXPECT_EQ(table.rows.back().agents, 20);
  EXPECT_TRUE(std::isinf(table.rows.front().asa_s));
  EXPECT_EQ(table.rows.front().service_level, 0);
  EXPECT_EQ(table.rows.front().p_wait, 1);

  const Json j = to_json(table);
  EXPECT_TRUE(j["rows"][0]["asa_s"].is_null());
  EXPECT_THAT(j.dump(), Not(HasSubstr("inf")));
  EXPECT_THAT(render_csv(table), HasSubstr("\n10,0.000000,,1.000000,1.000000,false\n"));
  EXPECT_THAT(render_text(table), HasSubstr("inf"));
}

TEST(StaffingTable, TextMarksTheAnswerRow) {
  const std::string text = render_text(staffing_table(textbook()).value());
  EXPECT_THAT(text, HasSubstr("Traffic: 10.00 erlangs"));
  EXPECT_THAT(text, HasSubstr("Required agents: 14"));
  EXPECT_THAT(text, HasSubstr("Scheduled agents: 20 (shrinkage 30.0%)"));
  EXPECT_THAT(text, HasSubstr("Target: 80.0% within 20s"));
  EXPECT_THAT(text, HasSubstr("     13     79.6%      17.1    28.5%      76.9%\n"));
  EXPECT_THAT(text, HasSubstr("     14     88.8%       7.8    17.4%      71.4%  <- answer\n"));
  // One marker only.
  EXPECT_EQ(text.find("<- answer"), text.rfind("<- answer"));
}

TEST(StaffingTable, CsvHasAHeaderAndOneLinePerRow) {
  const std::string csv = render_csv(staffing_table(textbook()).value());
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "agents,service_level,asa_s,p_wait,occupancy,answer");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 8);
  EXPECT_THAT(csv, HasSubstr("\n14,0.888350,7.836,0.174132,0.714286,true\n"));
}

TEST(StaffingTable, PatienceUsesErlangAAndReportsAbandonment) {
  auto in = textbook();
  in.patience_s = 120;
  const auto table = staffing_table(in).value();
  EXPECT_THAT(table.approximation, HasSubstr("Erlang A"));
  EXPECT_EQ(table.answer, 12);  // abandonment shortens the queue: 12 agents reach 80/20
  EXPECT_EQ(table.scheduled, 18);
  EXPECT_EQ(table.rows.front().agents, 9);
  for (const auto& r : table.rows) {
    ASSERT_TRUE(r.abandonment.has_value());
    EXPECT_GT(*r.abandonment, 0);
    EXPECT_LT(*r.abandonment, 1);
    EXPECT_TRUE(std::isfinite(r.asa_s));
  }
  const Json j = to_json(table);
  EXPECT_TRUE(j["rows"][0].contains("abandonment"));
  const std::string csv = render_csv(table);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "agents,service_level,asa_s,p_wait,occupancy,abandonment,answer");
  EXPECT_THAT(render_text(table), HasSubstr("abandon"));

  // Erlang A rows can go below the load (agents are busy, callers leave).
  in.volume = 200;  // 20 erlangs
  in.rows_each_side = 50;
  const auto wide = staffing_table(in).value();
  EXPECT_EQ(wide.rows.front().agents, 1);
}

TEST(StaffingTable, AsaTarget) {
  auto in = textbook();
  in.target.service_level.reset();
  in.target.asa_s = 20;
  const auto table = staffing_table(in).value();
  EXPECT_EQ(table.answer, 13);  // 12 agents: 40.4 s; 13: 17.1 s
  EXPECT_EQ(table.scheduled, 19);
  EXPECT_THAT(render_text(table), HasSubstr("Target: ASA <= 20s"));
}

TEST(StaffingTable, ChatConcurrencyIsAnApproximation) {
  StaffingInput in;
  in.channel = Channel::chat;
  in.volume = 300;
  in.interval_s = 1800;
  in.aht_s = 360;  // 60 erlangs of chats
  in.target.service_level = 0.8;
  in.target.threshold_s = 60;
  in.concurrency = 3;
  const auto table = staffing_table(in).value();
  const int servers = required_agents_for_service_level(60, 360, 0.8, 60).value();
  EXPECT_EQ(table.answer, (servers + 2) / 3);
  EXPECT_THAT(table.approximation, HasSubstr("3 parallel servers"));
  EXPECT_THAT(table.approximation, HasSubstr("approximation"));
  for (const auto& r : table.rows) {
    if (3 * r.agents > 60) {
      EXPECT_DOUBLE_EQ(r.service_level, service_level(3 * r.agents, 60, 360, 60));
      EXPECT_DOUBLE_EQ(r.occupancy, 60.0 / (3 * r.agents));
    }
  }
}

TEST(StaffingTable, EmailUsesTheResponseTargetAsThreshold) {
  StaffingInput in;
  in.channel = Channel::email;
  in.volume = 40;
  in.interval_s = 3600;
  in.aht_s = 600;
  in.target.service_level = 0.9;
  in.target.threshold_s = 4 * 3600;
  const auto table = staffing_table(in).value();
  EXPECT_EQ(table.answer, 7);  // 6.67 erlangs; any stable queue answers 90 % within 4 h
  EXPECT_THAT(table.approximation, HasSubstr("email"));
  EXPECT_THAT(table.approximation, HasSubstr("14400 s"));
  EXPECT_THAT(render_text(table), HasSubstr("SL 4h"));
}

TEST(StaffingTable, ZeroVolumeNeedsNobody) {
  auto in = textbook();
  in.volume = 0;
  const auto table = staffing_table(in).value();
  EXPECT_EQ(table.answer, 0);
  EXPECT_EQ(table.scheduled, 0);
  ASSERT_FALSE(table.rows.empty());
  EXPECT_EQ(table.rows.front().agents, 0);
  EXPECT_TRUE(table.rows.front().answer);
  EXPECT_EQ(table.rows.front().service_level, 1);
  EXPECT_EQ(table.rows.front().p_wait, 0);
  EXPECT_EQ(to_json(table)["rows"][0]["asa_s"], 0.0);

  in.patience_s = 60;
  EXPECT_EQ(staffing_table(in).value().answer, 0);
}

TEST(StaffingTable, HugeQueue) {
  StaffingInput in;
  in.volume = 90000;
  in.interval_s = 1800;
  in.aht_s = 180;  // 9,000 erlangs
  in.target.service_level = 0.8;
  in.target.threshold_s = 20;
  in.shrinkage = 0.35;
  const auto table = staffing_table(in).value();
  EXPECT_GT(table.answer, 9000);
  EXPECT_LT(table.answer, 9200);
  EXPECT_EQ(table.rows.size(), 7u);
  for (const auto& r : table.rows) EXPECT_TRUE(std::isfinite(r.asa_s));
}

TEST(StaffingTable, RejectsBadInputWithPreciseMessages) {
  auto expect_error = [](StaffingInput in, const std::string& words) {
    auto t = staffing_table(in);
    ASSERT_FALSE(t) << words;
    EXPECT_EQ(t.error().code, ErrorCode::invalid);
    EXPECT_THAT(t.error().message, HasSubstr(words));
  };
  auto in = textbook();
  in.aht_s = 0;
  expect_error(in, "aht must be a finite number of seconds > 0 (got 0)");
  in = textbook();
  in.volume = -5;
  expect_error(in, "volume");
  in = textbook();
  in.interval_s = 0;
  expect_error(in, "interval");
  in = textbook();
  in.target.asa_s = 30;
  expect_error(in, "exactly one");
  in = textbook();
  in.target.service_level.reset();
  expect_error(in, "exactly one");
  in = textbook();
  in.target.service_level = 1.0;
  expect_error(in, "service level target");
  in = textbook();
  in.target.threshold_s = -1;
  expect_error(in, "threshold");
  in = textbook();
  in.shrinkage = 1;
  expect_error(in, "shrinkage must be a fraction >= 0 and < 1 (got 1)");
  in = textbook();
  in.patience_s = 0;
  expect_error(in, "patience");
  in = textbook();
  in.concurrency = 2;
  expect_error(in, "concurrency applies only to the chat channel");
  in = textbook();
  in.channel = Channel::chat;
  in.concurrency = 0;
  expect_error(in, "concurrency");
  in = textbook();
  in.volume = 1e12;
  expect_error(in, "erlangs");
}

}  // namespace
}  // namespace rapport::workforce
