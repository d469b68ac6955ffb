#include <rapport/accounts/directory.hpp>
#include <rapport/knowledge/incidents.hpp>
#include <rapport/knowledge/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::knowledge {
namespace {

Incident incident(std::vector<std::string> keywords, std::vector<std::string> regions = {},
                  std::optional<std::string> tag = std::nullopt) {
  Incident i;
  i.keywords = std::move(keywords);
  i.regions = std::move(regions);
  i.category_tag = std::move(tag);
  return i;
}

TEST(IncidentMatching, KeywordsAreWholeWordsOrPhrases) {
  auto i = incident({"login", "payment failed"});
  EXPECT_TRUE(matches(i, {"Can't LOGIN since this morning", {}, std::nullopt}));
  EXPECT_TRUE(matches(i, {"my payment failed twice", {}, std::nullopt}));
  EXPECT_FALSE(matches(i, {"loginless checkout question", {}, std::nullopt}));
  EXPECT_FALSE(matches(i, {"payment went through, failed delivery", {}, std::nullopt}));
}

TEST(IncidentMatching, CategoryTagMatchesWithoutWords) {
  auto i = incident({}, {}, "outage_payments");
  EXPECT_TRUE(matches(i, {"hello", {"vip", "outage_payments"}, std::nullopt}));
  EXPECT_FALSE(matches(i, {"outage payments", {"vip"}, std::nullopt}));
}

TEST(IncidentMatching, RegionsLimitTheMatch) {
  auto eu = incident({"login"}, {"eu"});
  EXPECT_TRUE(matches(eu, {"login broken", {}, "eu"}));
  EXPECT_FALSE(matches(eu, {"login broken", {}, "us"}));
  EXPECT_FALSE(matches(eu, {"login broken", {}, std::nullopt}));  // unknown region: no auto-answer
  EXPECT_TRUE(matches(incident({"login"}), {"login broken", {}, std::nullopt}));
}

TEST(IncidentMatching, ActiveOnlyWhileOpenAndInsideItsWindow) {
  auto i = incident({"x"});
  i.starts_at = 100;
  i.ends_at = 200;
  EXPECT_FALSE(is_active(i, 99));
  EXPECT_TRUE(is_active(i, 100));
  EXPECT_FALSE(is_active(i, 200));
  i.ends_at.reset();
  i.status = "resolved";
  EXPECT_FALSE(is_active(i, 150));
}

class Incidents : public KnowledgeTest {
 protected:
  void SetUp() override {
    KnowledgeTest::SetUp();
    tickets::add_create_hook(on_ticket_created);
  }
  void TearDown() override { tickets::clear_create_hooks(); }

  Incident open_incident(Json in) {
    Incident out;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto i = create_incident(tx, in, admin);
      if (!i) return fail(i.error());
      out = *i;
      return {};
    }));
    return out;
  }
  domain::Ticket contact(const std::string& subject, const std::string& body, const domain::Principal& who) {
    domain::Ticket out;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto t = tickets::create_ticket(tx, {{"subject", subject}, {"comment", {{"body", body}}}}, who);
      if (!t) return fail(t.error());
      out = t->ticket;
      return {};
    }));
    return out;
  }
  int64_t count(const std::string& sql, store::Params p) {
    return read([&](store::Conn& c) { return c.scalar(sql, p); }).value().value_or(0);
  }
};

