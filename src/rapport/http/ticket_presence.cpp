#include <rapport/http/ticket_presence.hpp>

#include <algorithm>

#include <rapport/base/log.hpp>
#include <rapport/base/time.hpp>

namespace rapport::http {

TicketPresence::TicketPresence(Options o) : m_options(o) {}

TicketPresence::~TicketPresence() { stop(); }

void TicketPresence::start() {
  std::lock_guard lock(m_wake_mu);
  if (m_thread.joinable()) return;
  m_stopping = false;
  m_thread = std::thread([this] {
    log::name_thread("presence");
    loop();
  });
}

void TicketPresence::stop() {
  {
    std::lock_guard lock(m_wake_mu);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mu);
  for (auto& [id, t] : m_tickets)
    for (auto& s : t.streams) s.sink->close();
  m_tickets.clear();
  m_people = 0;
}

void TicketPresence::loop() {
  std::unique_lock lock(m_wake_mu);
  while (!m_stopping) {
    m_cv.wait_for(lock, m_options.sweep, [this] { return m_stopping; });
    if (m_stopping) break;
    lock.unlock();
    sweep(Clock::now());
    lock.lock();
  }
}

Status TicketPresence::heartbeat(int64_t ticket_id, int64_t user_id, const std::string& name, const std::string& state,
                                 int64_t at) {
  std::lock_guard lock(m_mu);
  auto it = m_tickets.find(ticket_id);
  if (it == m_tickets.end()) {
    if (m_tickets.size() >= m_options.max_tickets)
      return fail(Error::unavailable("too many tickets are being watched on this server"));
    it = m_tickets.emplace(ticket_id, Ticket{}).first;
  }
  auto& t = it->second;
  auto p = t.people.find(user_id);
  bool changed = false;
  if (p == t.people.end()) {
    if (t.people.size() >= m_options.max_per_ticket) {
      if (t.people.empty() && t.streams.empty()) m_tickets.erase(it);
      return fail(Error::unavailable("too many people are on this ticket"));
    }
    t.people.emplace(user_id, Entry{user_id, name, state, at, Clock::now()});
    ++m_people;
    changed = true;
  } else {
    p->second.seen = Clock::now();
    p->second.name = name;
    if (p->second.state != state) {
      p->second.state = state;
      p->second.since = at;
      changed = true;
    }
  }
  if (changed) publish_locked(ticket_id, t);
  return {};
}

void TicketPresence::leave(int64_t ticket_id, int64_t user_id) {
  std::lock_guard lock(m_mu);
  auto it = m_tickets.find(ticket_id);
  if (it == m_tickets.end()) return;
  if (it->second.people.erase(user_id)) {
    --m_people;
    publish_locked(ticket_id, it->second);
  }
  if (it->second.people.empty() && it->second.streams.empty()) m_tickets.erase(it);
}

std::vector<TicketPresence::Entry> TicketPresence::others_locked(const Ticket& t, int64_t viewer) const {
  std::vector<Entry> out;
  for (const auto& [id, e] : t.people)
    if (id != viewer) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.since != b.since ? a.since < b.since : a.user_id < b.user_id;
  });
  return out;
}

std::vector<TicketPresence::Entry> TicketPresence::others(int64_t ticket_id, int64_t viewer) const {
  std::lock_guard lock(m_mu);
  auto it = m_tickets.find(ticket_id);
  if (it == m_tickets.end()) return {};
  return others_locked(it->second, viewer);
}

Json TicketPresence::to_json(const std::vector<Entry>& entries) {
  Json out = Json::array();
  for (const auto& e : entries)
    out.push_back({{"user_id", e.user_id}, {"name", e.name}, {"state", e.state}, {"since", iso8601(e.since)}});
  return out;
}

void TicketPresence::publish_locked(int64_t ticket_id, Ticket& t) {
  auto& streams = t.streams;
  streams.erase(std::remove_if(streams.begin(), streams.end(),
                               [&](const Stream& s) {
                                 Json data = {{"ticket_id", ticket_id}, {"presence", to_json(others_locked(t, s.viewer))}};
                                 return !s.sink->push("event: presence\ndata: " + data.dump() + "\n\n");
                               }),
                streams.end());
}

Status TicketPresence::subscribe(int64_t ticket_id, int64_t viewer, std::shared_ptr<StreamSink> sink) {
  std::lock_guard lock(m_mu);
  auto it = m_tickets.find(ticket_id);
  if (it == m_tickets.end()) {
    if (m_tickets.size() >= m_options.max_tickets)
      return fail(Error::unavailable("too many tickets are being watched on this server"));
    it = m_tickets.emplace(ticket_id, Ticket{}).first;
  }
  auto& t = it->second;
  if (t.streams.size() >= m_options.max_streams_per_ticket) {
    if (t.people.empty() && t.streams.empty()) m_tickets.erase(it);
    return fail(Error::unavailable("too many pages follow this ticket"));
  }
  Json data = {{"ticket_id", ticket_id}, {"presence", to_json(others_locked(t, viewer))}};
  if (!sink->push("event: presence\ndata: " + data.dump() + "\n\n")) return {};
  t.streams.push_back({viewer, std::move(sink)});
  return {};
}

void TicketPresence::sweep(Clock::time_point now) {
  std::lock_guard lock(m_mu);
  bool ping = ++m_sweeps % std::max(1, m_options.ping_every) == 0;
  for (auto it = m_tickets.begin(); it != m_tickets.end();) {
    auto& t = it->second;
    bool changed = false;
    for (auto p = t.people.begin(); p != t.people.end();) {
      if (now - p->second.seen >= m_options.ttl) {
        p = t.people.erase(p);
        --m_people;
        changed = true;
      } else {
        ++p;
      }
    }
    if (changed) {
      publish_locked(it->first, t);
    } else if (ping) {
      // A comment line keeps proxies from closing an idle stream and finds the pages that left.
      t.streams.erase(std::remove_if(t.streams.begin(), t.streams.end(), [](const Stream& s) { return !s.sink->push(": ping\n\n"); }),
                      t.streams.end());
    }
    if (t.people.empty() && t.streams.empty()) it = m_tickets.erase(it);
    else ++it;
  }
}

std::size_t TicketPresence::size() const {
  std::lock_guard lock(m_mu);
  return m_people;
}

}  // namespace rapport::http
