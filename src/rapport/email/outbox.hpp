#pragma once
// The outbox as the email channel works it: which rows are due, what a row becomes on the wire,
// and how each attempt's outcome is recorded (one write per outcome, with its event). Also the
// agent-reply rows written in a comment's own transaction, and the views behind the API.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/email/compose.hpp>
#include <rapport/email/smtp.hpp>
#include <rapport/store/store.hpp>

namespace rapport::email {

struct DeliveryConfig {
  MailAddress default_from{"Support", "support@localhost.localdomain"};  // when a row names none
  std::string domain = "localhost.localdomain";                      // right of the @ in Message-IDs
  int64_t retry_base = 60;        // seconds before the first retry; doubles each attempt
  int64_t retry_cap = 3600;       // longest wait between attempts
  int64_t max_attempts = 8;       // then the row fails for good
  int64_t max_age = 2 * 86400;    // seconds in the queue before it fails for good
};

// The kinds that are automatic mail: never sent to a bouncing address or an automatic sender.
bool is_automatic_kind(const std::string& kind);

// One outgoing message as the API shows it.
struct Delivery {
  int64_t id = 0;
  std::string kind, to_address, subject, status;
  Json cc = Json::array();
  std::optional<int64_t> ticket_id, comment_id;
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;
  std::optional<std::string> last_error, smtp_response, message_id;
  bool permanent = false;
  bool auto_submitted = false;
  int64_t created_at = 0;
  std::optional<int64_t> sent_at, last_attempt_at;
};
Json to_json(const Delivery& d);

// Ids of queued rows due at `now`, oldest first, at most `limit`, skipping `busy`.
Result<std::vector<int64_t>> due_rows(store::Conn& conn, int64_t now, std::size_t limit,
                                      const std::vector<int64_t>& busy = {});
// The earliest next_attempt_at of a queued row, if any.
Result<std::optional<int64_t>> next_due(store::Conn& conn);

// A row ready to go: the envelope and the composed bytes.
struct Prepared {
  int64_t id = 0;
  std::string envelope_from;
  std::vector<std::string> recipients;
  std::string data;
};

// Picks row `id` for sending, in its own transaction: mints and stores a Message-ID when it has
// none (so a retry after a crash reuses it) and fills the From of rows that name none. A row
// that must not go out (automatic mail to a bouncing address or to a ticket that came from an
// automatic sender, or one that cannot be composed) is failed here with its reason. nullopt:
// nothing to send (no longer queued, or failed now).
Result<std::optional<Prepared>> prepare(store::Tx& tx, int64_t id, const DeliveryConfig& cfg, int64_t now);

// Records the outcome of one attempt. `rng` jitters the backoff.
Status record(store::Tx& tx, int64_t id, const SmtpResult& r, const DeliveryConfig& cfg, int64_t now, std::mt19937_64& rng);

// The wait before attempt `attempts + 1` (attempts already made >= 1): base * 2^(attempts-1),
// capped, then "equal jitter" (half fixed, half random) so a server that comes back is not hit
// by every deferred message at once.
int64_t backoff(int64_t attempts, const DeliveryConfig& cfg, std::mt19937_64& rng);

// Agent replies: writes the outbox row for `comment` when it is a public comment by staff on a
// ticket that is answered by email (see docs/email.md#delivery). The tickets comment hook.
Status queue_agent_reply(store::Tx& tx, const domain::Ticket& t, const domain::Comment& c, const DeliveryConfig& cfg);

// The messages of one ticket, oldest first (bounded).
Result<std::vector<Delivery>> deliveries_for_ticket(store::Conn& conn, int64_t ticket_id);
// The whole outbox for admins: optional status filter, newest first, offset pages.
Result<domain::Page<Delivery>> list_outbox(store::Conn& conn, const std::optional<std::string>& status,
                                           const domain::PageRequest& pr);
// "Retry now": a failed or queued row is queued again, due at once, with a fresh retry budget.
Result<Delivery> retry_now(store::Tx& tx, int64_t id, const domain::Principal& actor);

}  // namespace rapport::email
