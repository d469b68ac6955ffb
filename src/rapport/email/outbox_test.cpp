// The outbox over a real SQLite store: agent replies written in the comment's transaction, the
// claim (Message-ID minted once, From filled, automatic mail suppressed), and each outcome.
#include <gtest/gtest.h>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/email/message_id.hpp>
#include <rapport/email/outbox.hpp>
#include <rapport/email/smtp.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/tickets.hpp>

using namespace rapport;
using namespace rapport::email;

namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    cfg.default_from = {"Acme Support", "support@acme.test"};
    cfg.domain = "acme.test";
    cfg.retry_base = 10;
    cfg.retry_cap = 100;
    cfg.max_attempts = 3;
    tickets::set_comment_hook([this](store::Tx& tx, const domain::Ticket& t, const domain::Comment& c, const domain::Principal&) {
      return queue_agent_reply(tx, t, c, cfg);
    });
    ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
      auto sys = accounts::system_principal();
      auto a = accounts::create_user(tx, {{"name", "Amy Agent"}, {"email", "amy@acme.test"}, {"role", "agent"}}, sys);
      if (!a) return fail(a.error());
      agent = accounts::load_principal(tx.conn(), a->id).value();
      auto c = accounts::create_user(tx, {{"name", "Cara Customer"}, {"email", "cara@example.test"}}, sys);
      if (!c) return fail(c.error());
      customer_id = c->id;
      auto b = accounts::create_user(tx, {{"name", "Bo"}, {"email", "bo@example.test"}}, sys);
      if (!b) return fail(b.error());
      cc_id = b->id;
      return {};
    }));
  }
  void TearDown() override { tickets::set_comment_hook({}); }

  Status write(const std::function<Status(store::Tx&)>& job) { return s->writer().run(job); }

  int64_t ticket(const std::string& channel, Json extra = Json::object()) {
    int64_t id = 0;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      tickets::CreateOptions o;
      o.channel = channel;
      Json in = {{"subject", "Broken kettle"}, {"comment", {{"body", "It leaks."}}}, {"requester_id", customer_id}};
      in.update(extra);
      auto t = tickets::create_ticket(tx, in, accounts::system_principal(), o);
      if (!t) return fail(t.error());
      id = t->ticket.id;
      return {};
    }));
    return id;
  }
  Status comment(int64_t id, const std::string& body, bool is_public = true) {
    return write([&](store::Tx& tx) -> Status {
      auto r = tickets::update_ticket(tx, id, {{"comment", {{"body", body}, {"public", is_public}}}}, agent);
      if (!r) return fail(r.error());
      return {};
    });
  }
  std::vector<Delivery> rows(int64_t ticket_id) {
    return s->read([&](store::Conn& c) { return deliveries_for_ticket(c, ticket_id); }).value();
  }
  std::optional<Prepared> claim(int64_t id, int64_t now = 1000) {
    std::optional<Prepared> p;
    EXPECT_TRUE(write([&](store::Tx& tx) -> Status {
      auto r = prepare(tx, id, cfg, now);
      if (!r) return fail(r.error());
      p = std::move(*r);
      return {};
    }));
    return p;
  }
  void outcome(int64_t id, SmtpResult r, int64_t now = 1000) {
    ASSERT_TRUE(write([&](store::Tx& tx) { return record(tx, id, r, cfg, now, rng); }));
  }
  std::string text(const std::string& q) {
    return s->read([&](store::Conn& c) { return c.scalar_text(q); }).value().value_or("");
  }

  store::TempStore s;
  DeliveryConfig cfg;
  domain::Principal agent;
  int64_t customer_id = 0, cc_id = 0;
  std::mt19937_64 rng{42};
};

SmtpResult answer(SmtpResult::Outcome o, int code, std::string text) {
  SmtpResult r;
  r.outcome = o;
  r.code = code;
  r.response = std::move(text);
  if (o != SmtpResult::Outcome::sent) r.error = "Failure when receiving data from the peer";
  return r;
}

}  // namespace

