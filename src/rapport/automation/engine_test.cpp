// The engine against a real store: triggers inside the ticket write, automations over time,
// macros previewed, notifications and webhook calls queued in the same transaction.
#include <rapport/automation/testing.hpp>

namespace rapport::automation {
namespace {

Json cond(const char* field, const char* op, Json value = nullptr) {
  return {{"field", field}, {"operator", op}, {"value", std::move(value)}};
}
Json act(const char* field, Json value) { return {{"field", field}, {"value", std::move(value)}}; }

TEST_F(AutomationTest, TriggersFireInPositionOrderAndJoinTheUpdatesAudit) {
  auto first = must_rule(RuleKind::trigger, {{"title", "Urgent words"},
                                             {"conditions", {{"all", {cond("update_type", "is", "Create"),
                                                                      cond("comment_includes_word", "includes", "outage")}}}},
                                             {"actions", {act("priority", "urgent"), act("current_tags", "outage")}}});
  auto second = must_rule(RuleKind::trigger, {{"title", "Urgent to billing"},
                                              {"conditions", {{"all", {cond("priority", "is", "urgent")}}}},
                                              {"actions", {act("group_id", group_id)}}});
  auto c = create({{"subject", "Down"}, {"comment", {{"body", "Total outage since 9am"}}}}, principal(customer_id));
  EXPECT_EQ(c.ticket.priority.value_or(""), "urgent");
  EXPECT_EQ(c.ticket.group_id.value_or(0), group_id);
  EXPECT_EQ(c.ticket.tags, Json::array({"outage"}));
  auto stored = ticket(c.ticket.id);
  EXPECT_EQ(stored.group_id.value_or(0), group_id);

  // One audit: the customer's create, then each trigger's changes carrying the trigger as via.
  auto audits = column("SELECT events FROM audits WHERE ticket_id = ?", {c.ticket.id});
  ASSERT_EQ(audits.size(), 1u);
  auto events = Json::parse(audits[0]);
  std::vector<std::pair<std::string, Id>> by_rule;
  for (const auto& e : events)
    if (e.contains("via")) by_rule.emplace_back(e["field_name"], e["via"]["source"]["from"]["id"].get<Id>());
  std::vector<std::pair<std::string, Id>> want = {{"priority", first.id}, {"tags", first.id}, {"group_id", second.id}};
  EXPECT_EQ(by_rule, want);
  EXPECT_EQ(events.back()["via"]["channel"], "rule");
  EXPECT_EQ(events.back()["via"]["source"]["rel"], "trigger");
  EXPECT_EQ(events.back()["via"]["source"]["from"]["title"], "Urgent to billing");
  // Every automatic change is an event naming its rule.
  auto rule_events = column("SELECT json_extract(data, '$.rule.id') FROM events WHERE kind = 'ticket.updated' AND entity_id = ? "
                            "ORDER BY id",
                            {c.ticket.id});
  EXPECT_EQ(rule_events, (std::vector<std::string>{std::to_string(first.id), std::to_string(second.id)}));
}

TEST_F(AutomationTest, PingPongTriggersStopWithEachFiringOnce) {
  auto up = must_rule(RuleKind::trigger, {{"title", "Low to high"},
                                          {"conditions", {{"all", {cond("priority", "is", "low")}}}},
                                          {"actions", {act("priority", "high")}}});
  auto down = must_rule(RuleKind::trigger, {{"title", "High to low"},
                                            {"conditions", {{"all", {cond("priority", "is", "high")}}}},
                                            {"actions", {act("priority", "low")}}});
  auto c = create({{"subject", "Loop"}, {"priority", "low"}, {"comment", {{"body", "x"}}}}, admin());
  // low -> high (first pass), -> low (second pass); a third pass finds both fired.
  EXPECT_EQ(c.ticket.priority.value_or(""), "low");
  EXPECT_EQ(column("SELECT usage_count FROM business_rules WHERE id IN (?, ?) ORDER BY id", {up.id, down.id}),
            (std::vector<std::string>{"1", "1"}));
  // The next update is a new update: each may fire once again.
  update(c.ticket.id, {{"priority", "high"}}, admin());
  EXPECT_EQ(ticket(c.ticket.id).priority.value_or(""), "high");  // high -> low -> high
}

TEST_F(AutomationTest, PassesAreBounded) {
  options.max_trigger_passes = 1;
  must_rule(RuleKind::trigger, {{"title", "High to urgent"}, {"conditions", {{"all", {cond("priority", "is", "high")}}}},
                                {"actions", {act("priority", "urgent")}}});
  must_rule(RuleKind::trigger, {{"title", "Low to high"}, {"conditions", {{"all", {cond("priority", "is", "low")}}}},
                                {"actions", {act("priority", "high")}}});
  // A one-pass bound: a plain ticket ends after its pass with nothing cut.
  create({{"subject", "Plain"}, {"comment", {{"body", "x"}}}}, admin());
  EXPECT_EQ(column("SELECT COUNT(*) FROM events WHERE kind = 'trigger.loop_bounded'"), std::vector<std::string>{"0"});
  // Pass 1: "High to urgent" does not match yet, "Low to high" fires; the second pass, in which
  // "High to urgent" would fire, is cut and the cut recorded.
  auto c = create({{"subject", "Bound"}, {"priority", "low"}, {"comment", {{"body", "x"}}}}, admin());
  EXPECT_EQ(c.ticket.priority.value_or(""), "high");
  EXPECT_EQ(column("SELECT COUNT(*) FROM events WHERE kind = 'trigger.loop_bounded'"), std::vector<std::string>{"1"});
  options.max_trigger_passes = 10;
  EXPECT_EQ(create({{"subject", "Free"}, {"priority", "low"}, {"comment", {{"body", "x"}}}}, admin()).ticket.priority.value_or(""),
            "urgent");
}

TEST_F(AutomationTest, NotificationsGoToTheOutboxButNeverToBouncedAddressesOrRobots) {
  must_rule(RuleKind::trigger,
            {{"title", "Receipt"},
             {"conditions", {{"all", {cond("update_type", "is", "Create")}}}},
             {"actions", {act("notification_user", {"requester_id", "[#{{ticket.id}}] Received: {{ticket.title}}",
                                                    "Hi {{ticket.requester.first_name}}, we got it."}),
                          act("notification_group", {"group_id", "New in {{ticket.group.name}}", "See #{{ticket.id}}"})}}});
  auto c = create({{"subject", "Help"}, {"group_id", group_id}, {"requester_id", customer_id}, {"comment", {{"body", "x"}}}},
                  admin());
  auto mail = column("SELECT to_address || '|' || subject || '|' || body_text || '|' || auto_submitted || '|' || kind "
                     "FROM outbox WHERE ticket_id = ? ORDER BY id",
                     {c.ticket.id});
  std::string id = std::to_string(c.ticket.id);
  EXPECT_EQ(mail, (std::vector<std::string>{"ana@example.com|[#" + id + "] Received: Help|Hi Ana, we got it.|1|notification",
                                            "maria@x.io|New in Billing|See #" + id + "|1|notification"}));

  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("INSERT INTO mail_bounces(address_key, reason, bounced_at) VALUES ('ana@example.com', '5.1.1', 0)");
    if (!r) return fail(r.error());
    return {};
  }));
  auto bounced = create({{"subject", "Again"}, {"requester_id", customer_id}, {"comment", {{"body", "x"}}}}, admin());
  EXPECT_TRUE(column("SELECT to_address FROM outbox WHERE ticket_id = ?", {bounced.ticket.id}).empty());
  auto robot = create({{"subject", "Auto-reply"}, {"group_id", group_id}, {"tags", {"mail_auto_submitted"}},
                       {"comment", {{"body", "I am out of office"}}}},
                      admin());
  EXPECT_TRUE(column("SELECT to_address FROM outbox WHERE ticket_id = ?", {robot.ticket.id}).empty());
}

