#include <rapport/http/api.hpp>
#include <rapport/http/handler_util.hpp>

#include <boost/beast/websocket.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include <rapport/accounts/auth.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/log.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::http {

namespace {

constexpr const char* k_forbidden_description =
    "You do not have access to this page. Please contact the account owner of this help desk for further help.";

std::string normalize_path(std::string_view target) {
  std::string path(target.substr(0, target.find('?')));
  path = url_decode(path, false);
  std::string out;
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;  // collapse "//"
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.size() > 5 && out.compare(out.size() - 5, 5, ".json") == 0) out.resize(out.size() - 5);
  return out;
}

std::multimap<std::string, std::string> parse_query(std::string_view target) {
  std::multimap<std::string, std::string> out;
  auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  for (const auto& pair : split(target.substr(q + 1), '&')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = url_decode(pair.substr(0, eq));
    std::string value = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    out.emplace(std::move(key), std::move(value));
  }
  return out;
}

// A request id needs to be unique, not secret: a random prefix chosen once per process (so two
// nodes' ids differ) and a counter. crypto::random_token asked the kernel for fresh bytes with a
// getrandom system call on every request.
std::string new_request_id() {
  static const std::string prefix = crypto::random_token(6);  // 8 characters
  static std::atomic<uint64_t> counter{0};
  uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  unsigned char bytes[6];
  for (int i = 5; i >= 0; --i, n >>= 8) bytes[i] = static_cast<unsigned char>(n & 0xff);
  return prefix + crypto::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes), true);
}

int64_t current_minute() { return now_epoch() / 60; }

std::string content_type_for(const std::string& ext) {
  static const std::map<std::string, std::string> k_types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".ico", "image/x-icon"},
      {".json", "application/json"},        {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}, {".webmanifest", "application/manifest+json"}};
  auto it = k_types.find(ext);
  return it == k_types.end() ? "application/octet-stream" : it->second;
}

}  // namespace

