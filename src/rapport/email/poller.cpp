#include <rapport/email/poller.hpp>

#include <algorithm>
#include <csignal>

#include <spdlog/spdlog.h>

#include <rapport/base/log.hpp>
#include <rapport/base/time.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::email {

Poller::Poller(store::Store& store, IntakeConfig cfg, PollerOptions opts)
    : m_store(store), m_cfg(std::move(cfg)), m_opts(opts) {}

Poller::~Poller() { stop(); }

void Poller::start() {
  m_thread = std::thread([this] {
    log::name_thread("mail-poll");
    loop();
  });
}

void Poller::stop() {
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_stop_flag = true;
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
  std::map<int64_t, Watcher> watchers;
  {
    std::lock_guard lock(m_watch_mu);
    watchers.swap(m_watchers);
  }
  for (auto& [id, w] : watchers) retire(std::move(w));
  join_retired(true);
}

namespace {

// Everything a watcher's connection depends on.
std::string settings_key(const PollTarget& t) {
  const auto& s = t.imap;
  return s.host + '\n' + std::to_string(s.port) + '\n' + s.tls + '\n' + s.user + '\n' + s.password + '\n' + s.folder;
}

// Waits `d`, or less when `stop` turns true.
void wait_unless(const std::atomic<bool>& stop, std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace

void Poller::retire(Watcher w) {
  w.stop->store(true);
  std::lock_guard lock(m_watch_mu);
  m_retired.push_back(std::move(w));
}

void Poller::join_retired(bool all) {
  std::vector<Watcher> joinable;
  {
    std::lock_guard lock(m_watch_mu);
    for (auto it = m_retired.begin(); it != m_retired.end();) {
      if (all || it->done->load()) {
        joinable.push_back(std::move(*it));
        it = m_retired.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : joinable)
    if (w.thread.joinable()) w.thread.join();
}

void Poller::reconcile_watchers(const std::vector<PollTarget>& targets) {
  join_retired(false);
  if (!m_opts.idle) return;
  std::map<int64_t, const PollTarget*> wanted;
  for (const auto& t : targets) wanted[t.id] = &t;
  std::vector<Watcher> stale;
  {
    std::lock_guard lock(m_watch_mu);
    for (auto it = m_watchers.begin(); it != m_watchers.end();) {
      auto want = wanted.find(it->first);
      // Gone, changed, or ended on its own (the server has no IDLE): stopped here; a changed or
      // ended one is started again below, so a server that gains IDLE is noticed.
      if (want == wanted.end() || settings_key(*want->second) != it->second.settings || it->second.done->load()) {
        stale.push_back(std::move(it->second));
        it = m_watchers.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : stale) retire(std::move(w));
  std::lock_guard lock(m_watch_mu);
  for (const auto& [id, t] : wanted) {
    if (m_watchers.count(id)) continue;
    Watcher w{settings_key(*t), std::make_shared<std::atomic<bool>>(false), std::make_shared<std::atomic<bool>>(false), {}};
    w.thread = std::thread([this, target = *t, stop = w.stop, done = w.done] {
      watch(target, *stop);
      done->store(true);
    });
    m_watchers.emplace(id, std::move(w));
  }
}

void Poller::watch(const PollTarget& t, const std::atomic<bool>& stop) {
  std::chrono::milliseconds backoff{1000};
  const std::chrono::milliseconds max_backoff = std::chrono::milliseconds(
      std::max<int64_t>(1000, std::chrono::duration_cast<std::chrono::milliseconds>(m_opts.interval).count()));
  while (!stop && !m_stop_flag) {
    auto session = ImapSession::open(t.imap);
    Result<bool> ran = fail(Error::internal("not started"));
    if (session) {
      auto caps = (*session)->capabilities();
      if (caps && std::find(caps->begin(), caps->end(), "idle") == caps->end()) {
        spdlog::info("event=mail_idle_unsupported mailbox_id={} detail=\"the server does not offer IDLE; polling only\"", t.id);
        (*session)->logout();
        // Ends; reconcile_watchers starts it again at the next pass, so a server that gains IDLE
        // is noticed without a watcher reconnecting in a loop meanwhile.
        wait_unless(stop, std::chrono::duration_cast<std::chrono::milliseconds>(m_opts.interval) * 10);
        return;
      }
      auto info = caps ? (*session)->select(t.imap.folder) : Result<SelectInfo>(fail(caps.error()));
      if (info) {
        // What arrived before the IDLE began is the poller's next pass; make that pass now.
        poke();
        spdlog::info("event=mail_idling mailbox_id={} folder=\"{}\"", t.id, t.imap.folder);
        backoff = std::chrono::milliseconds(1000);
        while (!stop && !m_stop_flag) {
          ran = (*session)->idle(m_opts.idle_renew, stop);
          if (!ran) break;
          if (*ran) {
            spdlog::debug("event=mail_idle_new_mail mailbox_id={}", t.id);
            poke();
          }
        }
        if (ran) {
          (*session)->logout();
          return;  // stopping
        }
      } else {
        ran = fail(info.error());
      }
    } else {
      ran = fail(session.error());
    }
    if (stop || m_stop_flag) return;
    spdlog::warn("event=mail_idle_failed mailbox_id={} retry_in_ms={} error=\"{}\"", t.id, backoff.count(), ran.error().message);
    wait_unless(stop, backoff);
    backoff = std::min(backoff * 2, max_backoff);
  }
}

void Poller::poke() {
  {
    std::lock_guard lock(m_mu);
    m_poked = true;
  }
  m_cv.notify_one();
}

void Poller::loop() {
  while (true) {
    poll_all();
    std::unique_lock lock(m_mu);
    m_cv.wait_for(lock, m_opts.interval, [&] { return m_poked || m_stopping; });
    if (m_stopping) return;
    m_poked = false;
  }
}

void Poller::poll_all() {
  auto targets = m_store.read([&](store::Conn& c) { return poll_targets(c, m_opts.timeout_seconds); });
  if (!targets) {
    spdlog::error("event=mail_poll_failed error=\"{}\"", targets.error().message);
    return;
  }
  reconcile_watchers(*targets);
  for (const auto& t : *targets) {
    if (m_stop_flag) return;
    auto r = poll(t);
    if (r.error)
      spdlog::warn("event=mail_poll_failed mailbox_id={} address={} error=\"{}\"", t.id, t.address, *r.error);
    else if (r.fetched > 0)
      spdlog::info("event=mail_polled mailbox_id={} fetched={} stored={} duplicates={} rejected={}", t.id, r.fetched, r.stored,
                   r.duplicates, r.rejected);
  }
}

PollReport Poller::poll(const PollTarget& t) {
  PollReport report;
  auto finish = [&](std::optional<std::string> error) {
    report.error = std::move(error);
    // The mailbox shows when it was last polled and the last error, for the settings page.
    auto st = m_store.writer().run([&](store::Tx& tx) { return record_poll(tx, t.id, report.error); });
    if (!st) spdlog::error("event=mail_poll_record_failed mailbox_id={} error=\"{}\"", t.id, st.error().message);
    return report;
  };
  auto session = ImapSession::open(t.imap);
  if (!session) return finish(session.error().message);
  auto info = (*session)->select(t.imap.folder);
  if (!info) return finish(info.error().message);
  int64_t last_uid = t.last_uid;
  if (t.uidvalidity != info->uidvalidity) {
    // A new UID space (first poll, or the server rebuilt the folder): start from the beginning.
    if (t.uidvalidity)
      spdlog::warn("event=mail_uidvalidity_changed mailbox_id={} old={} new={}", t.id, *t.uidvalidity, info->uidvalidity);
    auto st = m_store.writer().run([&](store::Tx& tx) { return set_uidvalidity(tx, t.id, info->uidvalidity); });
    if (!st) return finish(st.error().message);
    last_uid = 0;
  }
  auto uids = (*session)->uids_above(last_uid, m_opts.batch);
  if (!uids) return finish(uids.error().message);
  for (auto uid : *uids) {
    if (m_stop_flag) break;
    auto raw = (*session)->fetch(uid, m_cfg.limits.max_message_bytes);
    std::optional<Error> rejected;
    if (!raw) {
      if (raw.error().code != ErrorCode::too_large) return finish(raw.error().message);
      rejected = raw.error();
    }
    ++report.fetched;
    if (m_opts.crash_after_fetch) {
      spdlog::default_logger()->flush();
      std::raise(SIGKILL);  // tests: a crash between fetch and commit
    }
    std::optional<ParsedMessage> parsed;
    if (!rejected) {
      auto p = parse_message(*raw, m_cfg.limits);
      if (p) parsed = std::move(*p);
      else rejected = p.error();
    }
    IngestResult result;
    auto st = m_store.writer().run([&](store::Tx& tx) -> Status {
      auto& conn = tx.conn();
      if (parsed) {
        // A message intake refuses rolls back alone; the UID still moves past it below.
        if (auto s = conn.exec("SAVEPOINT mail_ingest"); !s) return s;
        auto r = ingest(tx, *parsed, *raw, m_cfg, {t.address});
        if (r) {
          result = *r;
          if (auto s = conn.exec("RELEASE mail_ingest"); !s) return s;
        } else {
          if (auto s = conn.exec("ROLLBACK TO mail_ingest; RELEASE mail_ingest"); !s) return s;
          if (r.error().code != ErrorCode::validation) return fail(r.error());
          rejected = r.error();
        }
      }
      if (rejected) {
        events::Event e{"mail.rejected", "mailbox", t.id, std::nullopt, std::nullopt,
                        {{"uid", uid}, {"reason", rejected->message}}};
        if (auto ev = events::append(conn, e, now_epoch()); !ev) return fail(ev.error());
      }
      return advance_uid(tx, t.id, info->uidvalidity, uid);
    });
    if (!st) return finish("could not store UID " + std::to_string(uid) + ": " + st.error().message);
    if (rejected) {
      ++report.rejected;
      spdlog::warn("event=mail_rejected mailbox_id={} uid={} reason=\"{}\"", t.id, uid, rejected->message);
      continue;  // left unseen on the server for a person
    }
    if (result.outcome == "duplicate") ++report.duplicates;
    else ++report.stored;
    // Only now, after the commit: a failure here leaves a stored message unseen, nothing worse.
    if (auto seen = (*session)->mark_seen(uid); !seen)
      spdlog::warn("event=mail_mark_seen_failed mailbox_id={} uid={} error=\"{}\"", t.id, uid, seen.error().message);
  }
  (*session)->logout();
  return finish(std::nullopt);
}

}  // namespace rapport::email
