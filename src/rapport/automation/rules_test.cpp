// The pure part of business rules: parsing, conditions, actions, the nullifying rule, placeholders.
#include <rapport/automation/rules.hpp>

#include <gtest/gtest.h>

namespace rapport::automation {
namespace {

Conditions conds(const Json& in, RuleKind kind = RuleKind::trigger, const BusinessHours* hours = nullptr) {
  Validation v;
  auto c = parse_conditions(in, kind, hours, v);
  EXPECT_TRUE(v.ok()) << in.dump();
  return c;
}

std::vector<Action> acts(const Json& in, RuleKind kind = RuleKind::trigger) {
  Validation v;
  auto a = parse_actions(in, kind, v);
  EXPECT_TRUE(v.ok()) << in.dump();
  return a;
}

std::string first_problem(const Validation& v) {
  auto e = v.error();
  return e.details.empty() ? "" : e.details.begin()->second.front().description;
}

domain::Ticket ticket() {
  domain::Ticket t;
  t.id = 7;
  t.status = "open";
  t.priority = "normal";
  t.subject = "Refund for order 12";
  t.channel = "email";
  t.requester_id = 3;
  t.group_id = 2;
  t.tags = Json::array({"vip", "billing"});
  t.created_at = 1'000'000;
  t.updated_at = 1'000'000;
  return t;
}

TEST(Conditions, AllMustHoldAndOneOfAny) {
  auto t = ticket();
  Facts f;
  f.ticket = &t;
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "status"}, {"operator", "is"}, {"value", "open"}}}}}), f));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "status"}, {"operator", "is"}, {"value", "open"}},
                                       {{"field", "priority"}, {"operator", "is"}, {"value", "high"}}}}}),
                       f));
  EXPECT_TRUE(matches(conds({{"any", {{{"field", "priority"}, {"operator", "is"}, {"value", "high"}},
                                      {{"field", "current_tags"}, {"operator", "includes"}, {"value", "vip gold"}}}}}),
                      f));
  EXPECT_FALSE(matches(conds({{"any", {{{"field", "priority"}, {"operator", "is"}, {"value", "high"}}}}}), f));
}

TEST(Conditions, OrderedFieldsCompareByRank) {
  auto t = ticket();  // open, normal
  Facts f;
  f.ticket = &t;
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "status"}, {"operator", "less_than"}, {"value", "solved"}}}}}), f));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "status"}, {"operator", "greater_than"}, {"value", "pending"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "priority"}, {"operator", "less_than"}, {"value", "high"}}}}}), f));
}

TEST(Conditions, ChangesCompareWithTheTicketBeforeTheUpdate) {
  auto before = ticket();
  auto now = ticket();
  now.status = "pending";
  Facts f;
  f.ticket = &now;
  f.before = &before;
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "status"}, {"operator", "changed"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "status"}, {"operator", "value"}, {"value", "pending"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "status"}, {"operator", "value_previous"}, {"value", "open"}}}}}), f));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "priority"}, {"operator", "changed"}}}}}), f));
  // On create, a field "changed" when it was set.
  Facts created;
  created.ticket = &now;
  created.is_create = true;
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "priority"}, {"operator", "changed"}}}}}), created));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "type"}, {"operator", "changed"}}}}}), created));
}

TEST(Conditions, UpdateTypeCommentAndCurrentUser) {
  auto t = ticket();
  Facts f;
  f.ticket = &t;
  f.is_create = true;
  f.current_user_role = "end_user";
  domain::Comment c;
  c.body = "My card was charged twice, please refund!";
  c.is_public = true;
  f.comment = c;
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "update_type"}, {"operator", "is"}, {"value", "Create"}}}}}), f));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "update_type"}, {"operator", "is"}, {"value", "Change"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "comment_is_public"}, {"operator", "is"}, {"value", true}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "role"}, {"operator", "is"}, {"value", "end_user"}}}}}), f));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "role"}, {"operator", "is"}, {"value", "agent"}}}}}), f));
  // Words match whole words, case-insensitively; "is" matches a phrase.
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "comment_includes_word"}, {"operator", "includes"}, {"value", "REFUND chargeback"}}}}}), f));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "comment_includes_word"}, {"operator", "includes"}, {"value", "ref"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "comment_includes_word"}, {"operator", "is"}, {"value", "charged twice"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "subject_includes_word"}, {"operator", "not_includes"}, {"value", "password"}}}}}), f));
  // An update without a comment has no words in it.
  f.comment.reset();
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "comment_includes_word"}, {"operator", "includes"}, {"value", "refund"}}}}}), f));
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "comment_is_public"}, {"operator", "is"}, {"value", true}}}}}), f));
}