std::optional<std::string> Ctx::param(const std::string& key) const {
  auto it = query.find(key);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Ctx::params(const std::string& key) const {
  std::vector<std::string> out;
  auto [a, b] = query.equal_range(key);
  for (auto it = a; it != b; ++it) out.push_back(it->second);
  return out;
}

std::optional<std::string> Ctx::header(std::string_view name) const {
  auto it = req.find(beast::string_view(name.data(), name.size()));
  if (it == req.end()) return std::nullopt;
  return std::string(it->value());
}

std::optional<int64_t> Ctx::id_arg(std::size_t i) const {
  if (i >= args.size()) return std::nullopt;
  auto v = parse_int(args[i]);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

Response json_response(unsigned status, const Json& body) {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.body() = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return res;
}

Response error_response(const Error& e) {
  switch (e.code) {
    case ErrorCode::invalid:
      return json_response(400, {{"error", e.kind.empty() ? "InvalidValue" : e.kind}, {"description", e.message}});
    case ErrorCode::validation:
    case ErrorCode::conflict: {
      if (e.details.empty())
        return json_response(422, {{"error", "RecordInvalid"}, {"description", e.message}});
      Json details = Json::object();
      for (const auto& [field, errs] : e.details) {
        for (const auto& fe : errs) details[field].push_back({{"description", fe.description}, {"error", fe.error}});
      }
      return json_response(422, {{"error", "RecordInvalid"}, {"description", "Record validation errors"}, {"details", details}});
    }
    case ErrorCode::unauthenticated: {
      Response res = e.kind == "invalid_token"
                         ? json_response(401, {{"error", "invalid_token"},
                                               {"error_description",
                                                "The access token provided is expired, revoked, malformed or invalid "
                                                "for other reasons."}})
                         : json_response(401, {{"error", "Couldn't authenticate you"}});
      res.set(bhttp::field::www_authenticate, "Basic realm=\"Web Password\"");
      return res;
    }
    case ErrorCode::forbidden:
      return json_response(403, {{"error", e.kind.empty() ? "Forbidden" : e.kind},
                                 {"description", e.kind.empty() ? k_forbidden_description : e.message}});
    case ErrorCode::not_found:
      return json_response(404, {{"error", "RecordNotFound"}, {"description", "Not found"}});
    case ErrorCode::too_large:
      return json_response(413, {{"error", "RequestTooLarge"}, {"description", e.message}});
    case ErrorCode::rate_limited:
      return json_response(429, {{"error", "APIRateLimitExceeded"},
                                 {"description", e.message.empty() ? "Number of allowed API requests per minute exceeded" : e.message}});
    case ErrorCode::unavailable:
      return json_response(503, {{"error", "unavailable"}, {"description", e.message}});
    case ErrorCode::internal:
      break;
  }
  return json_response(500, {{"error", "InternalError"}, {"description", "Something went wrong on our side; it has been logged"}});
}

// Reads used to run on the Asio threads, one per core: a slow search or list held its thread, and
// with both threads busy even /healthz and the responses of finished writes waited. Requests now
// hand their database work to these threads; the I/O threads only read, route and write. The
// queue is bounded so overload answers 503 instead of growing without limit.
class TaskPool {
 public:
  TaskPool(std::size_t threads, std::size_t max_queue) : m_max_queue(max_queue) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) m_threads.emplace_back([this] {
        log::name_thread("db-task");
        loop();
      });
  }
  ~TaskPool() {
    {
      std::lock_guard lock(m_mu);
      m_stopping = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads) t.join();
  }
  // False when the queue is full (or the pool stopped): the caller sheds the request.
  bool post(std::function<void()> fn) {
    {
      std::lock_guard lock(m_mu);
      if (m_stopping || m_queue.size() >= m_max_queue) return false;
      m_queue.push_back(std::move(fn));
    }
    m_cv.notify_one();
    return true;
  }
  std::size_t depth() const {
    std::lock_guard lock(m_mu);
    return m_queue.size();
  }

 private:
  void loop() {
    while (true) {
      std::function<void()> fn;
      {
        std::unique_lock lock(m_mu);
        m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
        if (m_queue.empty()) return;  // stopping, and everything queued has run
        fn = std::move(m_queue.front());
        m_queue.pop_front();
      }
      fn();
    }
  }

  std::size_t m_max_queue;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_queue;
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

namespace {
thread_local HeldRead* t_held = nullptr;
}

HeldRead::HeldRead(store::ReadPool& pool, const Ctx& c) : m_pool(pool), m_ctx(&c), m_outer(t_held) { t_held = this; }

HeldRead::~HeldRead() {
  m_snapshot.reset();  // COMMIT before the connection goes back to the pool
  m_lease.reset();
  t_held = m_outer;
}

HeldRead* HeldRead::current(const Ctx& c) { return t_held && t_held->m_ctx == &c ? t_held : nullptr; }

Result<store::Conn*> HeldRead::conn(bool snapshot) {
  if (!m_lease) {
    auto lease = m_pool.acquire();
    if (!lease) return fail(lease.error());
    m_lease.emplace(std::move(*lease));
  }
  if (snapshot && !m_snapshot) m_snapshot.emplace(**m_lease);
  return &**m_lease;
}

Api::~Api() { stop(); }

void Api::stop() { m_db_pool.reset(); }

std::size_t Api::db_queue_depth() const { return m_db_pool ? m_db_pool->depth() : 0; }

Api::Api(store::Store& store, ApiConfig config) : m_store(store), m_config(std::move(config)) {
  m_db_pool = std::make_unique<TaskPool>(m_config.db_threads, m_config.db_queue);
  register_system_routes(*this);
  register_session_routes(*this);
  register_ticket_routes(*this);
  register_user_routes(*this);
  register_directory_routes(*this);
  register_search_routes(*this);
  register_workforce_routes(*this);
  register_feedback_routes(*this);
  register_recognition_routes(*this);
  register_email_routes(*this);
  register_email_delivery_routes(*this);
  register_upload_routes(*this);
  register_sla_routes(*this);
  register_automation_routes(*this);
  register_knowledge_routes(*this);
  register_incident_routes(*this);
  register_triage_routes(*this);
  register_presence_routes(*this);
  register_routing_routes(*this);
}

void Api::add(std::string method, std::string pattern, AuthMode auth, RouteHandler h, RunOn runs) {
  m_metrics.add_route(method, pattern);
  Route r{std::move(method), pattern, {}, auth, std::move(h), runs};
  for (auto& s : split(pattern, '/')) if (!s.empty()) r.segments.push_back(s);
  m_routes.push_back(std::move(r));
}

Response Api::reject(unsigned status, const std::string& error, const std::string& description) {
  Response res = json_response(status, {{"error", error}, {"description", description}});
  res.set("X-Request-Id", new_request_id());
  m_metrics.observe(0, status, 0);
  spdlog::info("event=request_rejected status={} error={}", status, error);
  return res;
}

namespace {
// What the Authorization header holds: an API token (Bearer, or Basic `email/token:TOKEN`), a
// password (any other Basic), or something else (no header, another scheme).
enum class Credential { other, token, password };
Credential credential_in(const Ctx& c) {
  auto auth = c.header("Authorization");
  if (!auth) return Credential::other;
  if (auth->rfind("Bearer ", 0) == 0) return Credential::token;
  if (auth->rfind("Basic ", 0) != 0) return Credential::other;
  auto decoded = crypto::base64_decode(trim(auth->substr(6)));
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  bool token = colon != std::string::npos && colon > 6 && decoded->compare(colon - 6, 6, "/token") == 0;
  return token ? Credential::token : Credential::password;
}

// A point request small enough to run on the I/O thread: its credential is not a password
// (a token, a session cookie or none: hash lookups) and its body parses in microseconds.
bool cheap_point(const Ctx& c) {
  constexpr std::size_t k_small_body = 16 * 1024;
  return c.req.body().size() <= k_small_body && credential_in(c) != Credential::password;
}
}  // namespace

void Api::handle(Request&& req, const std::string& ip, Respond respond, OpenStream open_stream) {
  auto c = std::make_shared<Ctx>(*this, std::move(req));
  c->ip = ip;
  c->started = std::chrono::steady_clock::now();
  c->respond = std::move(respond);
  c->open_stream = std::move(open_stream);
  auto given_id = c->header("X-Request-Id");
  c->request_id = given_id && given_id->size() <= 64 && valid_utf8(*given_id) &&
                          given_id->find_first_of("\r\n\" ") == std::string::npos
                      ? *given_id
                      : new_request_id();
  std::string_view target(c->req.target().data(), c->req.target().size());
  c->path = normalize_path(target);
  c->query = parse_query(target);
  auto proto = c->header("X-Forwarded-Proto").value_or("http");
  auto host = c->header("X-Forwarded-Host");
  if (!host) host = c->header("Host");
  if (proto != "http" && proto != "https") proto = "http";
  c->base = proto + "://" + (host && host->find_first_of("/\\ \"<>") == std::string::npos ? *host : "localhost");

  std::vector<std::string> segs;
  for (auto& s : split(c->path, '/')) if (!s.empty()) segs.push_back(s);
  std::string method(c->req.method_string());
  if (method == "HEAD") method = "GET";
  const Route* found = nullptr;
  bool path_matched = false;
  for (std::size_t i = 0; i < m_routes.size(); ++i) {
    const auto& r = m_routes[i];
    if (r.segments.size() != segs.size()) continue;
    std::vector<std::string> args;
    bool ok = true;
    for (std::size_t k = 0; k < segs.size() && ok; ++k) {
      if (r.segments[k] == "{}") args.push_back(segs[k]);
      else ok = r.segments[k] == segs[k];
    }
    if (!ok) continue;
    path_matched = true;
    if (r.method != method) continue;
    found = &r;
    c->route = i + 1;
    c->args = std::move(args);
    break;
  }
  if (found && (found->runs == RunOn::io || (found->runs == RunOn::point && cheap_point(*c))))
    return dispatch(c, found, path_matched, method);
  if (!found && (path_matched || c->path.rfind("/api/", 0) == 0 || method != "GET"))
    return dispatch(c, found, path_matched, method);  // 404 and 405 need no database
  bool queued = m_db_pool && m_db_pool->post([this, c, found, path_matched, method] { dispatch(c, found, path_matched, method); });
  if (!queued) reply_error(c, Error::unavailable("the server is busy; retry shortly"));
}

void Api::dispatch(const CtxPtr& c, const Route* found, bool path_matched, const std::string& method) {
  try {
    if (!found) {
      if (path_matched) return reply_json(c, 405, {{"error", "MethodNotAllowed"}, {"description", "Method not allowed"}});
      if (c->path.rfind("/api/", 0) == 0 || method != "GET") return reply_error(c, Error::not_found());
      return serve_static(c);
    }
    HeldRead held(m_store.reads(), *c);  // the request's read, from authentication through the handler
    if (!authenticate(c, found->auth, held)) return;
    // Only the API is rate limited: health checks and metrics scrapes must keep answering even
    // when anonymous traffic from the same address (a proxy, a load balancer) used up its budget.
    if (c->path.rfind("/api/", 0) == 0 && !check_rate(c)) return;
    found->handler(c);
  } catch (const std::exception& e) {
    spdlog::error("request_id={} event=handler_exception error=\"{}\"", c->request_id, e.what());
    if (!c->replied) reply_error(c, Error::internal(e.what()));
  }
}

bool Api::same_origin(const Ctx& c) const {
  auto origin = c.header("Origin");
  if (!origin || origin->empty()) return false;
  if (*origin == c.base) return true;
  // The configured public URL, reduced to scheme://host[:port].
  const auto& pub = m_config.public_url;
  auto scheme = pub.find("://");
  if (scheme == std::string::npos) return false;
  auto end = pub.find('/', scheme + 3);
  return *origin == pub.substr(0, end);
}

bool Api::authenticate(const CtxPtr& c, AuthMode mode, HeldRead& held) {
  if (mode == AuthMode::none) return true;
  Result<domain::Principal> who = fail(Error{ErrorCode::unauthenticated, "Couldn't authenticate you", {}, {}});
  bool presented = false;
  // An API token's principal is cached: checking it is four statements (the token and its owner,
  // the user it names, that user and their organization, their groups), most of a ticket show's
  // reads. The cache is trusted only while auth_epoch, which triggers move whenever something a
  // principal is made of changes (V020, V021), is what it was when the principal was read, so a
  // revoked token or a suspended user is refused on the next request. Passwords are not cached (their check is
  // slow on purpose) and neither are cookie sessions (they expire and carry the CSRF token).
  std::optional<std::string> cache_key;
  auto credential = credential_in(*c);
  bool password = credential == Credential::password;
  if (credential == Credential::token) {
    // An empty X-On-Behalf-Of is not a missing one (a fresh check refuses it), so the key says which.
    auto behalf = c->header("X-On-Behalf-Of");
    cache_key = crypto::sha256_hex(*c->header("Authorization") +
                                   (behalf ? "\n1" + std::string(*behalf) : std::string("\n0")));
  }
  // Everything but a password check reads in the request's snapshot, which the handler then goes
  // on using: the epoch, a cached principal and the handler's rows are one consistent read, and a
  // miss checks the credential in the snapshot its epoch came from. A password check holds no
  // snapshot: it would keep the WAL open through Argon2id, which is slow on purpose.
  auto lease = held.conn(!password);
  if (!lease) {
    reply_error(c, lease.error());
    return false;
  }
  auto& conn = **lease;
  std::optional<int64_t> epoch;
  if (cache_key) {
    auto e = conn.scalar("SELECT n FROM auth_epoch WHERE id = 1");
    if (e && *e) {
      epoch = **e;
      std::lock_guard lock(m_auth_mu);
      if (auto it = m_auth_cache.find(*cache_key); it != m_auth_cache.end() && it->second.epoch == *epoch)
        who = it->second.who;
    }
  }
  if (who) {
    presented = true;
  } else if (auto auth = c->header("Authorization")) {
    presented = true;
    if (auth->rfind("Basic ", 0) == 0) {
      auto decoded = crypto::base64_decode(trim(auth->substr(6)));
      if (decoded) {
        auto colon = decoded->find(':');
        if (colon != std::string::npos) {
          std::string user = decoded->substr(0, colon), secret = decoded->substr(colon + 1);
          if (user.size() > 6 && user.compare(user.size() - 6, 6, "/token") == 0)
            who = accounts::authenticate_token(conn, user.substr(0, user.size() - 6), secret);
          else
            who = accounts::authenticate_password(conn, user, secret);
        }
      }
    } else if (auth->rfind("Bearer ", 0) == 0) {
      who = accounts::authenticate_bearer(conn, std::string(trim(auth->substr(7))), c->header("X-On-Behalf-Of"));
    }
  } else if (auto cookie = c->header("Cookie")) {
    for (auto& part : split(*cookie, ';')) {
      auto kv = trim(part);
      if (kv.rfind("rapport_session=", 0) == 0) {
        presented = true;
        auto s = accounts::authenticate_session(conn, std::string(kv.substr(16)));
        if (s) {
          std::string method(c->req.method_string());
          bool safe = method == "GET" || method == "HEAD" || method == "OPTIONS";
          auto token = c->header("X-CSRF-Token");
          if (!safe && (!token || !crypto::equal_constant_time(*token, s->second))) {
            reply_error(c, Error{ErrorCode::forbidden, "A valid X-CSRF-Token header is required", {}, "InvalidCsrfToken"});
            return false;
          }
          // Browsers send the cookie with a WebSocket handshake from any site and let no page set
          // headers on it, so the CSRF token cannot protect it: the Origin must be our own.
          if (beast::websocket::is_upgrade(c->req) && !same_origin(*c)) {
            reply_error(c, Error{ErrorCode::forbidden, "A WebSocket connection signed in by cookie must come from this site's pages",
                                 {}, "InvalidOrigin"});
            return false;
          }
          who = s->first;
        } else {
          who = fail(s.error());
        }
      }
    }
  }
  if (!who) {
    if (mode == AuthMode::optional && who.error().code == ErrorCode::unauthenticated) return true;
    if (!presented || who.error().code == ErrorCode::unauthenticated) {
      // Failed attempts count against the caller's address, so guessing is rate limited too.
      c->authenticated = false;
      if (!check_rate(c)) return false;
    }
    reply_error(c, who.error());
    return false;
  }
  if (epoch) {  // set only for a token credential, whose cache_key is set
    std::lock_guard lock(m_auth_mu);
    if (m_auth_cache.size() >= 10000) m_auth_cache.clear();  // bounded; refilled by the next requests
    m_auth_cache[*cache_key] = CachedPrincipal{*epoch, *who};
  }
  c->who = std::move(*who);
  c->authenticated = true;
  if (c->who.acting_for && c->who.token_id) {
    // An admin token acting for another user: audit every such request with the token.
    events::Event e{"auth.impersonated", "user", *c->who.acting_for, std::nullopt, c->who.token_id,
                    {{"method", std::string(c->req.method_string())}, {"path", c->path}, {"request_id", c->request_id}}};
    m_store.writer().submit([e](store::Tx& tx) -> Status {
      auto r = events::append(tx.conn(), e, now_epoch());
      if (!r) return fail(r.error());
      return {};
    }, [](Status) {});
  }
  return true;
}

bool Api::check_rate(const CtxPtr& c) {
  if (m_config.rate_limit_per_minute <= 0 || c->rate_remaining) return true;
  std::string key = c->authenticated
                        ? (c->who.token_id ? "t" + std::to_string(*c->who.token_id) : "u" + std::to_string(c->who.user_id))
                        : "ip" + c->ip;
  int64_t minute = current_minute();
  int remaining;
  {
    std::lock_guard lock(m_rate_mu);
    if (m_rate.size() > 100000) m_rate.clear();  // bounded: a flood of keys resets the table
    auto& w = m_rate[key];
    if (w.minute != minute) w = {minute, 0};
    ++w.count;
    remaining = m_config.rate_limit_per_minute - w.count;
  }
  c->rate_remaining = std::max(0, remaining);
  c->rate_reset = (minute + 1) * 60 - now_epoch();
  // Zendesk also reports a ticket-list budget (100 a minute) on ticket lists. Rapport counts it
  // per credential and reports it; it does not refuse on it, the overall limit above does.
  if (c->req.method() == bhttp::verb::get && (c->path == "/api/v2/tickets" || c->path.ends_with("/tickets/requested") ||
                                              c->path.ends_with("/tickets/assigned") ||
                                              (c->path.rfind("/api/v2/organizations/", 0) == 0 && c->path.ends_with("/tickets")))) {
    int used;
    {
      std::lock_guard lock(m_rate_mu);
      auto& w = m_rate["ti" + key];
      if (w.minute != minute) w = {minute, 0};
      used = ++w.count;
    }
    c->tickets_index = "total=100; remaining=" + std::to_string(std::max(0, 100 - used)) +
                       "; resets=" + std::to_string(c->rate_reset);
  }
  if (remaining >= 0) return true;
  Response res = error_response({ErrorCode::rate_limited, "", {}, {}});
  res.set(bhttp::field::retry_after, std::to_string(std::max<int64_t>(1, c->rate_reset)));
  reply(c, std::move(res));
  return false;
}

bool Api::allow_login_attempt(const std::string& key) {
  int64_t minute = current_minute();
  std::lock_guard lock(m_rate_mu);
  if (m_logins.size() > 100000) m_logins.clear();
  auto& w = m_logins[key];
  if (w.minute != minute) w = {minute, 0};
  return ++w.count <= m_config.login_attempts_per_minute;
}

bool Api::allow_export(const std::string& key) {
  if (m_config.rate_limit_per_minute <= 0) return true;
  int64_t minute = current_minute();
  std::lock_guard lock(m_rate_mu);
  if (m_exports.size() > 100000) m_exports.clear();
  auto& w = m_exports[key];
  if (w.minute != minute) w = {minute, 0};
  return ++w.count <= 10;
}

void Api::reply(const CtxPtr& c, Response res) {
  if (c->replied) return;
  c->replied = true;
  decorate(c, res);
  c->respond(std::move(res));
}

std::shared_ptr<StreamSink> Api::stream(const CtxPtr& c, Response head) {
  if (c->replied || !c->open_stream) return nullptr;
  c->replied = true;
  decorate(c, head);
  return c->open_stream(std::move(head));
}

void Api::decorate(const CtxPtr& c, Response& res) {
  res.set("X-Request-Id", c->request_id);
  if (c->rate_remaining) {
    auto limit = std::to_string(m_config.rate_limit_per_minute);
    auto rem = std::to_string(*c->rate_remaining);
    auto reset = std::to_string(c->rate_reset);
    res.set("X-Rate-Limit", limit);
    res.set("X-Rate-Limit-Remaining", rem);
    res.set("ratelimit-limit", limit);
    res.set("ratelimit-remaining", rem);
    res.set("ratelimit-reset", reset);
    if (!c->tickets_index.empty()) res.set("zendesk-ratelimit-tickets-index", c->tickets_index);
  }
  if (res.result_int() == 401) {
    // A Basic challenge makes browsers pop up their own login dialog over the web UI, so the
    // session endpoint and requests from the UI (cookie or X-Requested-With) get none.
    auto cookie = c->header("Cookie").value_or("");
    if (c->path == "/api/v2/session" || cookie.find("rapport_session=") != std::string::npos ||
        c->header("X-Requested-With"))
      res.erase(bhttp::field::www_authenticate);
  }
  if (c->path.rfind("/api/", 0) == 0) res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  if (c->req.method() == bhttp::verb::head) res.body().clear();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - c->started).count();
  unsigned status = res.result_int();
  m_metrics.observe(c->route, status, secs);
  if (spdlog::should_log(spdlog::level::info))  // the arguments cost even when the line is not written
    spdlog::info("request_id={} method={} path={} status={} duration_ms={:.2f} user_id={} ip={}", c->request_id,
                 std::string(c->req.method_string()), c->path, status, secs * 1000.0,
                 c->authenticated ? std::to_string(c->who.user_id) : "-", c->ip);
}

