#pragma once
// The automation tests' fixture: a store with an admin, two agents in a group and a customer, the
// trigger hook registered as the app registers it, and helpers under a fixed clock.
#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/automation/business_rules.hpp>
#include <rapport/automation/engine.hpp>
#include <rapport/automation/webhooks.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

#include <gtest/gtest.h>

namespace rapport::automation {

using accounts::system_principal;
constexpr int64_t k_hour = 3600;
constexpr int64_t k_day = 86400;
constexpr int64_t k_start = 1'780'000'000;

class AutomationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto g = accounts::create_group(tx, {{"name", "Billing"}}, system_principal());
      if (!g) return fail(g.error());
      group_id = g->id;
      auto ad = accounts::create_user(tx, {{"name", "Ada Admin"}, {"email", "ada@x.io"}, {"role", "admin"}}, system_principal());
      if (!ad) return fail(ad.error());
      admin_id = ad->id;
      auto a = accounts::create_user(tx, {{"name", "Maria Lopez"}, {"email", "maria@x.io"}, {"role", "agent"},
                                          {"group_ids", {group_id}}}, system_principal());
      if (!a) return fail(a.error());
      agent_id = a->id;
      auto b = accounts::create_user(tx, {{"name", "Sam Other"}, {"email", "sam@x.io"}, {"role", "agent"}}, system_principal());
      if (!b) return fail(b.error());
      other_agent_id = b->id;
      auto c = accounts::create_user(tx, {{"name", "Ana Customer"}, {"email", "ana@example.com"}}, system_principal());
      if (!c) return fail(c.error());
      customer_id = c->id;
      return {};
    }));
    tickets::set_after_write_hook([this](store::Tx& tx, const tickets::Written& w, tickets::Change& c) {
      return run_triggers(tx, w, c, options);
    });
  }
  void TearDown() override { tickets::set_after_write_hook({}); }

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
  domain::Principal admin() { return principal(admin_id); }

  Result<Rule> rule(RuleKind kind, const Json& in) {
    Rule out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = create_rule(tx, kind, in, admin());
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    if (!st) return fail(st.error());
    return out;
  }
  Rule must_rule(RuleKind kind, const Json& in) {
    auto r = rule(kind, in);
    EXPECT_TRUE(r) << (r ? "" : r.error().message + " " + (r.error().details.empty() ? "" : r.error().details.begin()->second[0].description));
    return r ? *r : Rule{};
  }

  tickets::Change create(const Json& in, const domain::Principal& who) {
    tickets::Change out;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = tickets::create_ticket(tx, in, who);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    }));
    return out;
  }
  tickets::Change update(int64_t id, const Json& in, const domain::Principal& who) {
    tickets::Change out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = tickets::update_ticket(tx, id, in, who);
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    EXPECT_TRUE(st) << (st ? "" : st.error().message);
    return out;
  }
  domain::Ticket ticket(int64_t id) {
    return read([&](store::Conn& c) { return tickets::get_ticket(c, id, system_principal()); }).value();
  }
  // Rows of a one-column query, as text.
  std::vector<std::string> column(const std::string& sql, const store::Params& params = {}) {
    return read([&](store::Conn& c) -> Result<std::vector<std::string>> {
             std::vector<std::string> out;
             auto st = c.each(sql, params, [&](const store::Row& r) { out.push_back(r.is_null(0) ? "NULL" : r.text(0)); });
             if (!st) return fail(st.error());
             return out;
           })
        .value();
  }
  AutomationReport run_automations_at(int64_t at) {
    auto r = run_automations(*s, options, at);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : AutomationReport{};
  }

  store::TempStore s;
  EngineOptions options{"https://help.example.com", 10, nullptr};
  int64_t now = k_start;
  int64_t group_id = 0, admin_id = 0, agent_id = 0, other_agent_id = 0, customer_id = 0;
};

}  // namespace rapport::automation
