#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/store/testing.hpp>

#include <gtest/gtest.h>

namespace rapport::accounts {

namespace {

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override { crypto::init(); }
  domain::User create(const Json& in, const Principal& actor = system_principal()) {
    domain::User out;
    auto st = s->writer().run([&](store::Tx& tx) -> Status {
      auto u = create_user(tx, in, actor);
      if (!u) return fail(u.error());
      out = *u;
      return {};
    });
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    return out;
  }
  std::string token_for(const std::string& email) {
    std::string t;
    EXPECT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      auto r = create_token(tx, email, "test");
      if (!r) return fail(r.error());
      t = *r;
      return {};
    }));
    return t;
  }
  store::TempStore s;
};

}  // namespace

TEST_F(AccountsTest, DuplicateEmailsAreRejectedCaseInsensitivelyOnTheEmailField) {
  create({{"name", "Ann"}, {"email", "ann@example.com"}});
  auto st = s->writer().run([&](store::Tx& tx) -> Status {
    auto u = create_user(tx, {{"name", "Ann 2"}, {"email", "ANN@example.com"}}, system_principal());
    if (!u) return fail(u.error());
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::validation);
  ASSERT_TRUE(st.error().details.count("email"));
  EXPECT_EQ(st.error().details.at("email").front().error, "DuplicateValue");
}

TEST_F(AccountsTest, NewAgentsSeeOnlyTheirGroupsUntilGrantedAll) {
  auto agent = create({{"name", "Bo"}, {"email", "bo@example.com"}, {"role", "agent"}});
  EXPECT_EQ(agent.ticket_restriction, std::optional<std::string>("groups"));
  auto p = s->read([&](store::Conn& c) { return load_principal(c, agent.id); });
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->sees_all_tickets());
  auto manager = create({{"name", "Mo"}, {"email", "mo@example.com"}, {"role", "agent"}, {"rapport_role", "manager"}});
  auto mp = s->read([&](store::Conn& c) { return load_principal(c, manager.id); });
  EXPECT_TRUE(mp->sees_all_tickets());
}

TEST_F(AccountsTest, AgentsCannotCreateStaff) {
  auto agent = create({{"name", "Bo"}, {"email", "bo@example.com"}, {"role", "agent"}});
  auto p = s->read([&](store::Conn& c) { return load_principal(c, agent.id); }).value();
  auto st = s->writer().run([&](store::Tx& tx) -> Status {
    auto u = create_user(tx, {{"name", "Evil"}, {"email", "evil@example.com"}, {"role", "admin"}}, p);
    if (!u) return fail(u.error());
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_TRUE(st.error().details.count("role"));
}

TEST_F(AccountsTest, TokensAreStoredHashedAndOnlyAdminTokensActForOthers) {
  auto admin = create({{"name", "Ada"}, {"email", "ada@example.com"}, {"role", "admin"}});
  auto agent = create({{"name", "Bo"}, {"email", "bo@example.com"}, {"role", "agent"}});
  auto customer = create({{"name", "Cy"}, {"email", "cy@example.com"}});
  auto admin_token = token_for("ada@example.com");
  auto agent_token = token_for("bo@example.com");
  auto stored = s->read([&](store::Conn& c) { return c.scalar_text("SELECT token_hash FROM api_tokens LIMIT 1"); });
  EXPECT_NE(stored.value().value_or(""), admin_token);

  auto as_customer = s->read([&](store::Conn& c) { return authenticate_token(c, "cy@example.com", admin_token); });
  ASSERT_TRUE(as_customer);
  EXPECT_EQ(as_customer->user_id, customer.id);
  EXPECT_EQ(as_customer->acting_for, std::optional<int64_t>(customer.id));
  EXPECT_TRUE(as_customer->token_id.has_value());

  auto agent_as_customer = s->read([&](store::Conn& c) { return authenticate_token(c, "cy@example.com", agent_token); });
  ASSERT_FALSE(agent_as_customer);
  EXPECT_EQ(agent_as_customer.error().code, ErrorCode::unauthenticated);
  auto own = s->read([&](store::Conn& c) { return authenticate_token(c, "BO@example.com", agent_token); });
  ASSERT_TRUE(own);
  EXPECT_EQ(own->user_id, agent.id);
  EXPECT_FALSE(s->read([&](store::Conn& c) { return authenticate_token(c, "ada@example.com", "forged"); }));
  (void)admin;
}

TEST_F(AccountsTest, PasswordsAndSessionsAuthenticateAndLogoutEndsTheSession) {
  auto admin = create({{"name", "Ada"}, {"email", "ada@example.com"}, {"role", "admin"}, {"password", "correct horse"}});
  EXPECT_TRUE(s->read([&](store::Conn& c) { return authenticate_password(c, "ada@example.com", "correct horse"); }));
  EXPECT_FALSE(s->read([&](store::Conn& c) { return authenticate_password(c, "ada@example.com", "wrong horse"); }));
  NewSession ns;
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    auto r = create_session(tx, admin.id, 3600);
    if (!r) return fail(r.error());
    ns = *r;
    return {};
  }));
  auto sess = s->read([&](store::Conn& c) { return authenticate_session(c, ns.cookie); });
  ASSERT_TRUE(sess);
  EXPECT_EQ(sess->first.user_id, admin.id);
  EXPECT_EQ(sess->second, ns.csrf_token);
  EXPECT_TRUE(sess->first.via_session);
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) { return delete_session(tx, ns.cookie); }));
  EXPECT_FALSE(s->read([&](store::Conn& c) { return authenticate_session(c, ns.cookie); }));
}

TEST_F(AccountsTest, SuspendedUsersCannotAuthenticate) {
  auto agent = create({{"name", "Bo"}, {"email", "bo@example.com"}, {"role", "agent"}});
  auto token = token_for("bo@example.com");
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    auto u = update_user(tx, agent.id, {{"suspended", true}}, system_principal());
    if (!u) return fail(u.error());
    return {};
  }));
  EXPECT_FALSE(s->read([&](store::Conn& c) { return authenticate_token(c, "bo@example.com", token); }));
}

TEST_F(AccountsTest, OrganizationNamesAreUniqueIgnoringCase) {
  auto make = [&](const std::string& name) {
    return s->writer().run([&](store::Tx& tx) -> Status {
      auto o = create_organization(tx, {{"name", name}}, system_principal());
      if (!o) return fail(o.error());
      return {};
    });
  };
  EXPECT_TRUE(make("Acme"));
  auto dup = make("ACME");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().details.at("name").front().description, "Name: has already been taken");
}

}  // namespace rapport::accounts