TEST(Conditions, ChannelsByNameOrZendeskNumber) {
  auto t = ticket();
  Facts f;
  f.ticket = &t;
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "via_id"}, {"operator", "is"}, {"value", "email"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "via_id"}, {"operator", "is"}, {"value", 4}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "via_id"}, {"operator", "is_not"}, {"value", "5"}}}}}), f));
}

// Open or closed whatever the time; schedule 7 exists and is open from `opens_at` on.
class FixedHours : public BusinessHours {
 public:
  explicit FixedHours(bool open, int64_t opens_at = 0) : m_open(open), m_opens_at(opens_at) {}
  bool within(const domain::Ticket&, int64_t) const override { return m_open; }
  bool within_schedule(Id id, int64_t at) const override { return id == 7 && at >= m_opens_at; }
  bool has_schedule(Id id) const override { return id == 7; }

 private:
  bool m_open;
  int64_t m_opens_at;
};

TEST(Conditions, BusinessHoursNeedACalendar) {
  Validation v;
  parse_conditions({{"all", {{{"field", "within_business_hours"}, {"operator", "is"}, {"value", true}}}}},
                   RuleKind::trigger, nullptr, v);
  EXPECT_EQ(first_problem(v), "Conditions all[0]: business hours are not configured on this server");

  FixedHours open(true), closed(false);
  auto c = conds({{"all", {{{"field", "within_business_hours"}, {"operator", "is"}, {"value", "true"}}}}},
                 RuleKind::trigger, &open);
  auto t = ticket();
  Facts f;
  f.ticket = &t;
  f.hours = &open;
  EXPECT_TRUE(matches(c, f));
  f.hours = &closed;
  EXPECT_FALSE(matches(c, f));
  auto outside = conds({{"all", {{{"field", "within_business_hours"}, {"operator", "is"}, {"value", false}}}}},
                       RuleKind::automation, &open);
  EXPECT_TRUE(matches(outside, f));
}

TEST(Conditions, WithinScheduleNamesAnExistingSchedule) {
  FixedHours hours(false, 1000);
  Validation v;
  parse_conditions({{"all", {{{"field", "within_schedule"}, {"operator", "is"}, {"value", 8}}}}}, RuleKind::trigger,
                   &hours, v);
  EXPECT_EQ(first_problem(v), "Conditions all[0]: schedule 8 does not exist");
  Validation none;
  parse_conditions({{"all", {{{"field", "within_schedule"}, {"operator", "is"}, {"value", 7}}}}}, RuleKind::trigger,
                   nullptr, none);
  EXPECT_EQ(first_problem(none), "Conditions all[0]: business hours are not configured on this server");
  Validation word;
  parse_conditions({{"all", {{{"field", "within_schedule"}, {"operator", "is"}, {"value", "office"}}}}},
                   RuleKind::trigger, &hours, word);
  EXPECT_FALSE(word.ok());

  // The named schedule decides, not the ticket's (closed here).
  auto c = conds({{"all", {{{"field", "within_schedule"}, {"operator", "is"}, {"value", "7"}}}}}, RuleKind::trigger, &hours);
  auto t = ticket();
  Facts f;
  f.ticket = &t;
  f.hours = &hours;
  f.now = 999;
  EXPECT_FALSE(matches(c, f));
  f.now = 1000;
  EXPECT_TRUE(matches(c, f));
  f.hours = nullptr;  // calendars gone: nothing is within them
  EXPECT_FALSE(matches(c, f));
}

