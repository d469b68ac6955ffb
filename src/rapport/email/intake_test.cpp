#include <rapport/email/attachments.hpp>
#include <rapport/email/html.hpp>
#include <rapport/email/reply.hpp>
#include <rapport/email/testing.hpp>

using namespace rapport;
using namespace rapport::email;

namespace {

bool has_tag(const domain::Ticket& t, const std::string& tag) {
  for (const auto& x : t.tags)
    if (x == tag) return true;
  return false;
}

}  // namespace

TEST_F(EmailTest, ANewMessageBecomesATicketFromItsSender) {
  auto r = received(mail("=?UTF-8?Q?Ana_Mar=C3=ADa?= <Ana@Customer.example>", "Order 12 is late",
                         "Where is my order?\r\n\r\nAna", "m1@customer.example",
                         "Cc: Bob <bob@customer.example>, support@help.example\r\n"));
  EXPECT_EQ(r.outcome, "created");
  ASSERT_TRUE(r.ticket_id);
  auto t = ticket(*r.ticket_id);
  EXPECT_EQ(t.subject, "Order 12 is late");
  EXPECT_EQ(t.channel, "email");
  EXPECT_EQ(t.group_id.value_or(0), group_id);
  EXPECT_EQ(t.recipient.value_or(""), "Support@Help.example");
  EXPECT_EQ(t.via_source["from"]["address"], "Ana@Customer.example");
  EXPECT_EQ(t.via_source["from"]["name"], "Ana María");
  EXPECT_EQ(t.via_source["to"]["address"], "Support@Help.example");
  auto requester = s->read([&](store::Conn& c) { return accounts::get_user(c, t.requester_id); }).value();
  EXPECT_EQ(requester.name, "Ana María");
  EXPECT_EQ(requester.role, "end-user");
  // Bob is a collaborator; our own address is not.
  ASSERT_EQ(t.collaborator_ids.size(), 1u);
  ASSERT_EQ(t.email_cc_ids.size(), 1u);
  auto bob = s->read([&](store::Conn& c) { return accounts::get_user(c, t.collaborator_ids[0].get<int64_t>()); }).value();
  EXPECT_EQ(bob.email.value_or(""), "bob@customer.example");
  auto cs = comments(t.id);
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].body, "Where is my order?\n\nAna");
  EXPECT_EQ(cs[0].author_id, t.requester_id);
  EXPECT_EQ(cs[0].via["channel"], "email");
  EXPECT_EQ(cs[0].metadata["email"]["message_id"], "m1@customer.example");
  EXPECT_FALSE(cs[0].metadata.contains("auto_submitted"));
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'mail.received'"), 1);

  // The same sender, in other case, is the same user.
  auto again = received(mail("ana@CUSTOMER.example", "Another", "Hi", "m2@customer.example"));
  EXPECT_EQ(ticket(*again.ticket_id).requester_id, t.requester_id);
}

TEST_F(EmailTest, TheOriginalIsStoredOnceAndReadable) {
  auto raw = mail("ana@customer.example", "Hi", "Body", "orig@customer.example");
  auto r = received(raw);
  auto orig = s->read([&](store::Conn& c) { return original_message(c, *r.ticket_id, *r.comment_id); });
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->data, raw);
  EXPECT_FALSE(s->read([&](store::Conn& c) { return original_message(c, *r.ticket_id + 1, *r.comment_id); }));
}