TEST_F(Incidents, MatchingContactIsAnsweredLinkedAndSolvedOnResolve) {
  auto inc = open_incident({{"title", "Login outage"}, {"service", "Accounts"}, {"keywords", {"login", "sign in"}},
                            {"public_message", "We know about the login problem and are fixing it."}});
  auto t = contact("Can't sign in", "The app says error 500 when I sign in.", customer);
  // The create returns the ticket as the incident left it.
  EXPECT_EQ(t.status, "pending");
  auto comments = read([&](store::Conn& c) { return tickets::list_comments(c, t.id, {}, admin); });
  ASSERT_TRUE(comments);
  ASSERT_EQ(comments->items.size(), 2u);
  const auto& reply = comments->items[1];
  EXPECT_TRUE(reply.is_public);
  EXPECT_EQ(reply.body, "We know about the login problem and are fixing it.");
  EXPECT_EQ(reply.author_id, admin_id);
  EXPECT_EQ(reply.metadata["system"]["auto_submitted"], true);
  EXPECT_EQ(count("SELECT COUNT(*) FROM incident_tickets WHERE incident_id = ? AND ticket_id = ?", {inc.id, t.id}), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE kind = 'agent_reply' AND ticket_id = ? AND auto_submitted = 1 "
                  "AND to_address = 'cy@example.com'",
                  {t.id}),
            1);

  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = resolve_incident(tx, inc.id, std::string("Login works again."), admin);
    if (!r) return fail(r.error());
    EXPECT_EQ(r->status, "resolved");
    EXPECT_EQ(r->solved_count, 1);
    return {};
  }));
  auto after = read([&](store::Conn& c) { return tickets::get_ticket(c, t.id, admin); });
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, "solved");
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox WHERE kind = 'notification' AND ticket_id = ? AND to_address = 'cy@example.com' "
                  "AND body_text = 'Login works again.'",
                  {t.id}),
            1);
  // Resolved: new contacts are no longer answered.
  auto later = contact("login still weird?", "login", customer);
  EXPECT_EQ(later.status, "new");
}

TEST_F(Incidents, NonMatchingContactsAreUntouched) {
  open_incident({{"title", "Login outage"}, {"service", "Accounts"}, {"keywords", {"login"}}, {"regions", {"eu"}},
                 {"public_message", "We know."}});
  auto other = contact("Invoice copy", "Please send my invoice", customer);
  EXPECT_EQ(other.status, "new");
  // Matching words but the customer's region is unknown: the incident is limited to eu.
  auto unknown_region = contact("login", "login broken", customer);
  EXPECT_EQ(unknown_region.status, "new");
  // Staff's own tickets are internal work, never auto-answered.
  auto staff = contact("login", "login broken", agent);
  EXPECT_EQ(staff.status, "new");
  EXPECT_EQ(count("SELECT COUNT(*) FROM incident_tickets", {}), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox", {}), 0);
}

TEST_F(Incidents, RegionComesFromTheOrganization) {
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto o = accounts::create_organization(tx, {{"name", "Acme"}, {"organization_fields", {{"region", "EU"}}}}, admin);
    if (!o) return fail(o.error());
    auto u = accounts::update_user(tx, customer_id, {{"organization_id", o->id}}, admin);
    if (!u) return fail(u.error());
    return {};
  }));
  customer = principal(customer_id);
  open_incident({{"title", "Login outage"}, {"service", "Accounts"}, {"keywords", {"login"}}, {"regions", {"eu"}},
                 {"public_message", "We know."}});
  EXPECT_EQ(contact("login", "login broken", customer).status, "pending");
  auto status = read([&](store::Conn& c) { return incident_status(c, {std::nullopt, std::nullopt, "cy@example.com"}, k_now); });
  ASSERT_TRUE(status);
  EXPECT_EQ(status->region, "eu");
  EXPECT_EQ(status->incidents.size(), 1u);
  auto us = read([&](store::Conn& c) { return incident_status(c, {std::nullopt, "us"}, k_now); });
  ASSERT_TRUE(us);
  EXPECT_TRUE(us->incidents.empty());
}

TEST_F(Incidents, OnlyAdminsAndManagersWriteAndInputIsChecked) {
  auto denied = write([&](store::Tx& tx) -> Status {
    auto i = create_incident(tx, {{"title", "x"}, {"service", "y"}, {"keywords", {"z"}}, {"public_message", "m"}}, agent);
    if (!i) return fail(i.error());
    return {};
  });
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::forbidden);
  auto bad = write([&](store::Tx& tx) -> Status {
    auto i = create_incident(tx, {{"title", ""}, {"service", "y"}, {"regions", {"e u"}}, {"public_message", "m"}}, admin);
    if (!i) return fail(i.error());
    return {};
  });
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().details.count("title"));
  EXPECT_TRUE(bad.error().details.count("regions"));
  EXPECT_TRUE(bad.error().details.count("keywords"));  // neither keywords nor a category tag
}

}  // namespace
}  // namespace rapport::knowledge
