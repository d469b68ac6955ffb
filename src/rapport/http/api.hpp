#pragma once
// The application side of the HTTP server: routing, authentication, rate limits, CSRF,
// error bodies, pagination envelopes, metrics and the access log. Handlers (handlers_*.cpp)
// parse a request, call a service function and serialize its result; they never run SQL.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/email/intake.hpp>
#include <rapport/http/metrics.hpp>
#include <rapport/http/server.hpp>
#include <rapport/store/store.hpp>

namespace rapport::automation {
class BusinessHoursSource;
}
namespace rapport::routing {
class Router;
}

namespace rapport::http {

struct ApiConfig {
  int rate_limit_per_minute = 700;      // per credential; 0 turns limiting off
  int login_attempts_per_minute = 10;   // per IP and email
  int64_t session_ttl_seconds = 12 * 3600;
  int64_t export_lag_seconds = 60;      // incremental exports withhold the newest changes
  std::size_t max_json_depth = 64;
  std::string web_root;                 // directory with the built UI; empty: none
  bool secure_cookies = false;          // set the Secure flag (behind TLS)
  std::string public_url;               // base of links in emails; empty: the request's Host
  std::size_t db_threads = 4;           // threads that run requests' database work
  std::size_t db_queue = 10000;         // requests waiting for them before new ones get 503
  bool testing_clock = false;           // test-only: PUT /api/v2/testing/clock sets the server's clock
  // The help center's contact form and Zendesk's requests API.
  bool anonymous_requests = true;       // anyone may submit a request without signing in
  int requests_per_ip_per_hour = 20;    // submitted requests per client address; 0: no limit
  int requests_per_email_per_hour = 5;  // submitted requests per requester email; 0: no limit
  email::IntakeConfig mail_intake;      // limits and rate limit of the inbound endpoint
  // The calendars behind rules' business-hours conditions; null: those conditions are refused.
  const automation::BusinessHoursSource* business_hours = nullptr;
};

class Api;
class FeedbackStream;
class TicketPresence;

// Everything about one request while it is handled.
struct Ctx {
  Api& api;
  Request req;
  std::string ip;
  std::string path;                       // normalized: no ".json", no "//", no trailing "/"
  std::vector<std::string> args;          // captured path segments
  std::multimap<std::string, std::string> query;
  std::string request_id;
  std::string base;                       // "http://host:port"
  domain::Principal who;
  bool authenticated = false;
  std::optional<int> rate_remaining;
  int64_t rate_reset = 0;
  std::string tickets_index;               // zendesk-ratelimit-tickets-index, on ticket lists
  std::size_t route = 0;
  std::chrono::steady_clock::time_point started;
  Respond respond;
  OpenStream open_stream;
  bool replied = false;

  Ctx(Api& a, Request&& r) : api(a), req(std::move(r)) {}
  std::optional<std::string> param(const std::string& key) const;
  std::vector<std::string> params(const std::string& key) const;
  std::optional<std::string> header(std::string_view name) const;
  // The id in path segment `i`, or nullopt when it is not a number.
  std::optional<int64_t> id_arg(std::size_t i) const;
};
using CtxPtr = std::shared_ptr<Ctx>;

// The statements of one request's read inside one SQLite read transaction. Without it every
// statement takes and drops the WAL read lock on its own (a lock, an fcntl and a check of the
// WAL index each time): a ticket show runs about ten statements, and that churn was a third of
// the reader threads' CPU. It also makes a page and its count one snapshot. Reads only: the
// writer thread owns every write, so nothing here ever needs to be rolled back.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(store::Conn& conn) : m_conn(conn), m_open(conn.run("BEGIN").has_value()) {}
  ~ReadSnapshot() {
    if (m_open) (void)m_conn.run("COMMIT");
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  store::Conn& m_conn;
  bool m_open;
};

// A request's read connection and snapshot on the thread that dispatches it. Authentication
// opens it and the handler's reads (`with_read`) use it while they run on that thread, so a ticket
// show is one read transaction, not one for the credential's check and another for the ticket:
// each costs a WAL read lock and a check of the file's size. Work that runs later, in a write's
// completion on the writer or an I/O thread, does not see it (it is the thread's, not the Ctx's)
// and opens its own. It ends when the dispatch returns.
class HeldRead {
 public:
  HeldRead(store::ReadPool& pool, const Ctx& c);
  ~HeldRead();
  HeldRead(const HeldRead&) = delete;
  HeldRead& operator=(const HeldRead&) = delete;
  // This thread's HeldRead if it is `c`'s, else null.
  static HeldRead* current(const Ctx& c);
  // The connection, inside the snapshot unless `snapshot` is false (a password check, which must
  // not hold the WAL open through Argon2id); the snapshot opens on the first call that wants one.
  Result<store::Conn*> conn(bool snapshot = true);

