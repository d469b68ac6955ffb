#pragma once
// The email tests' fixture: a store with a support mailbox owned by a group, an agent, and
// helpers that receive raw messages through the real parser and intake.
#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/email/intake.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

#include <gtest/gtest.h>

namespace rapport::email {

using accounts::system_principal;

class EmailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto g = accounts::create_group(tx, {{"name", "Support"}}, system_principal());
      if (!g) return fail(g.error());
      group_id = g->id;
      auto a = accounts::create_user(tx, {{"name", "Maria Agent"}, {"email", "maria@help.example"}, {"role", "agent"},
                                          {"group_ids", {group_id}}}, system_principal());
      if (!a) return fail(a.error());
      agent_id = a->id;
      auto r = tx.conn().run(
          "INSERT INTO mailboxes(address, address_key, name, group_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
          {"Support@Help.example", "support@help.example", "Help Desk", group_id, now, now});
      if (!r) return fail(r.error());
      mailbox_id = tx.conn().last_insert_id();
      return {};
    }));
  }

  Status write(const std::function<Status(store::Tx&)>& job) {
    return s->writer().run([&](store::Tx& tx) {
      ScopedClock clock(now);
      return job(tx);
    });
  }

  // Parses and ingests `raw` as the real entry points do; the error when either refuses it.
  Result<IngestResult> receive(const std::string& raw, const std::string& mailbox = "") {
    auto parsed = parse_message(raw, cfg.limits);
    if (!parsed) return fail(parsed.error());
    IngestResult out;
    auto st = write([&](store::Tx& tx) -> Status {
      auto r = ingest(tx, *parsed, raw, cfg, {mailbox});
      if (!r) return fail(r.error());
      out = *r;
      return {};
    });
    if (!st) return fail(st.error());
    return out;
  }
  IngestResult received(const std::string& raw) {
    auto r = receive(raw);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : IngestResult{};
  }

  domain::Ticket ticket(int64_t id) {
    return s->read([&](store::Conn& c) { return tickets::get_ticket(c, id, system_principal()); }).value();
  }
  std::vector<domain::Comment> comments(int64_t ticket_id) {
    domain::PageRequest pr;
    pr.per_page = 100;
    return s->read([&](store::Conn& c) { return tickets::list_comments(c, ticket_id, pr, system_principal()); })
        .value()
        .items;
  }
  int64_t count(const std::string& sql, const store::Params& params = {}) {
    return s->read([&](store::Conn& c) { return c.scalar(sql, params); }).value().value_or(0);
  }
  void set_status(int64_t id, const std::string& status) {
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto p = accounts::load_principal(tx.conn(), agent_id);
      if (!p) return fail(p.error());
      auto u = tickets::update_ticket(tx, id, {{"status", status}, {"assignee_id", agent_id}}, *p);
      if (!u) return fail(u.error());
      return {};
    }));
  }

  // A plain message; `extra` is more header lines, each ending in \r\n.
  static std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                          const std::string& message_id, const std::string& extra = "") {
    return "From: " + from + "\r\nTo: Help Desk <support@help.example>\r\nSubject: " + subject + "\r\nMessage-ID: <" +
           message_id + ">\r\nDate: Tue, 02 Jan 2024 10:00:00 +0000\r\n" + extra + "MIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n";
  }

  store::TempStore s;
  int64_t now = 1'780'000'000;
  IntakeConfig cfg;
  int64_t group_id = 0, agent_id = 0, mailbox_id = 0;
};

}  // namespace rapport::email