void Api::reply_json(const CtxPtr& c, unsigned status, const Json& body) { reply(c, json_response(status, body)); }

void Api::reply_json_text(const CtxPtr& c, unsigned status, std::string body) {
  Response res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "application/json; charset=utf-8");
  res.body() = std::move(body);
  reply(c, std::move(res));
}

void Api::reply_error(const CtxPtr& c, const Error& e) {
  if (e.code == ErrorCode::internal || e.code == ErrorCode::unavailable)
    spdlog::error("request_id={} event=request_failed code={} error=\"{}\"", c->request_id, static_cast<int>(e.code),
                  e.message);
  reply(c, error_response(e));
}

void Api::write(const CtxPtr& c, store::Writer::Job job, std::function<void(Status)> done) {
  m_store.writer().submit(std::move(job), [this, c, done = std::move(done)](Status st) mutable {
    // Leave the writer thread at once: building the response is the I/O threads' work.
    auto finish = [c, done = std::move(done), st = std::move(st)]() mutable {
      try {
        done(std::move(st));
      } catch (const std::exception& e) {
        spdlog::error("request_id={} event=handler_exception error=\"{}\"", c->request_id, e.what());
        c->api.reply_error(c, Error::internal(e.what()));
      }
    };
    if (post) post(std::move(finish));
    else finish();
  });
}

