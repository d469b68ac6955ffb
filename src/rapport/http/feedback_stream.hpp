#pragma once
// The live feedback stream: every new rating, reaction and reward, as Server-Sent Events or
// WebSocket messages, to every subscriber whose filter matches. One thread tails the event log (woken by the writer's
// commits, no polling), builds each event's payload once and pushes it to the subscribers.
// Event ids are the event log's ids, so Last-Event-ID resumes exactly where a client left off.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/http/server.hpp>
#include <rapport/store/store.hpp>

namespace rapport::http {

struct StreamFilter {
  std::optional<int64_t> group_id, site_id, agent_id;
  std::optional<std::string> score;  // good | bad | neither
};

class FeedbackStream {
 public:
  explicit FeedbackStream(store::Store& store);
  ~FeedbackStream();
  void start();
  // Closes every subscriber and stops the thread.
  void stop();
  // New commits: wake the tail.
  void poke();
  // Sends the backlog (events after `last_event_id`, or the latest `backfill` matching events)
  // and then everything new. Never loses or repeats an event between the two.
  Status subscribe(std::shared_ptr<StreamSink> sink, StreamFilter filter, std::optional<int64_t> last_event_id,
                   int backfill);
  std::size_t subscribers() const;

  // The SSE frame for one stored event, or nothing when it is not a stream event. Public for tests.
  struct Frame {
    int64_t id = 0;
    std::string kind;  // rating | reaction | reward
    std::optional<int64_t> group_id, site_id, agent_id;
    std::string score;
    std::string text;  // "id: …\nevent: …\ndata: …\n\n"
    std::string ws;    // the WebSocket message: {"id":…,"event":"…","data":{…}}
  };

 private:
  struct Subscriber {
    std::shared_ptr<StreamSink> sink;
    StreamFilter filter;
  };
  static bool matches(const StreamFilter& f, const Frame& e);
  Result<std::vector<Frame>> read_frames(store::Conn& conn, const std::string& where, const store::Params& params,
                                         const std::string& order, int limit);
  void loop();
  void publish(const std::vector<Frame>& frames, int64_t upto);
  void heartbeat();

  store::Store& m_store;
  mutable std::mutex m_mu;  // subscribers and the tail position
  std::vector<Subscriber> m_subscribers;
  int64_t m_last = 0;       // last event id published
  std::mutex m_wake_mu;
  std::condition_variable m_cv;
  bool m_poked = false, m_stopping = false;
  std::thread m_thread;
};

}  // namespace rapport::http
