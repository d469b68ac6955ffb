// The presence registry alone: heartbeats, the others' list, expiry by TTL (with the sweep driven
// by the test's own clock), the bounds, and what the streams of a ticket receive.
#include <gtest/gtest.h>

#include <rapport/http/ticket_presence.hpp>

namespace rapport::http {

namespace {

// Keeps the SSE text pushed to it (the HTTP chunk framing removed).
class Sink : public StreamSink {
 public:
  bool push_framed(std::shared_ptr<const std::string> chunk) override {
    if (!open) return false;
    auto start = chunk->find("\r\n") + 2;
    frames.push_back(chunk->substr(start, chunk->size() - start - 2));
    return true;
  }
  void close() override { open = false; }
  bool is_open() const override { return open; }
  // The "presence" list of the last event, as JSON.
  Json last() const {
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
      auto at = it->find("data: ");
      if (at != std::string::npos) return Json::parse(it->substr(at + 6))["presence"];
    }
    return nullptr;
  }
  std::vector<std::string> frames;
  bool open = true;
};

std::vector<std::string> who(const std::vector<TicketPresence::Entry>& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.name + ":" + e.state);
  return out;
}

TEST(TicketPresence, EachSeesTheOthersWithTheirState) {
  TicketPresence reg;
  ASSERT_TRUE(reg.heartbeat(7, 1, "Ana", "viewing", 100));
  ASSERT_TRUE(reg.heartbeat(7, 2, "Ben", "replying", 101));
  ASSERT_TRUE(reg.heartbeat(8, 3, "Cy", "viewing", 102));
  EXPECT_EQ(who(reg.others(7, 1)), std::vector<std::string>{"Ben:replying"});
  EXPECT_EQ(who(reg.others(7, 2)), std::vector<std::string>{"Ana:viewing"});
  EXPECT_EQ(who(reg.others(7, 99)), (std::vector<std::string>{"Ana:viewing", "Ben:replying"}));
  EXPECT_EQ(reg.size(), 3u);
  reg.leave(7, 2);
  EXPECT_TRUE(reg.others(7, 1).empty());
  EXPECT_EQ(reg.size(), 2u);
}

TEST(TicketPresence, SilenceForTheTtlRemovesAnAgentAndTellsTheStreams) {
  TicketPresence::Options o;
  o.ttl = std::chrono::seconds(30);
  TicketPresence reg(o);
  auto sink = std::make_shared<Sink>();
  ASSERT_TRUE(reg.subscribe(7, 1, sink));
  EXPECT_EQ(sink->last(), Json::array());
  ASSERT_TRUE(reg.heartbeat(7, 2, "Ben", "viewing", 100));
  EXPECT_EQ(sink->last()[0]["name"], "Ben");
  auto frames = sink->frames.size();
  ASSERT_TRUE(reg.heartbeat(7, 2, "Ben", "viewing", 105));
  EXPECT_EQ(sink->frames.size(), frames) << "a heartbeat that changes nothing is not pushed";
  ASSERT_TRUE(reg.heartbeat(7, 2, "Ben", "replying", 106));
  EXPECT_EQ(sink->last()[0]["state"], "replying");

  auto now = TicketPresence::Clock::now();
  reg.sweep(now + std::chrono::seconds(29));
  EXPECT_EQ(reg.others(7, 1).size(), 1u);
  reg.sweep(now + std::chrono::seconds(31));
  EXPECT_TRUE(reg.others(7, 1).empty());
  EXPECT_EQ(sink->last(), Json::array());
}

TEST(TicketPresence, BoundedPerTicketAndOverall) {
  TicketPresence::Options o;
  o.max_per_ticket = 2;
  o.max_tickets = 2;
  TicketPresence reg(o);
  ASSERT_TRUE(reg.heartbeat(1, 1, "A", "viewing", 0));
  ASSERT_TRUE(reg.heartbeat(1, 2, "B", "viewing", 0));
  auto full = reg.heartbeat(1, 3, "C", "viewing", 0);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::unavailable);
  EXPECT_TRUE(reg.heartbeat(1, 2, "B", "replying", 0)) << "someone already there may still beat";
  ASSERT_TRUE(reg.heartbeat(2, 1, "A", "viewing", 0));
  EXPECT_FALSE(reg.heartbeat(3, 1, "A", "viewing", 0));
  reg.leave(2, 1);
  EXPECT_TRUE(reg.heartbeat(3, 1, "A", "viewing", 0)) << "an empty ticket frees its place";
}

TEST(TicketPresence, AClosedStreamIsDropped) {
  TicketPresence reg;
  auto sink = std::make_shared<Sink>();
  ASSERT_TRUE(reg.subscribe(7, 1, sink));
  sink->open = false;
  ASSERT_TRUE(reg.heartbeat(7, 2, "Ben", "viewing", 0));
  reg.leave(7, 2);
  EXPECT_EQ(reg.size(), 0u);
}

}  // namespace
}  // namespace rapport::http
