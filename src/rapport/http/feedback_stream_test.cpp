#include <condition_variable>
#include <mutex>

#include <rapport/feedback/recognition.hpp>
#include <rapport/feedback/testing.hpp>
#include <rapport/http/feedback_stream.hpp>

namespace rapport::http {

namespace {

// Collects what the hub pushes; tests wait on it with a deadline instead of sleeping.
class FakeSink : public StreamSink {
 public:
  bool push_framed(std::shared_ptr<const std::string> chunk) override {
    std::lock_guard lock(m_mu);
    if (!m_open) return false;
    // Unframe the HTTP chunk: "<hex>\r\n<data>\r\n".
    auto start = chunk->find("\r\n") + 2;
    m_text += chunk->substr(start, chunk->size() - start - 2);
    m_cv.notify_all();
    return true;
  }
  void close() override {
    std::lock_guard lock(m_mu);
    m_open = false;
  }
  bool is_open() const override {
    std::lock_guard lock(m_mu);
    return m_open;
  }
  // Waits until `needle` has arrived `times` times (or 10 s pass); returns the text so far.
  std::string wait_for(const std::string& needle, int times = 1) {
    std::unique_lock lock(m_mu);
    m_cv.wait_for(lock, std::chrono::seconds(10), [&] { return count(needle) >= times; });
    return m_text;
  }
  std::string text() {
    std::lock_guard lock(m_mu);
    return m_text;
  }
  int count(const std::string& needle) const {
    int n = 0;
    for (auto pos = m_text.find(needle); pos != std::string::npos; pos = m_text.find(needle, pos + 1)) ++n;
    return n;
  }

 private:
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::string m_text;
  bool m_open = true;
};

class StreamTest : public feedback::FeedbackTest {
 protected:
  void TearDown() override { hub.stop(); }
  int64_t rate(int64_t agent, int64_t stars, const std::string& comment) {
    auto ticket = solved_ticket(new_customer(), agent, "chat");
    auto r = answer(feedback::link_token(secret, requests(ticket).back()), [&] {
      feedback::Answer a;
      a.stars = stars;
      a.comment = comment;
      return a;
    }());
    EXPECT_TRUE(r);
    hub.poke();  // what the writer's commit listener does in the server
    return r ? r->id : 0;
  }
  int64_t new_customer() {
    int64_t id = 0;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto n = std::to_string(++m_n);
      auto c = accounts::create_user(tx, {{"name", "C" + n}, {"email", "c" + n + "@example.com"}}, feedback::system_principal());
      if (!c) return fail(c.error());
      id = c->id;
      return {};
    }));
    return id;
  }
  int64_t last_event_id() {
    return read([](store::Conn& c) { return c.scalar("SELECT MAX(id) FROM events"); }).value().value_or(0);
  }
  FeedbackStream hub{*s};
  int m_n = 0;
};

}  // namespace

TEST_F(StreamTest, BackfillThenLiveRatingsFilteredPerSubscriber) {
  rate(agent_id, 5, "old one");
  hub.start();
  auto all = std::make_shared<FakeSink>();
  auto bad_only = std::make_shared<FakeSink>();
  auto sams = std::make_shared<FakeSink>();
  ASSERT_TRUE(hub.subscribe(all, {}, std::nullopt, 10));
  StreamFilter bad;
  bad.score = "bad";
  ASSERT_TRUE(hub.subscribe(bad_only, bad, std::nullopt, 10));
  StreamFilter sam;
  sam.agent_id = other_agent_id;
  ASSERT_TRUE(hub.subscribe(sams, sam, std::nullopt, 10));
  EXPECT_NE(all->text().find("old one"), std::string::npos);  // the backfill
  EXPECT_EQ(bad_only->text().find("old one"), std::string::npos);

  rate(other_agent_id, 1, "too slow");
  rate(agent_id, 4, "nice");
  auto text = all->wait_for("event: rating", 3);
  EXPECT_NE(text.find("too slow"), std::string::npos);
  EXPECT_NE(text.find("nice"), std::string::npos);
  EXPECT_LT(text.find("too slow"), text.find("nice"));  // in commit order
  EXPECT_NE(bad_only->wait_for("too slow").find("too slow"), std::string::npos);
  EXPECT_NE(sams->wait_for("too slow").find("too slow"), std::string::npos);
  all->wait_for("nice");
  EXPECT_EQ(bad_only->text().find("nice"), std::string::npos);
  EXPECT_EQ(sams->text().find("nice"), std::string::npos);
}

TEST_F(StreamTest, LastEventIdResumesWithoutLossOrRepeats) {
  hub.start();
  rate(agent_id, 5, "first");
  auto seen_upto = last_event_id();
  rate(agent_id, 2, "second");
  rate(agent_id, 4, "third");
  auto resumed = std::make_shared<FakeSink>();
  ASSERT_TRUE(hub.subscribe(resumed, {}, seen_upto, 10));
  rate(agent_id, 3, "fourth");
  auto text = resumed->wait_for("fourth");
  EXPECT_EQ(text.find("first"), std::string::npos);
  EXPECT_EQ(resumed->count("\"second\""), 1);
  EXPECT_EQ(resumed->count("\"third\""), 1);
  EXPECT_EQ(resumed->count("\"fourth\""), 1);
}

TEST_F(StreamTest, ReactionsAndRewardsStreamAndClosedSubscribersAreDropped) {
  hub.start();
  auto sink = std::make_shared<FakeSink>();
  auto gone = std::make_shared<FakeSink>();
  ASSERT_TRUE(hub.subscribe(sink, {}, std::nullopt, 0));
  ASSERT_TRUE(hub.subscribe(gone, {}, std::nullopt, 0));
  EXPECT_EQ(hub.subscribers(), 2u);
  gone->close();
  auto rating = rate(agent_id, 5, "great");
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = feedback::add_reaction(tx, rating, {{"kind", "praise"}, {"body", "Well done"}}, principal(lead_id));
    if (!r) return fail(r.error());
    return {};
  }));
  hub.poke();
  auto text = sink->wait_for("event: reaction");
  EXPECT_NE(text.find("Well done"), std::string::npos);
  EXPECT_EQ(hub.subscribers(), 1u);
}

}  // namespace rapport::http
