#pragma once
// Webhooks that triggers and automations call: Zendesk's resource (endpoint, http_method,
// request_format, status, signing secret), the invocation queue written in the rule's
// transaction, and the sender that delivers it over libcurl with Zendesk's signature, timeouts,
// retries with exponential backoff, and a refusal of private and loopback destinations unless
// the operator allows them.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rapport/automation/business_rules.hpp>
#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/store/store.hpp>

namespace rapport::automation {

struct Webhook {
  Id id = 0;
  std::string name, description, endpoint, http_method = "POST", request_format = "json", status = "active";
  Json custom_headers = Json::object();
  std::string signing_secret;
  std::optional<Id> created_by;
  int64_t created_at = 0, updated_at = 0;
};

struct Attempt {
  Id id = 0, invocation_id = 0;
  int64_t attempt = 0;
  std::optional<int64_t> status_code;
  std::optional<std::string> error;
  int64_t duration_ms = 0, at = 0;
};

struct Invocation {
  Id id = 0, webhook_id = 0;
  std::optional<Id> ticket_id;
  std::string rule_kind;
  Id rule_id = 0;
  std::string rule_title, body, status;  // queued | success | failed
  int64_t attempts = 0, next_attempt_ms = 0;
  std::optional<int64_t> last_status_code;
  std::optional<std::string> last_error;
  int64_t created_at = 0;
  std::optional<int64_t> completed_at;
};

constexpr std::size_t k_max_webhooks = 100;

Result<Webhook> create_webhook(store::Tx& tx, const Json& in, const Principal& actor);
Result<Webhook> update_webhook(store::Tx& tx, Id id, const Json& in, const Principal& actor);
// Refused while a trigger or automation calls it, as in Zendesk.
Status delete_webhook(store::Tx& tx, Id id, const Principal& actor);
Result<Webhook> get_webhook(store::Conn& conn, Id id, const Principal& actor);
Result<std::vector<Webhook>> list_webhooks(store::Conn& conn, const Principal& actor);
// A new random signing secret; the old one stops verifying at once.
Result<Webhook> reset_signing_secret(store::Tx& tx, Id id, const Principal& actor);
// The newest invocations first (at most `limit`), with their attempts.
Result<std::vector<Invocation>> list_invocations(store::Conn& conn, Id webhook_id, int64_t limit, const Principal& actor);
Result<std::vector<Attempt>> list_attempts(store::Conn& conn, Id webhook_id, Id invocation_id, const Principal& actor);

// Queues a call of webhook `webhook_id` by `rule` (nothing when the webhook is inactive or gone).
Status queue_invocation(store::Conn& conn, Id webhook_id, std::optional<Id> ticket_id, const Rule& rule,
                        const std::string& body, int64_t now);

// Zendesk's signature: base64(HMAC-SHA256(secret, timestamp + body)).
std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);
// Whether a numeric address (dotted IPv4 or IPv6 text) is loopback, private, link-local or
// otherwise not a public destination.
bool is_private_address(std::string_view ip);

struct SenderOptions {
  bool allow_private = false;     // deliver to loopback and private networks (tests, intranets)
  int64_t timeout_ms = 10000;     // per attempt, connect included
  int64_t max_attempts = 5;
  int64_t retry_base_ms = 1000;   // first retry after this, doubling each time
  int64_t max_backoff_ms = 3600000;
  std::size_t batch = 20;         // invocations per pass
};

// One delivery pass: sends every invocation that is due (at most `batch`) and records each
// attempt. Returns the time (epoch ms) the next queued one is due, if any.
Result<std::optional<int64_t>> deliver_due(store::Store& store, const SenderOptions& o);

// Runs deliver_due on its own thread: woken by poke() (a commit), otherwise when the next
// retry is due, and at least every `idle` in case another process (the CLI) queued calls.
class WebhookSender {
 public:
  WebhookSender(store::Store& store, SenderOptions o);
  ~WebhookSender();
  void start();
  void stop();
  void poke();

 private:
  void loop();
  store::Store& m_store;
  SenderOptions m_options;
  std::mutex m_mu;
  std::condition_variable m_cv;
  bool m_poked = false, m_stopping = false;
  std::thread m_thread;
};

}  // namespace rapport::automation
