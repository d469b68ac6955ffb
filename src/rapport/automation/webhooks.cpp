#include <rapport/automation/webhooks.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/log.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::automation {

namespace {

constexpr const char* k_columns =
    "id, name, description, endpoint, http_method, request_format, status, custom_headers, signing_secret, created_by, "
    "created_at, updated_at";

Webhook map_webhook(const store::Row& r) {
  Webhook w;
  w.id = r.i64(0);
  w.name = r.text(1);
  w.description = r.text(2);
  w.endpoint = r.text(3);
  w.http_method = r.text(4);
  w.request_format = r.text(5);
  w.status = r.text(6);
  w.custom_headers = Json::parse(r.text(7), nullptr, false);
  if (!w.custom_headers.is_object()) w.custom_headers = Json::object();
  w.signing_secret = r.text(8);
  w.created_by = r.opt_i64(9);
  w.created_at = r.i64(10);
  w.updated_at = r.i64(11);
  return w;
}

constexpr const char* k_invocation_columns =
    "id, webhook_id, ticket_id, rule_kind, rule_id, rule_title, body, status, attempts, next_attempt_ms, "
    "last_status_code, last_error, created_at, completed_at";

Invocation map_invocation(const store::Row& r) {
  Invocation i;
  i.id = r.i64(0);
  i.webhook_id = r.i64(1);
  i.ticket_id = r.opt_i64(2);
  i.rule_kind = r.text(3);
  i.rule_id = r.i64(4);
  i.rule_title = r.text(5);
  i.body = r.text(6);
  i.status = r.text(7);
  i.attempts = r.i64(8);
  i.next_attempt_ms = r.i64(9);
  i.last_status_code = r.opt_i64(10);
  i.last_error = r.opt_text(11);
  i.created_at = r.i64(12);
  i.completed_at = r.opt_i64(13);
  return i;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

Status log(store::Tx& tx, const char* kind, const Webhook& w, const Principal& actor) {
  events::Event e{kind, "webhook", w.id, actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt, actor.token_id,
                  {{"name", w.name}, {"endpoint", w.endpoint}, {"status", w.status}}};
  auto ev = events::append(tx.conn(), e, now_epoch());
  if (!ev) return fail(ev.error());
  return {};
}

// A header name is an RFC 9110 token; the ones Rapport sets itself cannot be overridden.
bool valid_custom_header(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c))) return false;
  auto l = to_lower(name);
  return l != "content-type" && l != "content-length" && l != "host" && l != "user-agent" && l != "authorization" &&
         l.rfind("x-zendesk-", 0) != 0;
}

bool valid_endpoint(const std::string& url) {
  if (url.size() > 2048) return false;
  // libcurl's URL parser decides, the same one that will send the request.
  CURLU* u = curl_url();
  bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  char* scheme = nullptr;
  char* host = nullptr;
  if (ok) ok = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK;
  if (ok) ok = (std::string(scheme) == "http" || std::string(scheme) == "https") && host && *host;
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(u);
  return ok;
}