void Api::serve_static(const CtxPtr& c) {
  namespace fs = std::filesystem;
  if (m_config.web_root.empty()) return reply_error(c, Error::not_found());
  fs::path root(m_config.web_root);
  std::string rel = c->path == "/" ? "index.html" : c->path.substr(1);
  if (rel.find("..") != std::string::npos) return reply_error(c, Error::not_found());
  fs::path file = root / rel;
  std::error_code ec;
  bool is_asset = fs::is_regular_file(file, ec);
  if (!is_asset) file = root / "index.html";  // the UI routes on the client
  std::ifstream in(file, std::ios::binary);
  if (!in) return reply_error(c, Error::not_found());
  std::ostringstream ss;
  ss << in.rdbuf();
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, content_type_for(file.extension().string()));
  res.set(bhttp::field::cache_control, rel.rfind("assets/", 0) == 0 && is_asset ? "public, max-age=31536000, immutable" : "no-cache");
  res.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
  res.set("X-Frame-Options", "DENY");
  res.body() = ss.str();
  reply(c, std::move(res));
}

Result<Json> body_object(const Ctx& c, const char* root) {
  const auto& body = c.req.body();
  std::string want = std::string("The request body must be a JSON object with a \"") + root + "\" object";
  if (trim(body).empty()) return fail(Error::invalid(want));
  if (!valid_utf8(body)) return fail(Error::invalid("The request body is not valid UTF-8"));
  if (json_depth(body, static_cast<int>(c.api.config().max_json_depth)) > static_cast<int>(c.api.config().max_json_depth))
    return fail(Error::invalid("The JSON is nested deeper than " + std::to_string(c.api.config().max_json_depth) + " levels"));
  Json j;
  try {
    j = Json::parse(body);
  } catch (const Json::parse_error& e) {
    return fail(Error::invalid(std::string("Malformed JSON: ") + e.what()));
  }
  if (!j.is_object() || !j.contains(root) || !j[root].is_object()) return fail(Error::invalid(want));
  return j[root];
}

