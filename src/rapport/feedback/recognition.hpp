#pragma once
// Recognition: team leads' reactions to ratings (praise, micro-coaching), rewards customers give
// agents after a great interaction, the public kudos wall, leaderboards, and the daily digest.
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/store/store.hpp>

namespace rapport::feedback {

// May this person see every agent's feedback (leads, QA, managers, admins)?
bool sees_all_feedback(const domain::Principal& p);

struct Reaction {
  int64_t id = 0, rating_id = 0, author_id = 0;
  std::string author_name, kind, body;
  int64_t created_at = 0;
};
// Leads, QA, managers and admins react to a rating they can see: kind praise | coaching.
Result<Reaction> add_reaction(store::Tx& tx, int64_t rating_id, const Json& in, const domain::Principal& actor);
// The reactions of these ratings, oldest first, keyed by rating id.
Result<std::vector<Reaction>> reactions_for(store::Conn& conn, const std::vector<int64_t>& rating_ids);
Json to_json(const Reaction& r);

struct Reward {
  int64_t id = 0, rating_id = 0, agent_id = 0, points = 0, created_at = 0;
  std::string item, label, status;
  std::optional<int64_t> fulfilled_by, fulfilled_at;
  std::string agent_name;
};
// After a 4-5 star answer the customer may pick a reward from the catalog (once) and may share
// the thank-you publicly. `item` empty: only the kudos choice.
Result<std::optional<Reward>> choose_reward(store::Tx& tx, const std::string& secret, const std::string& token,
                                            const std::string& item, bool share_publicly);
struct RewardFilter {
  std::optional<int64_t> agent_id;
  std::optional<std::string> status;
};
struct RewardLedger {
  domain::Page<Reward> page;
  int64_t points_earned = 0, points_fulfilled = 0;  // over the whole filter, not just the page
};
Result<RewardLedger> list_rewards(store::Conn& conn, const RewardFilter& f, const domain::PageRequest& pr,
                                  const domain::Principal& actor);
Result<Reward> rewards_by_rating(store::Conn& conn, int64_t rating_id);
// Managers and admins fulfil or cancel a chosen reward.
Result<Reward> update_reward(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& actor);
Json to_json(const Reward& r);

struct Kudos {
  int64_t rating_id = 0, stars = 0, created_at = 0;
  std::string agent_first_name, comment;
};
// Thank-yous customers chose to share, newest first (first names and comments only).
Result<std::vector<Kudos>> public_kudos(store::Conn& conn, std::optional<int64_t> agent_id, int limit);

struct LeaderboardQuery {
  std::optional<int64_t> group_id, site_id;
  int64_t from_day = 0, to_day = 0;  // UTC days since the epoch, [from, to)
};
// Agents ranked by the Bayesian ranking score (metrics.md) with average stars, CSAT, DSAT,
// self-reported FCR, NPS and responses. Reads the daily rollup.
Result<Json> leaderboard(store::Conn& conn, const LeaderboardQuery& q, const domain::Principal& actor);

struct SummaryQuery {
  int64_t from = 0, to = 0;  // epoch seconds, [from, to)
  std::optional<int64_t> group_id, site_id, agent_id;
  std::string by;  // "" (totals only) | agent | group | site | day
};
// Response rate (delivered, opened, answered; suppressed by reason) and the rating metrics of
// metrics.md (average stars, CSAT, DSAT, NPS, self-reported FCR) over requests and survey ratings
// created in the window; with `by`, the same per agent, group, site or UTC day. Agents get their own.
Result<Json> feedback_summary(store::Conn& conn, SummaryQuery q, const domain::Principal& actor);

// One team lead's day: the team's best and worst rated interactions with their comments, and
// the day's totals. The team is the agents whose team_lead_id is the lead.
Result<Json> daily_digest(store::Conn& conn, int64_t lead_id, int64_t day, const domain::Principal& actor);
// Queues the digest email of `day` for every team lead whose team was rated that day, once per
// day (remembered in settings). Returns how many it queued.
Result<int> queue_digests(store::Tx& tx, int64_t day, const std::string& base_url);

}  // namespace rapport::feedback