TEST_F(EmailTest, ARedeliveredMessageIsAcknowledgedNotStoredTwice) {
  auto raw = mail("ana@customer.example", "Hi", "Body", "dup@customer.example");
  auto first = received(raw);
  auto second = received(raw);
  EXPECT_EQ(second.outcome, "duplicate");
  EXPECT_EQ(second.ticket_id, first.ticket_id);
  EXPECT_EQ(second.comment_id, first.comment_id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM blobs"), 1);
  // Without a Message-ID, the same bytes are still the same message.
  auto bare = "From: ana@customer.example\r\nSubject: no id\r\n\r\nsame bytes\r\n";
  EXPECT_EQ(received(bare).outcome, "created");
  EXPECT_EQ(received(bare).outcome, "duplicate");
}

TEST_F(EmailTest, RepliesThreadByInReplyToAndReferences) {
  auto first = received(mail("ana@customer.example", "Printer", "It is broken", "t1@customer.example"));
  // A message we sent on that ticket (the delivery side writes these rows).
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("INSERT INTO mail_messages(message_id, direction, ticket_id, created_at) VALUES (?, 'out', ?, ?)",
                           {"out.1@help.example", *first.ticket_id, now});
    if (!r) return fail(r.error());
    return {};
  }));
  auto reply = received(mail("ana@customer.example", "Re: Printer",
                             "Still broken.\r\n\r\nOn Tue, 2 Jan 2024 at 10:00, Help Desk <support@help.example> wrote:\r\n"
                             "> Have you tried turning it off?\r\n",
                             "t2@customer.example", "In-Reply-To: <OUT.1@help.example>\r\n"));
  EXPECT_EQ(reply.outcome, "commented");
  EXPECT_EQ(reply.ticket_id, first.ticket_id);
  auto cs = comments(*first.ticket_id);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[1].body, "Still broken.");  // the quoted history is cut
  // References alone thread too (an unknown In-Reply-To does not stop the search).
  auto third = received(mail("ana@customer.example", "Re: Printer", "Any news?", "t3@customer.example",
                             "In-Reply-To: <unknown@elsewhere>\r\nReferences: <t1@customer.example> <t2@customer.example>\r\n"));
  EXPECT_EQ(third.ticket_id, first.ticket_id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 1);
}

TEST_F(EmailTest, TheSubjectTokenThreadsOnlyForPeopleOnTheTicket) {
  auto first = received(mail("ana@customer.example", "Refund", "Please refund", "k1@customer.example",
                             "Cc: bob@customer.example\r\n"));
  auto token = ticket_token(*first.ticket_id);
  EXPECT_EQ(find_ticket_token("Re: Refund " + token), first.ticket_id);
  auto by_requester = received(mail("ana@customer.example", "Re: Refund " + token, "Thanks", "k2@customer.example"));
  EXPECT_EQ(by_requester.ticket_id, first.ticket_id);
  auto by_cc = received(mail("bob@customer.example", "Re: " + token, "Me too", "k3@customer.example"));
  EXPECT_EQ(by_cc.ticket_id, first.ticket_id);
  // A stranger who guesses the number gets a ticket of their own.
  auto stranger = received(mail("eve@attacker.example", "Re: " + token, "Let me in", "k4@attacker.example"));
  EXPECT_EQ(stranger.outcome, "created");
  EXPECT_NE(stranger.ticket_id, first.ticket_id);
  EXPECT_EQ(comments(*first.ticket_id).size(), 3u);
}

TEST_F(EmailTest, AReplyToASolvedTicketReopensItAndToAClosedOneFollowsUp) {
  auto first = received(mail("ana@customer.example", "Login", "Cannot log in", "s1@customer.example"));
  set_status(*first.ticket_id, "solved");
  auto reply = received(mail("ana@customer.example", "Re: Login", "It broke again", "s2@customer.example",
                             "In-Reply-To: <s1@customer.example>\r\n"));
  EXPECT_EQ(reply.outcome, "commented");
  EXPECT_EQ(ticket(*first.ticket_id).status, "open");

  set_status(*first.ticket_id, "closed");
  auto late = received(mail("ana@customer.example", "Re: Login", "And again", "s3@customer.example",
                            "In-Reply-To: <s2@customer.example>\r\n"));
  EXPECT_EQ(late.outcome, "followup");
  ASSERT_TRUE(late.ticket_id);
  EXPECT_NE(*late.ticket_id, *first.ticket_id);
  auto f = ticket(*late.ticket_id);
  EXPECT_EQ(f.followup_source_id.value_or(0), *first.ticket_id);
  EXPECT_EQ(f.via_source["rel"], "follow_up");
  EXPECT_EQ(f.group_id.value_or(0), group_id);
  EXPECT_EQ(ticket(*first.ticket_id).status, "closed");
  // Replies to the follow-up's thread now land on the follow-up.
  auto next = received(mail("ana@customer.example", "Re: Login", "Hello?", "s4@customer.example",
                            "In-Reply-To: <s3@customer.example>\r\n"));
  EXPECT_EQ(next.ticket_id, late.ticket_id);
}