Result<domain::PageRequest> page_request(const Ctx& c, bool cursor_allowed, const std::vector<std::string>& sorts) {
  domain::PageRequest pr;
  auto bad = [](const std::string& m) { return fail(Error::invalid(m, "InvalidPaginationParameter")); };
  auto size = c.param("page[size]");
  auto after = c.param("page[after]");
  auto before = c.param("page[before]");
  pr.cursor = cursor_allowed && (size || after || before);
  auto check_sort = [&](const std::string& col) -> bool {
    return std::find(sorts.begin(), sorts.end(), col) != sorts.end();
  };
  if (pr.cursor) {
    if (size) {
      auto n = parse_int(*size);
      if (!n || *n < 1) return bad("page[size] must be a positive integer");
      pr.size = std::min<int64_t>(*n, 100);
    }
    if (after && before) return bad("page[after] and page[before] cannot be used together");
    if (after && !after->empty()) {
      pr.after = domain::decode_cursor(*after);
      if (!pr.after) return bad("page[after] is not a valid cursor");
    }
    if (before && !before->empty()) {
      pr.before = domain::decode_cursor(*before);
      if (!pr.before) return bad("page[before] is not a valid cursor");
    }
    if (auto sort = c.param("sort"); sort && !sort->empty()) {
      pr.desc = (*sort)[0] == '-';
      std::string col = pr.desc ? sort->substr(1) : *sort;
      if (!check_sort(col)) return fail(Error::invalid("sort must be one of the sortable fields"));
      pr.sort_by = col;
    }
    return pr;
  }
  if (auto p = c.param("page"); p && !p->empty()) {
    auto n = parse_int(*p);
    if (!n || *n < 1) return bad("page must be a positive integer");
    pr.page = *n;
  }
  if (auto p = c.param("per_page"); p && !p->empty()) {
    auto n = parse_int(*p);
    if (!n || *n < 1) return bad("per_page must be a positive integer");
    pr.per_page = std::min<int64_t>(*n, 100);
  }
  if ((pr.page - 1) * pr.per_page >= 10000)
    return bad("Offset pagination is limited to the first 10,000 records; use cursor pagination (page[size])");
  if (auto s = c.param("sort_by"); s && !s->empty()) {
    if (!check_sort(*s)) return fail(Error::invalid("sort_by must be one of the sortable fields"));
    pr.sort_by = *s;
  }
  if (auto o = c.param("sort_order")) pr.desc = *o == "desc";
  return pr;
}

