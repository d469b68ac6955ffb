#include <rapport/app/workers.hpp>

#include <algorithm>

#include <spdlog/spdlog.h>

#include <rapport/base/log.hpp>
#include <rapport/base/time.hpp>

namespace rapport::app {

Workers::Workers(store::Store& store, std::vector<Consumer> consumers, std::vector<Periodic> periodic,
                 std::vector<Timer> timers)
    : m_store(store),
      m_consumers(std::move(consumers)),
      m_periodic(std::move(periodic)),
      m_next_run(m_periodic.size(), std::chrono::steady_clock::now()),
      m_timers(std::move(timers)) {}

Workers::~Workers() { stop(); }

void Workers::start() {
  // Consumers start at the end of the log the first time they run on a database, so turning a
  // feature on does not replay years of history.
  for (const auto& c : m_consumers) {
    auto st = m_store.writer().run([&](store::Tx& tx) { return events::start_at_end(tx, c.name); });
    if (!st) spdlog::error("event=consumer_start_failed name={} error=\"{}\"", c.name, st.error().message);
  }
  m_thread = std::thread([this] {
    log::name_thread("workers");
    loop();
  });
}

void Workers::stop() {
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void Workers::poke() {
  {
    std::lock_guard lock(m_mu);
    m_poked = true;
  }
  m_cv.notify_one();
}

Status Workers::drain() {
  for (bool more = true; more;) {
    more = false;
    for (const auto& c : m_consumers) {
      auto n = events::consume(m_store, c.name, c.kinds, c.handler);
      if (!n) return fail(n.error());
      if (*n > 0) more = true;
    }
  }
  return {};
}

void Workers::loop() {
  while (true) {
    {
      std::unique_lock lock(m_mu);
      // The timeout retries a failed batch even when nothing else is being written; a timer
      // that is due sooner shortens it.
      auto wait = std::chrono::seconds(5);
      if (m_next_due) wait = std::clamp(std::chrono::seconds(*m_next_due - now_epoch()), std::chrono::seconds(0), wait);
      m_cv.wait_for(lock, wait, [&] { return m_poked || m_stopping; });
      if (m_stopping) return;
      m_poked = false;
    }
    if (auto st = drain(); !st) {
      spdlog::error("event=consumer_failed error=\"{}\"", st.error().message);
    }
    auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < m_periodic.size(); ++i) {
      if (now < m_next_run[i]) continue;
      m_next_run[i] = now + m_periodic[i].every;
      if (auto st = m_periodic[i].run(); !st)
        spdlog::error("event=periodic_failed name={} error=\"{}\"", m_periodic[i].name, st.error().message);
    }
    m_next_due.reset();
    for (const auto& t : m_timers) {
      auto due = t.run();
      if (!due) {
        spdlog::error("event=timer_failed name={} error=\"{}\"", t.name, due.error().message);
        continue;
      }
      if (*due && (!m_next_due || **due < *m_next_due)) m_next_due = *due;
    }
  }
}

}  // namespace rapport::app
