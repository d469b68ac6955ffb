#include <rapport/store/store.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <rapport/base/log.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/store/migrate.hpp>
#include <rapport/store/wal_buffer.hpp>

namespace rapport::store {

Writer::Writer(std::unique_ptr<Conn> conn, std::size_t max_queue, std::size_t max_batch, Sync sync)
    : m_conn(std::move(conn)), m_max_queue(max_queue), m_max_batch(max_batch), m_sync(std::move(sync)) {
  if (m_sync) m_syncer = std::thread([this] {
    log::name_thread("wal-sync");
    sync_loop();
  });
  m_thread = std::thread([this] {
    log::name_thread("writer");
    loop();
  });
}

Writer::~Writer() { stop(); }

void Writer::submit(Job job, Done done) {
  {
    std::lock_guard lock(m_mu);
    if (!m_stopping && m_queue.size() < m_max_queue) {
      m_queue.push_back({std::move(job), std::move(done)});
      m_cv.notify_one();
      return;
    }
  }
  done(fail(Error::unavailable("the write queue is full; retry shortly")));
}

Status Writer::run(Job job) {
  std::promise<Status> p;
  auto f = p.get_future();
  submit(std::move(job), [&p](Status st) { p.set_value(std::move(st)); });
  return f.get();
}

void Writer::stop() {
  {
    std::lock_guard lock(m_mu);
    if (m_stopping && !m_thread.joinable()) return;
    m_stopping = true;
    m_cv.notify_all();
  }
  if (m_thread.joinable()) m_thread.join();
  // The writer has committed its last batch: the syncer answers what is left, then ends.
  {
    std::lock_guard lock(m_sync_mu);
    m_sync_stopping = true;
  }
  m_sync_cv.notify_one();
  if (m_syncer.joinable()) m_syncer.join();
}

std::size_t Writer::queue_depth() const {
  std::lock_guard lock(m_mu);
  return m_queue.size();
}

void Writer::loop() {
  std::vector<Item> batch;
  while (true) {
    {
      std::unique_lock lock(m_mu);
      m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
      if (m_queue.empty() && m_stopping) return;
      while (!m_queue.empty() && batch.size() < m_max_batch) {
        batch.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

void Writer::run_batch(std::vector<Item>& batch) {
  std::vector<Status> results(batch.size());
  std::vector<std::function<void()>> after;
  std::vector<Tx::Deferred> deferred;
  auto begun = m_conn->exec("BEGIN IMMEDIATE");
  if (!begun) {
    for (auto& r : results) r = fail(begun.error());
    hand_on(Committed{std::move(batch), std::move(results), {}, false});
    return;
  }
  // Savepoints go through the statement cache: sqlite3_exec would parse them again for every job.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    (void)m_conn->run("SAVEPOINT job");
    Tx tx(*m_conn);
    try {
      results[i] = batch[i].job(tx);
    } catch (const std::exception& e) {
      results[i] = fail(Error::internal(std::string("write job threw: ") + e.what()));
    }
    if (results[i]) {
      (void)m_conn->run("RELEASE job");
      for (auto& fn : tx.take_after()) after.push_back(std::move(fn));
      for (auto& fn : tx.take_deferred()) deferred.push_back(std::move(fn));
    } else {
      (void)m_conn->run("ROLLBACK TO job");
      (void)m_conn->run("RELEASE job");
    }
  }
  Status committed;
  for (auto& fn : deferred) {
    committed = fn(*m_conn);
    if (!committed) break;
  }
  // Counted before the COMMIT publishes the batch (see wait_durable); a failed one is still
  // counted, and marked done when it is answered.
  const uint64_t seq = committed ? m_published.fetch_add(1) + 1 : 0;
  if (committed) committed = m_conn->exec("COMMIT");
  if (!committed) {
    m_stats.failed_commits++;
    spdlog::error("event=commit_failed error=\"{}\" jobs={}", committed.error().message, batch.size());
    (void)m_conn->exec("ROLLBACK");
    for (auto& r : results) r = fail(committed.error());
    hand_on(Committed{std::move(batch), std::move(results), {}, false, seq});
    return;
  }
  if (int rc = flush_wal_buffer(m_conn->handle()); rc != SQLITE_OK) {
    // The commit is published but its last frames could not be written: as for a failed sync.
    spdlog::critical("event=wal_write_failed rc={} jobs={}", rc, batch.size());
    std::abort();
  }
  m_stats.batches++;
  m_stats.jobs += batch.size();
  m_stats.batch_size_sum += batch.size();
  int bucket = 0;
  while (bucket < WriterStats::k_buckets - 1 && (std::size_t{1} << bucket) < batch.size()) ++bucket;
  m_stats.batch_size_bucket[bucket]++;
  hand_on(Committed{std::move(batch), std::move(results), std::move(after), true, seq});
  if (m_between_batches) m_between_batches(*m_conn);
}

void Writer::hand_on(Committed c) {
  if (!m_sync) {
    mark_durable(c.seq);
    return answer(c);
  }
  // A failed batch goes the same way, so batches are answered in order and on one thread.
  {
    std::lock_guard lock(m_sync_mu);
    m_unsynced.push_back(std::move(c));
  }
  m_sync_cv.notify_one();
}

void Writer::answer(Committed& c) {
  for (auto& fn : c.after) fn();
  for (std::size_t i = 0; i < c.items.size(); ++i) c.items[i].done(std::move(c.results[i]));
  if (c.committed && m_on_commit) m_on_commit();
}

void Writer::sync_loop() {
  std::vector<Committed> synced;
  while (true) {
    {
      std::unique_lock lock(m_sync_mu);
      m_sync_cv.wait(lock, [&] { return m_sync_stopping || !m_unsynced.empty(); });
      if (m_unsynced.empty()) return;  // stopping, and every batch answered
      synced.swap(m_unsynced);
    }
    // One sync for every batch committed since the last: a later sync covers earlier frames.
    const bool any = std::any_of(synced.begin(), synced.end(), [](const Committed& c) { return c.committed; });
    if (int err = any ? m_sync() : 0; err != 0) {
      // The kernel may have dropped the pages it failed to write and report the next sync clean,
      // so no later sync can vouch for these batches, and they are committed: neither a success
      // nor an error would be a true answer. Stop, and let recovery replay the WAL as it is on
      // disk (PostgreSQL does the same since 2018).
      spdlog::critical("event=wal_sync_failed errno={} error=\"{}\" batches={}", err, std::strerror(err),
                       synced.size());
      std::abort();
    }
    uint64_t upto = 0;
    for (const auto& c : synced) upto = std::max(upto, c.seq);
    mark_durable(upto);  // before the answers: the commit listener's consumers wait on it
    for (auto& c : synced) answer(c);
    synced.clear();
  }
}

void Writer::mark_durable(uint64_t seq) {
  {
    std::lock_guard lock(m_sync_mu);
    if (seq <= m_durable) return;
    m_durable = seq;
  }
  m_durable_cv.notify_all();
}

void Writer::wait_durable() {
  const uint64_t seq = m_published.load();
  std::unique_lock lock(m_sync_mu);
  m_durable_cv.wait(lock, [&] { return m_durable >= seq; });
}

ReadPool::ReadPool(std::string path, std::size_t size) : m_path(std::move(path)), m_size(size) {}

ReadPool::Lease::~Lease() {
  if (!m_conn) return;
  std::lock_guard lock(m_pool->m_mu);
  m_pool->m_free.push_back(std::move(m_conn));
  m_pool->m_cv.notify_one();
}

Result<ReadPool::Lease> ReadPool::acquire() {
  std::unique_lock lock(m_mu);
  m_cv.wait(lock, [&] { return !m_free.empty() || m_open < m_size; });
  if (!m_free.empty()) {
    auto conn = std::move(m_free.back());
    m_free.pop_back();
    return Lease(*this, std::move(conn));
  }
  ++m_open;
  lock.unlock();
  auto conn = Conn::open(m_path, Conn::Mode::reader);
  if (!conn) {
    std::lock_guard relock(m_mu);
    --m_open;
    m_cv.notify_one();
    return fail(conn.error());
  }
  return Lease(*this, std::move(*conn));
}

class Checkpointer {
 public:
  // A background pass starts once the WAL holds this many pages (SQLite's default
  // autocheckpoint threshold).
  static constexpr int k_pages = 1000;
  // The writer copies the frames committed during that pass itself when there are at most this
  // many (a few ms of page writes); more, and another background pass goes first.
  static constexpr int k_tail_pages = 1000;

  explicit Checkpointer(std::unique_ptr<Conn> conn) : m_conn(std::move(conn)) {
    m_thread = std::thread([this] {
      log::name_thread("checkpoint");
      loop();
    });
  }
  ~Checkpointer() {
    {
      std::lock_guard lock(m_mu);
      m_stopping = true;
    }
    m_cv.notify_one();
    m_thread.join();
  }
  // The writer connection's WAL hook: runs on the writer thread after each commit.
  static int on_commit(void* self, sqlite3*, const char*, int pages) {
    auto* cp = static_cast<Checkpointer*>(self);
    cp->m_wal_pages = pages;
    if (pages >= k_pages) cp->start_pass();
    return SQLITE_OK;
  }
  // On the writer thread between batches, so no frame is added while it copies: the WAL ends
  // fully copied (unless a reader still needs its older frames) and the next write restarts it.
  void finish_on_writer(Conn& writer) {
    {
      std::lock_guard lock(m_mu);
      if (m_phase != Phase::tail) return;
      if (m_wal_pages - m_copied > k_tail_pages) {
        m_phase = Phase::copying;
        m_cv.notify_one();
        return;
      }
      m_phase = Phase::idle;
    }
    checkpoint(writer);
  }

 private:
  enum class Phase { idle, copying, tail };

  void start_pass() {
    {
      std::lock_guard lock(m_mu);
      if (m_phase != Phase::idle) return;
      m_phase = Phase::copying;
    }
    m_cv.notify_one();
  }
  // PASSIVE: copies what it can without blocking the writer or readers. Returns the frames copied.
  static int checkpoint(Conn& conn) {
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(conn.handle(), "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      spdlog::warn("event=checkpoint_failed rc={} wal_pages={} copied={}", rc, log, done);
    return done;
  }
  void loop() {
    while (true) {
      {
        std::unique_lock lock(m_mu);
        m_cv.wait(lock, [&] { return m_phase == Phase::copying || m_stopping; });
        if (m_stopping) return;
      }
      int copied = checkpoint(*m_conn);
      std::lock_guard lock(m_mu);
      m_copied = copied;
      m_phase = Phase::tail;
    }
  }

  std::unique_ptr<Conn> m_conn;
  std::mutex m_mu;
  std::condition_variable m_cv;
  Phase m_phase = Phase::idle;
  int m_wal_pages = 0;  // written and read on the writer thread only
  int m_copied = 0;     // by the last background pass
  bool m_stopping = false;
  std::thread m_thread;
};

Store::~Store() {
  m_writer.reset();  // finishes the queued jobs; their commits may still poke the checkpointer
  m_checkpointer.reset();
  if (m_wal_fd >= 0) ::close(m_wal_fd);
}

namespace {
// Whether the statistics are missing or stale (see refresh_statistics); reads only.
Result<bool> statistics_due(Conn& conn) {
  auto rows = conn.scalar("SELECT COALESCE(MAX(id), 0) FROM tickets");  // an estimate, from the last page
  if (!rows) return fail(rows.error());
  auto has_stats = conn.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'");
  if (!has_stats) return fail(has_stats.error());
  int64_t analyzed = -1;
  if (has_stats->value_or(0) > 0) {
    auto stat = conn.scalar_text("SELECT stat FROM sqlite_stat1 WHERE idx = 'tickets_status'");
    if (!stat) return fail(stat.error());
    if (*stat) analyzed = parse_int(split(**stat, ' ').front()).value_or(-1);
  }
  const int64_t now = rows->value_or(0);
  return analyzed < 0 ? now >= 1000 : (now > 2 * analyzed || 2 * now < analyzed);
}
}  // namespace

Result<bool> refresh_statistics(Conn& conn) {
  auto due = statistics_due(conn);
  if (!due || !*due) return due;
  if (auto st = conn.exec("PRAGMA analysis_limit = 1000; ANALYZE"); !st) return fail(st.error());
  spdlog::info("event=statistics_refreshed");
  return true;
}

Status Store::refresh_statistics() {
  // Read first: the periodic check writes (and wakes the writer's listeners) only when due.
  auto due = read([](Conn& c) { return statistics_due(c); });
  if (!due) return fail(due.error());
  if (!*due) return {};
  return m_writer->run([](Tx& tx) -> Status {
    auto r = store::refresh_statistics(tx.conn());
    if (!r) return fail(r.error());
    return {};
  });
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, StoreOptions options) {
  auto conn = Conn::open(path, Conn::Mode::writer);
  if (!conn) return fail(conn.error());
  if (auto st = migrate(**conn); !st) return fail(st.error());
  if (auto st = store::refresh_statistics(**conn); !st) return fail(st.error());
  auto store = std::unique_ptr<Store>(new Store());
  store->m_path = path;
  if (path != ":memory:" && !path.empty()) {
    auto cp = Conn::open(path, Conn::Mode::writer);
    if (!cp) return fail(cp.error());
    store->m_checkpointer = std::make_unique<Checkpointer>(std::move(*cp));
    // Replaces SQLite's own autocheckpoint, which is a WAL hook too.
    sqlite3_wal_hook((*conn)->handle(), &Checkpointer::on_commit, store->m_checkpointer.get());
  }
  Writer::Sync sync;
  if (store->m_checkpointer) {
    // The writer's commits only write the WAL; the syncer makes them durable (store.hpp). The WAL
    // file exists by now (the migrations read through it) and is the same file for as long as a
    // connection is open: SQLite starts it over and truncates it in place.
    const char* name = sqlite3_filename_wal(sqlite3_db_filename((*conn)->handle(), "main"));
    const std::string wal = name ? name : path + "-wal";  // SQLite's own name: it resolves symbolic links
    store->m_wal_fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (store->m_wal_fd < 0)
      return fail(Error::unavailable("cannot open " + wal + " to sync it: " + std::strerror(errno)));
    if (auto st = (*conn)->exec("PRAGMA synchronous=NORMAL"); !st) return fail(st.error());
    sync = [fd = store->m_wal_fd] { return ::fdatasync(fd) == 0 ? 0 : errno; };
  }
  store->m_writer =
      std::make_unique<Writer>(std::move(*conn), options.max_write_queue, options.max_batch, std::move(sync));
  if (auto* cp = store->m_checkpointer.get())
    store->m_writer->set_between_batches([cp](Conn& writer) { cp->finish_on_writer(writer); });
  store->m_reads = std::make_unique<ReadPool>(path, options.read_connections);
  return store;
}

Status Store::backup(const std::string& dest) {
  auto lease = m_reads->acquire();
  if (!lease) return fail(lease.error());
  sqlite3* out = nullptr;
  if (sqlite3_open(dest.c_str(), &out) != SQLITE_OK) {
    sqlite3_close(out);
    return fail(Error::unavailable("cannot create " + dest));
  }
  sqlite3_backup* b = sqlite3_backup_init(out, "main", (*lease)->handle(), "main");
  int rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(out);
  if (b) sqlite3_backup_finish(b);
  std::string msg = sqlite3_errmsg(out);
  sqlite3_close(out);
  if (rc != SQLITE_DONE) return fail(Error::unavailable("backup failed: " + msg));
  return {};
}

}  // namespace rapport::store