TEST(Conditions, CustomFieldValuesCompareAsText) {
  auto t = ticket();
  t.custom_fields = Json::array({{{"id", 900}, {"value", "takeover"}}, {{"id", 901}, {"value", 5}}});
  Facts f;
  f.ticket = &t;
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "custom_fields_900"}, {"operator", "is"}, {"value", "takeover"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "custom_fields_901"}, {"operator", "is"}, {"value", "5"}}}}}), f));
  EXPECT_TRUE(matches(conds({{"all", {{{"field", "custom_fields_902"}, {"operator", "is"}, {"value", ""}}}}}), f))
      << "a field the ticket does not have is empty";
  EXPECT_FALSE(matches(conds({{"all", {{{"field", "custom_fields_900"}, {"operator", "is_not"}, {"value", "takeover"}}}}}), f));
  Validation v;
  parse_conditions({{"all", {{{"field", "custom_fields_x"}, {"operator", "is"}, {"value", "a"}}}}}, RuleKind::trigger, nullptr, v);
  EXPECT_EQ(first_problem(v), "Conditions all[0]: unknown field \"custom_fields_x\"");
}

TEST(Conditions, TimeConditionsCountWholeHoursInTheCurrentStatus) {
  auto t = ticket();
  t.status = "pending";
  Facts f;
  f.ticket = &t;
  f.times.status_at = 1'000'000;
  auto pending_over_96 = conds({{"all", {{{"field", "PENDING"}, {"operator", "greater_than"}, {"value", "96"}}}}},
                               RuleKind::automation);
  f.now = 1'000'000 + 96 * 3600 + 3599;  // 96 whole hours
  EXPECT_FALSE(matches(pending_over_96, f));
  f.now = 1'000'000 + 97 * 3600;
  EXPECT_TRUE(matches(pending_over_96, f));
  t.status = "open";  // "hours since pending" needs the ticket to be pending
  EXPECT_FALSE(matches(pending_over_96, f));
  auto exactly = conds({{"all", {{{"field", "created_at"}, {"operator", "is"}, {"value", 97}}}}}, RuleKind::automation);
  EXPECT_TRUE(matches(exactly, f));
}

TEST(Conditions, InvalidInputIsReportedPerCondition) {
  Validation v;
  parse_conditions({{"all",
                     {{{"field", "status"}, {"operator", "is"}, {"value", "resolved"}},
                      {{"field", "bogus"}, {"operator", "is"}, {"value", 1}},
                      {{"field", "PENDING"}, {"operator", "greater_than"}, {"value", 96}},
                      {{"field", "priority"}, {"operator", "includes"}, {"value", "high"}}}}},
                   RuleKind::trigger, nullptr, v);
  auto e = v.error();
  ASSERT_EQ(e.details["conditions"].size(), 4u);
  EXPECT_EQ(e.details["conditions"][0].description,
            "Conditions all[0]: the value must be one of new, open, pending, hold, solved, closed");
  EXPECT_EQ(e.details["conditions"][1].description, "Conditions all[1]: unknown field \"bogus\"");
  EXPECT_EQ(e.details["conditions"][2].description, "Conditions all[2]: \"PENDING\" cannot be used in a trigger");
  EXPECT_EQ(e.details["conditions"][3].description, "Conditions all[3]: operator \"includes\" does not apply to priority");

  Validation av;
  parse_conditions({{"all", {{{"field", "status"}, {"operator", "changed"}}}}}, RuleKind::automation, nullptr, av);
  EXPECT_FALSE(av.ok());  // automations see no update, so nothing "changed"
}

TEST(Actions, PlanBuildsOneUpdateAndTheSideEffects) {
  auto t = ticket();
  auto a = acts({{{"field", "status"}, {"value", "pending"}},
                 {{"field", "priority"}, {"value", ""}},
                 {{"field", "current_tags"}, {"value", "escalated vip"}},
                 {{"field", "remove_tags"}, {"value", Json::array({"billing"})}},
                 {{"field", "assignee_id"}, {"value", "current_user"}},
                 {{"field", "comment_value"}, {"value", Json::array({"channel:all", "We are on it"})}},
                 {{"field", "comment_mode_is_public"}, {"value", "false"}},
                 {{"field", "notification_user"}, {"value", {"requester_id", "Re: {{ticket.title}}", "Hi"}}},
                 {{"field", "notification_webhook"}, {"value", {"3", "{\"id\": {{ticket.id}}}"}}}});
  auto e = plan(a, t, 42);
  EXPECT_EQ(e.update, Json({{"status", "pending"}, {"priority", nullptr}, {"assignee_id", 42},
                            {"tags", {"vip", "escalated"}}}));
  ASSERT_TRUE(e.comment);
  EXPECT_EQ(*e.comment, "We are on it");
  EXPECT_EQ(e.comment_public, std::optional<bool>(false));
  ASSERT_EQ(e.notifications.size(), 1u);
  EXPECT_EQ(e.notifications[0].recipient, "requester_id");
  ASSERT_EQ(e.webhooks.size(), 1u);
  EXPECT_EQ(e.webhooks[0].webhook_id, 3);
  EXPECT_TRUE(changes_anything(t, e.update));
  EXPECT_FALSE(changes_anything(t, {{"status", "open"}, {"tags", {"vip", "billing"}}}));
}