Status apply_input(const Json& in, Webhook& w, bool creating) {
  Validation v;
  JsonInput input(in, v);
  if (auto s = input.str("name", 255)) w.name = std::string(trim(*s));
  if ((creating || input.has("name")) && w.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (auto s = input.str("description", 4096)) w.description = *s;
  if (auto s = input.str("endpoint", 4096)) w.endpoint = std::string(trim(*s));
  if ((creating || input.has("endpoint")) && !valid_endpoint(w.endpoint))
    v.add("endpoint", "InvalidValue", "Endpoint: must be an http:// or https:// URL with a host (at most 2048 characters)");
  if (auto s = input.str("http_method")) {
    auto m = *s;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (m != "GET" && m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE")
      v.add("http_method", "InvalidValue", "Http method: must be GET, POST, PUT, PATCH or DELETE");
    else w.http_method = m;
  }
  if (auto s = input.str("request_format")) {
    if (*s != "json") v.add("request_format", "InvalidValue", "Request format: Rapport sends json only");
    else w.request_format = *s;
  }
  if (auto s = input.str("status")) {
    if (*s != "active" && *s != "inactive") v.add("status", "InvalidValue", "Status: must be active or inactive");
    else w.status = *s;
  }
  if (input.has("authentication") && !input.is_null("authentication"))
    v.add("authentication", "InvalidValue",
          "Authentication: not supported; verify the signature (X-Zendesk-Webhook-Signature) instead");
  if (auto s = input.strings("subscriptions")) {
    for (const auto& x : *s)
      if (x != "conditional_ticket_events")
        v.add("subscriptions", "InvalidValue", "Subscriptions: only conditional_ticket_events (triggers and automations)");
  }
  if (input.has("custom_headers") && !input.is_null("custom_headers")) {
    auto h = input.object("custom_headers");
    if (h) {
      if (h->size() > 5) v.add("custom_headers", "InvalidValue", "Custom headers: at most 5");
      for (auto it = h->begin(); it != h->end(); ++it) {
        if (!valid_custom_header(it.key()) || !it.value().is_string() || it.value().get<std::string>().size() > 1000 ||
            it.value().get<std::string>().find_first_of("\r\n") != std::string::npos)
          v.add("custom_headers", "InvalidValue", "Custom headers: \"" + it.key() + "\" is not a header Rapport can send");
      }
      if (v.ok()) w.custom_headers = *h;
    }
  } else if (input.has("custom_headers")) {
    w.custom_headers = Json::object();
  }
  if (!v.ok()) return fail(v.error());
  return {};
}

Result<Webhook> read_webhook(store::Conn& conn, Id id) {
  std::optional<Webhook> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM webhooks WHERE id = ?", {id},
                      [&](const store::Row& r) { out = map_webhook(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

// ---- delivery ----

struct Outcome {
  std::optional<int64_t> status_code;
  std::string error;
  std::optional<int64_t> retry_after_s;
  bool blocked = false;  // refused before connecting (a private destination)
  int64_t duration_ms = 0;
};

struct CallState {
  bool allow_private = false;
  bool blocked = false;
  std::optional<int64_t> retry_after_s;
  std::size_t received = 0;
};

curl_socket_t open_socket(void* clientp, curlsocktype, struct curl_sockaddr* address) {
  auto* st = static_cast<CallState*>(clientp);
  char text[INET6_ADDRSTRLEN] = {0};
  if (address->family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address->addr)->sin_addr, text, sizeof text);
  else if (address->family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address->addr)->sin6_addr, text, sizeof text);
  // Checked on the address actually connected to, after DNS, so a name that resolves to an
  // internal address (or changes to one) is refused too.
  if (!st->allow_private && (!*text || is_private_address(text))) {
    st->blocked = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

std::size_t discard_body(char*, std::size_t size, std::size_t n, void* clientp) {
  auto* st = static_cast<CallState*>(clientp);
  st->received += size * n;
  return st->received > (1 << 20) ? 0 : size * n;  // a receiver's answer is not kept; a huge one is cut
}

std::size_t read_header(char* data, std::size_t size, std::size_t n, void* clientp) {
  auto* st = static_cast<CallState*>(clientp);
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), "retry-after")) {
    if (auto s = parse_int(trim(line.substr(colon + 1)))) st->retry_after_s = std::max<int64_t>(0, *s);
  }
  return size * n;
}

Outcome send(const Webhook& w, Id invocation_id, const std::string& body, const SenderOptions& o) {
  Outcome out;
  CallState state;
  state.allow_private = o.allow_private;
  CURL* h = curl_easy_init();
  if (!h) {
    out.error = "libcurl could not start a request";
    return out;
  }
  bool has_body = w.http_method == "POST" || w.http_method == "PUT" || w.http_method == "PATCH";
  std::string sent = has_body ? body : "";
  std::string timestamp = iso8601(now_epoch());
  curl_slist* headers = nullptr;
  auto add = [&](const std::string& line) { headers = curl_slist_append(headers, line.c_str()); };
  if (has_body) add("Content-Type: application/json; charset=utf-8");
  add("User-Agent: Rapport-Webhooks/1");
  add("X-Zendesk-Webhook-Id: " + std::to_string(w.id));
  add("X-Zendesk-Webhook-Invocation-Id: " + std::to_string(invocation_id));
  add("X-Zendesk-Webhook-Signature: " + webhook_signature(w.signing_secret, timestamp, sent));
  add("X-Zendesk-Webhook-Signature-Timestamp: " + timestamp);
  add("Expect:");  // no 100-continue round trip
  for (auto it = w.custom_headers.begin(); it != w.custom_headers.end(); ++it)
    if (it.value().is_string()) add(it.key() + ": " + it.value().get<std::string>());

  curl_easy_setopt(h, CURLOPT_URL, w.endpoint.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.timeout_ms));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &state);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &state);
  if (w.http_method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (w.http_method == "DELETE") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, sent.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(sent.size()));
    if (w.http_method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, w.http_method.c_str());
  }
  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(h);
  out.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (rc == CURLE_OK || rc == CURLE_WRITE_ERROR) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (code > 0) out.status_code = code;
  }
  if (!out.status_code) {
    out.blocked = state.blocked;
    out.error = state.blocked ? "the endpoint resolves to a private or loopback address; set "
                                "webhooks.allow_private_destinations to deliver there"
                              : std::string(curl_easy_strerror(rc));
  }
  out.retry_after_s = state.retry_after_s;
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return out;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string signed_text(timestamp);
  signed_text.append(body);
  return crypto::base64_encode(crypto::hmac_sha256(secret, signed_text));
}

