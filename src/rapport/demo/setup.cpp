#include <rapport/demo/setup.hpp>

#include <map>
#include <string>

#include <date/date.h>

#include <rapport/accounts/auth.hpp>
#include <rapport/automation/business_rules.hpp>
#include <rapport/base/time.hpp>
#include <rapport/knowledge/incidents.hpp>
#include <rapport/knowledge/knowledge.hpp>
#include <rapport/sla/admin.hpp>
#include <rapport/sla/tracker.hpp>

namespace rapport::demo {

namespace {

using Id = int64_t;
constexpr int64_t k_day_minutes = 24 * 60;

// Intervals of Zendesk's schedule shape: minutes from Sunday 00:00, here Monday to Friday.
Json weekdays(int open_hour, int close_hour) {
  Json out = Json::array();
  for (int d = 1; d <= 5; ++d)
    out.push_back({{"start_time", d * k_day_minutes + open_hour * 60}, {"end_time", d * k_day_minutes + close_hour * 60}});
  return out;
}

Json metric(const char* priority, const char* name, int minutes, bool business) {
  return {{"priority", priority}, {"metric", name}, {"target", minutes}, {"business_hours", business}};
}

Json cond(const char* field, const char* op, Json value) { return {{"field", field}, {"operator", op}, {"value", std::move(value)}}; }
Json act(const char* field, Json value) { return {{"field", field}, {"value", std::move(value)}}; }

struct ArticleText {
  const char* section;
  const char* title;
  const char* body;
  bool draft = false;
  const char* visibility = "public";
  bool promoted = false;
};

// Larkspur's help center: what customers ask most (see the contact reasons in content.cpp).
const ArticleText k_articles[] = {
    {"Delivery", "Where is my order?",
     "Every order gets a tracking link by email as soon as it leaves our warehouse, usually within "
     "**one working day**.\n\n1. Open the email *Your Larkspur order is on its way*.\n2. Choose **Track "
     "parcel**.\n\nTracking can take up to 24 hours to show the first scan. If it has not moved for "
     "five working days, [contact us](/hc/requests/new) with your order number and we will open an "
     "investigation with the carrier.",
     false, "public", true},
    {"Delivery", "Delivery times and costs",
     "| Service | Time | Cost |\n|---|---|---|\n| Standard | 3-5 working days | free over 40 € |\n| "
     "Express | next working day, order before 14:00 | 7.90 € |\n| Pickup point | 2-4 working days | 2.90 € "
     "|\n\nDelivery times start when the order ships, not when it is placed."},
    {"Delivery", "My parcel says delivered but I don't have it",
     "Check with neighbours and your building's reception first: carriers often leave parcels "
     "there. The tracking page shows a photo or signature for most deliveries.\n\nStill missing "
     "after 48 hours? Tell us the order number; we open a claim with the carrier and send a "
     "replacement or a refund once it is confirmed lost."},
    {"Delivery", "Changing the delivery address",
     "You can change the address until the order ships: **Account > Orders > Change address**. "
     "Once it has shipped, ask the carrier to redirect it from the tracking page."},
    {"Returns and refunds", "How do I return an item?",
     "You have **30 days** from delivery to return most items.\n\n1. Go to **Account > Orders** and "
     "choose **Return items**.\n2. Print the prepaid label, or show the QR code at a pickup point.\n3. "
     "Drop the parcel off within 14 days.\n\nItems must be unused and in their original packaging. "
     "Gift cards and personalised items cannot be returned.",
     false, "public", true},
    {"Returns and refunds", "When will I get my refund?",
     "We refund within **3 working days** of receiving your return, to the original payment method. "
     "Your bank may take another 5-10 days to show it. You get an email when the refund is issued."},
    {"Returns and refunds", "Exchanging an item for another size",
     "Return the item as usual and place a new order for the size you want: that is the fastest way "
     "to get it, and the refund for the return follows separately."},
    {"Returns and refunds", "Refund exceptions and goodwill credits",
     "**Internal.** Team leads may approve a goodwill credit of up to 25 € without a return when the "
     "customer was let down by a delay of ours. Log it with the macro *Goodwill credit* so it shows in "
     "the refund report. Anything above goes to Tier 2.",
     false, "internal"},
    {"Payments and billing", "Which payment methods do you accept?",
     "Visa, Mastercard, American Express, PayPal, Apple Pay, Google Pay and, in the Netherlands, "
     "iDEAL. We charge your card when the order ships."},
    {"Payments and billing", "I was charged twice",
     "A second charge is almost always a **pending authorisation** that your bank releases within 5 "
     "working days. If both charges are still there after that, send us a screenshot of your "
     "statement and we will refund the duplicate the same day."},
    {"Payments and billing", "Downloading an invoice",
     "Invoices are in **Account > Orders > Invoice (PDF)**. For a company invoice with your VAT number, "
     "add the number under **Account > Billing details** before you order."},
    {"Payments and billing", "Larkspur Plus membership",
     "Plus costs 49 € a year: free express delivery, early access to sales and 60-day returns. Cancel "
     "any time under **Account > Membership**; unused months are refunded.",
     true},
    {"Account and security", "Resetting your password",
     "Choose **Forgot password?** on the sign-in page and follow the link we email you. The link works "
     "for one hour. No email? Check your spam folder, then ask us to confirm the address on your account.",
     false, "public", true},
    {"Account and security", "Turning on two-step verification",
     "Go to **Account > Security > Two-step verification** and scan the code with an authenticator app. "
     "Keep the backup codes somewhere safe: they are the only way in if you lose your phone."},
    {"Account and security", "I think someone else used my account",
     "Change your password now, then contact us: we sign out every device, check recent orders and "
     "block any change to your payment details until we have spoken with you. Never share the codes "
     "we send you: Larkspur staff will never ask for them."},
    {"Account and security", "Verifying a caller's identity (runbook)",
     "**Internal.** Before any change to an account, ask for the order number of a recent order and "
     "the last four digits of the card used. Never read out personal data first. Account takeover "
     "reports go to the Account Security team with the tag `ato`.",
     false, "internal"},
};

const char* const k_categories[][3] = {
    // category, its description, sections (comma-separated)
    {"Orders and delivery", "Tracking, delivery times and addresses", "Delivery"},
    {"Returns and refunds", "Sending items back and getting your money", "Returns and refunds"},
    {"Your account", "Payments, invoices, sign-in and security", "Payments and billing,Account and security"},
};

// An error with the step that met it, for the seed command's one line of output.
Error at(const std::string& step, Error e) {
  e.message = "demo setup: " + step + ": " + e.message;
  return e;
}

Result<Id> group_named(store::Conn& conn, const char* name) {
  auto id = conn.scalar("SELECT id FROM groups WHERE name = ? AND deleted = 0", {std::string(name)});
  if (!id) return fail(id.error());
  if (!*id) return fail(Error::invalid(std::string("demo setup: no group named ") + name));
  return **id;
}

}  // namespace

Result<SetupSummary> setup_operation(store::Tx& tx, int64_t admin_id, int64_t now) {
  auto& conn = tx.conn();
  auto loaded = accounts::load_principal(conn, admin_id);
  if (!loaded) return fail(at("the admin", loaded.error()));
  const auto admin = *loaded;
  SetupSummary out;
  Id billing = 0, security = 0, enterprise = 0, tier2 = 0, shipping = 0, returns = 0;
  for (auto [slot, name] : {std::pair{&billing, "Billing"}, {&security, "Account Security"}, {&enterprise, "Enterprise"},
                            {&tier2, "Tier 2 Escalations"}, {&shipping, "Orders & Shipping"}, {&returns, "Returns"}}) {
    auto id = group_named(conn, name);
    if (!id) return fail(id.error());
    *slot = *id;
  }

  // ---- business hours and SLAs ----
  auto hours = sla::create_schedule(
      tx, {{"name", "Larkspur support hours"}, {"time_zone", "Europe/Lisbon"}, {"intervals", weekdays(8, 20)}}, admin);
  if (!hours) return fail(at("schedule", hours.error()));
  ++out.schedules;
  // The holidays around the end of the year the period ends in (and the next New Year).
  const auto year = static_cast<int>(date::year_month_day{date::floor<date::days>(TimePoint{std::chrono::seconds{now}})}.year());
  for (auto [name, date] : {std::pair{std::string("Christmas Day"), std::to_string(year) + "-12-25"},
                            {"New Year's Day", std::to_string(year + 1) + "-01-01"},
                            {"Labour Day", std::to_string(year + 1) + "-05-01"}}) {
    auto h = sla::create_holiday(tx, hours->id, {{"name", name}, {"start_date", date}, {"end_date", date}}, admin);
    if (!h) return fail(at("holiday " + name, h.error()));
  }
  const Json policies[] = {
      {{"title", "Enterprise accounts"},
       {"description", "Contracted response times, around the clock."},
       {"filter", {{"all", {cond("group_id", "is", enterprise)}}, {"any", Json::array()}}},
       {"policy_metrics",
        {metric("urgent", "first_reply_time", 30, false), metric("high", "first_reply_time", 60, false),
         metric("normal", "first_reply_time", 240, false), metric("low", "first_reply_time", 480, false),
         metric("urgent", "next_reply_time", 60, false), metric("normal", "next_reply_time", 480, false),
         metric("urgent", "requester_wait_time", 480, false), metric("normal", "requester_wait_time", 2880, false)}},
       {"escalation", {{"priority", "urgent"}, {"add_tags", {"sla_breach"}}, {"group_id", tier2}}}},
      {{"title", "Account security"},
       {"description", "Possible account takeovers are answered fast, day and night."},
       {"filter", {{"all", {cond("group_id", "is", security)}}, {"any", Json::array()}}},
       {"policy_metrics",
        {metric("urgent", "first_reply_time", 15, false), metric("high", "first_reply_time", 60, false),
         metric("normal", "first_reply_time", 120, false), metric("low", "first_reply_time", 240, false)}},
       {"escalation", {{"add_tags", {"sla_breach"}}}}},
      {{"title", "Standard support"},
       {"description", "Everyone else, in business hours."},
       {"filter", {{"all", Json::array()}, {"any", Json::array()}}},
       {"schedule_id", hours->id},
       {"policy_metrics",
        {metric("urgent", "first_reply_time", 60, true), metric("high", "first_reply_time", 240, true),
         metric("normal", "first_reply_time", 480, true), metric("low", "first_reply_time", 1440, true),
         metric("urgent", "next_reply_time", 240, true), metric("high", "next_reply_time", 480, true),
         metric("normal", "next_reply_time", 960, true), metric("low", "next_reply_time", 1440, true),
         metric("normal", "requester_wait_time", 2880, true)}},
       {"escalation", {{"add_tags", {"sla_breach"}}}}},
  };
  for (const auto& p : policies) {
    auto r = sla::create_policy(tx, p, admin);
    if (!r) return fail(at("SLA policy " + p["title"].get<std::string>(), r.error()));
    ++out.sla_policies;
  }

  // ---- triggers, macros, automations ----
  using automation::RuleKind;
  const std::pair<RuleKind, Json> rules[] = {
      {RuleKind::trigger,
       {{"title", "Possible account takeover goes to Account Security"},
        {"conditions",
         {{"all", {cond("update_type", "is", "Create")}},
          {"any", {cond("comment_includes_word", "includes", "hacked"), cond("comment_includes_word", "includes", "unauthorized"),
                   cond("subject_includes_word", "includes", "hacked")}}}},
        {"actions", {act("group_id", security), act("priority", "urgent"), act("current_tags", "ato")}}}},
      {RuleKind::trigger,
       {{"title", "Refund requests go to Billing"},
        {"conditions",
         {{"all", {cond("update_type", "is", "Create"), cond("group_id", "is", "")}},
          {"any", {cond("subject_includes_word", "includes", "refund"), cond("comment_includes_word", "includes", "refund")}}}},
        {"actions", {act("group_id", billing), act("current_tags", "refund")}}}},
      {RuleKind::trigger,
       {{"title", "Tell the customer we received their request"},
        {"conditions", {{"all", {cond("update_type", "is", "Create"), cond("via_id", "is", "web")}}, {"any", Json::array()}}},
        {"actions",
         {act("notification_user",
              {"requester_id", "[#{{ticket.id}}] We received your request",
               "Hi {{ticket.requester.first_name}},\n\nThanks for writing to Larkspur. Your request #{{ticket.id}} "
               "\"{{ticket.title}}\" is with our {{ticket.group.name}} team; we usually answer within a working day."})}}}},
      {RuleKind::macro,
       {{"title", "Refund issued"},
        {"actions",
         {act("status", "solved"), act("current_tags", "refund_issued"),
          act("comment_value",
              "Hi {{ticket.requester.first_name}},\n\nI have issued your refund today. It goes back to your "
              "original payment method; your bank may take 5-10 working days to show it.\n\n{{current_user.name}}")}}}},
      {RuleKind::macro,
       {{"title", "Ask for the order number"},
        {"actions",
         {act("status", "pending"), act("current_tags", "waiting_order_number"),
          act("comment_value",
              "Hi {{ticket.requester.first_name}},\n\nCould you send me your order number (it starts with LK and "
              "is in your confirmation email)? Then I can look into this right away.\n\n{{current_user.name}}")}}}},
      {RuleKind::macro,
       {{"title", "Parcel investigation opened"},
        {"actions",
         {act("status", "pending"), act("group_id", shipping), act("current_tags", "carrier_claim"),
          act("comment_value",
              "Hi {{ticket.requester.first_name}},\n\nI have opened an investigation with the carrier. They answer "
              "within 3 working days; if the parcel is lost we send a replacement at once.\n\n{{current_user.name}}")}}}},
      {RuleKind::macro,
       {{"title", "Goodwill credit"},
        {"actions",
         {act("current_tags", "goodwill_credit"), act("group_id", returns),
          act("comment_value",
              "Hi {{ticket.requester.first_name}},\n\nI am sorry this took longer than it should have. I have added "
              "a credit to your account for your next order.\n\n{{current_user.name}}")}}}},
      {RuleKind::automation,
       {{"title", "Remind after 3 days pending"},
        {"conditions",
         {{"all", {cond("status", "is", "pending"), cond("PENDING", "greater_than", "72"),
                   cond("current_tags", "not_includes", "reminded")}},
          {"any", Json::array()}}},
        {"actions",
         {act("current_tags", "reminded"),
          act("notification_user", {"requester_id", "[#{{ticket.id}}] Still need help with {{ticket.title}}?",
                                     "Hi {{ticket.requester.first_name}},\n\nWe are waiting for your answer to "
                                     "continue. Just reply to this email."})}}}},
      {RuleKind::automation,
       {{"title", "Solve after 7 days pending"},
        {"conditions", {{"all", {cond("status", "is", "pending"), cond("PENDING", "greater_than", "168")}}, {"any", Json::array()}}},
        {"actions", {act("status", "solved"), act("current_tags", "auto_solved")}}}},
  };
  for (const auto& [kind, in] : rules) {
    auto r = automation::create_rule(tx, kind, in, admin);
    if (!r) return fail(at("rule " + in["title"].get<std::string>(), r.error()));
    (kind == RuleKind::trigger ? out.triggers : kind == RuleKind::macro ? out.macros : out.automations) += 1;
  }

  // ---- the help center ----
  std::map<std::string, Id> sections;
  for (const auto& c : k_categories) {
    auto cat = knowledge::create_category(tx, {{"name", c[0]}, {"description", c[1]}}, admin);
    if (!cat) return fail(at(std::string("category ") + c[0], cat.error()));
    std::string list = c[2];
    for (std::size_t start = 0; start <= list.size();) {
      auto comma = list.find(',', start);
      std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto s = knowledge::create_section(tx, cat->id, {{"name", name}}, admin);
      if (!s) return fail(at("section " + name, s.error()));
      sections[name] = s->id;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const auto& a : k_articles) {
    auto r = knowledge::create_article(tx, sections.at(a.section),
                                       {{"title", a.title}, {"body", a.body}, {"draft", a.draft},
                                        {"visibility", a.visibility}, {"promoted", a.promoted}},
                                       admin);
    if (!r) return fail(at(std::string("article ") + a.title, r.error()));
    ++out.articles;
  }

  // ---- a known incident, over ----
  auto incident = knowledge::create_incident(
      tx,
      {{"title", "Card payments failing at checkout"},
       {"service", "Checkout"},
       {"keywords", {"payment failed", "card declined", "checkout error"}},
       {"public_message", "Card payments are failing for some customers. No money was taken; please try again later or pay with PayPal."},
       {"starts_at", iso8601(now - 12 * 86400)},
       {"ends_at", iso8601(now - 12 * 86400 + 5 * 3600)}},
      admin);
  if (!incident) return fail(at("incident", incident.error()));
  auto resolved = knowledge::resolve_incident(tx, incident->id, std::string("Card payments work again since 14:10. Sorry for the trouble."), admin);
  if (!resolved) return fail(at("resolving the incident", resolved.error()));
  ++out.incidents;

  // The backlog's clocks now, as the SLA consumer would compute them after the policy change.
  auto n = sla::recompute_open_tickets(tx, now);
  if (!n) return fail(at("SLA clocks", n.error()));
  out.tickets_with_clocks = *n;
  return out;
}

}  // namespace rapport::demo
