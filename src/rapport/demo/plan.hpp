#pragma once
// The demo organization's simulated history, planned in memory before anything is written:
// who exists, and every action anyone takes, in time order. seed.cpp replays the actions through
// the services. Planning draws every random number, so the replay itself is deterministic.
#include <cstdint>
#include <string>
#include <vector>

#include <rapport/base/json.hpp>
#include <rapport/demo/calendar.hpp>
#include <rapport/demo/seed.hpp>

namespace rapport::demo {

enum class Op : uint8_t {
  site,
  team,
  admin,
  agent,
  organization,
  customer,
  create_ticket,
  agent_update,
  customer_reply,
  recovery_group,   // the Customer Recovery group
  feedback_config,  // the admin configures customer feedback
};

// The status an agent's update sets (keep: leave it to the service's rules).
enum class SetStatus : uint8_t { keep, pending, hold, solved };

// What a comment says; the text is drawn when the action is replayed.
enum class Say : uint8_t {
  none,
  // agents, public
  ask,
  solve,
  followup,
  progress,
  closing,
  reopen_answer,
  tier2_first,
  tier2_solve,
  chat_solve,
  // agents, internal notes
  note,
  note_escalate,
  note_hold,
  // customers
  answer,
  nudge,  // "any news?" after the agent said they are on it
  chase,
  thanks,
  reopen,
};

inline constexpr uint8_t k_assign_self = 1;  // the acting agent becomes the assignee
inline constexpr uint8_t k_escalate = 2;     // the ticket moves to Tier 2, unassigned

struct Action {
  int64_t at = 0;
  uint32_t seq = 0;     // tie-break: planning order
  int32_t target = -1;  // plan index of the site, team, agent, organization, customer or ticket
  int32_t actor = -1;   // agent plan index for agent updates (and the assignee of answered calls)
  uint32_t text_seed = 0;
  Op op = Op::site;
  Say say = Say::none;
  SetStatus status = SetStatus::keep;
  uint8_t flags = 0;
};

enum class Channel : uint8_t { email, web, chat, api, voice };
const char* channel_name(Channel c);

struct SitePlan {
  int info = 0;  // index into site_info()
  int64_t created_at = 0;
};

struct TeamPlan {
  int info = 0;  // index into team_info()
  int lead = -1;
  std::vector<int> members;   // agent plan indexes, in planning order
  std::vector<int> handlers;  // members who take tickets
};

struct AgentPlan {
  std::string first, last, email, rapport_role;  // rapport_role: "" | team_lead | qa | manager
  int site = 0;
  std::vector<int> teams;  // primary first
  int team_lead = -1;      // agent plan index
  int64_t hired_at = 0, created_at = 0, available_from = 0;
  double speed = 1.0;    // multiplies how long they take to respond; 0.6 fast .. 2 slow
  double quality = 0.8;  // 0..1: how often their answers settle the issue for good
  Shift shift;
  Json skills = Json::array();
  std::string bio;
  bool password = false;  // the demo login agent
  // Feedback traits, drawn from their own stream: how customers rate them (a shift of the latent
  // rating; 0 the median agent, about +-0.25 typical, standouts +0.55, strugglers -0.75), and
  // whether they also work recovery cases in the Customer Recovery group.
  double rating_skill = 0.0;
  bool recovery = false;
};

struct OrgPlan {
  std::string name, domain, external_id;
  int region = 0;
  bool enterprise = false;
  int64_t created_at = 0;
  std::vector<int> members;
};

struct CustomerPlan {
  std::string first, last, email, time_zone, locale, phone, external_id;
  int org = -1;
  int region = 0;
  bool plus = false;
  int64_t created_at = 0;
};

struct TicketPlan {
  int requester = 0;
  int reason = 0;
  int team = 0;
  int repeat_of = -1;     // the earlier ticket this repeats, if any
  bool incident = false;  // part of the incident-day wave
  Channel channel = Channel::email;
  uint8_t priority = 1;  // low, normal, high, urgent
  int64_t created_at = 0;
  uint64_t seed = 0;  // the ticket's facts (order number, product ...)
};

struct Plan {
  SeedOptions options;
  int64_t start = 0, end = 0, go_live = 0;
  std::string admin_password, agent_password;
  std::vector<SitePlan> sites;
  std::vector<TeamPlan> teams;
  std::vector<AgentPlan> agents;
  std::vector<OrgPlan> orgs;
  std::vector<CustomerPlan> customers;
  std::vector<TicketPlan> tickets;
  std::vector<Action> actions;  // sorted by (at, seq)
};

// Plans everything; `end` is options.end_epoch, or now rounded down to the hour.
Plan make_plan(const SeedOptions& options, int64_t end);

}  // namespace rapport::demo
