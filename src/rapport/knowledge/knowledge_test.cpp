#include <rapport/knowledge/deflection.hpp>
#include <rapport/knowledge/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::knowledge {
namespace {

const domain::Principal k_anonymous{};

std::vector<int64_t> ids(const std::vector<SearchHit>& hits) {
  std::vector<int64_t> out;
  for (const auto& h : hits) out.push_back(h.article.id);
  return out;
}

class Articles : public KnowledgeTest {
 protected:
  Result<Article> get(int64_t id, const domain::Principal& p) {
    return read([&](store::Conn& c) { return get_article(c, id, p); });
  }
  std::vector<int64_t> search(const std::string& text, const domain::Principal& p) {
    auto r = read([&](store::Conn& c) { return search_articles(c, {text}, p); });
    EXPECT_TRUE(r) << r.error().message;
    return r ? ids(r->hits) : std::vector<int64_t>{};
  }
};

TEST_F(Articles, DraftsOnlyForEditorsInternalOnlyForStaff) {
  auto draft = article({{"title", "Refund draft"}, {"body", "Refunds are coming"}});
  auto internal = article({{"title", "Refund runbook"}, {"body", "Refund steps"}, {"draft", false}, {"visibility", "internal"}});
  auto pub = article({{"title", "Refund policy"}, {"body", "You get a refund"}, {"draft", false}});
  EXPECT_TRUE(draft.draft);

  EXPECT_TRUE(get(draft.id, admin));
  for (const domain::Principal* p : std::initializer_list<const domain::Principal*>{&agent, &customer, &k_anonymous})
    EXPECT_EQ(get(draft.id, *p).error().code, ErrorCode::not_found);
  EXPECT_TRUE(get(internal.id, agent));
  for (const domain::Principal* p : std::initializer_list<const domain::Principal*>{&customer, &k_anonymous})
    EXPECT_EQ(get(internal.id, *p).error().code, ErrorCode::not_found);
  EXPECT_TRUE(get(pub.id, k_anonymous));

  EXPECT_EQ(search("refund", admin).size(), 3u);
  EXPECT_EQ(search("refund", agent).size(), 2u);
  EXPECT_EQ(search("refund", k_anonymous), std::vector<int64_t>{pub.id});

  auto listed = read([&](store::Conn& c) {
    domain::PageRequest pr;
    return list_articles(c, {}, pr, customer);
  });
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->count, 1);
  auto sections = read([&](store::Conn& c) { return list_sections(c, category_id, k_anonymous); });
  ASSERT_TRUE(sections);
  EXPECT_EQ(sections->at(0).article_count, 1);
}

TEST_F(Articles, OnlyEditorsWrite) {
  auto st = write([&](store::Tx& tx) -> Status {
    auto a = create_article(tx, section_id, {{"title", "x"}, {"body", "y"}}, agent);
    if (!a) return fail(a.error());
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::forbidden);
}

TEST_F(Articles, TitleMatchOutranksBodyMatches) {
  auto body_heavy = article({{"title", "Shipping times"},
                             {"body", "Passwords, passwords. If your password expired, reset the password in settings."},
                             {"draft", false}});
  auto titled = article({{"title", "Reset your password"}, {"body", "Open settings and choose reset."}, {"draft", false}});
  auto unrelated = article({{"title", "Invoices"}, {"body", "Download invoices as PDF."}, {"draft", false}});
  auto hits = search("password", k_anonymous);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0], titled.id);
  EXPECT_EQ(hits[1], body_heavy.id);
  (void)unrelated;
  // Stemming: the plural finds the singular.
  EXPECT_EQ(search("passwords", k_anonymous).size(), 2u);
  // Prefix on the word being typed.
  EXPECT_EQ(search("passw", k_anonymous).size(), 2u);
}

TEST_F(Articles, SnippetIsEscapedAndMarksTheMatch) {
  article({{"title", "R&D"}, {"body", "A refund for <b>R&D</b> kits takes 5 days"}, {"draft", false}});
  auto r = read([&](store::Conn& c) { return search_articles(c, {"refund"}, k_anonymous); });
  ASSERT_TRUE(r);
  ASSERT_EQ(r->hits.size(), 1u);
  const auto& snip = r->hits[0].snippet_html;
  EXPECT_NE(snip.find("<em>refund</em>"), std::string::npos) << snip;
  EXPECT_EQ(snip.find("<b>"), std::string::npos) << snip;
  EXPECT_EQ(r->hits[0].article.body_html.find("<b>"), std::string::npos);
}

