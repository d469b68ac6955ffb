#include <rapport/app/config.hpp>

#include <cstdlib>

#include <toml++/toml.h>

#include <rapport/base/strings.hpp>

namespace rapport::app {

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> k_keys = {
      {"server.listen", "127.0.0.1:8080", "address and port to listen on"},
      {"server.threads", "0", "I/O threads; 0 means one per core"},
      {"server.db_threads", "4", "threads that run requests' database work (reads, authentication), off the I/O threads"},
      {"server.db_queue", "10000", "requests waiting for a database thread before new ones get 503"},
      {"server.body_limit", "2097152", "largest request body in bytes (larger gets 413)"},
      {"server.header_limit", "16384", "largest request header block in bytes (larger gets 431)"},
      {"server.read_timeout", "30", "seconds to receive a request before the connection is closed"},
      {"server.idle_timeout", "75", "seconds a keep-alive connection may sit idle"},
      {"server.max_connections", "10000", "open connections accepted at once"},
      {"server.shutdown_grace", "20", "seconds in-flight requests get to finish on SIGTERM"},
      {"server.web_root", "web/dist", "directory of the built web UI served at /"},
      {"server.public_url", "", "the URL customers reach this server at, for links in emails (default: http://LISTEN)"},
      {"organization.time_zone", "UTC",
       "IANA time zone of the organization (e.g. Europe/Berlin): report days and periods (leaderboards, summaries, "
       "the daily digest, dates in report queries) are its calendar days"},
      {"store.db", "data/rapport.db", "SQLite database file"},
      {"store.read_connections", "8", "pooled read connections; at least one per database and I/O thread, plus one (raised at start)"},
      {"store.max_write_queue", "20000", "queued write jobs before requests get 503"},
      {"api.rate_limit_per_minute", "700", "API requests per minute per credential; 0 turns limiting off"},
      {"api.login_attempts_per_minute", "10", "login attempts per minute per IP address and per email"},
      {"api.session_ttl", "43200", "seconds a browser session lasts"},
      {"api.export_lag_seconds", "60", "incremental exports withhold changes newer than this"},
      {"api.secure_cookies", "false", "mark session cookies Secure (set when served over TLS)"},
      {"presence.ttl_seconds", "30", "seconds an agent stays on a ticket's presence list without a heartbeat (2 to 600)"},
      {"routing.assign_at_create", "true",
       "assign a new ticket inside its own create when an agent can take it at once (false: every assignment is the "
       "routing consumer's, a second commit after the create's)"},
      {"automation.interval_seconds", "3600", "seconds between runs of the time-based automations (at least 60)"},
      {"automation.max_trigger_passes", "10", "passes over the trigger list per ticket update before the loop is cut"},
      {"webhooks.allow_private_destinations", "false",
       "deliver webhooks to loopback and private networks (off: refused, against SSRF)"},
      {"webhooks.timeout_ms", "10000", "milliseconds a webhook attempt may take, connecting included"},
      {"webhooks.max_attempts", "5", "attempts per webhook call before it is marked failed"},
      {"webhooks.retry_base_ms", "1000", "delay before the first retry; each next one doubles (capped at an hour)"},
      {"help_center.anonymous_requests", "true", "anyone may submit the contact form and POST /api/v2/requests without signing in"},
      {"help_center.requests_per_ip_per_hour", "20", "requests submitted per client address per hour; 0 turns the limit off"},
      {"help_center.requests_per_email_per_hour", "5", "requests submitted per requester email per hour; 0 turns the limit off"},
      {"email.max_message_bytes", "31457280", "largest raw email accepted (IMAP, pipe, inbound endpoint); larger is rejected"},
      {"email.max_attachment_bytes", "26214400", "largest decoded attachment or inline image in an email"},
      {"email.max_mime_depth", "10", "deepest nesting of MIME parts in an email"},
      {"email.max_mime_parts", "100", "most MIME parts in one email"},
      {"email.rate_limit_messages", "30", "emails per sender within email.rate_limit_window before they are flagged and kept off new tickets; 0 turns it off"},
      {"email.rate_limit_window", "600", "seconds the per-sender email count covers"},
      {"email.poll_interval", "30", "seconds between IMAP polls of each mailbox"},
      {"email.imap_batch", "50", "messages fetched from a mailbox per poll"},
      {"email.imap_timeout", "30", "seconds an IMAP connection or command may take"},
      {"email.imap_idle", "true", "watch each mailbox with IMAP IDLE where the server offers it, for new mail in seconds"},
      {"log.level", "info", "trace, debug, info, warn or error"},
      {"mail.smtp_host", "", "SMTP server for outgoing mail; empty: mail waits in the outbox, unsent"},
      {"mail.smtp_port", "25", "SMTP port (587 submission, 465 with tls = smtps)"},
      {"mail.tls", "opportunistic", "opportunistic (STARTTLS when offered), starttls (required), smtps (TLS from the start) or none"},
      {"mail.tls_verify", "true", "check the SMTP server's certificate and name"},
      {"mail.user", "", "SMTP AUTH user; empty: no AUTH"},
      {"mail.password", "", "SMTP AUTH password"},
      {"mail.from_address", "", "From of mail that names no support address (default: support@DOMAIN)"},
      {"mail.from_name", "Support", "display name with mail.from_address"},
      {"mail.domain", "", "domain of the Message-IDs we mint (default: mail.from_address's domain, else localhost.localdomain)"},
      {"mail.connections", "1", "SMTP connections (sending threads)"},
      {"mail.batch", "50", "outbox rows a sending thread takes at a time"},
      {"mail.connect_timeout", "10", "seconds to connect to the SMTP server"},
      {"mail.timeout", "60", "seconds for one message, connection to final answer"},
      {"mail.retry_base", "60", "seconds before the first retry of a deferred message; doubles each attempt"},
      {"mail.retry_cap", "3600", "longest wait between attempts, seconds"},
      {"mail.max_attempts", "8", "attempts before a message fails for good"},
      {"mail.max_age", "172800", "seconds a message may wait in the queue before it fails for good"},
      {"testing.clock_control", "false",
       "TEST ONLY: lets an admin set the server's clock (PUT /api/v2/testing/clock); never enable in production"},
  };
  return k_keys;
}

