#include <rapport/email/poller.hpp>

#include <csignal>

#include <spdlog/spdlog.h>

#include <rapport/base/time.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::email {

Poller::Poller(store::Store& store, IntakeConfig cfg, PollerOptions opts)
    : m_store(store), m_cfg(std::move(cfg)), m_opts(opts) {}

Poller::~Poller() { stop(); }

void Poller::start() { m_thread = std::thread([this] { loop(); }); }

void Poller::stop() {
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_stop_flag = true;
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
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
