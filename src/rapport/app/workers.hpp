#pragma once
// Background consumers of the event log, run on one thread that wakes when the writer commits.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rapport/events/consumer.hpp>
#include <rapport/store/store.hpp>

namespace rapport::app {

class Workers {
 public:
  struct Consumer {
    std::string name;
    std::vector<std::string> kinds;
    events::EventHandler handler;
  };
  // A job run on the same thread at most every `every` (daily digests). It must read before it
  // writes: a write wakes the thread again.
  struct Periodic {
    std::string name;
    std::chrono::seconds every;
    std::function<Status()> run;
  };
  // A job that names the next time it is due (epoch seconds on now_epoch's clock, or nullopt
  // when nothing is pending): the SLA breach timer. It runs on every wake-up and the thread
  // sleeps no longer than until the earliest due time, so it fires on time without polling.
  // Like a periodic job it must read before it writes.
  struct Timer {
    std::string name;
    std::function<Result<std::optional<int64_t>>()> run;
  };
  Workers(store::Store& store, std::vector<Consumer> consumers, std::vector<Periodic> periodic = {},
          std::vector<Timer> timers = {});
  ~Workers();
  void start();
  void stop();
  // Wakes the thread (the writer's commit listener calls this).
  void poke();
  // Runs every consumer until none has work left: for the CLI and tests.
  Status drain();

 private:
  void loop();
  store::Store& m_store;
  std::vector<Consumer> m_consumers;
  std::vector<Periodic> m_periodic;
  std::vector<std::chrono::steady_clock::time_point> m_next_run;
  std::vector<Timer> m_timers;
  std::optional<int64_t> m_next_due;  // the earliest time a timer asked for
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_poked = false, m_stopping = false;
  std::thread m_thread;
};

}  // namespace rapport::app