TEST_F(AutomationTest, ARuleThatNoLongerFitsIsSkippedAndTheUpdateStillSaves) {
  must_rule(RuleKind::trigger, {{"title", "Assign to Sam"},
                                {"conditions", {{"all", {cond("update_type", "is", "Create")}}}},
                                {"actions", {act("assignee_id", other_agent_id)}}});
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto r = tx.conn().run("UPDATE users SET active = 0 WHERE id = ?", {other_agent_id});
    if (!r) return fail(r.error());
    return {};
  }));
  auto c = create({{"subject", "Still saved"}, {"comment", {{"body", "x"}}}}, admin());
  EXPECT_GT(c.ticket.id, 0);
  EXPECT_FALSE(ticket(c.ticket.id).assignee_id);
  EXPECT_EQ(column("SELECT json_extract(data, '$.error') FROM events WHERE kind = 'rule.failed'"),
            std::vector<std::string>{"Assignee id: is not an active agent"});
}

TEST_F(AutomationTest, PendingFourDaysRemindsOnceAndSevenDaysSolves) {
  must_rule(RuleKind::automation,
            {{"title", "Remind after 4 days"},
             {"conditions", {{"all", {cond("status", "is", "pending"), cond("PENDING", "greater_than", "96"),
                                      cond("current_tags", "not_includes", "reminded")}}}},
             {"actions", {act("current_tags", "reminded"),
                          act("notification_user", {"requester_id", "Still need help with {{ticket.title}}?", "Reply."})}}});
  must_rule(RuleKind::automation, {{"title", "Solve after 7 days"},
                                   {"conditions", {{"all", {cond("status", "is", "pending"), cond("PENDING", "greater_than", 168)}}}},
                                   {"actions", {act("status", "solved")}}});
  auto c = create({{"subject", "Waiting"}, {"requester_id", customer_id}, {"assignee_id", agent_id}, {"comment", {{"body", "x"}}}},
                  admin());
  update(c.ticket.id, {{"status", "pending"}, {"comment", {{"body", "Can you send the invoice?"}}}}, principal(agent_id));

  EXPECT_EQ(run_automations_at(k_start + 3 * k_day).fired, 0);
  auto r = run_automations_at(k_start + 4 * k_day + k_hour);
  EXPECT_EQ(r.fired, 1);
  EXPECT_EQ(ticket(c.ticket.id).tags, Json::array({"reminded"}));
  EXPECT_EQ(column("SELECT subject FROM outbox WHERE ticket_id = ? AND kind = 'notification'", {c.ticket.id}),
            std::vector<std::string>{"Still need help with Waiting?"});
  // A second run in the same hour (and later ones) changes nothing.
  EXPECT_EQ(run_automations_at(k_start + 4 * k_day + k_hour + 60).fired, 0);
  EXPECT_EQ(run_automations_at(k_start + 5 * k_day).fired, 0);
  EXPECT_EQ(column("SELECT COUNT(*) FROM outbox WHERE ticket_id = ?", {c.ticket.id}), std::vector<std::string>{"1"});

  EXPECT_EQ(run_automations_at(k_start + 7 * k_day + k_hour).fired, 1);
  auto solved = ticket(c.ticket.id);
  EXPECT_EQ(solved.status, "solved");
  auto via = column("SELECT via FROM audits WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", {c.ticket.id});
  EXPECT_EQ(Json::parse(via.at(0))["source"]["from"]["title"], "Solve after 7 days");
  EXPECT_EQ(run_automations_at(k_start + 8 * k_day).fired, 0);
}

