#pragma once
// The embedded store: one writer thread with group commit, and a pool of read connections.
//
// Group commit: requests hand the writer a job (a function over a connection). The writer takes
// every job queued so far, runs each inside its own SAVEPOINT of one transaction, and commits once:
// one fsync for the whole batch. A job that fails is rolled back to its savepoint alone. Each job's
// completion is called only after the COMMIT is durable, so a request is answered only then.
//
// On a database file, that fsync is not the writer's: the writer connection commits with
// synchronous=NORMAL (the WAL frames are written, not synced) and hands the batch to a syncer
// thread, which syncs the WAL once for every batch committed since its last sync and only then
// answers them. The writer meanwhile runs the next batch. The sync took about 1 ms of a 2.6 ms
// batch cycle on the bench machine, with the writer thread blocked in it.
// What this changes: another connection can read a batch's writes up to one sync (about a
// millisecond) before they are durable. A crash of the process loses nothing (the frames are in
// the OS page cache); a power loss inside that window loses only writes whose own requests had
// not been answered. Code that acts outside the database on what it read (a webhook call, a
// live-stream frame) first calls Writer::wait_durable, so it never tells of a write that a power
// loss then takes back; a plain read request answered in that window can still show one. Mail is
// sent only after a durable claim, and consumers whose effects are writes need no wait: the WAL
// is synced in order, so an effect that is durable makes what it read durable too.
// SQLite keeps syncing the WAL before each checkpoint, the database file after it, and the WAL
// header when the WAL starts over, so what a checkpoint copies is always durable first.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rapport/store/db.hpp>

namespace rapport::store {

// What a write job sees: the connection, inside an open transaction, and a way to run code
// after the commit is durable (publishing events to live subscribers, for example).
class Tx {
 public:
  using Deferred = std::function<Status(Conn&)>;
  explicit Tx(Conn& conn) : m_conn(conn) {}
  Conn& conn() { return m_conn; }
  void on_commit(std::function<void()> fn) { m_after.push_back(std::move(fn)); }
  std::vector<std::function<void()>> take_after() { return std::move(m_after); }
  // Writes to FTS5 tables go here: the writer runs them in order, in the same transaction, after
  // every job of the batch and outside the jobs' savepoints. FTS5 flushes its pending index
  // terms to a new segment at every savepoint it takes part in, so written inside the jobs each
  // ticket became its own segment (and merge work); deferred, the whole batch is one segment.
  // A failing deferred write fails the whole batch (no job is acknowledged). Only a job that
  // succeeded has its deferred writes run.
  void defer(Deferred fn) { m_deferred.push_back(std::move(fn)); }
  std::vector<Deferred> take_deferred() { return std::move(m_deferred); }

 private:
  Conn& m_conn;
  std::vector<std::function<void()>> m_after;
  std::vector<Deferred> m_deferred;
};

struct WriterStats {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> jobs{0};
  std::atomic<uint64_t> failed_commits{0};
  // batch-size histogram, buckets <=1,2,4,...,1024,+Inf
  static constexpr int k_buckets = 12;
  std::atomic<uint64_t> batch_size_bucket[k_buckets]{};
  std::atomic<uint64_t> batch_size_sum{0};
};

class Writer {
 public:
  using Job = std::function<Status(Tx&)>;
  using Done = std::function<void(Status)>;

  // Makes everything committed so far durable; returns 0 or an errno value.
  using Sync = std::function<int()>;

  // With `sync`, committed batches are answered on a syncer thread after it returns (see the
  // header's comment); the connection should then commit without syncing. Without, on the writer
  // thread right after COMMIT (an in-memory database, or a connection with synchronous=FULL).
  Writer(std::unique_ptr<Conn> conn, std::size_t max_queue, std::size_t max_batch, Sync sync = {});
  ~Writer();
  // Queues a job; `done` runs after the commit is durable (or on failure), batches answered one
  // after another in order, on the syncer thread (on the writer's without one). When the queue is
  // full, `done` is called at once with `unavailable`, so callers shed load instead of queueing
  // without bound.
  void submit(Job job, Done done);
  // Queues a job and waits for it: for the CLI, tests and start-up.
  Status run(Job job);
  // Stops taking jobs, finishes those queued, and joins the thread.
  void stop();
  std::size_t queue_depth() const;
  const WriterStats& stats() const { return m_stats; }
  // Waits until every batch that a read begun before this call can see is durable. For code that
  // acts outside the database on what it read: call it after the read's first statement and
  // before acting. Returns at once in the usual case, a thread woken by the commit listener
  // (which runs after the sync). Only this process's commits are known here: a batch another
  // process (the CLI) committed is durable before that process answers, not before others read it.
  void wait_durable();
  // Called after every successful commit is durable, where the batch's completions run (set
  // before traffic starts): background consumers wake on it instead of polling.
  void set_commit_listener(std::function<void()> fn) { m_on_commit = std::move(fn); }
  // Called on the writer thread after every committed batch has been handed on to be answered,
  // with no write transaction open (set by Store before traffic starts): the checkpointer's tail
  // runs here.
  void set_between_batches(std::function<void(Conn&)> fn) { m_between_batches = std::move(fn); }

