#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

#include <gtest/gtest.h>

namespace rapport::feedback {

namespace {

using accounts::system_principal;
constexpr int64_t k_day = 86400;
constexpr int64_t k_start = 1'780'000'000;  // a fixed "now" so expiry and suppression are exact

class FeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto g = accounts::create_group(tx, {{"name", "Billing"}}, system_principal());
      if (!g) return fail(g.error());
      group_id = g->id;
      auto a = accounts::create_user(tx, {{"name", "Maria Lopez"}, {"email", "maria@x.io"}, {"role", "agent"},
                                          {"group_ids", {group_id}}}, system_principal());
      if (!a) return fail(a.error());
      agent_id = a->id;
      auto b = accounts::create_user(tx, {{"name", "Sam Other"}, {"email", "sam@x.io"}, {"role", "agent"}}, system_principal());
      if (!b) return fail(b.error());
      other_agent_id = b->id;
      auto l = accounts::create_user(tx, {{"name", "Lead"}, {"email", "lead@x.io"}, {"role", "agent"}, {"rapport_role", "team_lead"}},
                                     system_principal());
      if (!l) return fail(l.error());
      lead_id = l->id;
      auto c = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@example.com"}}, system_principal());
      if (!c) return fail(c.error());
      customer_id = c->id;
      auto n = accounts::create_user(tx, {{"name", "Robot"}, {"email", "noreply@shop.example"}}, system_principal());
      if (!n) return fail(n.error());
      noreply_id = n->id;
      auto sec = ensure_secret(tx);
      if (!sec) return fail(sec.error());
      secret = *sec;
      return events::start_at_end(tx, "feedback_requests");
    }));
  }

  Status write(const std::function<Status(store::Tx&)>& job) {
    return s->writer().run([&](store::Tx& tx) {
      ScopedClock clock(now);  // the writer thread has its own clock
      return job(tx);
    });
  }
  template <class F>
  auto read(F&& fn) {
    return s->read([&](store::Conn& c) {
      ScopedClock clock(now);
      return fn(c);
    });
  }
  domain::Principal principal(int64_t id) { return read([&](store::Conn& c) { return accounts::load_principal(c, id); }).value(); }

  // Creates a ticket from `requester` assigned to the agent, solves it, and runs the consumer.
  int64_t solved_ticket(int64_t requester, int64_t assignee, const std::string& channel = "email") {
    int64_t id = 0;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      tickets::CreateOptions opts;
      opts.channel = channel;
      auto t = tickets::create_ticket(tx, {{"subject", "Refund for order 12"}, {"comment", {{"body", "Where is my refund?"}}},
                                           {"requester_id", requester}, {"assignee_id", assignee}, {"group_id", group_id}},
                                      system_principal(), opts);
      if (!t) return fail(t.error());
      id = t->ticket.id;
      auto u = tickets::update_ticket(tx, id, {{"status", "solved"}, {"comment", {{"body", "Refunded."}}}}, principal(assignee));
      if (!u) return fail(u.error());
      return {};
    }));
    drain();
    return id;
  }
  void drain() {
    auto n = events::consume(*s, "feedback_requests", {"ticket.updated"}, [&](store::Tx& tx, const events::StoredEvent& e) {
      ScopedClock clock(now);
      return on_ticket_event(tx, e, "https://help.example.com");
    });
    ASSERT_TRUE(n) << n.error().message;
  }
  std::vector<Request> requests(int64_t ticket) {
    return read([&](store::Conn& c) { return requests_for_ticket(c, ticket); }).value();
  }
  Result<Rating> answer(const std::string& token, Answer a) {
    Rating out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = submit(tx, secret, token, a);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    if (!st) return fail(st.error());
    return out;
  }
  Answer stars(int64_t n) {
    Answer a;
    a.stars = n;
    return a;
  }

  store::TempStore s;
  int64_t now = k_start;
  std::string secret;
  int64_t group_id = 0, agent_id = 0, other_agent_id = 0, lead_id = 0, customer_id = 0, noreply_id = 0;
};

}  // namespace

