#include <rapport/demo/surveys.hpp>

#include <algorithm>
#include <cmath>
#include <string_view>

#include <rapport/accounts/auth.hpp>
#include <rapport/demo/content.hpp>
#include <rapport/demo/random.hpp>
#include <rapport/events/consumer.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/feedback/recognition.hpp>
#include <rapport/feedback/recovery.hpp>

namespace rapport::demo {

namespace {

constexpr uint64_t k_feedback_salt = 0xFEEDBAC4ull;
// Team leads react to the ratings of the last three weeks (older ones nobody looks at any more).
constexpr int64_t k_reaction_window = 21 * k_day;

// A rating's stars are 1 + how many of these cut points its latent value passes: a standard normal
// value plus the agent's skill, the contact reason and how the ticket went (repeats, reopenings,
// the incident), which put the typical answer about 0.35 below 0. Over all answers that gives the
// J shape of real post-contact surveys: ~60% 5 stars, ~15% 4, ~9% 3, ~4% 2, ~12% 1 (CSAT ~75%).
constexpr double k_cuts[4] = {-1.7, -1.47, -1.18, -0.6};

int stars_for(double latent) {
  int s = 1;
  for (double c : k_cuts)
    if (latent > c) ++s;
  return s;
}

// How a contact reason tends to rate: disputes, failed payments and delays lower, quick tasks
// higher. Reasons not listed: 0.
constexpr std::pair<std::string_view, double> k_reason_shift[] = {
    {"billing_refund", -0.3},   {"payment_failed", -0.3}, {"cancel_subscription", -0.35},
    {"invoice_copy", 0.25},     {"password_reset", 0.2},  {"account_locked", -0.2},
    {"fraud_report", -0.35},    {"order_status", 0.05},   {"shipping_delay", -0.45},
    {"address_change", 0.2},    {"damaged_item", -0.3},   {"bug_report", -0.3},
    {"feature_request", -0.15}, {"setup_help", 0.2},      {"membership_question", 0.15},
    {"bulk_order", 0.2}};

// Mean NPS answer for each number of stars.
constexpr double k_nps_mean[6] = {0, 2.0, 3.8, 6.2, 8.0, 9.2};
// Chance of a comment, and of a "yes" to "was your issue resolved?", by stars.
constexpr double k_comment_chance[6] = {0, 0.62, 0.55, 0.42, 0.28, 0.34};
constexpr double k_resolved_yes[6] = {0, 0.22, 0.38, 0.7, 0.9, 0.96};

struct RewardChoice {
  const char* id;
  const char* label;
  int64_t points;
  double weight;
};
constexpr RewardChoice k_rewards[] = {{"high_five", "A high five", 10, 0.40},
                                      {"coffee", "Buy them a coffee", 50, 0.33},
                                      {"snack_box", "A snack box for their team", 80, 0.12},
                                      {"lunch", "Treat them to lunch", 150, 0.15}};

using TextList = std::span<const char* const>;
#define DEMO_TEXTS(name, ...) constexpr const char* name[] = {__VA_ARGS__}

// ---- what customers write -------------------------------------------------------------------

DEMO_TEXTS(k_good_knowledge,
           "{agent} knew exactly what was going on and explained it in two lines.",
           "Clearly knows the products inside out. Thanks {agent}!",
           "{agent} had the answer straight away, no back and forth.",
           "Really knowledgeable, answered the questions I didn't know I had.");
DEMO_TEXTS(k_good_speed, "Sorted in minutes. Thank you!", "Fast reply and fixed the same day.",
           "Quickest support I've had from any shop.",
           "Fixed before I had finished my coffee. Impressive.");
DEMO_TEXTS(k_good_friendly, "{agent} was lovely to deal with.",
           "Friendly and patient, even though I was grumpy. Thanks {agent}.",
           "Really nice person, made the whole thing easy.",
           "Such a pleasant chat, thank you {agent}!");
DEMO_TEXTS(k_good_empathy, "{agent} actually listened and understood why I was upset.",
           "Felt like {agent} genuinely cared about getting it right for me.",
           "Kind and understanding. It had been a stressful week and this helped.");
DEMO_TEXTS(k_good_extra_mile, "{agent} went above and beyond and even checked in the next day.",
           "Didn't just fix it: {agent} also sorted the other order I forgot to mention.",
           "{agent} found me a better option than the one I asked for. Brilliant.");
DEMO_TEXTS(k_good_generic, "Great service, thank you.", "All good, thanks {agent}!",
           "Problem solved. Happy customer.", "Thanks, very helpful.", "Excellent as always.",
           "Quick and painless, thanks.", "Five stars for {agent}.",
           "Couldn't have asked for more.");
DEMO_TEXTS(k_mixed, "Got there in the end, but it took longer than it should have.",
           "Fine, though I had to explain my problem twice.",
           "OK. The answer was right but felt like a template.",
           "Resolved, but I'm still not sure why it happened in the first place.",
           "Helpful enough. The wait for the first reply was long.",
           "{agent} was polite, but I had to do most of the work myself.");
DEMO_TEXTS(k_bad_knowledge, "The agent didn't seem to know the product and kept guessing.",
           "I was given wrong information and had to write in again.",
           "Had to explain how your own app works to support.");
DEMO_TEXTS(k_bad_speed, "Took days to get a reply.", "Far too slow. I needed this sorted today.",
           "Waited ages for an answer that took one line.");
DEMO_TEXTS(k_bad_clarity, "The instructions didn't make sense and didn't work.",
           "Got a copy-paste answer that didn't address my question.",
           "Confusing reply, I still don't know what to do.");
DEMO_TEXTS(k_bad_empathy, "Felt like nobody cared that I was out of pocket.",
           "Very robotic. Not even a sorry.", "Made me feel like the problem was my fault.");
DEMO_TEXTS(k_bad_follow_up, "Promised to get back to me and never did.",
           "I had to chase twice before anyone answered.",
           "Said they'd check with another team and then silence.");
DEMO_TEXTS(k_bad_generic, "Still not fixed.", "Not resolved. Very disappointed.",
           "Nobody actually read my message.",
           "I'm thinking of cancelling my membership over this.",
           "Worst support experience in a long time.", "Marked as solved but nothing has changed.");
DEMO_TEXTS(k_followup_good, "Thanks for calling me back, {agent} sorted it out.",
           "Appreciate the follow-up. All fixed now.",
           "Much better. {agent} apologised and made it right.",
           "Didn't expect a call. That turned things around, thank you.");
DEMO_TEXTS(k_followup_bad, "The call was nice but the problem is still there.",
           "Still waiting for a real fix.", "Kind words, but no solution.");

struct TagTexts {
  std::string_view tag;
  TextList texts;
};
constexpr TagTexts k_good_by_tag[] = {{"product_knowledge", k_good_knowledge},
                                      {"speed", k_good_speed},
                                      {"friendliness", k_good_friendly},
                                      {"empathy", k_good_empathy},
                                      {"went_the_extra_mile", k_good_extra_mile}};
constexpr TagTexts k_bad_by_tag[] = {{"product_knowledge", k_bad_knowledge},
                                     {"speed", k_bad_speed},
                                     {"clarity", k_bad_clarity},
                                     {"empathy", k_bad_empathy},
                                     {"follow_up", k_bad_follow_up}};
// What a disappointed customer says about their particular problem.
constexpr std::pair<std::string_view, const char*> k_bad_by_reason[] = {
    {"billing_refund", "Still no refund, and I was told it would take five days."},
    {"payment_failed", "My card keeps getting declined and nobody can tell me why."},
    {"cancel_subscription", "Cancelling should not be this hard."},
    {"shipping_delay", "My parcel is still missing and all I got was an apology."},
    {"damaged_item", "Second damaged item in a row and still no replacement."},
    {"bug_report", "The app still crashes after the update."},
    {"account_locked", "Locked out of my account for two days."},
    {"fraud_report", "Took far too long to secure my account."},
    {"return_request", "The return label never arrived."}};

// ---- what staff write -----------------------------------------------------------------------

DEMO_TEXTS(
    k_note_contact, "Called the customer, apologised and went through what went wrong.",
    "Reached the customer by phone; apologised and explained the next steps.",
    "Emailed an apology with a direct line; customer called back and we talked it through.",
    "Called back. Customer was frustrated about the wait; apologised and fixed it on the call.");
DEMO_TEXTS(k_note_recovered,
           "Fixed, and a goodwill credit applied. Customer happy with the outcome.",
           "Customer thanked us for the call. Resolved.",
           "Reshipped with express delivery; customer satisfied.",
           "Refund confirmed while on the phone. Customer much happier.");
DEMO_TEXTS(k_note_not_recovered,
           "Customer still unhappy: policy does not allow the refund they asked for.",
           "Explained the options; customer declined and remains dissatisfied.",
           "The fix depends on the next app release; customer not happy with the wait.");
DEMO_TEXTS(k_note_attempt, "Called twice, no answer. Left a voicemail and sent an email.",
           "No reply to an email and a call. Will try once more this afternoon.");
DEMO_TEXTS(k_note_unreachable, "No response after three attempts; closing.",
           "Customer did not get back to us. Closing as unreachable.");
DEMO_TEXTS(k_praise,
           "Lovely feedback, {agent}: exactly the tone we want. Sharing this with the team.",
           "Great work {agent}! Customers notice when you take ownership like this.",
           "Textbook answer, {agent}. Thank you.", "Well done {agent}, fast and friendly.",
           "This one made my day, {agent}.");
DEMO_TEXTS(
    k_coaching,
    "{agent}, let's look at this one in our 1:1. A quicker first update would have helped.",
    "Hi {agent}, the customer needed clearer next steps here. Let's go over the macro together.",
    "{agent}, this needed a call after the second reply. Happy to pair on the next one.",
    "Not an easy one, {agent}. Next time flag it to me early and we'll escalate sooner.",
    "{agent}, check the refund timeline before promising a date. Let's talk tomorrow.");

enum Outcome : uint8_t { k_recovered = 1, k_not_recovered = 2, k_unreachable = 3 };
const char* outcome_name(uint8_t o) {
  return o == k_recovered ? "recovered" : o == k_not_recovered ? "not_recovered" : "unreachable";
}

std::string with_agent(std::string_view text, const std::string& agent) {
  std::string out(text);
  for (std::size_t pos = 0; (pos = out.find("{agent}", pos)) != std::string::npos;
       pos += agent.size())
    out.replace(pos, 7, agent);
  return out;
}

TextList texts_for(std::span<const TagTexts> table, std::string_view tag) {
  for (const auto& t : table)
    if (t.tag == tag) return t.texts;
  return {};
}

}  // namespace

FeedbackLife::FeedbackLife(const Plan& plan, const std::vector<int64_t>& agent_ids,
                           const std::vector<int64_t>& ticket_ids)
    : m_plan(plan), m_agent_ids(agent_ids), m_ticket_ids(ticket_ids) {
  int64_t from = plan.start - 2 * k_day, to = plan.end + 30 * k_day;
  for (int s = 0; s < k_site_count; ++s)
    m_site_zones.emplace_back(site_info(s).time_zone, site_info(s).fallback_offset_minutes, from,
                              to);
  for (const auto& r : regions())
    m_region_zones.emplace_back(r.time_zones[0], r.fallback_offsets[0], from, to);
  m_traits.resize(plan.tickets.size());
  for (const auto& t : plan.tickets)
    if (t.repeat_of >= 0) m_traits[static_cast<std::size_t>(t.repeat_of)].got_repeat = true;
  for (const auto& a : plan.actions) {
    if (a.op == Op::customer_reply && a.say == Say::reopen)
      m_traits[static_cast<std::size_t>(a.target)].reopened = true;
    if (a.op == Op::agent_update && (a.flags & k_escalate))
      m_traits[static_cast<std::size_t>(a.target)].escalated = true;
  }
  for (std::size_t i = 0; i < plan.agents.size(); ++i) {
    m_skill.push_back(plan.agents[i].rating_skill);
    if (plan.agents[i].recovery) m_recovery.push_back(static_cast<int>(i));
  }
}

std::vector<feedback::RewardItem> FeedbackLife::reward_catalog() {
  std::vector<feedback::RewardItem> out;
  for (const auto& r : k_rewards) out.push_back({r.id, r.label, r.points});
  return out;
}

Status FeedbackLife::start(store::Tx& tx) {
  auto secret = feedback::ensure_secret(tx);
  if (!secret) return fail(secret.error());
  m_secret = *secret;
  auto cfg = feedback::load_config(tx.conn());
  if (!cfg) return fail(cfg.error());
  m_improvement = cfg->improvement_tags;
  m_excellence = cfg->excellence_tags;
  m_recovery_threshold = cfg->recovery_threshold;
  return {};
}

Result<int64_t> FeedbackLife::last_event_id(store::Tx& tx) {
  auto max = tx.conn().scalar("SELECT MAX(id) FROM events");
  if (!max) return fail(max.error());
  return max->value_or(0);
}

void FeedbackLife::push(Pending p) {
  p.seq = m_seq++;
  m_queue.push(std::move(p));
}

Status FeedbackLife::run_until(store::Tx& tx, ScopedClock& clock, int64_t t) {
  while (!m_queue.empty() && m_queue.top().at < t) {
    Pending p = m_queue.top();
    m_queue.pop();
    clock.set(p.at);
    if (auto st = run(tx, p); !st) {
      Error e = st.error();
      e.message = "demo seed: feedback step at " + iso8601(p.at) + ": " + e.message;
      for (const auto& [field, problems] : e.details)
        for (const auto& x : problems) e.message += "; " + field + ": " + x.description;
      return fail(e);
    }
  }
  return {};
}

Status FeedbackLife::finish(store::Tx& tx, ScopedClock& clock) {
  if (auto st = run_until(tx, clock, m_plan.end); !st) return st;
  return events::start_at_end(tx, "feedback_requests");
}

Status FeedbackLife::after_solve(store::Tx& tx, ScopedClock& clock, int ticket,
                                 int64_t events_before) {
  (void)clock;
  auto& conn = tx.conn();
  std::vector<events::StoredEvent> solved;
  auto st = conn.each(
      "SELECT id, at, kind, entity, entity_id, actor_id, data FROM events WHERE id > ? AND kind = "
      "'ticket.updated' "
      "ORDER BY id",
      {events_before}, [&](const store::Row& r) {
        solved.push_back({r.i64(0), r.i64(1), r.text(2), r.text(3), r.opt_i64(4), r.opt_i64(5),
                          Json::parse(r.text(6), nullptr, false)});
      });
  if (!st) return st;
  for (const auto& e : solved)
    if (auto h = feedback::on_ticket_event(tx, e, k_demo_base_url); !h) return h;
  return take_new_requests(tx, ticket, now_epoch());
}

int FeedbackLife::agent_index(int64_t id) {
  auto it = m_agent_index.find(id);
  if (it != m_agent_index.end()) return it->second;
  for (std::size_t i = 0; i < m_agent_ids.size(); ++i)
    if (m_agent_ids[i]) m_agent_index[m_agent_ids[i]] = static_cast<int>(i);
  it = m_agent_index.find(id);
  return it == m_agent_index.end() ? -1 : it->second;
}

Result<const domain::Principal*> FeedbackLife::principal(store::Tx& tx, int agent) {
  auto it = m_principals.find(agent);
  if (it == m_principals.end()) {
    auto p = accounts::load_principal(tx.conn(), m_agent_ids[static_cast<std::size_t>(agent)]);
    if (!p) return fail(p.error());
    it = m_principals.emplace(agent, std::move(*p)).first;
  }
  return &it->second;
}

int64_t FeedbackLife::agent_time(int agent, int64_t t, Rng& rng) {
  const auto& a = m_plan.agents[static_cast<std::size_t>(agent)];
  int64_t next = next_on_shift(m_site_zones[static_cast<std::size_t>(a.site)], a.shift, t);
  if (next == t) return t;
  return next + 60 + static_cast<int64_t>(rng.exponential(25 * k_minute));
}

int64_t FeedbackLife::customer_time(int ticket, int64_t t, Rng& rng) {
  const auto& c = m_plan.customers[static_cast<std::size_t>(
      m_plan.tickets[static_cast<std::size_t>(ticket)].requester)];
  const auto& zone = m_region_zones[static_cast<std::size_t>(c.region)];
  int hour = zone.hour(t);
  if (hour >= 7 && hour < 23) return t;
  int64_t morning = zone.local_midnight(t) + 7 * k_hour + (hour >= 23 ? k_day : 0);
  return std::max(t, morning + static_cast<int64_t>(rng.exponential(90 * k_minute)));
}

int FeedbackLife::manager_of(int agent) const {
  int a = agent;
  for (int hop = 0; hop < 4 && a >= 0; ++hop) {
    if (m_plan.agents[static_cast<std::size_t>(a)].rapport_role == "manager") return a;
    a = m_plan.agents[static_cast<std::size_t>(a)].team_lead;
  }
  for (std::size_t i = 0; i < m_plan.agents.size(); ++i)
    if (m_plan.agents[i].rapport_role == "manager") return static_cast<int>(i);
  return -1;
}

// The requests the consumer (or a closed recovery case) just made: the email channel delivers
// the emailed ones a minute or two later; about a third of customers answer, most within hours,
// a few open the page and leave it.
Status FeedbackLife::take_new_requests(store::Tx& tx, int ticket, int64_t now) {
  struct Made {
    feedback::Request r;
    std::optional<std::string> outcome;
  };
  std::vector<Made> made;
  auto st = tx.conn().each(
      "SELECT f.id, f.kind, f.status, f.channel, f.agent_id, f.expires_at, f.nonce, c.outcome FROM "
      "feedback_requests f "
      "LEFT JOIN recovery_cases c ON c.id = f.recovery_case_id WHERE f.id > ? ORDER BY f.id",
      {m_last_request}, [&](const store::Row& row) {
        Made m;
        m.r.id = row.i64(0);
        m.r.kind = row.text(1);
        m.r.status = row.text(2);
        m.r.channel = row.text(3);
        m.r.agent_id = row.i64(4);
        m.r.expires_at = row.i64(5);
        m.r.nonce = row.text(6);
        m.outcome = row.opt_text(7);
        made.push_back(std::move(m));
      });
  if (!st) return st;
  for (auto& [r, outcome] : made) {
    m_last_request = r.id;
    if (r.status == "suppressed") continue;
    Rng rng(mix_seed(m_plan.options.seed ^ k_feedback_salt, static_cast<uint64_t>(r.id)));
    bool follow_up = r.kind == "follow_up";
    Pending base;
    base.ticket = ticket;
    base.agent = agent_index(r.agent_id);
    base.ref = r.id;
    base.flag = follow_up;
    base.arg = outcome == "recovered" ? k_recovered : k_not_recovered;
    int64_t delivered = now;
    if (r.status == "pending") {
      delivered = now + 20 + static_cast<int64_t>(rng.exponential(100));
      Pending d = base;
      d.kind = Step::deliver;
      d.at = delivered;
      push(d);
    }
    base.token = feedback::link_token(m_secret, r);
    double p = 0.5;
    if (!follow_up) {
      const auto& traits = m_traits[static_cast<std::size_t>(ticket)];
      p = 0.34 +
          (r.channel == "chat"    ? 0.06
           : r.channel == "voice" ? -0.07
                                  : 0.0) +
          (traits.got_repeat || traits.reopened ? 0.04 : 0.0);
    }
    if (rng.chance(p)) {
      double median = follow_up ? 5 * k_hour : 2 * k_hour;
      int64_t at = customer_time(
          ticket, delivered + 60 + static_cast<int64_t>(rng.lognormal(median, 1.4)), rng);
      if (at >= r.expires_at) continue;
      Pending o = base;
      o.kind = Step::open;
      o.at = std::max(delivered + 30, at - 20 - rng.range(0, 200));
      push(o);
      Pending a = base;
      a.kind = Step::answer;
      a.at = at;
      a.seed = rng.next();
      push(a);
    } else if (rng.chance(0.1)) {
      Pending o = base;
      o.kind = Step::open;
      o.at = customer_time(
          ticket, delivered + 60 + static_cast<int64_t>(rng.lognormal(3 * k_hour, 1.2)), rng);
      if (o.at < r.expires_at) push(o);
    }
  }
  return {};
}

Status FeedbackLife::run(store::Tx& tx, Pending& p) {
  auto& conn = tx.conn();
  int64_t now = p.at;
  switch (p.kind) {
    case Step::deliver: {
      // The email channel sends the survey email.
      auto u = conn.run(
          "UPDATE feedback_requests SET status = 'delivered', delivered_at = ? WHERE id = ? AND "
          "status = 'pending'",
          {now, p.ref});
      if (!u) return fail(u.error());
      u = conn.run(
          "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = ? WHERE ticket_id "
          "= ? AND related_id = ? "
          "AND kind = 'feedback_request' AND status = 'queued'",
          {now, m_ticket_ids[static_cast<std::size_t>(p.ticket)], p.ref});
      if (!u) return fail(u.error());
      return {};
    }
    case Step::open:
      return feedback::mark_opened(tx, m_secret, p.token);
    case Step::answer:
      return answer(tx, p);
    case Step::reward: {
      std::string item = p.arg ? k_rewards[p.arg - 1].id : "";
      auto w = feedback::choose_reward(tx, m_secret, p.token, item, p.flag);
      if (!w) return fail(w.error());
      Rng rng(p.seed);
      // Managers hand out most of the coffees and lunches within days; high fives are said in
      // person.
      if (*w && p.arg > 1 && rng.chance(0.6)) {
        int manager = manager_of(p.agent);
        if (manager < 0) return {};
        Pending f;
        f.kind = Step::fulfil;
        f.agent = manager;
        f.ref = (*w)->id;
        f.at = agent_time(manager, now + static_cast<int64_t>(rng.lognormal(2 * k_day, 0.6)), rng);
        if (f.at < m_plan.end) push(f);
      }
      return {};
    }
    case Step::fulfil: {
      auto who = principal(tx, p.agent);
      if (!who) return fail(who.error());
      auto r = feedback::update_reward(tx, p.ref, {{"status", "fulfilled"}}, **who);
      if (!r) return fail(r.error());
      return {};
    }
    case Step::react: {
      auto who = principal(tx, p.agent);
      if (!who) return fail(who.error());
      Rng rng(p.seed);
      std::string first = m_plan.agents[static_cast<std::size_t>(p.subject)].first;
      bool praise = p.arg == 0;
      Json in = {{"kind", praise ? "praise" : "coaching"},
                 {"body", with_agent(praise ? rng.pick(k_praise) : rng.pick(k_coaching), first)}};
      auto r = feedback::add_reaction(tx, p.ref, in, **who);
      if (!r) return fail(r.error());
      return {};
    }
    case Step::contact:
    case Step::attempt:
    case Step::close: {
      auto who = principal(tx, p.agent);
      if (!who) return fail(who.error());
      Rng rng(p.seed);
      Json in = Json::object();
      int64_t next = 0;
      if (p.kind == Step::close) {
        in["status"] = "closed";
        in["outcome"] = outcome_name(p.arg);
        in["note"] = rng.pick(p.arg == k_recovered       ? TextList(k_note_recovered)
                              : p.arg == k_not_recovered ? TextList(k_note_not_recovered)
                                                         : TextList(k_note_unreachable));
      } else {
        in["assignee_id"] = m_agent_ids[static_cast<std::size_t>(p.agent)];
        if (p.kind == Step::contact) {
          in["status"] = "contacted";
          in["note"] = rng.pick(k_note_contact);
          // Most calls settle it there and then; some wait for a refund or a reshipment.
          next = now + 10 * k_minute + static_cast<int64_t>(rng.lognormal(50 * k_minute, 0.9)) +
                 (rng.chance(0.1) ? static_cast<int64_t>(rng.uniform(1, 3) * k_day) : 0);
        } else {
          in["note"] = rng.pick(k_note_attempt);
          next = now + static_cast<int64_t>(rng.lognormal(5 * k_hour, 0.5));
        }
      }
      auto c = feedback::update_case(tx, p.ref, in, **who, k_demo_base_url);
      if (!c) return fail(c.error());
      if (p.kind == Step::close) return take_new_requests(tx, p.ticket, now);
      Pending close = p;
      close.kind = Step::close;
      close.at = agent_time(p.agent, next, rng);
      close.seed = rng.next();
      if (close.at < m_plan.end) push(close);
      return {};
    }
  }
  return {};
}

Status FeedbackLife::answer(store::Tx& tx, Pending& p) {
  Rng rng(p.seed);
  const auto& tk = m_plan.tickets[static_cast<std::size_t>(p.ticket)];
  const auto& traits = m_traits[static_cast<std::size_t>(p.ticket)];
  const bool follow_up = p.flag;
  double skill = p.agent >= 0 ? m_skill[static_cast<std::size_t>(p.agent)] : 0.0;
  double latent;
  if (follow_up) {
    // The follow-up rates the recovery: a call that fixed things turns most of them around.
    latent = (p.arg == k_recovered ? 0.05 : -1.25) + 0.5 * skill + rng.normal();
  } else {
    double reason = 0;
    for (const auto& [tag, shift] : k_reason_shift)
      if (tag == reasons()[static_cast<std::size_t>(tk.reason)].tag) reason = shift;
    latent = skill + reason + (tk.repeat_of >= 0 ? -0.4 : 0.0) + (traits.got_repeat ? -0.5 : 0.0) +
             (traits.reopened ? -0.5 : 0.0) + (traits.escalated ? -0.15 : 0.0) +
             (tk.incident ? -0.6 : 0.0) + (tk.channel == Channel::chat ? 0.1 : 0.0) + rng.normal();
  }
  int stars = stars_for(latent);
  feedback::Answer a;
  a.stars = stars;
  // "Was your issue resolved?": a customer who had to write again, or reopen, mostly says no.
  if (rng.chance(0.82)) {
    double yes = k_resolved_yes[stars];
    if (follow_up)
      yes = p.arg == k_recovered ? 0.9 : 0.2;
    else if (traits.got_repeat)
      yes *= stars >= 4 ? 0.6 : 0.4;
    else if (traits.reopened)
      yes *= 0.6;
    a.resolved = rng.chance(yes);
  }
  if (rng.chance(0.72))
    a.nps = std::clamp<int64_t>(std::lround(rng.normal(k_nps_mean[stars], 1.2)), 0, 10);
  bool good = stars >= 4;
  const auto& tags = good ? m_excellence : m_improvement;
  if (!tags.empty() && rng.chance(good ? 0.45 : 0.6)) {
    a.tags.push_back(rng.pick(tags));
    const auto& second = rng.pick(tags);
    if (rng.chance(0.3) && second != a.tags[0]) a.tags.push_back(second);
  }
  std::string first = p.agent >= 0 ? m_plan.agents[static_cast<std::size_t>(p.agent)].first : "";
  if (rng.chance(k_comment_chance[stars])) {
    std::string text;
    if (follow_up) {
      text = good || stars == 3 ? rng.pick(k_followup_good) : rng.pick(k_followup_bad);
    } else if (stars == 3) {
      text = rng.pick(k_mixed);
    } else {
      TextList by_tag;
      if (!a.tags.empty())
        by_tag = texts_for(good ? std::span<const TagTexts>(k_good_by_tag)
                                : std::span<const TagTexts>(k_bad_by_tag),
                           a.tags[0]);
      const char* by_reason = nullptr;
      for (const auto& [tag, line] : k_bad_by_reason)
        if (tag == reasons()[static_cast<std::size_t>(tk.reason)].tag) by_reason = line;
      if (!good && by_reason && rng.chance(0.4))
        text = by_reason;
      else if (!by_tag.empty() && rng.chance(0.75))
        text = rng.pick(by_tag);
      else
        text = good ? rng.pick(k_good_generic) : rng.pick(k_bad_generic);
    }
    a.comment = with_agent(text, first);
  }
  auto rated = feedback::submit(tx, m_secret, p.token, a);
  if (!rated) return fail(rated.error());
  const int64_t now = rated->created_at;
  if (follow_up) return {};

  // A bad rating (or "not resolved") opened a recovery case.
  bool unresolved = a.resolved && !*a.resolved;
  if (stars <= m_recovery_threshold || unresolved) {
    auto id = tx.conn().scalar("SELECT id FROM recovery_cases WHERE rating_id = ?", {rated->id});
    if (!id) return fail(id.error());
    if (*id) {
      if (auto st = plan_case(**id, p, stars, rng.next()); !st) return st;
    }
  }
  // The thank-you page: some delighted customers send a reward, a few share their words.
  if (stars == 5) {
    bool reward = rng.chance(0.14);
    bool share = !a.comment.empty() && rng.chance(0.05);
    if (reward || share) {
      Pending w = p;
      w.kind = Step::reward;
      w.at = now + 15 + rng.range(0, 180);
      w.flag = share;
      w.arg = 0;
      if (reward) {
        double weights[std::size(k_rewards)];
        for (std::size_t i = 0; i < std::size(k_rewards); ++i) weights[i] = k_rewards[i].weight;
        w.arg = static_cast<uint8_t>(1 + rng.weighted(weights));
      }
      w.seed = rng.next();
      if (w.at < m_plan.end) push(w);
    }
  }
  // Team leads react to what they see in the live feed: praise for glowing comments, a coaching
  // note on the bad ones.
  int lead = p.agent >= 0 ? m_plan.agents[static_cast<std::size_t>(p.agent)].team_lead : -1;
  if (lead >= 0 && now >= m_plan.end - k_reaction_window) {
    double praise = stars == 5 && !a.comment.empty()   ? 0.3
                    : stars == 4 && !a.comment.empty() ? 0.08
                                                       : 0.0;
    double coaching = stars <= 2 ? 0.4 : stars == 3 && !a.comment.empty() ? 0.12 : 0.0;
    double u = rng.uniform();
    if (u < praise + coaching) {
      Pending r;
      r.kind = Step::react;
      r.arg = u < praise ? 0 : 1;
      r.agent = lead;
      r.subject = p.agent;
      r.ref = rated->id;
      r.seed = rng.next();
      r.at = agent_time(
          lead, now + 5 * k_minute + static_cast<int64_t>(rng.lognormal(2 * k_hour, 0.9)), rng);
      if (r.at < m_plan.end) push(r);
    }
  }
  return {};
}

// Most cases are picked up by the Customer Recovery group well within the due time; the rest wait.
Status FeedbackLife::plan_case(int64_t case_id, const Pending& rated, int stars, uint64_t seed) {
  if (m_recovery.empty()) return {};
  Rng rng(seed);
  if (!rng.chance(0.94)) return {};
  int who = m_recovery[static_cast<std::size_t>(m_next_recovery++) % m_recovery.size()];
  double u = rng.uniform();
  uint8_t outcome = u < 0.17                                ? k_unreachable
                    : u < 0.17 + (stars >= 3 ? 0.66 : 0.53) ? k_recovered
                                                            : k_not_recovered;
  Pending c;
  c.kind = outcome == k_unreachable ? Step::attempt : Step::contact;
  c.arg = outcome;
  c.agent = who;
  c.ticket = rated.ticket;
  c.ref = case_id;
  c.seed = rng.next();
  c.at = agent_time(
      who, rated.at + 10 * k_minute + static_cast<int64_t>(rng.lognormal(3.5 * k_hour, 1.0)), rng);
  if (c.at < m_plan.end) push(c);
  return {};
}

}  // namespace rapport::demo