TEST_F(OutboxTest, AgentReplyIsQueuedInTheCommentsTransactionWithThreading) {
  auto id = ticket("email", {{"email_cc_ids", {cc_id}}});
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("INSERT INTO mail_messages(message_id, direction, ticket_id, created_at) VALUES ('orig@example.test', 'in', ?, 1)", {id});
    if (!r) return fail(r.error());
    return {};
  }));
  ASSERT_TRUE(comment(id, "A new one is on its way."));
  auto ds = rows(id);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].kind, "agent_reply");
  EXPECT_EQ(ds[0].to_address, "cara@example.test");
  EXPECT_EQ(ds[0].cc, Json::array({"bo@example.test"}));
  EXPECT_EQ(ds[0].subject, "Re: Broken kettle [#" + std::to_string(id) + "]");
  EXPECT_EQ(ds[0].status, "queued");
  ASSERT_TRUE(ds[0].message_id);
  EXPECT_TRUE(ds[0].message_id->ends_with("@acme.test"));
  EXPECT_EQ(text("SELECT in_reply_to FROM outbox WHERE id = " + std::to_string(ds[0].id)), "orig@example.test");

  ASSERT_TRUE(comment(id, "Shipped."));
  ds = rows(id);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(text("SELECT in_reply_to FROM outbox WHERE id = " + std::to_string(ds[1].id)), *ds[0].message_id)
      << "the second reply answers the first, though the first has not gone out";
  EXPECT_EQ(text("SELECT refs FROM outbox WHERE id = " + std::to_string(ds[1].id)), "orig@example.test " + *ds[0].message_id);
}

// Times are seconds, so a sent reply and the customer's answer to it often share one. A reply that
// went out counts from its mail_messages row (written when it was sent, before the answer came),
// not from its outbox row: otherwise the next reply would answer our own mail instead of hers.
TEST_F(OutboxTest, TheCustomersAnswerInTheSameSecondAsOurSentReplyIsTheNewestMessage) {
  auto id = ticket("email");
  ASSERT_TRUE(comment(id, "Is it plugged in?"));
  auto ds = rows(id);
  ASSERT_EQ(ds.size(), 1u);
  auto second = static_cast<int64_t>(std::stoll(text("SELECT created_at FROM outbox WHERE id = " + std::to_string(ds[0].id))));
  ASSERT_TRUE(claim(ds[0].id, second));
  outcome(ds[0].id, answer(SmtpResult::Outcome::sent, 250, "250 OK"), second);
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("INSERT INTO mail_messages(message_id, direction, ticket_id, created_at) VALUES ('answer@example.test', 'in', ?, ?)",
                           {id, second});
    if (!r) return fail(r.error());
    return {};
  }));
  ASSERT_TRUE(comment(id, "Then it is the fuse."));
  ds = rows(id);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(text("SELECT in_reply_to FROM outbox WHERE id = " + std::to_string(ds[1].id)), "answer@example.test");
  EXPECT_EQ(text("SELECT refs FROM outbox WHERE id = " + std::to_string(ds[1].id)), *ds[0].message_id + " answer@example.test");
}

TEST_F(OutboxTest, OnlyPublicStaffCommentsOnEmailTicketsBecomeMail) {
  auto api = ticket("api");
  ASSERT_TRUE(comment(api, "Answered in the app."));
  EXPECT_TRUE(rows(api).empty());
  auto with_recipient = ticket("api", {{"recipient", "support@acme.test"}});
  ASSERT_TRUE(comment(with_recipient, "By mail."));
  EXPECT_EQ(rows(with_recipient).size(), 1u) << "a ticket naming its support address is answered by mail";
  auto id = ticket("email");
  ASSERT_TRUE(comment(id, "A note.", false));
  EXPECT_TRUE(rows(id).empty());
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto cust = accounts::load_principal(tx.conn(), customer_id).value();
    auto r = tickets::update_ticket(tx, id, {{"comment", {{"body", "Any news?"}}}}, cust);
    if (!r) return fail(r.error());
    return {};
  }));
  EXPECT_TRUE(rows(id).empty());
}

