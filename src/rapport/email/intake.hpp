#pragma once
// Email intake: one parsed message in, one ticket or comment out, in the caller's write
// transaction. Every entry point (IMAP poller, `rapport mail receive`, the inbound endpoint) runs
// the same function, so threading, deduplication and the loop rules are the same for all.
//
// The rules, in order (docs/email.md says the same for operators):
//  1. A Message-ID already received is acknowledged and not stored again (`duplicate`).
//  2. Mail from one of our own mailbox addresses is recorded and dropped (`dropped`): a loop.
//  3. A delivery status notification marks each failed recipient as bouncing (`mail_bounces`, the
//     user's `email_bouncing` tag), adds an internal note to the ticket of the returned message when
//     it is known, and opens no ticket (`bounce`).
//  4. Threading: In-Reply-To, then References (newest first), against every Message-ID we
//     received or sent; then a `[#123]` token in the subject, accepted only from the ticket's
//     requester or one of its CCs/collaborators; otherwise a new ticket.
//  5. A reply to a solved ticket reopens it; to a closed one it opens a follow-up ticket
//     (`followup_source_id`, via.source.rel = "follow_up").
//  6. Automatic mail (Auto-Submitted other than "no", Precedence bulk/list/junk, mailer-daemon or
//     postmaster senders) is stored, tagged `mail_auto_submitted`, its comment's metadata says
//     `"auto_submitted": true`, and it never reopens a ticket: nothing automatic answers it.
//  7. Over the per-sender rate limit, a message that threads nowhere goes onto the sender's
//     latest unsolved ticket (or a new one if there is none), flagged like automatic mail plus
//     the `mail_rate_limited` tag. It is never dropped.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/store/store.hpp>

namespace rapport::email {

struct IntakeConfig {
  Limits limits;
  int rate_limit_messages = 30;      // per sender within the window; 0 turns the limit off
  int64_t rate_limit_window = 600;   // seconds
  std::size_t max_collaborators = 20;  // CC'd addresses added per message
};

struct IngestOptions {
  // The support address it arrived at (IMAP mailbox, --mailbox, the endpoint's ?mailbox=); when
  // empty, the first To/Cc address that is one of our mailboxes.
  std::string mailbox_address;
};

struct IngestResult {
  std::string outcome;  // created | commented | followup | bounce | dropped | duplicate
  std::optional<int64_t> ticket_id, comment_id;
  std::string message_id;
  bool auto_submitted = false, rate_limited = false;
  std::string reason;  // why a message was dropped
};

// Stores `m` (parsed from `raw`) as described above. All writes happen in `tx`, with their events.
Result<IngestResult> ingest(store::Tx& tx, const ParsedMessage& m, std::string_view raw, const IntakeConfig& cfg,
                            const IngestOptions& opts = {});

// The subject token that threads a reply to ticket `id`: "[#123]".
std::string ticket_token(int64_t id);
// The ticket id in a subject's token, if any.
std::optional<int64_t> find_ticket_token(std::string_view subject);

// The raw message a comment came from (agents only; the comment's ticket must be visible).
struct Original {
  std::string data, message_id;
};
Result<Original> original_message(store::Conn& conn, int64_t ticket_id, int64_t comment_id);

}  // namespace rapport::email
