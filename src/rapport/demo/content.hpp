#pragma once
// The demo organization's fixed vocabulary: sites, teams, names, companies, contact reasons and
// the text customers and agents write. Everything here is data; the generator draws from it.
//
// The story: "Larkspur", an online retailer with a paid membership ("Larkspur Plus"), a mobile
// app and a business programme, runs its support desk on Rapport. Every address and domain is
// under .example (RFC 2606), so nothing generated can reach a real mailbox.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <rapport/demo/random.hpp>

namespace rapport::demo {

using Texts = std::span<const char* const>;

struct SiteInfo {
  const char* name;
  const char* kind;    // in_house | vendor
  const char* vendor;  // nullptr for in-house sites
  const char* time_zone;
  int fallback_offset_minutes;  // used when the system has no tz database
  const char* locale;
  Texts first_names, last_names;
  // Shift starts (minutes after local midnight) agents at this site are rostered on.
  std::span<const int> shift_starts;
  bool round_the_clock;  // rotating rosters cover weekends and nights
};

inline constexpr int k_site_count = 3;
const SiteInfo& site_info(int site);

enum Team : int {
  k_billing,
  k_technical,
  k_security,
  k_orders,
  k_onboarding,
  k_enterprise,
  k_returns,
  k_tier2,
  k_team_count
};

struct TeamInfo {
  const char* name;
  const char* description;
  int site;
  int size;        // agents at scale 1, the lead included
  bool sensitive;  // only in-house staff join it
  const char* skill;
  // Teams the members may also join (overflow, cross-training); -1 ends the list.
  int overflow[3];
};
const TeamInfo& team_info(int team);

// One way a contact reason plays out, told start to finish so a conversation stays on topic.
struct Scenario {
  const char* subject;
  const char* opening;        // the customer's first message (email, web form, API)
  const char* short_opening;  // the same, said in a chat or on the phone
  const char* ask;            // the agent asks for what they need
  const char* answer;         // the customer's answer
  const char* followup;       // the agent settles it after the answer
  const char* solve;          // the agent settles it in the first reply
};

struct ReasonInfo {
  const char* tag;
  int team;
  double weight;           // share among consumer and small-business contacts
  double business_weight;  // share among enterprise contacts
  const char* type;        // question | incident | problem | task
  double priority[4];      // low, normal, high, urgent
  double first_contact_resolution;
  double escalation;  // chance the ticket goes to Tier 2
  Texts subjects;     // generic subjects, besides each scenario's own
  std::span<const Scenario> scenarios;
  Texts notes;  // internal notes agents write on such tickets
};
std::span<const ReasonInfo> reasons();

// Customers' home regions: the arrival curve follows their local day.
struct RegionInfo {
  const char* name;
  double share;
  std::span<const char* const> time_zones;
  std::span<const int> fallback_offsets;
  std::span<const char* const> locales;
  Texts first_names, last_names;
  const char* phone_prefix;
};
std::span<const RegionInfo> regions();

Texts company_prefixes();
Texts company_suffixes();
Texts consumer_mail_domains();

// Generic texts, for every reason.
namespace text {
Texts customer_chase();
Texts customer_nudge();
Texts customer_thanks();
Texts customer_reopen();
Texts customer_repeat();
Texts agent_closing();
Texts agent_progress();
Texts agent_reopen();
Texts agent_tier2_first();
Texts agent_tier2_solve();
Texts agent_chat_solve();
Texts note_escalate();
Texts note_hold();
Texts note_generic();
Texts bios();
}  // namespace text

// The facts one ticket's texts share, so a customer's order number stays the same all through
// the conversation.
struct Facts {
  std::string first, last, company, agent, team;
  std::string order, product, amount, plan, last4, invoice, device, carrier, tracking, feature,
      city, error, version, seats, days, date;
};
Facts make_facts(uint64_t seed, int64_t created_at);

// Replaces {name} placeholders with `facts`; unknown names are left as they are.
std::string render(std::string_view tmpl, const Facts& facts);

// ASCII letters and digits only, lower case: for e-mail local parts and domains.
std::string slug(std::string_view name);

}  // namespace rapport::demo