TEST_F(EmailTest, MailFromOurOwnAddressIsDroppedAndRecorded) {
  auto r = received(mail("support@HELP.example", "Re: loop", "Auto reply", "loop@help.example"));
  EXPECT_EQ(r.outcome, "dropped");
  EXPECT_FALSE(r.ticket_id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'mail.dropped'"), 1);
  EXPECT_EQ(received(mail("support@help.example", "Re: loop", "Auto reply", "loop@help.example")).outcome, "duplicate");
}

TEST_F(EmailTest, AutomaticMailIsStoredButFlaggedAndNeverReopens) {
  auto first = received(mail("ana@customer.example", "Question", "Hi", "a1@customer.example"));
  set_status(*first.ticket_id, "solved");
  auto ooo = received(mail("ana@customer.example", "Out of office", "I am away", "a2@customer.example",
                           "In-Reply-To: <a1@customer.example>\r\nAuto-Submitted: auto-replied\r\n"));
  EXPECT_EQ(ooo.outcome, "commented");
  EXPECT_TRUE(ooo.auto_submitted);
  auto t = ticket(*first.ticket_id);
  EXPECT_EQ(t.status, "solved");
  EXPECT_TRUE(has_tag(t, "mail_auto_submitted"));
  EXPECT_EQ(comments(t.id).back().metadata.value("auto_submitted", false), true);

  auto bulk = received(mail("news@shop.example", "Weekly deals", "Buy!", "b1@shop.example", "Precedence: bulk\r\n"));
  EXPECT_EQ(bulk.outcome, "created");
  EXPECT_TRUE(has_tag(ticket(*bulk.ticket_id), "mail_auto_submitted"));
  auto plain = received(mail("carl@customer.example", "Hello", "A person", "p1@customer.example", "Auto-Submitted: no\r\n"));
  EXPECT_FALSE(has_tag(ticket(*plain.ticket_id), "mail_auto_submitted"));
}

TEST_F(EmailTest, BouncesMarkTheAddressAndNoteTheTicketWithoutANewOne) {
  auto first = received(mail("gone@customer.example", "Help", "Hi", "g1@customer.example"));
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("INSERT INTO mail_messages(message_id, direction, ticket_id, created_at) VALUES (?, 'out', ?, ?)",
                           {"reply.5@help.example", *first.ticket_id, now});
    if (!r) return fail(r.error());
    return {};
  }));
  std::string dsn =
      "From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>\r\nTo: support@help.example\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce.1@mx.customer.example>\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"
      "--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
      "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.example\r\n\r\n"
      "Final-Recipient: rfc822; Gone@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
      "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n\r\n"
      "--r\r\nContent-Type: message/rfc822\r\n\r\nFrom: support@help.example\r\nTo: gone@customer.example\r\n"
      "Message-ID: <reply.5@help.example>\r\nSubject: Re: Help\r\n\r\nOur answer\r\n--r--\r\n";
  auto r = received(dsn);
  EXPECT_EQ(r.outcome, "bounce");
  EXPECT_EQ(r.ticket_id, first.ticket_id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 1);
  EXPECT_EQ(count("SELECT count FROM mail_bounces WHERE address_key = 'gone@customer.example'"), 1);
  auto cs = comments(*first.ticket_id);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_FALSE(cs[1].is_public);
  EXPECT_NE(cs[1].body.find("5.1.1"), std::string::npos);
  auto user = s->read([&](store::Conn& c) { return accounts::find_user_by_email(c, "gone@customer.example"); }).value();
  ASSERT_TRUE(user);
  EXPECT_NE(user->tags.dump().find("email_bouncing"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'mail.bounced'"), 1);
}

TEST_F(EmailTest, OverTheRateLimitMailLandsOnTheSendersOpenTicketFlagged) {
  cfg.rate_limit_messages = 3;
  cfg.rate_limit_window = 600;
  std::optional<int64_t> first;
  for (int i = 0; i < 3; ++i) {
    auto r = received(mail("flood@customer.example", "Msg " + std::to_string(i), "text", "f" + std::to_string(i) + "@c"));
    EXPECT_FALSE(r.rate_limited);
    if (!first) first = r.ticket_id;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 3);
  auto over = received(mail("flood@customer.example", "Msg 3", "text", "f3@c"));
  EXPECT_TRUE(over.rate_limited);
  EXPECT_EQ(over.outcome, "commented");
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 3);
  auto t = ticket(*over.ticket_id);
  EXPECT_TRUE(has_tag(t, "mail_rate_limited"));
  EXPECT_TRUE(has_tag(t, "mail_auto_submitted"));
  // Another sender is not limited; and the window passes.
  EXPECT_FALSE(received(mail("calm@customer.example", "Hi", "text", "c1@c")).rate_limited);
  now += 601;
  EXPECT_FALSE(received(mail("flood@customer.example", "Later", "text", "f4@c")).rate_limited);
}