 private:
  store::ReadPool& m_pool;
  const Ctx* m_ctx;
  HeldRead* m_outer;
  std::optional<store::ReadPool::Lease> m_lease;
  std::optional<ReadSnapshot> m_snapshot;
};

enum class AuthMode { none, optional, required };

// Where a route's handler runs.
enum class RunOn {
  db,  // a database thread (the default): it may read much, or take long
  io,  // the I/O thread that read the request: it touches no database
  // One record by id (a ticket's show, create or update; a user's show): on the I/O thread, unless
  // the credential is a password (Argon2id is slow on purpose) or the body is large. Such a request
  // takes about 20 µs of database work; handing it to a database thread and its answer back cost
  // more than that in wake-ups and context switches (measured in docs/benchmarks.md).
  point,
};
using RouteHandler = std::function<void(const CtxPtr&)>;

struct Route {
  std::string method;
  std::string pattern;  // "/api/v2/tickets/{}"
  std::vector<std::string> segments;
  AuthMode auth;
  RouteHandler handler;
  RunOn runs = RunOn::db;
};

// A fixed set of threads with a bounded queue, for the database work of requests (defined in
// api.cpp).
class TaskPool;

class Api {
 public:
  Api(store::Store& store, ApiConfig config);
  ~Api();
  // Finishes the queued requests' database work and joins its threads (at shutdown).
  void stop();
  // Entry point for the server.
  void handle(Request&& req, const std::string& ip, Respond respond, OpenStream open_stream = {});
  Response reject(unsigned status, const std::string& error, const std::string& description);
  // Handlers run on the database threads (authentication reads the store too) unless `runs` says
  // otherwise.
  void add(std::string method, std::string pattern, AuthMode auth, RouteHandler h, RunOn runs = RunOn::db);

  store::Store& store() { return m_store; }
  const ApiConfig& config() const { return m_config; }
  // The request's Origin is this server (its Host, or the configured public URL).
  bool same_origin(const Ctx& c) const;
  Metrics& metrics() { return m_metrics; }
  // Requests waiting for a database thread.
  std::size_t db_queue_depth() const;
  // Set by the app so /metrics can report the server's own gauges.
  std::function<std::size_t()> connections_gauge;
  std::function<bool()> ready;
  // Posts work to the server's I/O threads (set by the app; runs inline when unset).
  std::function<void(std::function<void()>)> post;
  // The live feedback stream (set by serve; null in tests that build an Api alone).
  FeedbackStream* feedback_stream = nullptr;
  TicketPresence* presence = nullptr;  // collision detection; null: its endpoints answer 503
  // Wakes the IMAP poller (set by serve; unset in tests that build an Api alone).
  std::function<void()> poll_mail;
  // The routing engine's live state, for the queue and agents' loads (set by serve; null in
  // tests that build an Api alone).
  routing::Router* router = nullptr;

  // Sends `res` for `c`: adds the request id, rate-limit headers, records metrics, logs.
  void reply(const CtxPtr& c, Response res);
  // Answers with a long-lived stream (Server-Sent Events) instead of a response: `head` gets the
  // same headers, log line and metrics as a reply. Null if the server cannot stream.
  std::shared_ptr<StreamSink> stream(const CtxPtr& c, Response head);
  void reply_json(const CtxPtr& c, unsigned status, const Json& body);
  // `body` is JSON text already (application/json).
  void reply_json_text(const CtxPtr& c, unsigned status, std::string body);
  void reply_error(const CtxPtr& c, const Error& e);
  // Runs `job` on the writer; when it is durable, `done` builds the response on an I/O thread.
  void write(const CtxPtr& c, store::Writer::Job job, std::function<void(Status)> done);

