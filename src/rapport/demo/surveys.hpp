#pragma once
// The feedback side of the demo history. As the replay solves tickets, the real consumer
// (feedback::on_ticket_event) turns the solves into survey requests; then customers open and
// answer some of them, bad ratings open recovery cases that the Customer Recovery group works,
// follow-up surveys come back, happy customers pick rewards and share kudos, managers fulfil
// rewards and team leads react to recent ratings. Every step goes through the feedback services
// at its own simulated moment, interleaved with the ticket actions in time order.
//
// Runs on the writer thread only: the replay's jobs call it in order. The random numbers come
// from the options' seed and the (deterministic) ids the replay creates, so the same seed gives
// the same feedback history.
#include <cstdint>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/time.hpp>
#include <rapport/demo/calendar.hpp>
#include <rapport/demo/plan.hpp>
#include <rapport/demo/random.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/store/store.hpp>

namespace rapport::demo {

// Where the survey links in the demo's emails point: `make demo`'s address.
inline constexpr const char* k_demo_base_url = "http://127.0.0.1:8080";

class FeedbackLife {
 public:
  // `agent_ids` and `ticket_ids` are the replay's plan-index-to-id tables (filled as it goes).
  FeedbackLife(const Plan& plan, const std::vector<int64_t>& agent_ids,
               const std::vector<int64_t>& ticket_ids);

  // The demo's reward catalog (configured before any history).
  static std::vector<feedback::RewardItem> reward_catalog();
  // The feedback settings are in place (the demo's configuration action ran).
  Status start(store::Tx& tx);
  // Runs the feedback steps due before `t`, each at its own moment.
  Status run_until(store::Tx& tx, ScopedClock& clock, int64_t t);
  // The newest event id: call before an action that solves a ticket, and pass it to after_solve.
  static Result<int64_t> last_event_id(store::Tx& tx);
  // Hands the events the solve appended to the feedback consumer, as the server's worker would,
  // and plans what the customer does with the request it made.
  Status after_solve(store::Tx& tx, ScopedClock& clock, int ticket, int64_t events_before);
  // Runs the steps left before the end of the period and moves the server's feedback consumer to
  // the end of the log, so `rapport serve` does not survey the history a second time.
  Status finish(store::Tx& tx, ScopedClock& clock);

 private:
  enum class Step : uint8_t {
    deliver,
    open,
    answer,
    reward,
    fulfil,
    react,
    contact,
    attempt,
    close
  };
  struct Pending {
    int64_t at = 0;
    uint64_t seq = 0;
    Step kind = Step::deliver;
    uint8_t arg = 0;       // answer: the recovery outcome a follow-up answers; reward: the item
    bool flag = false;     // answer: a follow-up; reward: share publicly
    int32_t ticket = -1;   // plan index
    int32_t agent = -1;    // plan index of the rated agent, or of whoever acts
    int32_t subject = -1;  // react: the rated agent
    int64_t ref = 0;       // request, rating, reward or case id
    uint64_t seed = 0;
    std::string token;  // the survey link's token
    bool operator>(const Pending& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct TicketTraits {
    bool got_repeat = false, reopened = false, escalated = false;
  };

  void push(Pending p);
  Status run(store::Tx& tx, Pending& p);
  Status take_new_requests(store::Tx& tx, int ticket, int64_t now);
  Status answer(store::Tx& tx, Pending& p);
  Status plan_case(int64_t case_id, const Pending& rated, int stars, uint64_t seed);
  Result<const domain::Principal*> principal(store::Tx& tx, int agent);
  int agent_index(int64_t id);
  int64_t agent_time(int agent, int64_t t, Rng& rng);
  int64_t customer_time(int ticket, int64_t t, Rng& rng);
  int manager_of(int agent) const;

  const Plan& m_plan;
  const std::vector<int64_t>& m_agent_ids;
  const std::vector<int64_t>& m_ticket_ids;
  std::string m_secret;
  std::vector<std::string> m_improvement, m_excellence;
  std::vector<double> m_skill;  // per agent: their share of the stars, in latent units
  std::vector<int> m_recovery;  // the Customer Recovery group's members (plan indexes)
  std::vector<TicketTraits> m_traits;
  std::vector<ZoneClock> m_site_zones, m_region_zones;
  std::unordered_map<int64_t, int> m_agent_index;
  std::unordered_map<int, domain::Principal> m_principals;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> m_queue;
  uint64_t m_seq = 0;
  int64_t m_last_request = 0;
  int m_next_recovery = 0;
  int m_recovery_threshold = 2;
};

}  // namespace rapport::demo
