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
// IDLE (RFC 2177), when on and the server offers it: one watcher thread per mailbox keeps a
// second connection in IDLE on the folder and pokes the poller when the server announces new mail,
// so mail arrives in seconds instead of up to one interval. The watcher only wakes the poller;
// fetching, storing and \Seen stay the poller's, so IDLE changes when mail is taken, never how.
// Polling goes on at the interval regardless (a dropped IDLE connection, a server without IDLE,
// a missed notification). A watcher reconnects with backoff; watchers follow the mailbox settings
// the poller reads each pass (a changed host or password restarts that mailbox's watcher).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rapport/email/intake.hpp>
#include <rapport/email/mailboxes.hpp>
#include <rapport/store/store.hpp>

namespace rapport::email {

struct PollerOptions {
  std::chrono::seconds interval{30};
  std::size_t batch = 50;          // messages per mailbox per pass
  int timeout_seconds = 30;        // connect and per-command
  bool crash_after_fetch = false;  // tests only: SIGKILL itself after a fetch, before the commit
  bool idle = true;                // watch each mailbox with IMAP IDLE where the server offers it
  std::chrono::seconds idle_renew{25 * 60};  // RFC 2177: end and restart IDLE before 29 minutes
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
  struct Watcher {
    std::string settings;  // what the watcher connected with; a change restarts it
    std::shared_ptr<std::atomic<bool>> stop, done;
    std::thread thread;
  };
  void loop();
  // Starts, restarts and stops watchers to match the mailboxes to poll. Poller thread only.
  void reconcile_watchers(const std::vector<PollTarget>& targets);
  void watch(const PollTarget& t, const std::atomic<bool>& stop);
  void retire(Watcher w);
  void join_retired(bool all);

  store::Store& m_store;
  IntakeConfig m_cfg;
  PollerOptions m_opts;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_poked = false, m_stopping = false;
  std::atomic<bool> m_stop_flag{false};
  std::thread m_thread;
  std::mutex m_watch_mu;  // m_watchers and m_retired (the poller thread and stop())
  std::map<int64_t, Watcher> m_watchers;
  std::vector<Watcher> m_retired;  // told to stop, joined once done (a connect may take a while)
};

}  // namespace rapport::email