bool is_private_address(std::string_view ip) {
  std::string s(ip);
  in_addr v4{};
  in6_addr v6{};
  auto v4_private = [](uint32_t a) {
    auto in = [&](uint32_t net, int bits) { return bits == 0 || (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x64400000, 10) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
           in(0xAC100000, 12) || in(0xC0000000, 24) || in(0xC0A80000, 16) || in(0xC6120000, 15) || in(0xE0000000, 4) ||
           in(0xF0000000, 4);
  };
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return v4_private(ntohl(v4.s_addr));
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return true;  // not an address: refuse
  const auto* b = v6.s6_addr;
  static const unsigned char k_zero[16] = {0};
  if (std::memcmp(b, k_zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  bool mapped = std::memcmp(b, k_zero, 10) == 0 && b[10] == 0xff && b[11] == 0xff;
  if (mapped) return v4_private((uint32_t(b[12]) << 24) | (uint32_t(b[13]) << 16) | (uint32_t(b[14]) << 8) | b[15]);
  if ((b[0] & 0xfe) == 0xfc) return true;                   // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;   // fe80::/10 link-local
  if (b[0] == 0xff) return true;                            // multicast
  return false;
}

Result<Webhook> create_webhook(store::Tx& tx, const Json& in, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto n = conn.scalar("SELECT COUNT(*) FROM webhooks");
  if (!n) return fail(n.error());
  if (static_cast<std::size_t>(n->value_or(0)) >= k_max_webhooks)
    return fail(Error::field("base", "InvalidValue", "At most " + std::to_string(k_max_webhooks) + " webhooks"));
  Webhook w;
  if (auto st = apply_input(in, w, true); !st) return fail(st.error());
  w.signing_secret = crypto::random_token(32);
  w.created_at = w.updated_at = now_epoch();
  w.created_by = actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt;
  auto r = conn.run(
      "INSERT INTO webhooks(name, description, endpoint, http_method, request_format, status, signing_secret, "
      "custom_headers, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
      {w.name, w.description, w.endpoint, w.http_method, w.request_format, w.status, w.signing_secret,
       w.custom_headers.dump(), w.created_by, w.created_at, w.updated_at});
  if (!r) return fail(r.error());
  w.id = conn.last_insert_id();
  if (auto st = log(tx, "webhook.created", w, actor); !st) return fail(st.error());
  return w;
}

Result<Webhook> update_webhook(store::Tx& tx, Id id, const Json& in, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto w = read_webhook(tx.conn(), id);
  if (!w) return w;
  if (auto st = apply_input(in, *w, false); !st) return fail(st.error());
  w->updated_at = now_epoch();
  auto r = tx.conn().run(
      "UPDATE webhooks SET name=?, description=?, endpoint=?, http_method=?, request_format=?, status=?, "
      "custom_headers=?, updated_at=? WHERE id=?",
      {w->name, w->description, w->endpoint, w->http_method, w->request_format, w->status, w->custom_headers.dump(),
       w->updated_at, id});
  if (!r) return fail(r.error());
  if (auto st = log(tx, "webhook.updated", *w, actor); !st) return fail(st.error());
  return w;
}

Status delete_webhook(store::Tx& tx, Id id, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  auto w = read_webhook(conn, id);
  if (!w) return fail(w.error());
  auto used = conn.scalar(
      "SELECT id FROM business_rules WHERE kind IN ('trigger','automation') AND actions LIKE ? LIMIT 1",
      {"%\"notification_webhook\",\"value\":[" + std::to_string(id) + ",%"});
  if (!used) return fail(used.error());
  if (*used)
    return fail(Error::field("base", "InvalidValue",
                             "Webhook is called by rule " + std::to_string(**used) + "; remove it from that rule first"));
  for (const char* sql : {"DELETE FROM webhook_attempts WHERE invocation_id IN (SELECT id FROM webhook_invocations WHERE webhook_id = ?)",
                          "DELETE FROM webhook_invocations WHERE webhook_id = ?", "DELETE FROM webhooks WHERE id = ?"}) {
    if (auto r = conn.run(sql, {id}); !r) return fail(r.error());
  }
  return log(tx, "webhook.deleted", *w, actor);
}

Result<Webhook> get_webhook(store::Conn& conn, Id id, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  return read_webhook(conn, id);
}

Result<std::vector<Webhook>> list_webhooks(store::Conn& conn, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  std::vector<Webhook> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM webhooks ORDER BY id LIMIT " + std::to_string(k_max_webhooks),
                      {}, [&](const store::Row& r) { out.push_back(map_webhook(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<Webhook> reset_signing_secret(store::Tx& tx, Id id, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto w = read_webhook(tx.conn(), id);
  if (!w) return w;
  w->signing_secret = crypto::random_token(32);
  w->updated_at = now_epoch();
  if (auto r = tx.conn().run("UPDATE webhooks SET signing_secret = ?, updated_at = ? WHERE id = ?",
                             {w->signing_secret, w->updated_at, id});
      !r)
    return fail(r.error());
  if (auto st = log(tx, "webhook.secret_reset", *w, actor); !st) return fail(st.error());
  return w;
}

Result<std::vector<Invocation>> list_invocations(store::Conn& conn, Id webhook_id, int64_t limit, const Principal& actor) {
  if (auto w = get_webhook(conn, webhook_id, actor); !w) return fail(w.error());
  std::vector<Invocation> out;
  auto st = conn.each(std::string("SELECT ") + k_invocation_columns +
                          " FROM webhook_invocations WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
                      {webhook_id, std::clamp<int64_t>(limit, 1, 100)},
                      [&](const store::Row& r) { out.push_back(map_invocation(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<std::vector<Attempt>> list_attempts(store::Conn& conn, Id webhook_id, Id invocation_id, const Principal& actor) {
  if (auto w = get_webhook(conn, webhook_id, actor); !w) return fail(w.error());
  auto owner = conn.scalar("SELECT webhook_id FROM webhook_invocations WHERE id = ?", {invocation_id});
  if (!owner) return fail(owner.error());
  if (!*owner || **owner != webhook_id) return fail(Error::not_found());
  std::vector<Attempt> out;
  auto st = conn.each(
      "SELECT id, invocation_id, attempt, status_code, error, duration_ms, at FROM webhook_attempts WHERE invocation_id = ? "
      "ORDER BY attempt LIMIT 100",
      {invocation_id}, [&](const store::Row& r) {
        out.push_back({r.i64(0), r.i64(1), r.i64(2), r.opt_i64(3), r.opt_text(4), r.i64(5), r.i64(6)});
      });
  if (!st) return fail(st.error());
  return out;
}

Status queue_invocation(store::Conn& conn, Id webhook_id, std::optional<Id> ticket_id, const Rule& rule,
                        const std::string& body, int64_t now) {
  auto status = conn.scalar_text("SELECT status FROM webhooks WHERE id = ?", {webhook_id});
  if (!status) return fail(status.error());
  if (!*status || **status != "active") return {};
  // Due at once: the rule's time may be a replayed one, the sender's clock is the real one.
  auto r = conn.run(
      "INSERT INTO webhook_invocations(webhook_id, ticket_id, rule_kind, rule_id, rule_title, body, status, attempts, "
      "next_attempt_ms, created_at) VALUES (?,?,?,?,?,?,'queued',0,0,?)",
      {webhook_id, ticket_id, std::string(to_string(rule.kind)), rule.id, rule.title, body, now});
  if (!r) return fail(r.error());
  events::Event e{"webhook.queued", "webhook", webhook_id, std::nullopt, std::nullopt,
                  {{"invocation_id", conn.last_insert_id()}, {"ticket_id", ticket_id ? Json(*ticket_id) : Json(nullptr)},
                   {"rule", {{"rel", to_string(rule.kind)}, {"id", rule.id}, {"title", rule.title}}}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return {};
}

Result<std::optional<int64_t>> deliver_due(store::Store& store, const SenderOptions& o) {
  struct Due {
    Invocation inv;
    Webhook hook;
  };
  std::vector<Due> due;
  int64_t now = now_ms();
  auto rd = store.read([&](store::Conn& conn) -> Status {
    std::vector<Invocation> invs;
    auto st = conn.each(std::string("SELECT ") + k_invocation_columns +
                            " FROM webhook_invocations WHERE status = 'queued' AND next_attempt_ms <= ? "
                            "ORDER BY next_attempt_ms, id LIMIT ?",
                        {now, static_cast<int64_t>(o.batch)}, [&](const store::Row& r) { invs.push_back(map_invocation(r)); });
    if (!st) return st;
    for (auto& i : invs) {
      auto w = read_webhook(conn, i.webhook_id);
      if (!w) return fail(w.error());
      due.push_back({std::move(i), std::move(*w)});
    }
    return {};
  });
  if (!rd) return fail(rd.error());
  // A call cannot be taken back: none for an invocation whose commit a power loss could still undo.
  if (!due.empty()) store.writer().wait_durable();
  curl_init_once();
  for (auto& d : due) {
    Outcome out;
    if (d.hook.status != "active") out.error = "the webhook is inactive";
    else out = send(d.hook, d.inv.id, d.inv.body, o);
    int64_t attempt = d.inv.attempts + 1;
    std::string status = "queued";
    int64_t next = 0;
    int64_t code = out.status_code.value_or(0);
    bool retryable = !out.blocked && d.hook.status == "active" && (!out.status_code || code >= 500 || code == 429 || code == 408);
    if (code >= 200 && code < 300) {
      status = "success";
    } else if (!retryable || attempt >= o.max_attempts) {
      status = "failed";
    } else if (code == 429 && out.retry_after_s) {
      next = now_ms() + std::min(*out.retry_after_s * 1000, o.max_backoff_ms);  // the receiver said when
    } else {
      int64_t backoff = o.retry_base_ms << std::min<int64_t>(attempt - 1, 20);
      next = now_ms() + std::min(backoff, o.max_backoff_ms);
    }
    int64_t at = now_epoch();
    std::optional<std::string> err = out.error.empty() ? std::nullopt : std::optional<std::string>(out.error);
    if (!err && !(code >= 200 && code < 300)) err = "HTTP " + std::to_string(code);
    spdlog::info("event=webhook_attempt webhook_id={} invocation_id={} attempt={} status_code={} outcome={} duration_ms={}",
                 d.hook.id, d.inv.id, attempt, code, status, out.duration_ms);
    auto st = store.writer().run([&](store::Tx& tx) -> Status {
      auto& conn = tx.conn();
      if (auto r = conn.run("INSERT INTO webhook_attempts(invocation_id, attempt, status_code, error, duration_ms, at) "
                            "VALUES (?,?,?,?,?,?)",
                            {d.inv.id, attempt, out.status_code, err, out.duration_ms, at});
          !r)
        return fail(r.error());
      auto r = conn.run(
          "UPDATE webhook_invocations SET status = ?, attempts = ?, next_attempt_ms = ?, last_status_code = ?, "
          "last_error = ?, completed_at = ? WHERE id = ?",
          {status, attempt, next, out.status_code, err, status == "queued" ? std::optional<int64_t>() : at, d.inv.id});
      if (!r) return fail(r.error());
      if (status != "queued") {
        events::Event e{status == "success" ? "webhook.delivered" : "webhook.failed", "webhook", d.hook.id, std::nullopt,
                        std::nullopt, {{"invocation_id", d.inv.id}, {"attempts", attempt}, {"status_code", code}}};
        if (auto ev = events::append(conn, e, at); !ev) return fail(ev.error());
      }
      return {};
    });
    if (!st) return fail(st.error());
  }
  auto next = store.read([&](store::Conn& conn) {
    return conn.scalar("SELECT MIN(next_attempt_ms) FROM webhook_invocations WHERE status = 'queued'");
  });
  if (!next) return fail(next.error());
  return *next;
}

WebhookSender::WebhookSender(store::Store& store, SenderOptions o) : m_store(store), m_options(o) { curl_init_once(); }

WebhookSender::~WebhookSender() { stop(); }

void WebhookSender::start() {
  m_thread = std::thread([this] {
    log::name_thread("webhooks");
    loop();
  });
}

void WebhookSender::stop() {
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

void WebhookSender::poke() {
  {
    std::lock_guard lock(m_mu);
    m_poked = true;
  }
  m_cv.notify_one();
}

void WebhookSender::loop() {
  // Another process (the CLI's automation run) may queue calls without poking this one.
  constexpr int64_t k_idle_ms = 2000;
  while (true) {
    int64_t wait_ms = k_idle_ms;
    auto next = deliver_due(m_store, m_options);
    if (!next) {
      spdlog::error("event=webhook_sender_failed error=\"{}\"", next.error().message);
    } else if (*next) {
      wait_ms = std::clamp<int64_t>(**next - now_ms(), 0, k_idle_ms);
    }
    std::unique_lock lock(m_mu);
    if (wait_ms > 0) m_cv.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return m_poked || m_stopping; });
    if (m_stopping) return;
    m_poked = false;
  }
}

}  // namespace rapport::automation
