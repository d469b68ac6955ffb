#pragma once
// The knowledge tests' fixture: a store with an admin editor, a plain agent, a customer, one
// category and section, and helpers that run service calls under a fixed clock.
#include <functional>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/knowledge/knowledge.hpp>
#include <rapport/store/testing.hpp>

#include <gtest/gtest.h>

namespace rapport::knowledge {

using accounts::system_principal;
constexpr int64_t k_now = 1'780'000'000;

class KnowledgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto admin = accounts::create_user(tx, {{"name", "Ada Admin"}, {"email", "ada@x.io"}, {"role", "admin"}}, system_principal());
      if (!admin) return fail(admin.error());
      admin_id = admin->id;
      auto agent = accounts::create_user(tx, {{"name", "Al Agent"}, {"email", "al@x.io"}, {"role", "agent"}}, system_principal());
      if (!agent) return fail(agent.error());
      agent_id = agent->id;
      auto cust = accounts::create_user(tx, {{"name", "Cy Customer"}, {"email", "cy@example.com"}}, system_principal());
      if (!cust) return fail(cust.error());
      customer_id = cust->id;
      return {};
    }));
    admin = principal(admin_id);
    agent = principal(agent_id);
    customer = principal(customer_id);
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto c = create_category(tx, {{"name", "Billing"}}, admin);
      if (!c) return fail(c.error());
      category_id = c->id;
      auto s = create_section(tx, category_id, {{"name", "Refunds"}}, admin);
      if (!s) return fail(s.error());
      section_id = s->id;
      return {};
    }));
  }

  Status write(const std::function<Status(store::Tx&)>& job) {
    return s->writer().run([&](store::Tx& tx) {
      ScopedClock clock(now);
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
  domain::Principal principal(int64_t id) {
    return read([&](store::Conn& c) { return accounts::load_principal(c, id); }).value();
  }
  // Creates an article in the fixture's section; fails the test on error.
  Article article(Json in) {
    Article out;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto a = create_article(tx, section_id, in, admin);
      if (!a) return fail(a.error());
      out = *a;
      return {};
    }));
    return out;
  }

  store::TempStore s;
  int64_t now = k_now;
  int64_t admin_id = 0, agent_id = 0, customer_id = 0, category_id = 0, section_id = 0;
  domain::Principal admin, agent, customer;
};

}  // namespace rapport::knowledge