std::string env_name(const std::string& key) {
  std::string out = "RAPPORT_";
  for (char c : key) out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

std::string config_help() {
  std::string out = "Configuration keys (TOML `[section] key = value`, or the environment variable):\n";
  for (const auto& k : config_keys()) {
    out += "  " + k.name + std::string(k.name.size() < 28 ? 28 - k.name.size() : 1, ' ') + env_name(k.name) + "\n";
    out += "      " + k.description + " (default: " + k.default_value + ")\n";
  }
  return out;
}

Result<Config> Config::load(const std::string& path) {
  Config c;
  for (const auto& k : config_keys()) c.m_values[k.name] = k.default_value;
  if (!path.empty()) {
    toml::table tbl;
    try {
      tbl = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return fail(Error::invalid("config " + path + ": " + std::string(e.description())));
    }
    for (const auto& k : config_keys()) {
      auto dot = k.name.find('.');
      auto node = tbl[k.name.substr(0, dot)][k.name.substr(dot + 1)];
      if (!node) continue;
      if (auto s = node.value<std::string>()) c.m_values[k.name] = *s;
      else if (auto i = node.value<int64_t>()) c.m_values[k.name] = std::to_string(*i);
      else if (auto b = node.value<bool>()) c.m_values[k.name] = *b ? "true" : "false";
      else return fail(Error::invalid("config " + path + ": " + k.name + " has an unsupported type"));
    }
  }
  for (const auto& k : config_keys()) {
    if (const char* v = std::getenv(env_name(k.name).c_str())) c.m_values[k.name] = v;
  }
  return c;
}

std::string Config::str(const std::string& key) const {
  auto it = m_values.find(key);
  return it == m_values.end() ? "" : it->second;
}

Result<int64_t> Config::integer(const std::string& key) const {
  auto v = parse_int(str(key));
  if (!v) return fail(Error::invalid(key + " (" + env_name(key) + ") must be an integer, got \"" + str(key) + "\""));
  return *v;
}

Result<bool> Config::boolean(const std::string& key) const {
  auto v = to_lower(str(key));
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no" || v.empty()) return false;
  return fail(Error::invalid(key + " (" + env_name(key) + ") must be true or false"));
}

}  // namespace rapport::app