TEST_F(Articles, ArchivedArticlesLeaveSearchAndEditsReindex) {
  auto a = article({{"title", "Gift cards"}, {"body", "Gift cards never expire."}, {"draft", false}});
  EXPECT_EQ(search("gift", k_anonymous).size(), 1u);
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto u = update_article(tx, a.id, {{"title", "Vouchers"}, {"body", "Vouchers never expire."}}, admin);
    if (!u) return fail(u.error());
    return {};
  }));
  EXPECT_TRUE(search("gift", k_anonymous).empty());
  EXPECT_EQ(search("vouchers", k_anonymous).size(), 1u);
  ASSERT_TRUE(write([&](store::Tx& tx) { return delete_article(tx, a.id, admin); }));
  EXPECT_TRUE(search("vouchers", k_anonymous).empty());
  EXPECT_EQ(get(a.id, admin).error().code, ErrorCode::not_found);
}

TEST_F(Articles, CustomersFindAnArticleExactlyWhileItIsPublishedAndPublic) {
  // Customers search the help center's own index (V016); every change of draft or visibility
  // must move the article in or out of it, with or without a section filter.
  auto a = article({{"title", "Lost parcel"}, {"body", "Report a lost parcel within 30 days."}});
  auto customer_sees = [&]() {
    auto plain = search("parcel", customer);
    auto in_section = read([&](store::Conn& c) {
      SearchQuery q{"parcel"};
      q.section_id = section_id;
      return search_articles(c, q, k_anonymous);
    });
    EXPECT_TRUE(in_section);
    EXPECT_EQ(plain, ids(in_section->hits)) << "the section filter agrees with the plain search";
    EXPECT_EQ(in_section->count, static_cast<int64_t>(plain.size()));
    return plain == std::vector<int64_t>{a.id};
  };
  auto change = [&](const Json& in) {
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto u = update_article(tx, a.id, in, admin);
      if (!u) return fail(u.error());
      return {};
    }));
  };
  EXPECT_FALSE(customer_sees()) << "a draft";
  EXPECT_EQ(search("parcel", agent).size(), 0u) << "agents do not see drafts either";
  change({{"draft", false}});
  EXPECT_TRUE(customer_sees());
  change({{"visibility", "internal"}});
  EXPECT_FALSE(customer_sees());
  EXPECT_EQ(search("parcel", agent), std::vector<int64_t>{a.id});
  change({{"visibility", "public"}});
  EXPECT_TRUE(customer_sees());
  change({{"draft", true}});
  EXPECT_FALSE(customer_sees());
  EXPECT_EQ(search("parcel", admin), std::vector<int64_t>{a.id});
}

TEST_F(Articles, InvalidInputReportsEveryField) {
  auto st = write([&](store::Tx& tx) -> Status {
    auto a = create_article(tx, section_id, {{"title", ""}, {"visibility", "secret"}, {"label_names", {1}}}, admin);
    if (!a) return fail(a.error());
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::validation);
  EXPECT_TRUE(st.error().details.count("title"));
  EXPECT_TRUE(st.error().details.count("visibility"));
  EXPECT_TRUE(st.error().details.count("label_names"));
}

class Deflection : public KnowledgeTest {
 protected:
  ContactForm form(const std::string& subject, const std::string& text) {
    return {"Cy", "cy@example.com", subject, text, std::nullopt};
  }
  Started start(const ContactForm& f) {
    Started out;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = start_attempt(tx, f);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    }));
    return out;
  }
  Report report() {
    auto r = read([&](store::Conn& c) { return deflection_report(c, k_now - 3600, k_now + 3600, admin); });
    EXPECT_TRUE(r);
    return *r;
  }
};

TEST_F(Deflection, SuggestsOnlyPublicArticlesAndRecordsTheAnswer) {
  auto pub = article({{"title", "Refund policy"}, {"body", "Refunds take 5 days."}, {"draft", false}});
  article({{"title", "Refund runbook"}, {"body", "Internal refund steps."}, {"draft", false}, {"visibility", "internal"}});
  auto started = start(form("Where is my refund?", "I returned the shoes last week."));
  EXPECT_EQ(ids(started.suggestions), std::vector<int64_t>{pub.id});
  EXPECT_EQ(started.attempt.outcome, "pending");

  ASSERT_TRUE(write([&](store::Tx& tx) { return record_click(tx, started.attempt.token, pub.id); }));
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto a = accept_suggestion(tx, started.attempt.token, pub.id);
    if (!a) return fail(a.error());
    EXPECT_EQ(a->outcome, "deflected");
    return {};
  }));
  // A second answer is a conflict; nothing is counted twice.
  auto again = write([&](store::Tx& tx) -> Status {
    auto a = accept_suggestion(tx, started.attempt.token, pub.id);
    if (!a) return fail(a.error());
    return {};
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);

  auto r = report();
  EXPECT_EQ(r.avoided, 1);
  EXPECT_EQ(r.submitted, 0);
  EXPECT_EQ(r.shown, 1);
  EXPECT_EQ(r.clicked, 1);
  EXPECT_EQ(r.accepted, 1);
  ASSERT_EQ(r.by_category.size(), 1u);
  EXPECT_EQ(r.by_category[0].category_id, category_id);
  EXPECT_EQ(r.by_category[0].name, "Billing");
}