TEST_F(OutboxTest, AFailedHookFailsTheComment) {
  auto id = ticket("email");
  tickets::set_comment_hook([](store::Tx&, const domain::Ticket&, const domain::Comment&, const domain::Principal&) -> Status {
    return fail(Error::internal("outbox unavailable"));
  });
  EXPECT_FALSE(comment(id, "Lost?"));
  EXPECT_EQ(text("SELECT COUNT(*) FROM comments WHERE ticket_id = " + std::to_string(id)), "1") << "the comment rolled back too";
}

TEST_F(OutboxTest, ClaimKeepsTheMessageIdAndFillsFrom) {
  auto id = ticket("email");
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("INSERT INTO outbox(kind, to_address, subject, body_text, ticket_id, next_attempt_at, created_at) "
                           "VALUES ('notification', 'cara@example.test', 'Hi', 'Hello', ?, 0, 0)", {id});
    if (!r) return fail(r.error());
    return {};
  }));
  auto row = std::stoll(text("SELECT MAX(id) FROM outbox"));
  auto p = claim(row);
  ASSERT_TRUE(p);
  auto mid = text("SELECT message_id FROM outbox WHERE id = " + std::to_string(row));
  EXPECT_TRUE(mid.ends_with("@acme.test"));
  EXPECT_EQ(text("SELECT from_address FROM outbox WHERE id = " + std::to_string(row)), "support@acme.test");
  EXPECT_NE(p->data.find("Message-Id: " + bracket(mid)), std::string::npos) << p->data.substr(0, 600);
  EXPECT_NE(p->data.find("Auto-Submitted: auto-generated"), std::string::npos) << "a notification is automatic";
  EXPECT_NE(p->data.find("From: Acme Support <support@acme.test>"), std::string::npos);
  auto again = claim(row);
  ASSERT_TRUE(again);
  EXPECT_EQ(text("SELECT message_id FROM outbox WHERE id = " + std::to_string(row)), mid) << "minted once";
}

TEST_F(OutboxTest, AutomaticMailIsSuppressedForBouncesAndAutomaticSenders) {
  auto id = ticket("email");
  auto tagged = ticket("email", {{"tags", {"mail_auto_submitted"}}});
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    for (auto [t, to] : {std::pair{id, "bouncy@example.test"}, {tagged, "cara@example.test"}, {id, "cara@example.test"}}) {
      auto r = tx.conn().run("INSERT INTO outbox(kind, to_address, subject, body_text, ticket_id, next_attempt_at, created_at) "
                             "VALUES ('feedback_request', ?, 'Rate us', 'Please', ?, 0, 0)", {std::string(to), t});
      if (!r) return fail(r.error());
    }
    auto b = tx.conn().run("INSERT INTO mail_bounces(address_key, reason, bounced_at) VALUES ('bouncy@example.test', 'gone', 0)");
    if (!b) return fail(b.error());
    return {};
  }));
  auto due = s->read([&](store::Conn& c) { return due_rows(c, 1000, 10); }).value();
  ASSERT_EQ(due.size(), 3u);
  EXPECT_FALSE(claim(due[0]));
  EXPECT_FALSE(claim(due[1]));
  EXPECT_TRUE(claim(due[2])) << "the same mail to a good address on a normal ticket goes";
  EXPECT_EQ(text("SELECT last_error FROM outbox WHERE id = " + std::to_string(due[0])), "suppressed: address is bouncing");
  EXPECT_EQ(text("SELECT last_error FROM outbox WHERE id = " + std::to_string(due[1])),
            "suppressed: the ticket came from an automatic sender");
  EXPECT_EQ(text("SELECT status || permanent FROM outbox WHERE id = " + std::to_string(due[1])), "failed1");
  EXPECT_EQ(text("SELECT COUNT(*) FROM events WHERE kind = 'mail.failed'"), "2");
}