TEST_F(FeedbackTest, SolvingAnEmailTicketQueuesASignedSurveyNamingTheAgent) {
  auto ticket = solved_ticket(customer_id, agent_id);
  auto reqs = requests(ticket);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].status, "pending");  // waits in the outbox until the email channel sends it
  EXPECT_EQ(reqs[0].agent_id, agent_id);
  EXPECT_EQ(reqs[0].expires_at, k_start + 14 * k_day);

  auto mail = read([&](store::Conn& c) -> Result<std::pair<std::string, std::string>> {
    std::pair<std::string, std::string> out;
    auto st = c.each("SELECT to_address, body_text FROM outbox WHERE related_id = ?", {reqs[0].id},
                     [&](const store::Row& r) { out = {r.text(0), r.text(1)}; });
    if (!st) return fail(st.error());
    return out;
  });
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->first, "cust@example.com");
  EXPECT_NE(mail->second.find("Maria Lopez helped you"), std::string::npos);
  EXPECT_NE(mail->second.find(survey_url("https://help.example.com", secret, reqs[0])), std::string::npos);
}

TEST_F(FeedbackTest, OpeningTheSurveyRecordsNothingAndSubmitRecordsOnce) {
  auto ticket = solved_ticket(customer_id, agent_id);
  auto token = link_token(secret, requests(ticket)[0]);
  auto survey = read([&](store::Conn& c) { return open_survey(c, secret, token); });
  ASSERT_TRUE(survey) << survey.error().message;
  EXPECT_EQ(survey->agent_first_name, "Maria");
  EXPECT_EQ(survey->ticket_subject, "Refund for order 12");
  EXPECT_FALSE(survey->rating);
  EXPECT_EQ(requests(ticket)[0].status, "pending");  // a scanner's GET changed nothing

  Answer a = stars(5);
  a.resolved = true;
  a.nps = 9;
  a.comment = "Fast and kind";
  a.tags = {"speed", "clarity"};  // clarity is an improvement area: dropped on a 5-star answer
  auto r = answer(token, a);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->score, "good");
  EXPECT_EQ(r->tags, Json({"speed"}));
  EXPECT_EQ(requests(ticket)[0].status, "answered");
  auto t = read([&](store::Conn& c) { return tickets::get_ticket(c, ticket, system_principal()); });
  ASSERT_TRUE(t);
  EXPECT_EQ(t->satisfaction_score.value_or(""), "good");

  auto again = answer(token, stars(1));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
}

TEST_F(FeedbackTest, ForgedAndAlteredTokensAreUnknown) {
  auto ticket = solved_ticket(customer_id, agent_id);
  auto req = requests(ticket)[0];
  auto token = link_token(secret, req);
  std::string forged = token;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  auto other_id = std::to_string(req.id + 1) + token.substr(token.find('.'));
  auto longer = std::to_string(req.id) + "." + std::to_string(req.expires_at + k_day) + token.substr(token.rfind('.'));
  for (const auto& bad : {forged, other_id, longer, std::string("garbage"), std::string("1.2"), link_token("wrong-secret", req)}) {
    auto r = answer(bad, stars(5));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::not_found) << bad;
  }
  EXPECT_EQ(requests(ticket)[0].status, "pending");
}

TEST_F(FeedbackTest, AnExpiredLinkSaysSoAndRecordsNothing) {
  auto ticket = solved_ticket(customer_id, agent_id);
  auto token = link_token(secret, requests(ticket)[0]);
  now = k_start + 14 * k_day;
  auto r = answer(token, stars(4));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid);
  EXPECT_NE(r.error().message.find("expired"), std::string::npos);
  EXPECT_EQ(requests(ticket)[0].status, "expired");
}

TEST_F(FeedbackTest, SuppressionRecordsItsReason) {
  auto first = solved_ticket(customer_id, agent_id);
  now += 2 * k_day;
  auto second = solved_ticket(customer_id, agent_id);
  auto robot = solved_ticket(noreply_id, agent_id);
  auto staff = solved_ticket(other_agent_id, agent_id);
  EXPECT_EQ(requests(first)[0].status, "pending");
  EXPECT_EQ(requests(second)[0].suppressed_reason.value_or(""), "recently_surveyed");
  EXPECT_EQ(requests(robot)[0].suppressed_reason.value_or(""), "no_reply_address");
  EXPECT_EQ(requests(staff)[0].suppressed_reason.value_or(""), "requester_is_staff");
  // A suppressed request cannot be answered, even with a valid signature.
  auto r = answer(link_token(secret, requests(second)[0]), stars(5));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  // After the window a new request goes out again.
  now += 8 * k_day;
  auto later = solved_ticket(customer_id, agent_id);
  EXPECT_EQ(requests(later)[0].status, "pending");
}

