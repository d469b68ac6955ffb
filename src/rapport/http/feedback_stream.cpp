#include <rapport/http/feedback_stream.hpp>

#include <algorithm>

#include <spdlog/spdlog.h>

#include <rapport/base/log.hpp>
#include <rapport/base/time.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/feedback/recognition.hpp>

namespace rapport::http {

namespace {

constexpr const char* k_kinds = "kind IN ('rating.created','reaction.created','reward.chosen')";
constexpr auto k_heartbeat = std::chrono::seconds(15);
constexpr int k_batch = 500;

domain::Principal reader() {
  domain::Principal p;
  p.role = domain::Role::admin;  // the stream filters per subscriber itself
  return p;
}

std::optional<int64_t> opt_id(const Json& data, const char* key) {
  auto it = data.find(key);
  if (it == data.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

FeedbackStream::FeedbackStream(store::Store& store) : m_store(store) {}

FeedbackStream::~FeedbackStream() { stop(); }

void FeedbackStream::start() {
  auto last = m_store.read([](store::Conn& c) { return c.scalar("SELECT COALESCE(MAX(id), 0) FROM events"); });
  m_last = last ? last->value_or(0) : 0;
  m_thread = std::thread([this] {
    log::name_thread("feedback-feed");
    loop();
  });
}

void FeedbackStream::stop() {
  {
    std::lock_guard lock(m_wake_mu);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::lock_guard lock(m_mu);
  for (auto& s : m_subscribers) s.sink->close();
  m_subscribers.clear();
}

void FeedbackStream::poke() {
  {
    std::lock_guard lock(m_wake_mu);
    m_poked = true;
  }
  m_cv.notify_one();
}

std::size_t FeedbackStream::subscribers() const {
  std::lock_guard lock(m_mu);
  return m_subscribers.size();
}

bool FeedbackStream::matches(const StreamFilter& f, const Frame& e) {
  if (f.group_id && e.group_id != f.group_id) return false;
  if (f.site_id && e.site_id != f.site_id) return false;
  if (f.agent_id && e.agent_id != f.agent_id) return false;
  if (f.score && e.score != *f.score) return false;
  return true;
}

Result<std::vector<FeedbackStream::Frame>> FeedbackStream::read_frames(store::Conn& conn, const std::string& where,
                                                                       const store::Params& params,
                                                                       const std::string& order, int limit) {
  struct Raw {
    int64_t id;
    std::string kind;
    std::optional<int64_t> entity_id;
    Json data;
  };
  std::vector<Raw> raw;
  store::Params p = params;
  p.push_back(int64_t{limit});
  auto st = conn.each(std::string("SELECT id, kind, entity_id, data FROM events WHERE ") + k_kinds + where +
                          " ORDER BY id " + order + " LIMIT ?",
                      p, [&](const store::Row& r) {
                        raw.push_back({r.i64(0), r.text(1), r.opt_i64(2), Json::parse(r.text(3), nullptr, false)});
                      });
  if (!st) return fail(st.error());
  std::vector<Frame> out;
  const auto who = reader();
  for (const auto& e : raw) {
    if (!e.entity_id || !e.data.is_object()) continue;
    Frame f;
    f.id = e.id;
    f.group_id = opt_id(e.data, "group_id");
    f.site_id = opt_id(e.data, "site_id");
    f.agent_id = opt_id(e.data, "agent_id");
    f.score = e.data.value("score", "");
    if (f.score == "offered") f.score = "neither";
    Json payload;
    if (e.kind == "rating.created") {
      f.kind = "rating";
      auto r = feedback::get_rating(conn, *e.entity_id, who);
      if (!r) continue;  // deleted since: nothing to show
      std::string agent_name, subject;
      (void)conn.each("SELECT u.name, t.subject FROM tickets t LEFT JOIN users u ON u.id = ? WHERE t.id = ?",
                      {r->agent_id, r->ticket_id}, [&](const store::Row& row) {
                        agent_name = row.opt_text(0).value_or("");
                        subject = row.text(1);
                      });
      payload = {{"id", r->id},
                 {"kind", r->kind},
                 {"ticket_id", r->ticket_id},
                 {"ticket_subject", subject},
                 {"agent_id", r->agent_id ? Json(*r->agent_id) : Json(nullptr)},
                 {"agent_name", agent_name},
                 {"group_id", r->group_id ? Json(*r->group_id) : Json(nullptr)},
                 {"site_id", r->site_id ? Json(*r->site_id) : Json(nullptr)},
                 {"stars", r->stars ? Json(*r->stars) : Json(nullptr)},
                 {"score", r->score},
                 {"resolved", r->resolved ? Json(*r->resolved) : Json(nullptr)},
                 {"nps", r->nps ? Json(*r->nps) : Json(nullptr)},
                 {"comment", r->comment},
                 {"tags", r->tags},
                 {"recovery_case_id", e.data.value("recovery_case_id", Json(nullptr))},
                 {"created_at", iso8601(r->created_at)}};
    } else if (e.kind == "reaction.created") {
      f.kind = "reaction";
      auto rid = opt_id(e.data, "rating_id");
      if (!rid) continue;
      auto all = feedback::reactions_for(conn, {*rid});
      if (!all) return fail(all.error());
      auto it = std::find_if(all->begin(), all->end(), [&](const feedback::Reaction& x) { return x.id == *e.entity_id; });
      if (it == all->end()) continue;
      payload = feedback::to_json(*it);
      payload["agent_id"] = f.agent_id ? Json(*f.agent_id) : Json(nullptr);
    } else {
      f.kind = "reward";
      auto rid = opt_id(e.data, "rating_id");
      if (!rid) continue;
      auto w = feedback::rewards_by_rating(conn, *rid);
      if (!w) continue;
      payload = feedback::to_json(*w);
    }
    auto data = payload.dump();
    f.text = "id: " + std::to_string(f.id) + "\nevent: " + f.kind + "\ndata: " + data + "\n\n";
    f.ws = "{\"id\":" + std::to_string(f.id) + ",\"event\":\"" + f.kind + "\",\"data\":" + data + "}";
    out.push_back(std::move(f));
  }
  return out;
}

Status FeedbackStream::subscribe(std::shared_ptr<StreamSink> sink, StreamFilter filter,
                                 std::optional<int64_t> last_event_id, int backfill) {
  // Under the lock the tail cannot publish: the backlog ends exactly where live events begin.
  std::lock_guard lock(m_mu);
  auto lease = m_store.reads().acquire();
  if (!lease) return fail(lease.error());
  std::vector<Frame> backlog;
  if (last_event_id) {
    // Resume: everything after the client's last event, oldest first, bounded.
    int64_t from = *last_event_id;
    while (true) {
      auto frames = read_frames(**lease, " AND id > ? AND id <= ?", {from, m_last}, "ASC", k_batch);
      if (!frames) return fail(frames.error());
      for (auto& f : *frames) if (matches(filter, f)) backlog.push_back(std::move(f));
      if (frames->size() < static_cast<std::size_t>(k_batch) || backlog.size() > 5000) break;
      from = frames->back().id;
    }
  } else if (backfill > 0) {
    // The latest `backfill` matching events, scanning back through at most 20 batches.
    int64_t before = m_last + 1;
    for (int i = 0; i < 20 && static_cast<int>(backlog.size()) < backfill; ++i) {
      auto frames = read_frames(**lease, " AND id < ?", {before}, "DESC", k_batch);
      if (!frames) return fail(frames.error());
      for (auto& f : *frames) {
        if (static_cast<int>(backlog.size()) >= backfill) break;
        if (matches(filter, f)) backlog.push_back(std::move(f));
      }
      if (frames->size() < static_cast<std::size_t>(k_batch)) break;
      before = frames->back().id;
    }
    std::reverse(backlog.begin(), backlog.end());
  }
  if (!backlog.empty()) m_store.writer().wait_durable();  // as in loop(): only durable rows are shown
  if (sink->websocket()) {
    // One message per event, as live events come.
    for (const auto& f : backlog)
      if (!sink->push_framed(std::make_shared<const std::string>(f.ws))) return {};
  } else {
    // The retry hint, then the backlog.
    std::string first = "retry: 3000\n\n";
    for (const auto& f : backlog) first += f.text;
    if (!sink->push(std::move(first))) return {};
  }
  m_subscribers.push_back({std::move(sink), std::move(filter)});
  return {};
}

void FeedbackStream::publish(const std::vector<Frame>& frames, int64_t upto) {
  // Who gets what is decided under the lock, with the position, so a new subscriber's backlog
  // ends exactly where these frames begin; the pushes (a post per subscriber) happen after it.
  std::vector<std::pair<std::shared_ptr<StreamSink>, std::shared_ptr<const std::string>>> sends;
  {
    std::lock_guard lock(m_mu);
    m_last = upto;
    std::erase_if(m_subscribers, [](const Subscriber& s) { return !s.sink->is_open(); });
    for (const auto& f : frames) {
      // Framed once per transport, shared by every subscriber of that transport.
      std::shared_ptr<const std::string> chunk, message;
      for (auto& s : m_subscribers) {
        if (!matches(s.filter, f)) continue;
        if (s.sink->websocket()) {
          if (!message) message = std::make_shared<const std::string>(f.ws);
          sends.emplace_back(s.sink, message);
        } else {
          if (!chunk) chunk = StreamSink::frame(f.text);
          sends.emplace_back(s.sink, chunk);
        }
      }
    }
  }
  // Per subscriber, the frames stay in order: one thread publishes, and each sink queues in order.
  for (auto& [sink, chunk] : sends) sink->push_framed(chunk);
}

void FeedbackStream::heartbeat() {
  std::lock_guard lock(m_mu);
  // A comment line: keeps proxies from timing the connection out and finds clients that left.
  // WebSocket connections ping by themselves.
  auto beat = StreamSink::frame(": keep-alive\n\n");
  for (auto& s : m_subscribers)
    if (!s.sink->websocket()) s.sink->push_framed(beat);
  std::erase_if(m_subscribers, [](const Subscriber& s) { return !s.sink->is_open(); });
}

void FeedbackStream::loop() {
  auto next_beat = std::chrono::steady_clock::now() + k_heartbeat;
  while (true) {
    {
      std::unique_lock lock(m_wake_mu);
      m_cv.wait_until(lock, next_beat, [&] { return m_poked || m_stopping; });
      if (m_stopping) return;
      m_poked = false;
    }
    if (std::chrono::steady_clock::now() >= next_beat) {
      heartbeat();
      next_beat = std::chrono::steady_clock::now() + k_heartbeat;
    }
    // Read new events outside the subscribers' lock; publish under it and move the position.
    while (true) {
      int64_t from;
      {
        std::lock_guard lock(m_mu);
        from = m_last;
      }
      auto lease = m_store.reads().acquire();
      if (!lease) break;
      auto max = (*lease)->scalar("SELECT COALESCE(MAX(id), 0) FROM events");
      if (!max || max->value_or(0) <= from) break;
      int64_t upto = std::min<int64_t>(max->value_or(0), from + 5000);
      if (subscribers() == 0) {
        // Nobody listens: move on without building frames (a subscriber arriving now reads its
        // backlog from the log up to this position).
        std::lock_guard lock(m_mu);
        if (m_subscribers.empty()) {
          m_last = upto;  // a subscriber's backlog, read later, waits for itself
          continue;
        }
      }
      auto frames = read_frames(**lease, " AND id > ? AND id <= ?", {from, upto}, "ASC", 100000);
      if (!frames) {
        spdlog::error("event=feedback_stream_read_failed error=\"{}\"", frames.error().message);
        break;
      }
      // Shown to people: nothing a power loss could still take back (the frames' rows were read
      // in the statements above, each from a snapshot as new as its own start).
      m_store.writer().wait_durable();
      publish(*frames, upto);
    }
  }
}

}  // namespace rapport::http