std::string self_url(const Ctx& c, const std::map<std::string, std::string>& overrides,
                     const std::vector<std::string>& drop) {
  std::map<std::string, std::string> q;
  std::vector<std::pair<std::string, std::string>> multi;
  for (const auto& [k, v] : c.query) {
    if (overrides.count(k) || std::find(drop.begin(), drop.end(), k) != drop.end()) continue;
    multi.emplace_back(k, v);
  }
  for (const auto& [k, v] : overrides) multi.emplace_back(k, v);
  std::string url = c.base + c.path + ".json";
  for (std::size_t i = 0; i < multi.size(); ++i)
    url += (i ? "&" : "?") + url_encode(multi[i].first) + "=" + url_encode(multi[i].second);
  return url;
}

Json offset_envelope(const Ctx& c, const std::string& key, Json items, const domain::PageRequest& pr, int64_t count) {
  Json out = {{key, std::move(items)}, {"next_page", nullptr}, {"previous_page", nullptr}, {"count", count}};
  auto pp = std::to_string(pr.per_page);
  if (pr.page * pr.per_page < count) out["next_page"] = self_url(c, {{"page", std::to_string(pr.page + 1)}, {"per_page", pp}});
  if (pr.page > 1) out["previous_page"] = self_url(c, {{"page", std::to_string(pr.page - 1)}, {"per_page", pp}});
  return out;
}

Json cursor_envelope(const Ctx& c, const std::string& key, Json items, const domain::PageRequest& pr,
                     const std::optional<domain::Cursor>& first, const std::optional<domain::Cursor>& last,
                     bool has_more) {
  Json meta = {{"has_more", has_more}, {"after_cursor", nullptr}, {"before_cursor", nullptr}};
  Json links = {{"next", nullptr}, {"prev", nullptr}};
  auto size = std::to_string(pr.size);
  if (last) {
    auto a = domain::encode_cursor(*last);
    meta["after_cursor"] = a;
    links["next"] = self_url(c, {{"page[after]", a}, {"page[size]", size}}, {"page[before]"});
  }
  if (first) {
    auto b = domain::encode_cursor(*first);
    meta["before_cursor"] = b;
    links["prev"] = self_url(c, {{"page[before]", b}, {"page[size]", size}}, {"page[after]"});
  }
  return {{key, std::move(items)}, {"meta", meta}, {"links", links}};
}

}  // namespace rapport::http