TEST_F(Deflection, OnlyASuggestedArticleCanBeAccepted) {
  article({{"title", "Refund policy"}, {"body", "Refunds take 5 days."}, {"draft", false}});
  auto other = article({{"title", "Invoices"}, {"body", "Download invoices."}, {"draft", false}});
  auto started = start(form("refund please", "refund"));
  auto st = write([&](store::Tx& tx) -> Status {
    auto a = accept_suggestion(tx, started.attempt.token, other.id);
    if (!a) return fail(a.error());
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::validation);
}

TEST_F(Deflection, SubmittingCreatesAWebTicketAndCountsInTheRate) {
  auto pub = article({{"title", "Refund policy"}, {"body", "Refunds take 5 days."}, {"draft", false}});
  auto avoided = start(form("refund", "where is my refund"));
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto a = accept_suggestion(tx, avoided.attempt.token, pub.id);
    if (!a) return fail(a.error());
    return {};
  }));
  auto started = start(form("Refund missing", "Still no refund after 10 days"));
  domain::Ticket t;
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = submit_request(tx, {{"subject", "Refund missing"}, {"comment", {{"body", "Still no refund after 10 days"}}},
                                 {"requester", {{"name", "Dee"}, {"email", "dee@example.com"}}},
                                 {"attempt", started.attempt.token}},
                            std::nullopt);
    if (!r) return fail(r.error());
    t = *r;
    return {};
  }));
  EXPECT_EQ(t.channel, "web");
  EXPECT_EQ(t.status, "new");
  auto attempt = read([&](store::Conn& c) { return get_attempt(c, started.attempt.token); });
  ASSERT_TRUE(attempt);
  EXPECT_EQ(attempt->outcome, "submitted");
  EXPECT_EQ(attempt->ticket_id, t.id);
  auto r = report();
  EXPECT_EQ(r.avoided, 1);
  EXPECT_EQ(r.submitted, 1);
  auto j = to_json(r);
  EXPECT_EQ(j["web_form"]["deflection_rate"]["numerator"], 1);
  EXPECT_EQ(j["web_form"]["deflection_rate"]["denominator"], 2);
  EXPECT_DOUBLE_EQ(j["web_form"]["deflection_rate"]["value"].get<double>(), 0.5);
  // No incidents: the auto-answer rate has a denominator (the contacts) and a zero numerator.
  EXPECT_EQ(j["incidents"]["auto_answer_rate"]["denominator"], 1);
  EXPECT_EQ(j["incidents"]["auto_answer_rate"]["numerator"], 0);
}

TEST_F(Deflection, AnonymousFormCannotSpeakForStaff) {
  auto st = write([&](store::Tx& tx) -> Status {
    auto r = submit_request(tx, {{"subject", "x"}, {"comment", {{"body", "y"}}}, {"requester", {{"name", "A"}, {"email", "al@x.io"}}}},
                            std::nullopt);
    if (!r) return fail(r.error());
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_TRUE(st.error().details.count("requester"));
}

TEST_F(Deflection, EmptyPeriodHasNullRates) {
  auto j = to_json(report());
  EXPECT_TRUE(j["web_form"]["deflection_rate"]["value"].is_null());
  EXPECT_TRUE(j["incidents"]["auto_answer_rate"]["value"].is_null());
}

TEST_F(Deflection, AgentsGetSuggestionsForTheTicket) {
  auto internal = article({{"title", "Refund runbook"}, {"body", "Internal refund steps."}, {"draft", false}, {"visibility", "internal"}});
  int64_t ticket_id = 0;
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto t = tickets::create_ticket(tx, {{"subject", "Refund?"}, {"comment", {{"body", "I want a refund"}}}}, customer);
    if (!t) return fail(t.error());
    ticket_id = t->ticket.id;
    return {};
  }));
  auto hits = read([&](store::Conn& c) { return suggestions_for_ticket(c, ticket_id, agent); });
  ASSERT_TRUE(hits);
  EXPECT_EQ(ids(*hits), std::vector<int64_t>{internal.id});
  auto denied = read([&](store::Conn& c) { return suggestions_for_ticket(c, ticket_id, customer); });
  EXPECT_EQ(denied.error().code, ErrorCode::forbidden);
  ASSERT_TRUE(write([&](store::Tx& tx) { return record_agent_action(tx, ticket_id, internal.id, "inserted", agent); }));
  EXPECT_EQ(report().inserted, 1);
}

}  // namespace
}  // namespace rapport::knowledge