  // Login throttling, shared by the session endpoint.
  bool allow_login_attempt(const std::string& key);
  // Incremental exports: 10 requests per minute per credential.
  bool allow_export(const std::string& key);

 private:
  // Request id, rate-limit headers, caching and sniffing headers, the access log and metrics.
  void decorate(const CtxPtr& c, Response& res);
  bool authenticate(const CtxPtr& c, AuthMode mode, HeldRead& held);
  void dispatch(const CtxPtr& c, const Route* found, bool path_matched, const std::string& method);
  bool check_rate(const CtxPtr& c);
  void serve_static(const CtxPtr& c);

  store::Store& m_store;
  ApiConfig m_config;
  Metrics m_metrics;
  std::vector<Route> m_routes;
  std::mutex m_rate_mu;
  struct Window {
    int64_t minute = 0;
    int count = 0;
  };
  std::unordered_map<std::string, Window> m_rate;
  std::unordered_map<std::string, Window> m_logins;
  std::unordered_map<std::string, Window> m_exports;
  // API-token credentials already checked, by SHA-256 of the credential headers: the principal
  // and the auth_epoch (migration V020) it was read at. Trusted only while the epoch is unchanged.
  struct CachedPrincipal {
    int64_t epoch = 0;
    domain::Principal who;
  };
  std::mutex m_auth_mu;
  std::unordered_map<std::string, CachedPrincipal> m_auth_cache;
  std::unique_ptr<TaskPool> m_db_pool;  // last: its threads stop before the rest goes
};

// ---- helpers for handlers ----
Response json_response(unsigned status, const Json& body);
Response error_response(const Error& e);
// Validates and parses the JSON body (UTF-8, depth, syntax) and returns `body[root]` as an object.
Result<Json> body_object(const Ctx& c, const char* root);
// Reads page/per_page or page[size]/page[after]/page[before] and sort parameters.
Result<domain::PageRequest> page_request(const Ctx& c, bool cursor_allowed,
                                         const std::vector<std::string>& sort_columns = {"id"});
// The offset envelope: {key:[...], next_page, previous_page, count}.
Json offset_envelope(const Ctx& c, const std::string& key, Json items, const domain::PageRequest& pr, int64_t count);
// The cursor envelope: {key:[...], meta:{has_more, after_cursor, before_cursor}, links:{next, prev}}.
Json cursor_envelope(const Ctx& c, const std::string& key, Json items, const domain::PageRequest& pr,
                     const std::optional<domain::Cursor>& first, const std::optional<domain::Cursor>& last,
                     bool has_more);
// Builds an absolute URL for this request's path with `overrides` replacing query parameters.
std::string self_url(const Ctx& c, const std::map<std::string, std::string>& overrides,
                     const std::vector<std::string>& drop = {});

// Registration of each resource's routes (one file each).
void register_system_routes(Api& api);
void register_session_routes(Api& api);
void register_ticket_routes(Api& api);
void register_user_routes(Api& api);
void register_directory_routes(Api& api);
void register_search_routes(Api& api);
void register_workforce_routes(Api& api);
void register_routing_routes(Api& api);
void register_feedback_routes(Api& api);
void register_recognition_routes(Api& api);
void register_email_routes(Api& api);
void register_email_delivery_routes(Api& api);
void register_upload_routes(Api& api);
void register_sla_routes(Api& api);
void register_automation_routes(Api& api);
void register_knowledge_routes(Api& api);  // Help Center API, requests, deflection, and the /hc pages
void register_incident_routes(Api& api);
void register_triage_routes(Api& api);    // contact triage categories, report, verification links
void register_presence_routes(Api& api);  // who else is on a ticket (collision detection)

}  // namespace rapport::http
