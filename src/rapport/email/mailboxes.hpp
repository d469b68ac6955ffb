#pragma once
// Support addresses (mailboxes): the address customers write to, the group that owns its new
// tickets, and, when mail is fetched from a server, how to reach it over IMAP. Admins only.
// The IMAP password is write-only: sealed at rest with the server secret, never returned.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/email/imap.hpp>
#include <rapport/store/store.hpp>

namespace rapport::email {

struct MailboxRecord {
  int64_t id = 0;
  std::string address, name;
  std::optional<int64_t> group_id;
  std::optional<std::string> imap_host, imap_user;
  std::optional<int64_t> imap_port;
  std::string imap_tls = "imaps", imap_folder = "INBOX";
  bool password_set = false, enabled = true;
  std::optional<int64_t> uidvalidity;
  int64_t last_uid = 0;
  std::optional<int64_t> last_poll_at;
  std::optional<std::string> last_error;
  std::optional<int64_t> inbound_token_created_at;  // set: the mailbox has an inbound token
  int64_t created_at = 0, updated_at = 0;
};

Json to_json(const MailboxRecord& m);

Result<std::vector<MailboxRecord>> list_mailboxes(store::Conn& conn, const domain::Principal& actor);
Result<MailboxRecord> get_mailbox(store::Conn& conn, int64_t id, const domain::Principal& actor);
// `in` is the body's "mailbox" object: address, name, group_id, imap_host, imap_port, imap_tls,
// imap_user, imap_password, imap_folder, enabled.
Result<MailboxRecord> create_mailbox(store::Tx& tx, const Json& in, const domain::Principal& actor);
Result<MailboxRecord> update_mailbox(store::Tx& tx, int64_t id, const Json& in, const domain::Principal& actor);
Status delete_mailbox(store::Tx& tx, int64_t id, const domain::Principal& actor);

// The inbound endpoint's integration token for one mailbox: "rin_<mailbox id>_<secret>", sent as
// `Authorization: Bearer`. It may post mail to that mailbox and do nothing else. Made (or
// replaced: the old one stops working) by an admin and returned once; only the SHA-256 of the
// secret is stored.
Result<std::string> create_inbound_token(store::Tx& tx, int64_t id, const domain::Principal& actor);
Status revoke_inbound_token(store::Tx& tx, int64_t id, const domain::Principal& actor);
// The address of the mailbox `token` belongs to; nullopt for anything that is not a live token
// (compared in constant time).
Result<std::optional<std::string>> inbound_token_mailbox(store::Conn& conn, std::string_view token);

// What the poller needs: the connection settings with the password unsealed.
struct PollTarget {
  int64_t id = 0;
  std::string address;
  ImapSettings imap;
  std::optional<int64_t> uidvalidity;
  int64_t last_uid = 0;
};
// Enabled mailboxes that have an IMAP host.
Result<std::vector<PollTarget>> poll_targets(store::Conn& conn, int timeout_seconds);
Result<PollTarget> poll_target(store::Conn& conn, int64_t id, int timeout_seconds);

// The poller's bookkeeping, in the caller's transaction. A UIDVALIDITY change resets last_uid
// (the Message-ID dedupe keeps refetched mail from doubling).
Status set_uidvalidity(store::Tx& tx, int64_t mailbox_id, int64_t uidvalidity);
// Advances last_uid only upward and only while the UIDVALIDITY is still the one read.
Status advance_uid(store::Tx& tx, int64_t mailbox_id, int64_t uidvalidity, int64_t uid);
Status record_poll(store::Tx& tx, int64_t mailbox_id, const std::optional<std::string>& error);

}  // namespace rapport::email