 private:
  struct Item {
    Job job;
    Done done;
  };
  // A committed batch waiting to be answered.
  struct Committed {
    std::vector<Item> items;
    std::vector<Status> results;
    std::vector<std::function<void()>> after;
    bool committed = true;  // false: the batch failed as a whole and needs no sync
    uint64_t seq = 0;       // its number in m_published, when its COMMIT was attempted
  };
  void loop();
  void run_batch(std::vector<Item>& batch);
  void hand_on(Committed c);
  void answer(Committed& c);
  void sync_loop();
  void mark_durable(uint64_t seq);

  std::unique_ptr<Conn> m_conn;
  std::size_t m_max_queue;
  std::size_t m_max_batch;
  mutable std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Item> m_queue;
  bool m_stopping = false;
  WriterStats m_stats;
  std::function<void()> m_on_commit;
  std::function<void(Conn&)> m_between_batches;
  Sync m_sync;
  std::mutex m_sync_mu;
  std::condition_variable m_sync_cv;
  std::vector<Committed> m_unsynced;
  bool m_sync_stopping = false;
  // Batches whose COMMIT has begun, counted before it starts, so a reader that sees a batch reads
  // a count that includes it; and (under m_sync_mu) how many of those are durable or failed.
  std::atomic<uint64_t> m_published{0};
  uint64_t m_durable = 0;
  std::condition_variable m_durable_cv;
  std::thread m_syncer;
  std::thread m_thread;
};

class ReadPool {
 public:
  ReadPool(std::string path, std::size_t size);
  class Lease {
   public:
    Lease(ReadPool& pool, std::unique_ptr<Conn> conn) : m_pool(&pool), m_conn(std::move(conn)) {}
    Lease(Lease&&) = default;
    ~Lease();
    Conn& operator*() { return *m_conn; }
    Conn* operator->() { return m_conn.get(); }

   private:
    ReadPool* m_pool;
    std::unique_ptr<Conn> m_conn;
  };
  // Blocks while every connection is in use; opens connections lazily up to `size`.
  Result<Lease> acquire();

 private:
  std::string m_path;
  std::size_t m_size;
  std::size_t m_open = 0;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<std::unique_ptr<Conn>> m_free;
};

struct StoreOptions {
  std::size_t read_connections = 8;
  std::size_t max_write_queue = 20000;
  std::size_t max_batch = 1024;
};

// Checkpoints the WAL into the database file on its own thread and connection. SQLite's default
// (wal_autocheckpoint) runs the checkpoint inside the COMMIT that crosses 1,000 WAL pages, on the
// writer thread: that batch, and every request queued behind it, then waited for a few MB of page
// writes and the database file's fsync. Durability does not depend on checkpoints (a commit is
// durable once its WAL frames are synced), so moving them off the writer changes only latency.
//
// But SQLite restarts the WAL from its beginning only when a write transaction starts on a WAL
// that is entirely copied, and under steady writes a checkpoint on another connection never
// catches up: the writer has always committed more frames by the time it ends. The WAL then grew
// without bound (395 MB after 11 s of creates), and every commit's fsync appended to the file, which
// on ext4 also commits the file system's journal (3 ms instead of 0.4 ms for an overwrite). So the
// background pass copies the bulk, and the writer itself, between two batches, copies the few
// frames committed meanwhile; its next transaction then starts the WAL over.
class Checkpointer;

// The query planner's statistics (sqlite_stat1). Without them SQLite assumes an equality on any
// indexed column picks about ten rows, so `status:open printer` walked every open ticket probing
// the text matches instead of reading the matches' rows (seconds with 1M tickets). ANALYZE with
// `analysis_limit` samples each index (milliseconds even when large). Runs when the tickets table
// has passed 1,000 rows without statistics, or has doubled or halved since they were taken.
// Returns whether it analyzed.
Result<bool> refresh_statistics(Conn& conn);

class Store {
 public:
  ~Store();
  // Opens (creating if needed) the database at `path` and applies pending migrations.
  static Result<std::unique_ptr<Store>> open(const std::string& path, StoreOptions options = {});
  Writer& writer() { return *m_writer; }
  ReadPool& reads() { return *m_reads; }
  const std::string& path() const { return m_path; }
  // Runs `fn` on a read connection.
  template <typename F>
  auto read(F&& fn) -> decltype(fn(std::declval<Conn&>())) {
    auto lease = m_reads->acquire();
    if (!lease) return fail(lease.error());
    return fn(**lease);
  }
  // A consistent online copy to `dest` through SQLite's backup API.
  Status backup(const std::string& dest);
  // Refreshes the query planner's statistics when the data has grown or shrunk a lot since they
  // were taken (see refresh_statistics); on the writer. Cheap when nothing is due.
  Status refresh_statistics();

 private:
  std::string m_path;
  std::unique_ptr<Checkpointer> m_checkpointer;  // outlives the writer, whose commits poke it
  int m_wal_fd = -1;                             // the syncer's descriptor of the WAL file
  std::unique_ptr<Writer> m_writer;
  std::unique_ptr<ReadPool> m_reads;
};

}  // namespace rapport::store
