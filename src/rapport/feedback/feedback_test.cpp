#include <rapport/feedback/testing.hpp>

namespace rapport::feedback {

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
  // A ticket email intake flagged as automatic mail (an auto-reply, a bounce, a flood) gets no survey.
  now += 8 * k_day;
  auto automatic = solved_ticket(customer_id, agent_id, "email", Json::array({"mail_auto_submitted"}));
  EXPECT_EQ(requests(automatic)[0].suppressed_reason.value_or(""), "auto_submitted_mail");
  EXPECT_EQ(requests(automatic)[0].status, "suppressed");
  now -= 8 * k_day;
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

namespace rapport::feedback {

TEST_F(FeedbackTest, CustomQuestionsAreValidatedAndKeptWithTheRating) {
  Json questions = {{"questions",
                     {{{"id", "effort"}, {"label", "How easy was it?"}, {"type", "scale"}, {"min", 1}, {"max", 7}},
                      {{"id", "contact"}, {"label", "How did you reach us?"}, {"type", "choice"},
                       {"options", {"Email", "Chat", "Phone"}}}}}};
  auto bad = write([&](store::Tx& tx) -> Status {
    auto r = update_config(tx, {{"questions", {{{"id", "x y"}, {"label", "?"}, {"type", "scale"}}}}}, system_principal());
    if (!r) return fail(r.error());
    return {};
  });
  ASSERT_FALSE(bad);  // an id with a space
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = update_config(tx, questions, system_principal());
    if (!r) return fail(r.error());
    return {};
  }));
  auto ticket = solved_ticket(customer_id, agent_id, "chat");
  auto token = link_token(secret, requests(ticket)[0]);
  Answer a = stars(4);
  a.custom = {{"effort", "9"}};
  auto out_of_range = answer(token, a);
  ASSERT_FALSE(out_of_range);
  EXPECT_NE(out_of_range.error().details.at("answers").front().description.find("How easy was it?: choose 1 to 7"),
            std::string::npos);
  a.custom = {{"effort", "6"}, {"contact", "Chat"}, {"unknown", "ignored"}};
  auto ok = answer(token, a);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->answers, Json({{"effort", 6}, {"contact", "Chat"}}));
}

}  // namespace rapport::feedback