TEST_F(EmailTest, AttachmentsAndInlineImagesAreStoredOnceOnTheComment) {
  std::string raw =
      "From: ana@customer.example\r\nTo: support@help.example\r\nSubject: Photo\r\nMessage-ID: <att1@c>\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n"
      "--b\r\nContent-Type: image/png\r\nContent-ID: <logo@c>\r\nContent-Disposition: inline\r\n\r\nPNGDATA\r\n"
      "--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"../../evil\\\".html\"\r\n\r\n"
      "<script>alert(1)</script>\r\n--b--\r\n";
  auto r = received(raw);
  auto again = received("From: bob@customer.example\r\nTo: support@help.example\r\nMessage-ID: <att2@c>\r\n"
                        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsame\r\n"
                        "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=a.png\r\n\r\nPNGDATA\r\n--b--\r\n");
  auto found = s->read([&](store::Conn& c) { return attachments_for_comments(c, {*r.comment_id}); }).value();
  ASSERT_EQ(found[*r.comment_id].size(), 2u);
  auto& img = found[*r.comment_id][0];
  EXPECT_TRUE(img.is_inline);
  EXPECT_EQ(img.content_id, "logo@c");
  EXPECT_EQ(img.size, 7);
  auto& html = found[*r.comment_id][1];
  EXPECT_EQ(html.file_name.find('/'), std::string::npos);
  EXPECT_EQ(html.file_name.find('"'), std::string::npos);
  EXPECT_EQ(serve_as(html.content_type).content_type, "application/octet-stream");
  EXPECT_FALSE(serve_as(html.content_type).inline_ok);
  EXPECT_TRUE(serve_as("image/png").inline_ok);
  EXPECT_FALSE(serve_as("image/svg+xml").inline_ok);
  EXPECT_EQ(serve_as("image/svg+xml").content_type, "application/octet-stream");
  // Identical bytes are one blob: PNGDATA twice, plus the two raw messages and the HTML.
  EXPECT_EQ(count("SELECT COUNT(*) FROM blobs"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM attachments"), 3);
  (void)again;

  // An end user sees an attachment of a public comment on their own ticket; another does not.
  auto ana = s->read([&](store::Conn& c) { return accounts::load_principal(c, ticket(*r.ticket_id).requester_id); }).value();
  auto bob = s->read([&](store::Conn& c) { return accounts::load_principal(c, ticket(*again.ticket_id).requester_id); }).value();
  EXPECT_TRUE(s->read([&](store::Conn& c) { return get_attachment(c, img.id, ana); }));
  EXPECT_FALSE(s->read([&](store::Conn& c) { return get_attachment(c, img.id, bob); }));
}

TEST_F(EmailTest, AMessageWithoutASenderIsRejectedWithAReason) {
  auto r = receive("To: support@help.example\r\nSubject: who?\r\nMessage-ID: <nofrom@c>\r\n\r\nHi\r\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::validation);
  EXPECT_NE(r.error().message.find("From"), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tickets"), 0);
}

TEST(Reply, StripsQuotedHistoryAndSignatures) {
  EXPECT_EQ(strip_quoted_text("Thanks!\n\nOn Mon, Jan 1, 2024 at 9:00 AM Help <s@h> wrote:\n> old\n> text"), "Thanks!");
  EXPECT_EQ(strip_quoted_text("Thanks!\n\nOn Mon, Jan 1, 2024 at 9:00 AM Help Desk\n<s@h> wrote:\n> old"), "Thanks!");
  EXPECT_EQ(strip_quoted_text("Danke\n\nAm 01.01.2024 um 09:00 schrieb Help <s@h>:\n> alt"), "Danke");
  EXPECT_EQ(strip_quoted_text("Yes\n\n-----Original Message-----\nFrom: Help\nSent: Monday\nTo: me\nSubject: x\n\nold"), "Yes");
  EXPECT_EQ(strip_quoted_text("Yes\n\n________________________________\nFrom: Help <s@h>\nSent: Monday\nTo: me\nSubject: x"), "Yes");
  EXPECT_EQ(strip_quoted_text("Best,\nAna\n-- \nAna Lopez | ACME\n+1 555"), "Best,\nAna");
  EXPECT_EQ(strip_quoted_text("ok\n\nSent from my iPhone"), "ok");
  EXPECT_EQ(strip_quoted_text("Answer\n\n> quoted\n>more\n\n"), "Answer");
  // Inline answers between quotes are kept; a message that is only a quote is kept whole.
  EXPECT_EQ(strip_quoted_text("> q1\nanswer 1\n> q2\nanswer 2"), "> q1\nanswer 1\n> q2\nanswer 2");
  EXPECT_EQ(strip_quoted_text("> only a quote"), "> only a quote");
  EXPECT_EQ(strip_quoted_text("From: the start of a normal sentence"), "From: the start of a normal sentence");
}

TEST(Reply, CutsHtmlQuoteContainers) {
  EXPECT_EQ(strip_quoted_html("<div>New</div><div class=\"gmail_quote\"><blockquote>old</blockquote></div>"), "<div>New</div>");
  EXPECT_EQ(strip_quoted_html("<p>New</p><blockquote type=\"cite\">old</blockquote>"), "<p>New</p>");
  EXPECT_EQ(strip_quoted_html("<p>New</p><hr><div id=\"divRplyFwdMsg\">From: x</div>old"), "<p>New</p><hr>");
  EXPECT_EQ(html_to_plain(strip_quoted_html("<p>New</p><div class=\"gmail_quote\">On Mon wrote:</div>")), "New");
}

TEST_F(EmailTest, AnHtmlMessageKeepsItsFormattingSanitizedAndItsTextForSearch) {
  std::string raw =
      "From: Ann <ann@example.com>\r\nTo: support@help.example\r\nSubject: Formatted\r\nMessage-ID: <html.1@example.com>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
      "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe lamp is broken.\r\n"
      "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
      "<html><head><style>p{position:fixed}</style></head><body><p>The <b>lamp</b> is broken.</p>"
      "<script>alert(1)</script><img src=\"https://tracker.example/p.gif\" onerror=\"alert(2)\">"
      "<div class=\"gmail_quote\">On Mon, Support wrote:<blockquote>old</blockquote></div></body></html>\r\n"
      "--alt--\r\n";
  auto r = received(raw);
  ASSERT_TRUE(r.ticket_id);
  auto c = comments(*r.ticket_id).front();
  EXPECT_EQ(c.body, "The lamp is broken.");  // the text, for search and plain_body
  EXPECT_EQ(c.html_body,
            "<p>The <b>lamp</b> is broken.</p><img data-remote-src=\"https://tracker.example/p.gif\">"
            "<details data-quoted><summary>Show quoted text</summary><div>On Mon, Support wrote:<blockquote>old</blockquote>"
            "</div></details>");
  EXPECT_EQ(c.metadata["email"]["html"], "sanitized");
}

TEST_F(EmailTest, HtmlOverTheLimitIsShownAsTextWithTheReasonRecorded) {
  std::string big = "<p>" + std::string(k_max_email_html, 'x') + "</p>";
  std::string raw = "From: ann@example.com\r\nTo: support@help.example\r\nSubject: Big\r\nMessage-ID: <big.1@example.com>\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Short words first.</p>" + big + "\r\n";
  auto r = received(raw);
  ASSERT_TRUE(r.ticket_id);
  auto c = comments(*r.ticket_id).front();
  EXPECT_EQ(c.metadata["email"]["html"], "too_large");
  EXPECT_EQ(c.html_body.find("<p>Short words first.</p><p>xxx"), std::string::npos);  // not the sender's HTML
  EXPECT_EQ(c.html_body.rfind("<div class=\"zd-comment\" dir=\"auto\"><p>Short words first.", 0), 0u);  // its text
}

TEST_F(EmailTest, PlainTextMailHasNoHtmlState) {
  auto r = received(mail("ann@example.com", "Plain", "Just <b>text</b>", "plain.1@example.com"));
  auto c = comments(*r.ticket_id).front();
  EXPECT_FALSE(c.metadata["email"].contains("html"));
  EXPECT_EQ(c.html_body, "<div class=\"zd-comment\" dir=\"auto\"><p>Just &lt;b&gt;text&lt;/b&gt;</p></div>");
}