TEST_F(AutomationTest, AnAutomationWithoutANullifyingActionIsRefused) {
  auto r = rule(RuleKind::automation,
                {{"title", "Nag"},
                 {"conditions", {{"all", {cond("status", "is", "pending"), cond("PENDING", "greater_than", 96)}}}},
                 {"actions", {act("notification_user", {"requester_id", "Nag", "Nag"})}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::validation);
  EXPECT_NE(r.error().details.at("base").at(0).description.find("nullifies a condition"), std::string::npos);
}

TEST_F(AutomationTest, TriggersQueueWebhookCallsWithJsonEscapedPlaceholders) {
  Webhook hook;
  ASSERT_TRUE(write([&](store::Tx& tx) -> Status {
    auto w = create_webhook(tx, {{"name", "Slack"}, {"endpoint", "https://hooks.example.com/x"}}, admin());
    if (!w) return fail(w.error());
    hook = *w;
    return {};
  }));
  must_rule(RuleKind::trigger, {{"title", "Tell Slack"},
                                {"conditions", {{"all", {cond("update_type", "is", "Create")}}}},
                                {"actions", {act("notification_webhook", {hook.id, "{\"text\": \"{{ticket.title}}\", \"id\": {{ticket.id}}}"})}}});
  auto c = create({{"subject", "Quote \" and \\ inside"}, {"comment", {{"body", "x"}}}}, admin());
  auto bodies = column("SELECT body FROM webhook_invocations WHERE ticket_id = ?", {c.ticket.id});
  ASSERT_EQ(bodies.size(), 1u);
  auto body = Json::parse(bodies[0]);
  EXPECT_EQ(body["text"], "Quote \" and \\ inside");
  EXPECT_EQ(body["id"], c.ticket.id);
  // A webhook a rule calls cannot be deleted.
  auto del = write([&](store::Tx& tx) { return delete_webhook(tx, hook.id, admin()); });
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, ErrorCode::validation);
}

TEST_F(AutomationTest, WebhookSignatureIsZendesks) {
  EXPECT_EQ(webhook_signature("dGhlIHNlY3JldA", "2021-03-25T05:09:27Z", "{\"ticket\":7}"),
            "cSEZ+psNQEWr2oRuseUGIAF2gCtfoybS12wuh826FPM=");
  EXPECT_TRUE(is_private_address("127.0.0.1"));
  EXPECT_TRUE(is_private_address("10.1.2.3"));
  EXPECT_TRUE(is_private_address("172.31.0.1"));
  EXPECT_TRUE(is_private_address("169.254.169.254"));
  EXPECT_TRUE(is_private_address("::1"));
  EXPECT_TRUE(is_private_address("::ffff:192.168.0.1"));
  EXPECT_TRUE(is_private_address("fd00::1"));
  EXPECT_FALSE(is_private_address("93.184.216.34"));
  EXPECT_FALSE(is_private_address("172.32.0.1"));
  EXPECT_FALSE(is_private_address("2606:2800:220:1::1"));
}

TEST_F(AutomationTest, MacrosPreviewWithPlaceholdersAndRespectTheirRestriction) {
  auto m = must_rule(RuleKind::macro,
                     {{"title", "Ask for invoice"},
                      {"actions", {act("status", "pending"), act("current_tags", "waiting_invoice"),
                                   act("comment_value_html", "<p>Hi {{ticket.requester.first_name}}, please send the invoice "
                                                             "for #{{ticket.id}}. {{current_user.first_name}}</p>")}},
                      {"restriction", {{"type", "Group"}, {"ids", {group_id}}}}});
  auto c = create({{"subject", "Invoice"}, {"requester", {{"name", "Bo <Admin>"}, {"email", "bo@example.com"}}},
                   {"comment", {{"body", "x"}}}},
                  admin());
  auto r = read([&](store::Conn& conn) { return apply_macro(conn, m.id, c.ticket.id, principal(agent_id), options); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["ticket"]["status"], "pending");
  EXPECT_EQ((*r)["ticket"]["tags"], Json::array({"waiting_invoice"}));
  EXPECT_EQ((*r)["comment"]["html_body"], "<p>Hi Bo, please send the invoice for #" + std::to_string(c.ticket.id) + ". Maria</p>");
  EXPECT_EQ((*r)["comment"]["body"], "Hi Bo, please send the invoice for #" + std::to_string(c.ticket.id) + ". Maria");
  EXPECT_EQ(ticket(c.ticket.id).status, "new");  // a preview saves nothing
  // The requester's name is escaped in HTML.
  auto named = must_rule(RuleKind::macro, {{"title", "Name"}, {"actions", {act("comment_value_html", "{{ticket.requester.name}}")}}});
  auto n = read([&](store::Conn& conn) { return apply_macro(conn, named.id, c.ticket.id, admin(), options); });
  ASSERT_TRUE(n);
  EXPECT_EQ((*n)["comment"]["html_body"], "Bo &lt;Admin&gt;");
  // Sam is not in the group: the macro does not exist for him.
  auto denied = read([&](store::Conn& conn) { return apply_macro(conn, m.id, c.ticket.id, principal(other_agent_id), options); });
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::not_found);
}

TEST_F(AutomationTest, ReorderNeedsEveryTriggerOnceAndChangesTheOrder) {
  auto a = must_rule(RuleKind::trigger, {{"title", "Tag a"}, {"conditions", {{"all", {cond("update_type", "is", "Create")}}}},
                                         {"actions", {act("set_tags", "a")}}});
  auto b = must_rule(RuleKind::trigger, {{"title", "Tag b"}, {"conditions", {{"all", {cond("update_type", "is", "Create")}}}},
                                         {"actions", {act("set_tags", "b")}}});
  EXPECT_EQ(create({{"subject", "1"}, {"comment", {{"body", "x"}}}}, admin()).ticket.tags, Json::array({"b"}));  // b runs last
  auto bad = write([&](store::Tx& tx) { return reorder_rules(tx, RuleKind::trigger, {b.id}, admin()); });
  ASSERT_FALSE(bad);
  ASSERT_TRUE(write([&](store::Tx& tx) { return reorder_rules(tx, RuleKind::trigger, {b.id, a.id}, admin()); }));
  EXPECT_EQ(create({{"subject", "2"}, {"comment", {{"body", "x"}}}}, admin()).ticket.tags, Json::array({"a"}));
  auto forbidden = write([&](store::Tx& tx) { return reorder_rules(tx, RuleKind::trigger, {a.id, b.id}, principal(agent_id)); });
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().code, ErrorCode::forbidden);
}

}  // namespace
}  // namespace rapport::automation
