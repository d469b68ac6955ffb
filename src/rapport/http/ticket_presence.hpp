#pragma once
// Collision detection: who is viewing or replying to a ticket right now. In memory and per node:
// each agent's ticket page sends a heartbeat every few seconds, an entry without one for
// `ttl` is gone, and every change is pushed (Server-Sent Events) to the pages open on that
// ticket. Several nodes behind a load balancer would each see only their own agents; they would
// need a shared store (docs/collision.md).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/http/server.hpp>

namespace rapport::http {

class TicketPresence {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::seconds ttl{30};             // an entry without a heartbeat for this long is gone
    std::chrono::milliseconds sweep{1000};    // how often expiry is checked
    int ping_every = 15;                      // sweeps between keep-alive comments on idle streams
    std::size_t max_tickets = 10000;          // tickets with anyone on them
    std::size_t max_per_ticket = 50;          // people on one ticket
    std::size_t max_streams_per_ticket = 100; // open pages following one ticket
  };
  struct Entry {
    int64_t user_id = 0;
    std::string name;
    std::string state;      // viewing | replying
    int64_t since = 0;      // epoch seconds: when they arrived (or started replying)
    Clock::time_point seen;  // last heartbeat
  };

  explicit TicketPresence(Options o);
  TicketPresence() : TicketPresence(Options{}) {}
  ~TicketPresence();
  // The sweeper thread: expires entries and pushes what changed.
  void start();
  // Closes every stream and stops the thread.
  void stop();

  // A heartbeat. Pushes to the ticket's streams when someone arrived or changed state. Fails
  // (unavailable) when the registry or the ticket is full.
  Status heartbeat(int64_t ticket_id, int64_t user_id, const std::string& name, const std::string& state,
                   int64_t at);
  void leave(int64_t ticket_id, int64_t user_id);
  // Everyone on the ticket except `viewer`, oldest first.
  std::vector<Entry> others(int64_t ticket_id, int64_t viewer) const;
  // Follows the ticket: sends the current list at once and again after each change, each time
  // without the viewer themself.
  Status subscribe(int64_t ticket_id, int64_t viewer, std::shared_ptr<StreamSink> sink);
  // Expires entries older than ttl as of `now`; pushes to the tickets that changed. Public for tests.
  void sweep(Clock::time_point now);
  std::size_t size() const;

  static Json to_json(const std::vector<Entry>& entries);

 private:
  struct Stream {
    int64_t viewer = 0;
    std::shared_ptr<StreamSink> sink;
  };
  struct Ticket {
    std::map<int64_t, Entry> people;
    std::vector<Stream> streams;
  };
  std::vector<Entry> others_locked(const Ticket& t, int64_t viewer) const;
  void publish_locked(int64_t ticket_id, Ticket& t);
  void loop();

  Options m_options;
  mutable std::mutex m_mu;
  std::map<int64_t, Ticket> m_tickets;
  std::size_t m_people = 0;
  int64_t m_sweeps = 0;
  std::mutex m_wake_mu;
  std::condition_variable m_cv;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace rapport::http
