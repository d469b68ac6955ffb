#include <rapport/app/serve.hpp>

#include <malloc.h>

#include <chrono>
#include <csignal>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include <rapport/app/business_hours.hpp>
#include <rapport/app/workers.hpp>
#include <rapport/automation/engine.hpp>
#include <rapport/automation/webhooks.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/feedback/recognition.hpp>
#include <rapport/base/log.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/email/outbox.hpp>
#include <rapport/email/sender.hpp>
#include <rapport/email/poller.hpp>
#include <rapport/http/api.hpp>
#include <rapport/http/feedback_stream.hpp>
#include <rapport/http/server.hpp>
#include <rapport/http/ticket_presence.hpp>
#include <rapport/sla/tracker.hpp>
#include <rapport/knowledge/incidents.hpp>
#include <rapport/routing/router.hpp>
#include <rapport/store/store.hpp>
#include <rapport/tickets/facet_table.hpp>
#include <rapport/tickets/tickets.hpp>
#include <rapport/triage/triage.hpp>

namespace rapport::app {

namespace {

Result<http::ServerOptions> server_options(const Config& c) {
  http::ServerOptions o;
  auto listen = c.str("server.listen");
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return fail(Error::invalid("server.listen must be HOST:PORT"));
  o.host = listen.substr(0, colon);
  auto port = parse_int(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) return fail(Error::invalid("server.listen has a bad port"));
  o.port = static_cast<unsigned short>(*port);
  for (auto [key, field] : std::initializer_list<std::pair<const char*, std::size_t*>>{
           {"server.body_limit", &o.body_limit}, {"server.header_limit", &o.header_limit},
           {"server.max_connections", &o.max_connections}}) {
    auto v = c.integer(key);
    if (!v) return fail(v.error());
    *field = static_cast<std::size_t>(*v);
  }
  auto threads = c.integer("server.threads");
  if (!threads) return fail(threads.error());
  o.threads = static_cast<int>(*threads);
  auto rt = c.integer("server.read_timeout"), it = c.integer("server.idle_timeout");
  if (!rt) return fail(rt.error());
  if (!it) return fail(it.error());
  o.read_timeout = std::chrono::seconds(*rt);
  o.idle_timeout = std::chrono::seconds(*it);
  return o;
}

Result<http::ApiConfig> api_config(const Config& c) {
  http::ApiConfig a;
  auto rl = c.integer("api.rate_limit_per_minute");
  auto la = c.integer("api.login_attempts_per_minute");
  auto ttl = c.integer("api.session_ttl");
  auto lag = c.integer("api.export_lag_seconds");
  auto sec = c.boolean("api.secure_cookies");
  auto dbt = c.integer("server.db_threads"), dbq = c.integer("server.db_queue");
  if (!dbt) return fail(dbt.error());
  if (!dbq) return fail(dbq.error());
  if (*dbt < 1 || *dbq < 1) return fail(Error::invalid("server.db_threads and server.db_queue must be at least 1"));
  a.db_threads = static_cast<std::size_t>(*dbt);
  a.db_queue = static_cast<std::size_t>(*dbq);
  for (auto* r : {&rl, &la, &ttl, &lag}) if (!*r) return fail(r->error());
  if (!sec) return fail(sec.error());
  a.rate_limit_per_minute = static_cast<int>(*rl);
  a.login_attempts_per_minute = static_cast<int>(*la);
  a.session_ttl_seconds = *ttl;
  a.export_lag_seconds = *lag;
  a.secure_cookies = *sec;
  auto anon = c.boolean("help_center.anonymous_requests");
  auto per_ip = c.integer("help_center.requests_per_ip_per_hour");
  auto per_email = c.integer("help_center.requests_per_email_per_hour");
  if (!anon) return fail(anon.error());
  if (!per_ip) return fail(per_ip.error());
  if (!per_email) return fail(per_email.error());
  if (*per_ip < 0 || *per_email < 0) return fail(Error::invalid("help_center request limits cannot be negative"));
  a.anonymous_requests = *anon;
  a.requests_per_ip_per_hour = static_cast<int>(*per_ip);
  a.requests_per_email_per_hour = static_cast<int>(*per_email);
  a.web_root = c.str("server.web_root");
  a.public_url = c.str("server.public_url");
  auto clock = c.boolean("testing.clock_control");
  if (!clock) return fail(clock.error());
  a.testing_clock = *clock;
  while (!a.public_url.empty() && a.public_url.back() == '/') a.public_url.pop_back();
  return a;
}

Result<email::SenderOptions> mail_options(const Config& c) {
  email::SenderOptions o;
  auto& s = o.smtp;
  auto& d = o.delivery;
  s.host = c.str("mail.smtp_host");
  if (!email::parse_tls(c.str("mail.tls"), s.tls))
    return fail(Error::invalid("mail.tls must be opportunistic, starttls, smtps or none"));
  auto verify = c.boolean("mail.tls_verify");
  if (!verify) return fail(verify.error());
  s.verify_peer = *verify;
  s.user = c.str("mail.user");
  s.password = c.str("mail.password");
  struct IntKey {
    const char* key;
    int64_t min;
    int64_t* out;
  };
  int64_t port = 0, connections = 0, batch = 0, connect_timeout = 0, timeout = 0;
  for (auto [key, min, out] : std::initializer_list<IntKey>{{"mail.smtp_port", 1, &port},
                                                             {"mail.connections", 1, &connections},
                                                             {"mail.batch", 1, &batch},
                                                             {"mail.connect_timeout", 1, &connect_timeout},
                                                             {"mail.timeout", 1, &timeout},
                                                             {"mail.retry_base", 1, &d.retry_base},
                                                             {"mail.retry_cap", 1, &d.retry_cap},
                                                             {"mail.max_attempts", 1, &d.max_attempts},
                                                             {"mail.max_age", 1, &d.max_age}}) {
    auto v = c.integer(key);
    if (!v) return fail(v.error());
    if (*v < min) return fail(Error::invalid(std::string(key) + " must be at least " + std::to_string(min)));
    *out = *v;
  }
  if (port > 65535) return fail(Error::invalid("mail.smtp_port must be a port number"));
  if (connections > 64) return fail(Error::invalid("mail.connections must be at most 64"));
  s.port = static_cast<int>(port);
  s.connect_timeout = std::chrono::seconds(connect_timeout);
  s.timeout = std::chrono::seconds(timeout);
  o.connections = static_cast<std::size_t>(connections);
  o.batch = static_cast<std::size_t>(std::min<int64_t>(batch, 1000));

  auto from = c.str("mail.from_address");
  auto domain = to_lower(c.str("mail.domain"));
  if (domain.empty() && !from.empty()) domain = to_lower(from.substr(from.rfind('@') + 1));
  if (domain.empty()) domain = "localhost.localdomain";
  if (from.empty()) from = "support@" + domain;
  if (!email::valid_address(from)) return fail(Error::invalid("mail.from_address \"" + from + "\" is not a valid address"));
  if (!email::valid_address("x@" + domain)) return fail(Error::invalid("mail.domain \"" + domain + "\" is not a domain name"));
  d.default_from = {email::header_text(c.str("mail.from_name"), email::k_max_display_name), from};
  d.domain = domain;
  s.helo = domain;
  return o;
}

struct AutomationSettings {
  automation::EngineOptions engine;
  automation::SenderOptions sender;
  int64_t interval_seconds = 3600;
};

Result<AutomationSettings> automation_settings(const Config& c, const std::string& public_url) {
  AutomationSettings s;
  s.engine.public_url = public_url;
  s.engine.hours = &ScheduleHours::instance();
  auto interval = c.integer("automation.interval_seconds");
  auto passes = c.integer("automation.max_trigger_passes");
  auto priv = c.boolean("webhooks.allow_private_destinations");
  auto timeout = c.integer("webhooks.timeout_ms");
  auto attempts = c.integer("webhooks.max_attempts");
  auto base = c.integer("webhooks.retry_base_ms");
  for (auto* r : {&interval, &passes, &timeout, &attempts, &base})
    if (!*r) return fail(r->error());
  if (!priv) return fail(priv.error());
  if (*interval < 60) return fail(Error::invalid("automation.interval_seconds must be at least 60"));
  if (*passes < 1 || *passes > 100) return fail(Error::invalid("automation.max_trigger_passes must be 1 to 100"));
  if (*timeout < 100 || *timeout > 120000) return fail(Error::invalid("webhooks.timeout_ms must be 100 to 120000"));
  if (*attempts < 1 || *attempts > 20) return fail(Error::invalid("webhooks.max_attempts must be 1 to 20"));
  if (*base < 10 || *base > 3600000) return fail(Error::invalid("webhooks.retry_base_ms must be 10 to 3600000"));
  s.interval_seconds = *interval;
  s.engine.max_trigger_passes = static_cast<int>(*passes);
  s.sender.allow_private = *priv;
  s.sender.timeout_ms = *timeout;
  s.sender.max_attempts = *attempts;
  s.sender.retry_base_ms = *base;
  return s;
}

}  // namespace

Result<email::IntakeConfig> intake_config(const Config& c) {
  email::IntakeConfig e;
  auto get = [&](const char* key, int64_t min) -> Result<int64_t> {
    auto v = c.integer(key);
    if (!v) return fail(v.error());
    if (*v < min) return fail(Error::invalid(std::string(key) + " must be at least " + std::to_string(min)));
    return *v;
  };
  auto msg = get("email.max_message_bytes", 1024), att = get("email.max_attachment_bytes", 0),
       depth = get("email.max_mime_depth", 1), parts = get("email.max_mime_parts", 1),
       rate = get("email.rate_limit_messages", 0), window = get("email.rate_limit_window", 1);
  for (auto* r : {&msg, &att, &depth, &parts, &rate, &window})
    if (!*r) return fail(r->error());
  e.limits.max_message_bytes = static_cast<std::size_t>(*msg);
  e.limits.max_attachment_bytes = static_cast<std::size_t>(*att);
  e.limits.max_depth = static_cast<int>(*depth);
  e.limits.max_parts = static_cast<int>(*parts);
  e.rate_limit_messages = static_cast<int>(*rate);
  e.rate_limit_window = *window;
  return e;
}

int serve(const Config& config) {
  crypto::init();
  // For glibc's malloc (release builds allocate with tcmalloc, src/CMakeLists.txt, whose mallopt
  // accepts and ignores these): a search's working buffers (FTS5 loads a common word's doclist,
  // megabytes at a million tickets) crossed glibc's mmap threshold, so every query mapped fresh
  // pages, faulted and zeroed them, and unmapped them again: a fifth of a search's time. Kept in
  // the heap and not trimmed back eagerly, they are reused. The cost: each malloc arena (about one
  // per thread) may keep up to 64 MiB free.
  if (mallopt(M_MMAP_THRESHOLD, 32 << 20) != 1 || mallopt(M_TRIM_THRESHOLD, 64 << 20) != 1)
    spdlog::warn("event=mallopt_failed detail=\"large buffers are mapped per use\"");
  auto opts = server_options(config);
  auto api_cfg = api_config(config);
  auto reads = config.integer("store.read_connections");
  auto queue = config.integer("store.max_write_queue");
  auto grace = config.integer("server.shutdown_grace");
  auto presence_ttl = config.integer("presence.ttl_seconds");
  for (auto* e : {&reads, &queue, &grace, &presence_ttl}) {
    if (!*e) {
      spdlog::error("event=bad_config error=\"{}\"", e->error().message);
      return 2;
    }
  }
  if (*presence_ttl < 2 || *presence_ttl > 600) {
    spdlog::error("event=bad_config error=\"presence.ttl_seconds must be 2 to 600\"");
    return 2;
  }
  auto mail = mail_options(config);
  if (!mail) {
    spdlog::error("event=bad_config error=\"{}\"", mail.error().message);
    return 2;
  }
  if (!opts || !api_cfg) {
    spdlog::error("event=bad_config error=\"{}\"", (!opts ? opts.error() : api_cfg.error()).message);
    return 2;
  }
  if (api_cfg->testing_clock)
    spdlog::warn("event=testing_clock_enabled note=\"an admin can set this server's clock: for tests only\"");
  auto intake = intake_config(config);
  if (!intake) {
    spdlog::error("event=bad_config error=\"{}\"", intake.error().message);
    return 2;
  }
  api_cfg->mail_intake = *intake;
  if (auto tz = set_organization_time_zone(config.str("organization.time_zone")); !tz) {
    spdlog::error("event=bad_config key=organization.time_zone error=\"{}\"", tz.error().message);
    return 2;
  }
  api_cfg->business_hours = &ScheduleHours::instance();
  // Raw mail is bigger than JSON: the inbound endpoint takes up to a whole message (plus slack
  // for line-ending conversion by the poster); everything else keeps server.body_limit.
  opts->large_body_paths = {"/api/v2/channels/email/inbound"};
  opts->large_body_limit = intake->limits.max_message_bytes + 64 * 1024;
  store::StoreOptions so;
  so.read_connections = static_cast<std::size_t>(*reads);
  // Every database thread and every I/O thread (point requests read there) may hold a read
  // connection at once; one more serves the live feedback stream. Fewer would make a thread wait
  // for another's connection, and an I/O thread waiting holds up all of its connections.
  if (std::size_t needed = api_cfg->db_threads + static_cast<std::size_t>(opts->thread_count()) + 1;
      so.read_connections < needed) {
    spdlog::info("event=read_connections_raised from={} to={} detail=\"one per database and I/O thread, plus one\"",
                 so.read_connections, needed);
    so.read_connections = needed;
  }
  so.max_write_queue = static_cast<std::size_t>(*queue);
  auto st = store::Store::open(config.str("store.db"), so);
  if (!st) {
    spdlog::error("event=store_open_failed db={} error=\"{}\"", config.str("store.db"), st.error().message);
    return 1;
  }
  auto& store = **st;
  // Search filters on status, priority, type, requester, assignee and group, tested in memory.
  {
    const auto started = std::chrono::steady_clock::now();
    if (auto loaded = tickets::load_facet_table(store); !loaded) {
      spdlog::error("event=facet_table_failed error=\"{}\"", loaded.error().message);
      return 1;
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    spdlog::info("event=facet_table_loaded ms={}", ms);
  }
  // The table's catch-ups are this store's write jobs: it goes before the store, on every return.
  struct DropTable {
    std::string path;
    ~DropTable() { tickets::drop_facet_table(path); }
  } drop_table{store.path()};

  // Block the signals in every thread; one waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The public base URL for links in emails (survey links): configured, or the listen address.
  std::string public_url = api_cfg->public_url;
  if (public_url.empty()) public_url = "http://" + config.str("server.listen");
  if (auto sec = store.writer().run([](store::Tx& tx) -> Status {
        auto s = feedback::ensure_secret(tx);
        if (!s) return fail(s.error());
        // The leaderboard's daily rollups follow the organization's days: rebuilt once when
        // the configured zone changed since they were built.
        auto aligned = feedback::align_rollups_to_time_zone(tx);
        if (!aligned) return fail(aligned.error());
        if (*aligned) spdlog::info("event=rollups_rebuilt time_zone={}", organization_time_zone());
        return {};
      });
      !sec) {
    spdlog::error("event=secret_setup_failed error=\"{}\"", sec.error().message);
    return 1;
  }
  // Business rules: triggers run inside every ticket write, automations on a schedule, webhook
  // calls on their own sender thread.
  auto rules = automation_settings(config, public_url);
  if (!rules) {
    spdlog::error("event=bad_config error=\"{}\"", rules.error().message);
    return 2;
  }
  auto engine = rules->engine;
  tickets::set_after_write_hook([engine](store::Tx& tx, const tickets::Written& w, tickets::Change& c) {
    return automation::run_triggers(tx, w, c, engine);
  });
  automation::WebhookSender webhook_sender(store, rules->sender);

  // Known incidents answer matching new contacts inside the ticket's own creation transaction.
  tickets::add_create_hook(knowledge::on_ticket_created);
  // Then contact triage routes the contacts no incident took (docs/triage.md); the triggers,
  // which run after every create hook, see the group, priority and tags it set.
  tickets::add_create_hook([o = triage::Options{public_url, engine}](store::Tx& tx, const domain::Ticket& t) {
    return triage::on_ticket_created(tx, t, o);
  });
  // Skills- and capacity-based routing: an in-memory engine fed by the first consumer (so a new
  // ticket is routed before the other consumers run) and a timer for relaxation steps.
  routing::Router router(store);
  // A new ticket that an agent can take at once is assigned inside its own create (one commit,
  // and the 201 names the assignee); the rest wait for the consumer. Last of the create hooks,
  // so it routes by the group, tags and priority triage set.
  auto at_create = config.boolean("routing.assign_at_create");
  if (!at_create) {
    spdlog::error("event=bad_config error=\"{}\"", at_create.error().message);
    return 2;
  }
  if (*at_create)
    tickets::add_create_hook(
        [&router](store::Tx& tx, const domain::Ticket& t) { return router.on_created(tx, t); });
  Workers workers(store, {{routing::k_consumer, routing::Router::kinds(),
                           [&router](store::Tx& tx, const events::StoredEvent& e) { return router.on_event(tx, e); }},
                          {"feedback_requests", {"ticket.updated"},
                           [public_url](store::Tx& tx, const events::StoredEvent& e) {
                             return feedback::on_ticket_event(tx, e, public_url);
                           }},
                          {sla::k_consumer, sla::tracked_event_kinds(), sla::on_event}},
                  {{"planner_statistics", std::chrono::seconds(600), [&store]() { return store.refresh_statistics(); }},
                   {"daily_digest", std::chrono::seconds(60), [&store, public_url]() -> Status {
                      // Yesterday's digest (the organization's days), once: read first, write only when due.
                      int64_t yesterday = local_day(now_epoch()) - 1;
                      auto last = store.read([](store::Conn& c) {
                        return c.scalar_text("SELECT value FROM settings WHERE key = 'digest_last_day'");
                      });
                      if (!last) return fail(last.error());
                      if (*last && parse_int(**last).value_or(0) >= yesterday) return {};
                      return store.writer().run([&](store::Tx& tx) -> Status {
                        auto n = feedback::queue_digests(tx, yesterday, public_url);
                        if (!n) return fail(n.error());
                        if (*n > 0) spdlog::info("event=digests_queued day={} count={}", yesterday, *n);
                        return {};
                      });
                    }},
                   {"incident_followup", std::chrono::seconds(10), [&store]() -> Status {
                      // A resolved incident with more linked tickets than its resolve solved at
                      // once: finish them in bounded batches. Read first; write only with work.
                      auto left = store.read([](store::Conn& c) { return knowledge::count_remaining(c); });
                      if (!left) return fail(left.error());
                      if (*left == 0) return {};
                      return store.writer().run([](store::Tx& tx) -> Status {
                        auto n = knowledge::solve_remaining(tx, knowledge::k_solve_batch);
                        if (!n) return fail(n.error());
                        spdlog::info("event=incident_tickets_solved count={}", *n);
                        return {};
                      });
                    }},
                   {"automations", std::chrono::seconds(rules->interval_seconds), [&store, engine]() -> Status {
                      auto r = automation::run_automations(store, engine);
                      if (!r) return fail(r.error());
                      if (r->fired > 0) spdlog::info("event=automations_ran tickets={} fired={}", r->tickets, r->fired);
                      return {};
                    }}},
                  {{"sla_breaches", [&store]() -> Result<std::optional<int64_t>> {
                      // Reads first: the timer writes only when a breach is due.
                      int64_t now = now_epoch();
                      auto next = store.read([](store::Conn& c) { return sla::next_breach(c); });
                      if (!next || !*next || **next > now) return next;
                      auto st = store.writer().run([now](store::Tx& tx) -> Status {
                        auto n = sla::emit_due_breaches(tx, now);
                        if (!n) return fail(n.error());
                        if (*n > 0) spdlog::info("event=sla_breaches_emitted count={}", *n);
                        return {};
                      });
                      if (!st) return fail(st.error());
                      return store.read([](store::Conn& c) { return sla::next_breach(c); });
                    }},
                   {"routing", [&router]() { return router.tick(); }}});
  // Agent replies on email tickets go into the outbox in the comment's own transaction, whether
  // or not a mail server is configured yet: they wait there until one is.
  tickets::set_comment_hook([delivery = mail->delivery](store::Tx& tx, const domain::Ticket& t, const domain::Comment& c,
                                                         const domain::Principal&) -> Status {
    // A sensitive ticket's replies are not mailed to an address its requester has not verified.
    if (c.author_id != t.requester_id) {
      auto held = triage::withholds_replies(tx.conn(), t.id);
      if (!held) return fail(held.error());
      if (*held) return Status{};
    }
    return email::queue_agent_reply(tx, t, c, delivery);
  });
  std::unique_ptr<email::Sender> sender;
  if (!mail->smtp.host.empty()) sender = std::make_unique<email::Sender>(store, *mail);
  else spdlog::warn("event=mail_not_configured detail=\"mail.smtp_host is empty: outgoing mail waits in the outbox\"");
  // All wake on every commit. The stream holds connections of the server below: stop() it
  // before the server shuts down.
  http::FeedbackStream feedback_stream(store);
  store.writer().set_commit_listener([&workers, &feedback_stream, &webhook_sender, s = sender.get()] {
    workers.poke();
    feedback_stream.poke();
    webhook_sender.poke();
    if (s) s->poke();
  });
  // The routing engine is built before the first request, so its queue is never answered empty
  // for want of a rebuild (later failures rebuild on the workers' thread).
  if (auto r = router.tick(); !r)
    spdlog::error("event=routing_start_failed error=\"{}\"", r.error().message);
  workers.start();
  webhook_sender.start();
  feedback_stream.start();
  if (sender) {
    sender->start();
    spdlog::info("event=mail_sender_started host={} port={} tls={} connections={}", mail->smtp.host, mail->smtp.port,
                 config.str("mail.tls"), mail->connections);
  }

  // IMAP mailboxes, on their own thread: network waits never hold the workers.
  email::PollerOptions poll_opts;
  {
    auto interval = config.integer("email.poll_interval"), batch = config.integer("email.imap_batch"),
         timeout = config.integer("email.imap_timeout");
    for (auto* r : {&interval, &batch, &timeout}) {
      if (!*r || **r < 1) {
        spdlog::error("event=bad_config error=\"email.poll_interval, email.imap_batch and email.imap_timeout must be at least 1\"");
        return 2;
      }
    }
    poll_opts.interval = std::chrono::seconds(*interval);
    poll_opts.batch = static_cast<std::size_t>(*batch);
    poll_opts.timeout_seconds = static_cast<int>(*timeout);
    auto idle = config.boolean("email.imap_idle");
    if (!idle) {
      spdlog::error("event=bad_config error=\"{}\"", idle.error().message);
      return 2;
    }
    poll_opts.idle = *idle;
    // Fault injection for the crash test only; not a configuration key.
    if (const char* v = std::getenv("RAPPORT_TEST_CRASH_AFTER_FETCH"); v && std::string(v) == "1") {
      spdlog::warn("event=fault_injection what=crash_after_fetch");
      poll_opts.crash_after_fetch = true;
    }
  }
  email::Poller poller(store, *intake, poll_opts);
  poller.start();

  http::Api api(store, *api_cfg);
  api.poll_mail = [&poller] { poller.poke(); };
  api.router = &router;
  std::atomic<bool> draining{false};
  http::Server server(
      *opts,
      [&api](http::Request&& req, const std::string& ip, http::Respond respond, http::OpenStream open) {
        api.handle(std::move(req), ip, std::move(respond), std::move(open));
      },
      [&api](unsigned status, const std::string& e, const std::string& d) { return api.reject(status, e, d); });
  api.post = [&server](std::function<void()> fn) { boost::asio::post(server.io(), std::move(fn)); };
  api.connections_gauge = [&server] { return server.connections(); };
  api.ready = [&draining] { return !draining.load(); };
  api.feedback_stream = &feedback_stream;
  // Who is on which ticket (collision detection): in memory, this node only.
  http::TicketPresence::Options presence_options;
  presence_options.ttl = std::chrono::seconds(*presence_ttl);
  http::TicketPresence presence(presence_options);
  presence.start();
  api.presence = &presence;
  unsigned short port;
  try {
    port = server.start();
  } catch (const std::exception& e) {
    spdlog::error("event=listen_failed listen={} error=\"{}\"", config.str("server.listen"), e.what());
    return 1;
  }
  spdlog::info("event=listening address={}:{} db={} web_root={}", opts->host, port, config.str("store.db"),
               api_cfg->web_root);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("event=shutdown_started signal={} in_flight={}", sig, server.in_flight());
  draining = true;
  feedback_stream.stop();  // ends the streams, which are not in-flight requests
  presence.stop();
  server.shutdown(std::chrono::seconds(*grace));
  server.wait();
  api.stop();  // runs what the database threads still hold, then joins them
  poller.stop();  // finishes the message in hand (bounded by email.imap_timeout)
  workers.stop();
  if (sender) sender->stop();  // aborts transfers in flight: those rows stay due for the next start
  webhook_sender.stop();
  store.writer().stop();  // commits whatever is still queued
  tickets::set_comment_hook({});
  tickets::clear_create_hooks();  // the routing hook holds the router, which ends with this scope
  spdlog::info("event=shutdown_complete");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace rapport::app