TEST_F(OutboxTest, OutcomesSentDeferredAndFailed) {
  auto id = ticket("email");
  ASSERT_TRUE(comment(id, "One"));
  ASSERT_TRUE(comment(id, "Two"));
  ASSERT_TRUE(comment(id, "Three"));
  auto ds = rows(id);
  ASSERT_EQ(ds.size(), 3u);
  using O = SmtpResult::Outcome;

  ASSERT_TRUE(claim(ds[0].id));
  outcome(ds[0].id, answer(O::sent, 250, "250 OK queued as 7"));
  auto d = rows(id)[0];
  EXPECT_EQ(d.status, "sent");
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(*d.smtp_response, "250 OK queued as 7");
  EXPECT_EQ(text("SELECT direction || ticket_id || '/' || comment_id FROM mail_messages WHERE message_id = '" + *d.message_id + "'"),
            "out" + std::to_string(id) + "/" + std::to_string(*d.comment_id));

  outcome(ds[1].id, answer(O::transient, 451, "451 4.3.0 Try later"), 1000);
  d = rows(id)[1];
  EXPECT_EQ(d.status, "queued");
  EXPECT_EQ(d.attempts, 1);
  EXPECT_GE(d.next_attempt_at, 1005);
  EXPECT_LE(d.next_attempt_at, 1010);
  EXPECT_EQ(*d.smtp_response, "451 4.3.0 Try later");
  outcome(ds[1].id, answer(O::transient, 451, "451 again"), 2000);
  outcome(ds[1].id, answer(O::transient, 451, "451 again"), 3000);
  d = rows(id)[1];
  EXPECT_EQ(d.status, "failed") << "out of attempts (max 3)";
  EXPECT_TRUE(d.permanent);
  EXPECT_TRUE(d.last_error->starts_with("gave up after 3 attempts")) << *d.last_error;

  outcome(ds[2].id, answer(O::permanent, 550, "550 5.1.1 No such user"));
  d = rows(id)[2];
  EXPECT_EQ(d.status, "failed");
  EXPECT_TRUE(d.permanent);
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(*d.smtp_response, "550 5.1.1 No such user");
  EXPECT_EQ(text("SELECT COUNT(*) || '/' || SUM(kind = 'mail.sent') || '/' || SUM(kind = 'mail.deferred') || '/' || "
                 "SUM(kind = 'mail.failed') FROM events WHERE kind LIKE 'mail.%' AND kind != 'mail.queued'"),
            "5/1/2/2");

  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = retry_now(tx, ds[2].id, agent);
    if (!r) return fail(r.error());
    EXPECT_EQ(r->status, "queued");
    EXPECT_EQ(r->attempts, 0);
    return {};
  }));
  EXPECT_FALSE(write([&](store::Tx& tx) -> Status {
    auto r = retry_now(tx, ds[0].id, agent);
    if (!r) return fail(r.error());
    return {};
  })) << "a sent message is not sent again";
}

TEST(Backoff, DoublesUpToTheCapWithJitter) {
  DeliveryConfig cfg;
  cfg.retry_base = 60;
  cfg.retry_cap = 3600;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    auto first = backoff(1, cfg, rng);
    EXPECT_GE(first, 30);
    EXPECT_LE(first, 60);
    auto third = backoff(3, cfg, rng);
    EXPECT_GE(third, 120);
    EXPECT_LE(third, 240);
    auto late = backoff(30, cfg, rng);
    EXPECT_GE(late, 1800);
    EXPECT_LE(late, 3600);
  }
}

TEST(Smtp, RefusedConnectionIsTransient) {
  SmtpConfig c;
  c.host = "127.0.0.1";
  c.port = 1;  // nothing listens on port 1 on loopback
  c.tls = Tls::none;
  c.connect_timeout = std::chrono::seconds(2);
  SmtpClient client(c);
  auto r = client.send("support@acme.test", {"cara@example.test"}, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(r.outcome, SmtpResult::Outcome::transient);
  EXPECT_EQ(r.code, 0);
  EXPECT_FALSE(r.error.empty());
}