TEST(Actions, MacrosTakeFieldChangesAndCommentsOnly) {
  Validation v;
  parse_actions({{{"field", "notification_user"}, {"value", {"requester_id", "s", "b"}}},
                 {{"field", "status"}, {"value", "solved"}}},
                RuleKind::macro, v);
  EXPECT_EQ(first_problem(v), "Actions[0]: \"notification_user\" cannot be used in a macro");
}

TEST(Automations, MustContainAnActionThatNullifiesACondition) {
  auto pending = [](const Json& extra) {
    Json all = {{{"field", "status"}, {"operator", "is"}, {"value", "pending"}},
                {{"field", "PENDING"}, {"operator", "greater_than"}, {"value", 96}}};
    for (const auto& x : extra) all.push_back(x);
    return conds({{"all", all}}, RuleKind::automation);
  };
  auto remind = acts({{{"field", "notification_user"}, {"value", {"requester_id", "Still there?", "..."}}}},
                     RuleKind::automation);
  EXPECT_FALSE(has_nullifying_action(pending(Json::array()), remind));  // would remind every hour
  auto remind_and_tag = remind;
  remind_and_tag.push_back({"current_tags", Json::array({"reminded"})});
  EXPECT_FALSE(has_nullifying_action(pending(Json::array()), remind_and_tag));  // the tag is not a condition
  EXPECT_TRUE(has_nullifying_action(
      pending(Json::array({{{"field", "current_tags"}, {"operator", "not_includes"}, {"value", "reminded"}}})),
      remind_and_tag));
  EXPECT_TRUE(has_nullifying_action(pending(Json::array()), acts({{{"field", "status"}, {"value", "solved"}}},
                                                                 RuleKind::automation)));
  EXPECT_FALSE(has_nullifying_action(pending(Json::array()), acts({{{"field", "status"}, {"value", "pending"}}},
                                                                  RuleKind::automation)));
  auto once = conds({{"all", {{{"field", "SOLVED"}, {"operator", "is"}, {"value", 24}}}}}, RuleKind::automation);
  EXPECT_TRUE(has_nullifying_action(once, remind));  // true during one hour only
}

TEST(Placeholders, KnownNamesAreReplacedAndEscapedForTheTarget) {
  std::map<std::string, std::string> v = {{"ticket.requester.first_name", "Ana <3"},
                                          {"ticket.title", "Say \"hi\"\n"}};
  EXPECT_EQ(render("Hi {{ticket.requester.first_name}},", v, Escape::none), "Hi Ana <3,");
  EXPECT_EQ(render("<p>Hi {{ ticket.requester.first_name }}</p>", v, Escape::html), "<p>Hi Ana &lt;3</p>");
  EXPECT_EQ(render("{\"t\": \"{{ticket.title}}\"}", v, Escape::json), "{\"t\": \"Say \\\"hi\\\"\\n\"}");
  EXPECT_TRUE(Json::parse(render("{\"t\": \"{{ticket.title}}\"}", v, Escape::json), nullptr, false).is_object());
}

TEST(Placeholders, UnknownNamesStayAsTypedAndUnclosedBracesAreText) {
  std::map<std::string, std::string> v = {{"ticket.id", "7"}};
  EXPECT_EQ(render("#{{ticket.id}} {{ticket.requestor.name}}", v, Escape::none), "#7 {{ticket.requestor.name}}");
  EXPECT_EQ(render("a {{ticket.id", v, Escape::none), "a {{ticket.id");
  EXPECT_EQ(render(std::string(100, 'x'), v, Escape::none, 10), std::string(10, 'x'));
}

}  // namespace
}  // namespace rapport::automation
