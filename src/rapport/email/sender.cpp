#include <rapport/email/sender.hpp>

#include <spdlog/spdlog.h>

#include <rapport/base/log.hpp>
#include <rapport/base/time.hpp>

namespace rapport::email {

namespace {
// The longest sleep with nothing due: a safety net for a commit the listener did not see (a row
// written by another process, the CLI); the normal wake-ups are poke() and the next due time.
constexpr auto k_idle_wait = std::chrono::seconds(60);
}  // namespace

Sender::Sender(store::Store& store, SenderOptions options) : m_store(store), m_options(std::move(options)) {
  if (m_options.connections == 0) m_options.connections = 1;
  if (m_options.batch == 0) m_options.batch = 1;
}

Sender::~Sender() { stop(); }

void Sender::start() {
  for (std::size_t i = 0; i < m_options.connections; ++i) m_threads.emplace_back([this, i] {
    log::name_thread("mail-send");
    loop(i);
  });
}

void Sender::stop() {
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_abort = true;
  m_cv.notify_all();
  for (auto& t : m_threads)
    if (t.joinable()) t.join();
  m_threads.clear();
}

void Sender::poke() {
  {
    std::lock_guard lock(m_mu);
    ++m_generation;
  }
  m_cv.notify_all();
}

void Sender::loop(std::size_t index) {
  SmtpClient client(m_options.smtp);
  std::mt19937_64 rng(std::random_device{}() + index);
  while (true) {
    uint64_t generation;
    {
      std::lock_guard lock(m_mu);
      if (m_stopping) return;
      generation = m_generation;
    }
    if (pass(client, rng) > 0) continue;  // a full batch may have left more behind
    // Nothing (more) to take: sleep until a commit or the earliest deferred row comes due.
    auto now = now_epoch();
    auto next = m_store.read([&](store::Conn& c) {
      return c.scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE status = 'queued' AND next_attempt_at > ?", {now});
    });
    auto until = std::chrono::system_clock::now() + k_idle_wait;
    if (next && *next) until = std::min(until, std::chrono::system_clock::time_point(std::chrono::seconds(**next)));
    std::unique_lock lock(m_mu);
    m_cv.wait_until(lock, until, [&] { return m_stopping || m_generation != generation; });
    if (m_stopping) return;
  }
}

std::size_t Sender::pass(SmtpClient& client, std::mt19937_64& rng) {
  const auto& cfg = m_options.delivery;
  int64_t now = now_epoch();
  std::vector<int64_t> busy;
  {
    std::lock_guard lock(m_mu);
    busy.assign(m_busy.begin(), m_busy.end());
  }
  auto due = m_store.read([&](store::Conn& c) { return due_rows(c, now, m_options.batch, busy); });
  if (!due) {
    spdlog::error("event=outbox_read_failed error=\"{}\"", due.error().message);
    return 0;
  }
  std::vector<int64_t> mine;
  {
    std::lock_guard lock(m_mu);
    for (auto id : *due)
      if (m_busy.insert(id).second) mine.push_back(id);
  }
  if (mine.empty()) return 0;
  auto release = [&](int64_t id) {
    std::lock_guard lock(m_mu);
    m_busy.erase(id);
  };

  // Claim the batch in one transaction: Message-IDs minted and stored, suppressed rows failed.
  std::vector<Prepared> ready;
  auto claimed = m_store.writer().run([&](store::Tx& tx) -> Status {
    ready.clear();
    for (auto id : mine) {
      auto p = prepare(tx, id, cfg, now);
      if (!p) return fail(p.error());
      if (*p) ready.push_back(std::move(**p));
    }
    return {};
  });
  if (!claimed) {
    spdlog::error("event=outbox_claim_failed error=\"{}\"", claimed.error().message);
    for (auto id : mine) release(id);
    return 0;
  }
  // Each outcome is its own write, submitted without waiting for it: the next message goes out
  // while the last outcome waits for its group commit. A row stays busy (no other thread takes
  // it) until its outcome is durable.
  std::set<int64_t> submitted;
  for (auto& p : ready) {
    if (m_abort) break;
    auto result = std::make_shared<SmtpResult>(client.send(p.envelope_from, p.recipients, p.data, &m_abort));
    uint64_t seed = rng();
    int64_t id = p.id;
    std::size_t recipients = p.recipients.size();
    submitted.insert(id);
    m_store.writer().submit(
        [this, id, result, seed](store::Tx& tx) {
          std::mt19937_64 jitter(seed);
          return record(tx, id, *result, m_options.delivery, now_epoch(), jitter);
        },
        [this, id, result, recipients](Status st) {
          using O = SmtpResult::Outcome;
          if (!st) {
            // The row stays queued and due: it is sent again (same Message-ID). At least once.
            spdlog::error("event=outbox_record_failed id={} error=\"{}\"", id, st.error().message);
          } else if (result->outcome == O::sent) {
            ++m_stats.sent;
            spdlog::info("event=mail_sent id={} recipients={} response=\"{}\"", id, recipients, result->response);
          } else if (result->outcome != O::aborted) {
            ++(result->outcome == O::permanent ? m_stats.failed : m_stats.deferred);
            spdlog::warn("event=mail_not_sent id={} outcome={} code={} error=\"{}\" response=\"{}\"", id,
                         result->outcome == O::permanent ? "permanent" : "transient", result->code, result->error,
                         result->response);
          }
          std::lock_guard lock(m_mu);
          m_busy.erase(id);
        });
  }
  for (auto id : mine)
    if (!submitted.count(id)) release(id);
  return submitted.size() + (mine.size() - ready.size());
}

}  // namespace rapport::email