TEST_F(FeedbackTest, ChatRequestsAreDeliveredInTheConversationAndAnswersAreValidated) {
  auto ticket = solved_ticket(customer_id, agent_id, "chat");
  auto req = requests(ticket)[0];
  EXPECT_EQ(req.status, "delivered");
  auto token = link_token(secret, req);
  Answer bad;
  bad.nps = 11;
  bad.tags = {"not_a_tag"};
  auto r = answer(token, bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::validation);
  EXPECT_EQ(requests(ticket)[0].status, "delivered");  // a rejected answer can be corrected
  Answer ok = stars(2);
  ok.resolved = false;
  ok.tags = {"speed", "friendliness"};  // friendliness belongs to 4-5 stars: dropped
  auto good = answer(token, ok);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_EQ(good->score, "bad");
  EXPECT_EQ(good->tags, Json({"speed"}));
}

TEST_F(FeedbackTest, ZendeskRatingOnlyFromTheRequesterOfASolvedTicket) {
  auto ticket = solved_ticket(customer_id, agent_id, "web");
  auto rate = [&](const domain::Principal& who, const Json& in) {
    Rating out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = rate_ticket(tx, ticket, in, who);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    return st ? Result<Rating>(out) : Result<Rating>(fail(st.error()));
  };
  auto by_agent = rate(principal(agent_id), {{"score", "good"}});
  ASSERT_FALSE(by_agent);
  EXPECT_EQ(by_agent.error().code, ErrorCode::forbidden);
  auto by_stranger = rate(principal(noreply_id), {{"score", "good"}});
  ASSERT_FALSE(by_stranger);
  EXPECT_EQ(by_stranger.error().code, ErrorCode::not_found);
  EXPECT_FALSE(rate(principal(customer_id), {{"score", "great"}}));
  auto ok = rate(principal(customer_id), {{"score", "bad"}, {"comment", "Slow"}});
  ASSERT_TRUE(ok) << ok.error().message;
  auto t = read([&](store::Conn& c) { return tickets::get_ticket(c, ticket, system_principal()); });
  EXPECT_EQ(t->satisfaction_score.value_or(""), "bad");
}

TEST_F(FeedbackTest, AgentsSeeOnlyTheirOwnRatingsLeadsSeeAll) {
  auto mine = solved_ticket(customer_id, agent_id, "chat");
  ASSERT_TRUE(answer(link_token(secret, requests(mine)[0]), stars(5)));
  auto list = [&](int64_t who) {
    return read([&](store::Conn& c) { return list_ratings(c, {}, {}, principal(who)); });
  };
  EXPECT_EQ(list(agent_id)->items.size(), 1u);
  EXPECT_EQ(list(other_agent_id)->items.size(), 0u);
  EXPECT_EQ(list(lead_id)->items.size(), 1u);
  auto by_customer = list(customer_id);
  ASSERT_FALSE(by_customer);
  EXPECT_EQ(by_customer.error().code, ErrorCode::forbidden);
  auto id = list(lead_id)->items[0].id;
  EXPECT_FALSE(read([&](store::Conn& c) { return get_rating(c, id, principal(other_agent_id)); }));
  EXPECT_TRUE(read([&](store::Conn& c) { return get_rating(c, id, principal(agent_id)); }));
}

}  // namespace rapport::feedback

namespace rapport::feedback {

// Every commit wakes the background consumers; a pass with nothing new must not write, or the
// idle server would commit in a loop.
TEST_F(FeedbackTest, AConsumerWithNothingNewDoesNotWrite) {
  solved_ticket(customer_id, agent_id, "chat");
  drain();  // catches up past the events the first pass itself appended
  auto jobs = s->writer().stats().jobs.load();
  drain();
  drain();
  EXPECT_EQ(s->writer().stats().jobs.load(), jobs);
}

}  // namespace rapport::feedback
