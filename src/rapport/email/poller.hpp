#pragma once
// The IMAP poller: one thread that visits every enabled mailbox with an IMAP host each interval
// (or when poked), and takes new mail in UID order.
//
// Per message: fetch with BODY.PEEK[] (still unseen), parse, then in ONE write transaction ingest
// it and advance the mailbox's last_uid; only after that commit is it marked \Seen. A crash
// before the commit refetches the message next time, and the Message-ID dedupe makes that
// harmless; a crash after it at worst leaves a stored message unseen on the server. A message
// intake refuses (too large, no sender, a MIME bomb) is recorded as `mail.rejected`, skipped
// (last_uid moves past it) and left unseen for a person to look at.
//
// Polling only: libcurl has no IMAP IDLE, so new mail waits at most one interval.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <rapport/email/intake.hpp>
#include <rapport/email/mailboxes.hpp>
#include <rapport/store/store.hpp>

namespace rapport::email {

struct PollerOptions {
  std::chrono::seconds interval{30};
  std::size_t batch = 50;          // messages per mailbox per pass
  int timeout_seconds = 30;        // connect and per-command
  bool crash_after_fetch = false;  // tests only: SIGKILL itself after a fetch, before the commit
};

struct PollReport {
  int fetched = 0, stored = 0, duplicates = 0, rejected = 0;
  std::optional<std::string> error;
};

class Poller {
 public:
  Poller(store::Store& store, IntakeConfig cfg, PollerOptions opts);
  ~Poller();
  void start();
  void stop();
  // Polls every mailbox now (the API's "poll now" and tests).
  void poke();
  // One pass over every mailbox, on the calling thread.
  void poll_all();
  PollReport poll(const PollTarget& t);

 private:
  void loop();
  store::Store& m_store;
  IntakeConfig m_cfg;
  PollerOptions m_opts;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_poked = false, m_stopping = false;
  std::atomic<bool> m_stop_flag{false};
  std::thread m_thread;
};

}  // namespace rapport::email
