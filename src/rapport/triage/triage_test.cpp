// Triage against a real SQLite store: the create hook installed as the app installs it, categories
// tried in order (first match wins), each outcome's change attributed to its category, and the
// verification link of a sensitive ticket (signed, single use).
#include <rapport/triage/triage.hpp>

#include <gtest/gtest.h>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::triage {
namespace {

using accounts::system_principal;

class Triage : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto g = accounts::create_group(tx, {{"name", "Fraud desk"}}, system_principal());
      if (!g) return fail(g.error());
      fraud = g->id;
      auto ad = accounts::create_user(tx, {{"name", "Ada Admin"}, {"email", "ada@x.io"}, {"role", "admin"}}, system_principal());
      if (!ad) return fail(ad.error());
      admin = accounts::load_principal(tx.conn(), ad->id).value();
      auto c = accounts::create_user(tx, {{"name", "Cara"}, {"email", "cara@example.com"}}, system_principal());
      if (!c) return fail(c.error());
      customer = accounts::load_principal(tx.conn(), c->id).value();
      return {};
    }));
    tickets::add_create_hook([this](store::Tx& tx, const domain::Ticket& t) { return on_ticket_created(tx, t, options); });
  }
  void TearDown() override { tickets::clear_create_hooks(); }

  Status write(const std::function<Status(store::Tx&)>& job) { return s->writer().run(job); }
  Category category(const Json& in) {
    Category out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto c = create_category(tx, in, admin);
      if (!c) return fail(c.error());
      out = *c;
      return {};
    });
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    return out;
  }
  domain::Ticket contact(const std::string& subject, const std::string& body) {
    domain::Ticket out;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = tickets::create_ticket(tx, {{"subject", subject}, {"comment", {{"body", body}}}}, customer);
      if (!r) return fail(r.error());
      out = r->ticket;
      return {};
    }));
    return out;
  }
  int64_t count(const std::string& sql, const store::Params& p = {}) {
    return s->read([&](store::Conn& c) { return c.scalar(sql, p); }).value().value_or(0);
  }
  std::string verification_token(Id ticket) {
    // Rebuilt the way the mail builds it, from the stored row and the server secret.
    std::string body = s->read([&](store::Conn& c) {
                          return c.scalar_text("SELECT body_text FROM outbox WHERE ticket_id = ? AND kind = 'notification'", {ticket});
                        })
                           .value()
                           .value_or("");
    auto at = body.find("/triage/verify/");
    if (at == std::string::npos) return "";
    auto token = body.substr(at + 15);
    return token.substr(0, token.find_first_of(" \n"));
  }

  store::TempStore s;
  Options options{"https://help.example.com", {}};
  domain::Principal admin, customer;
  Id fraud = 0;
};

TEST_F(Triage, TheFirstMatchingCategoryWinsAndItsChangesNameIt) {
  auto takeover = category({{"name", "Account takeover"},
                            {"outcome", "sensitive"},
                            {"conditions", {{"any", {{{"field", "comment_includes_word"}, {"operator", "includes"}, {"value", "hacked"}}}}}},
                            {"settings", {{"group_id", fraud}, {"priority", "urgent"}}}});
  category({{"name", "Anything about accounts"},
            {"outcome", "skilled_team"},
            {"conditions", {{"all", {{{"field", "subject_includes_word"}, {"operator", "includes"}, {"value", "account"}}}}}},
            {"settings", {{"priority", "low"}, {"tags", {"accounts"}}}}});
  auto t = contact("My account", "I was hacked yesterday");
  EXPECT_EQ(t.group_id, std::optional<Id>(fraud));
  EXPECT_EQ(t.priority, std::optional<std::string>("urgent"));
  EXPECT_EQ(count("SELECT category_id FROM triage_contacts WHERE ticket_id = ?", {t.id}), takeover.id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audits WHERE ticket_id = ? AND json_extract(via, '$.source.rel') = 'triage_category' "
                  "AND json_extract(via, '$.source.from.title') = 'Account takeover'",
                  {t.id}),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'triage.categorized' AND entity_id = ?", {t.id}), 1);

  auto other = contact("My account settings", "How do I change my name?");
  EXPECT_EQ(other.priority, std::optional<std::string>("low"));
  EXPECT_EQ(other.tags, Json::array({"accounts"}));
  auto none = contact("Thanks", "All good");
  EXPECT_EQ(count("SELECT COUNT(*) FROM triage_contacts WHERE ticket_id = ?", {none.id}), 0);
}

TEST_F(Triage, ASensitiveTicketWithholdsRepliesUntilTheSingleUseLinkIsUsed) {
  category({{"name", "Fraud"},
            {"outcome", "sensitive"},
            {"conditions", {{"all", {{{"field", "comment_includes_word"}, {"operator", "includes"}, {"value", "fraud"}}}}}},
            {"settings", {{"group_id", fraud}}}});
  auto t = contact("Help", "This is fraud");
  auto held = s->read([&](store::Conn& c) { return withholds_replies(c, t.id); });
  EXPECT_TRUE(held.value());
  auto token = verification_token(t.id);
  ASSERT_FALSE(token.empty());

  auto forged = token;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  auto bad = s->writer().run([&](store::Tx& tx) -> Status {
    auto r = verify(tx, forged);
    if (!r) return fail(r.error());
    return {};
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::not_found);

  auto seen = s->read([&](store::Conn& c) { return open_verification(c, token); });
  ASSERT_TRUE(seen);
  EXPECT_FALSE(seen->used);
  EXPECT_EQ(seen->ticket_id, t.id);
  auto use = [&] {
    return s->writer().run([&](store::Tx& tx) -> Status {
      auto r = verify(tx, token);
      if (!r) return fail(r.error());
      return {};
    });
  };
  EXPECT_TRUE(use());
  auto again = use();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
  EXPECT_FALSE(s->read([&](store::Conn& c) { return withholds_replies(c, t.id); }).value());
}

TEST_F(Triage, AgentsOwnTicketsAreNotTriagedAndBadCategoriesAreRefused) {
  category({{"name", "All"},
            {"outcome", "skilled_team"},
            {"conditions", {{"all", {{{"field", "status"}, {"operator", "is"}, {"value", "new"}}}}}},
            {"settings", {{"priority", "high"}}}});
  domain::Ticket own;
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tickets::create_ticket(tx, {{"subject", "Internal"}, {"comment", {{"body", "todo"}}}}, admin);
    if (!r) return fail(r.error());
    own = r->ticket;
    return {};
  }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM triage_contacts WHERE ticket_id = ?", {own.id}), 0);

  auto st = write([&](store::Tx& tx) -> Status {
    auto c = create_category(tx, {{"name", "x"}, {"outcome", "sensitive"}, {"conditions", {{"all", Json::array()}}}}, admin);
    if (!c) return fail(c.error());
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_TRUE(st.error().details.count("conditions"));
  EXPECT_TRUE(st.error().details.count("settings"));
  auto forbidden = write([&](store::Tx& tx) -> Status {
    auto c = create_category(tx, {{"name", "x"}}, customer);
    if (!c) return fail(c.error());
    return {};
  });
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().code, ErrorCode::forbidden);
}

}  // namespace
}  // namespace rapport::triage
