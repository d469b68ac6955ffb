#pragma once
// A small IMAP4rev1 client for the mailbox poller, over a libcurl connection.
//
// libcurl's own IMAP commands fetch with BODY[] (which marks a message \Seen as it is read) and
// drop the literal of a custom FETCH, so they cannot read a message without marking it. libcurl
// still does what it does well: connecting, TLS (imaps, or STARTTLS when required) and logging in
// (SASL or LOGIN), in its connect phase (CURLOPT_CONNECT_ONLY). This class then speaks the few
// commands the poller needs, with literals, over curl_easy_send/recv: CAPABILITY, SELECT,
// UID SEARCH, UID FETCH (RFC822.SIZE / BODY.PEEK[]), UID STORE +FLAGS (\Seen), IDLE, LOGOUT.
// Every wait is bounded by the timeout (IDLE by its own limit); every response by a size limit.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>

namespace rapport::email {

struct ImapSettings {
  std::string host;
  int port = 993;
  std::string tls = "imaps";  // imaps | starttls (required, not opportunistic) | none
  std::string user, password;
  std::string folder = "INBOX";
  int timeout_seconds = 30;
};

struct SelectInfo {
  int64_t uidvalidity = 0, uidnext = 0, exists = 0;
};

class ImapSession {
 public:
  ~ImapSession();
  // Connects, logs in (libcurl) and keeps the server's greeting. Errors carry the server's own words.
  static Result<std::unique_ptr<ImapSession>> open(const ImapSettings& s);
  const std::string& greeting() const { return m_greeting; }
  Result<SelectInfo> select(const std::string& folder);
  // UIDs above `last_uid`, ascending, at most `limit`.
  Result<std::vector<int64_t>> uids_above(int64_t last_uid, std::size_t limit);
  // The size the server reports, then the bytes (read with BODY.PEEK[]: the message stays unseen).
  // A message over `max_bytes` is not downloaded: too_large.
  Result<std::string> fetch(int64_t uid, std::size_t max_bytes);
  Status mark_seen(int64_t uid);
  // CAPABILITY, lower-cased ("imap4rev1", "idle", ...).
  Result<std::vector<std::string>> capabilities();
  // IMAP IDLE (RFC 2177) on the selected folder: waits until the server announces new mail
  // (EXISTS or RECENT), `max` passes, or `stop` turns true (seen within 250 ms), then ends the
  // IDLE with DONE and reads the server's answer. true: the server announced new mail.
  Result<bool> idle(std::chrono::milliseconds max, const std::atomic<bool>& stop);
  void logout();

 private:
  struct Untagged {
    std::string text;                   // the response line(s), literals replaced by {n}
    std::vector<std::string> literals;  // literal payloads, in order
  };
  explicit ImapSession(void* curl, int timeout_seconds) : m_curl(curl), m_timeout(timeout_seconds) {}
  Status send_all(const std::string& data);
  Result<std::string> read_line(std::size_t max);
  Result<std::string> read_bytes(std::size_t n);
  Status fill();
  // Reads what is there, waiting at most `wait` for it: false when nothing came in time.
  Result<bool> fill_within(std::chrono::milliseconds wait);
  // Sends a tagged command; returns the untagged responses when the server answers OK.
  Result<std::vector<Untagged>> command(const std::string& cmd, std::size_t max_literal = 1u << 20);

  void* m_curl;
  int m_timeout;
  int m_tag = 0;
  std::string m_buf;
  std::string m_greeting;
};

// Connects, logs in and selects the folder: the server's answer for a "test connection" button.
Result<std::string> test_imap(const ImapSettings& s);

// An IMAP quoted string ("a\"b"); nullopt for CR, LF or NUL, which no quoted string may hold.
std::optional<std::string> imap_quote(const std::string& s);

}  // namespace rapport::email
