#include <rapport/base/crypto.hpp>
#include <rapport/email/imap.hpp>
#include <rapport/email/mailboxes.hpp>
#include <rapport/email/testing.hpp>

using namespace rapport;
using namespace rapport::email;

TEST(Seal, RoundTripsAndRefusesTheWrongKeyOrContext) {
  crypto::init();
  auto sealed = crypto::seal("server secret", "ctx.a", "hunter2");
  EXPECT_EQ(sealed.find("hunter2"), std::string::npos);
  EXPECT_EQ(crypto::unseal("server secret", "ctx.a", sealed).value_or(""), "hunter2");
  EXPECT_FALSE(crypto::unseal("other secret", "ctx.a", sealed));
  EXPECT_FALSE(crypto::unseal("server secret", "ctx.b", sealed));
  auto tampered = sealed;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(crypto::unseal("server secret", "ctx.a", tampered));
  EXPECT_NE(crypto::seal("server secret", "ctx.a", "hunter2"), sealed);  // a fresh nonce each time
}

TEST(Imap, QuotesStringsAndRefusesLineBreaks) {
  EXPECT_EQ(imap_quote("a\"b\\c").value_or(""), "\"a\\\"b\\\\c\"");
  EXPECT_FALSE(imap_quote("pass\r\nA1 DELETE INBOX"));
}

TEST_F(EmailTest, MailboxPasswordsAreWriteOnlyAndSealed) {
  auto admin = system_principal();
  MailboxRecord created;
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto m = create_mailbox(tx, {{"address", "sales@help.example"}, {"group_id", group_id}, {"imap_host", "imap.example.com"},
                                 {"imap_user", "sales"}, {"imap_password", "s3cret pass"}},
                            admin);
    if (!m) return fail(m.error());
    created = *m;
    return {};
  }));
  EXPECT_TRUE(created.password_set);
  EXPECT_EQ(created.imap_port.value_or(0), 993);
  EXPECT_EQ(to_json(created).dump().find("s3cret"), std::string::npos);
  auto stored = s->read([&](store::Conn& c) { return c.scalar_text("SELECT imap_secret FROM mailboxes WHERE id = ?", {created.id}); });
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->find("s3cret"), std::string::npos);
  auto target = s->read([&](store::Conn& c) { return poll_target(c, created.id, 5); });
  ASSERT_TRUE(target);
  EXPECT_EQ(target->imap.password, "s3cret pass");

  // Agents may not touch mailboxes; a duplicate address and a bad field are 422s.
  auto agent = s->read([&](store::Conn& c) { return accounts::load_principal(c, agent_id); }).value();
  EXPECT_EQ(s->read([&](store::Conn& c) { return list_mailboxes(c, agent); }).error().code, ErrorCode::forbidden);
  auto dup = write([&](store::Tx& tx) -> Status {
    auto m = create_mailbox(tx, {{"address", "SALES@help.example"}}, admin);
    if (!m) return fail(m.error());
    return {};
  });
  ASSERT_FALSE(dup);
  EXPECT_TRUE(dup.error().details.count("address"));
  auto bad = write([&](store::Tx& tx) -> Status {
    auto m = create_mailbox(tx, {{"address", "x@help.example"}, {"imap_tls", "ssl3"}, {"imap_port", 70000}}, admin);
    if (!m) return fail(m.error());
    return {};
  });
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().details.count("imap_tls"));
  EXPECT_TRUE(bad.error().details.count("imap_port"));
}

TEST_F(EmailTest, UidValidityChangesRestartTheMailboxAndUidsOnlyMoveForward) {
  auto last = [&] { return count("SELECT last_uid FROM mailboxes WHERE id = ?", {mailbox_id}); };
  ASSERT_TRUE(write([&](store::Tx& tx) { return set_uidvalidity(tx, mailbox_id, 100); }));
  ASSERT_TRUE(write([&](store::Tx& tx) { return advance_uid(tx, mailbox_id, 100, 7); }));
  EXPECT_EQ(last(), 7);
  ASSERT_TRUE(write([&](store::Tx& tx) { return advance_uid(tx, mailbox_id, 100, 5); }));
  EXPECT_EQ(last(), 7);  // never backwards
  ASSERT_TRUE(write([&](store::Tx& tx) { return advance_uid(tx, mailbox_id, 99, 9); }));
  EXPECT_EQ(last(), 7);  // a stale UIDVALIDITY moves nothing
  ASSERT_TRUE(write([&](store::Tx& tx) { return set_uidvalidity(tx, mailbox_id, 100); }));
  EXPECT_EQ(last(), 7);  // the same UIDVALIDITY keeps the place
  ASSERT_TRUE(write([&](store::Tx& tx) { return set_uidvalidity(tx, mailbox_id, 200); }));
  EXPECT_EQ(last(), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'mailbox.uidvalidity_changed'"), 2);
}
