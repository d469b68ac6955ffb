#pragma once
// The outbox sender: `connections` threads, each with its own SMTP connection, take due rows
// (oldest first, in bounded batches), send them and record each outcome in its own write.
//
// Nothing polls: the threads sleep until poke() (the writer's commit listener: a new row may be
// due) or until the earliest deferred row comes due. A pass that finds nothing due only reads, so
// its own commits (outcomes) do not keep it awake. stop() aborts transfers in progress (they stay
// due and go out on the next start) and joins the threads. Outcomes are written through the
// store's writer without waiting; stop the writer (which runs what is queued) before destroying
// the Sender.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <rapport/email/outbox.hpp>
#include <rapport/email/smtp.hpp>
#include <rapport/store/store.hpp>

namespace rapport::email {

struct SenderOptions {
  SmtpConfig smtp;
  DeliveryConfig delivery;
  std::size_t connections = 1;  // sending threads, each with one SMTP connection
  std::size_t batch = 50;       // rows a thread takes per pass
};

struct SenderStats {
  std::atomic<uint64_t> sent{0}, deferred{0}, failed{0};
};

class Sender {
 public:
  Sender(store::Store& store, SenderOptions options);
  ~Sender();
  void start();
  void stop();
  void poke();
  const SenderStats& stats() const { return m_stats; }

 private:
  void loop(std::size_t index);
  // One pass: claims up to `batch` due rows, sends them, records outcomes. Returns how many it sent.
  std::size_t pass(SmtpClient& client, std::mt19937_64& rng);
  store::Store& m_store;
  SenderOptions m_options;
  SenderStats m_stats;
  std::mutex m_mu;
  std::condition_variable m_cv;
  uint64_t m_generation = 0;  // bumped by poke(): a thread that saw an older one passes again
  bool m_stopping = false;
  std::atomic<bool> m_abort{false};
  std::set<int64_t> m_busy;   // rows some thread is sending
  std::vector<std::thread> m_threads;
};

}  // namespace rapport::email
