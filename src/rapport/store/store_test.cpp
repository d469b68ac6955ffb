#include <rapport/store/store.hpp>
#include <rapport/store/migrate.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/store/wal_buffer.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <string>
#include <filesystem>
#include <thread>

#include <unistd.h>
#include <future>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rapport::store {

namespace {
Status insert_setting(Tx& tx, const std::string& key) {
  auto r = tx.conn().run("INSERT INTO settings(key, value) VALUES (?, 'v')", {key});
  if (!r) return fail(r.error());
  return {};
}
int64_t count_settings(Store& s) {
  return s.read([](Conn& c) -> Result<int64_t> {
           auto n = c.scalar("SELECT COUNT(*) FROM settings");
           if (!n) return fail(n.error());
           return n->value_or(0);
         })
      .value();
}
// Lets a held sync go on at the latest when the test ends, even through a failed assertion.
struct ReleaseOnExit {
  std::promise<void>& p;
  bool done = false;
  void now() {
    if (!done) p.set_value();
    done = true;
  }
  ~ReleaseOnExit() { now(); }
};
}  // namespace

TEST(Conn, AThrowingRowCallbackLeavesNoOldSnapshotOnThePooledReader) {
  TempStore s;
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "a"); }));
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "b"); }));
  auto lease = s->reads().acquire();
  ASSERT_TRUE(lease);
  Conn& reader = **lease;
  auto count = [&] { return reader.scalar("SELECT COUNT(*) FROM settings").value().value_or(-1); };
  const int64_t before = count();
  EXPECT_THROW(reader.each("SELECT key FROM settings", {}, [](const Row&) { throw std::runtime_error("bad row"); }),
               std::runtime_error);
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "c"); }));
  // A statement abandoned mid-step would keep its read transaction, and this reader would go on
  // answering from the snapshot it was taken in.
  EXPECT_EQ(count(), before + 1);
}

TEST(Writer, CommitsConcurrentJobsInSharedBatchesAndAnswersAfterCommit) {
  TempStore s;
  constexpr int k_jobs = 400;
  std::vector<std::promise<Status>> done(k_jobs);
  for (int i = 0; i < k_jobs; ++i) {
    s->writer().submit([i](Tx& tx) { return insert_setting(tx, "k" + std::to_string(i)); },
                       [&done, i](Status st) { done[i].set_value(std::move(st)); });
  }
  for (auto& d : done) EXPECT_TRUE(d.get_future().get().has_value());
  EXPECT_EQ(count_settings(*s), k_jobs);
  const auto& st = s->writer().stats();
  EXPECT_EQ(st.jobs.load(), static_cast<uint64_t>(k_jobs));
  // Jobs queued while a commit is in progress share the next one: fewer commits than jobs.
  EXPECT_LT(st.batches.load(), static_cast<uint64_t>(k_jobs));
}

TEST(Writer, AFailedJobRollsBackAloneAndOthersInItsBatchCommit) {
  TempStore s;
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "dup"); }));
  std::promise<Status> a, b, c;
  // The middle job inserts a row then fails on a duplicate key: its first insert must vanish too.
  s->writer().submit([](Tx& tx) { return insert_setting(tx, "a"); }, [&](Status st) { a.set_value(st); });
  s->writer().submit(
      [](Tx& tx) -> Status {
        if (auto st = insert_setting(tx, "half-written"); !st) return st;
        return insert_setting(tx, "dup");
      },
      [&](Status st) { b.set_value(st); });
  s->writer().submit([](Tx& tx) { return insert_setting(tx, "c"); }, [&](Status st) { c.set_value(st); });
  EXPECT_TRUE(a.get_future().get().has_value());
  auto failed = b.get_future().get();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::conflict);
  EXPECT_TRUE(c.get_future().get().has_value());
  auto half = s->read([](Conn& conn) { return conn.scalar("SELECT COUNT(*) FROM settings WHERE key='half-written'"); });
  EXPECT_EQ(half.value().value_or(-1), 0);
  EXPECT_EQ(count_settings(*s), 3);
}

namespace {
// Holds the writer inside a batch until released, so that the jobs submitted meanwhile are
// taken together as the next batch.
struct Gate {
  std::promise<void> open;
  std::shared_future<void> opened = open.get_future().share();
  void hold(Writer& w) {
    w.submit([f = opened](Tx&) -> Status { f.wait(); return {}; }, [](Status) {});
  }
};
Status defer_sql(Tx& tx, std::string sql) {
  tx.defer([sql = std::move(sql)](Conn& c) -> Status {
    if (auto r = c.run(sql); !r) return fail(r.error());
    return {};
  });
  return {};
}
std::string setting(Store& s, const std::string& key) {
  return s.read([&](Conn& c) -> Result<std::string> {
           auto v = c.scalar_text("SELECT value FROM settings WHERE key = ?", {key});
           if (!v) return fail(v.error());
           return v->value_or("(none)");
         })
      .value();
}
}  // namespace

TEST(Writer, DeferredWritesRunInOrderAfterTheBatchAndOnlyForJobsThatSucceeded) {
  TempStore s;
  Gate gate;
  gate.hold(s->writer());
  std::promise<Status> a, b, c;
  s->writer().submit([](Tx& tx) { return defer_sql(tx, "INSERT INTO settings(key, value) VALUES ('o', '1')"); },
                     [&](Status st) { a.set_value(st); });
  s->writer().submit(
      [](Tx& tx) -> Status {
        (void)defer_sql(tx, "INSERT INTO settings(key, value) VALUES ('failed-job', 'x')");
        return fail(Error::invalid("no"));
      },
      [&](Status st) { b.set_value(st); });
  // Runs after a's deferred insert although it was queued by a later job.
  s->writer().submit([](Tx& tx) { return defer_sql(tx, "UPDATE settings SET value = value || '2' WHERE key = 'o'"); },
                     [&](Status st) { c.set_value(st); });
  gate.open.set_value();
  EXPECT_TRUE(a.get_future().get().has_value());
  EXPECT_FALSE(b.get_future().get().has_value());
  EXPECT_TRUE(c.get_future().get().has_value());
  EXPECT_EQ(setting(*s, "o"), "12");
  EXPECT_EQ(setting(*s, "failed-job"), "(none)");
}

TEST(Writer, AFailingDeferredWriteFailsTheWholeBatchAndCommitsNothingOfIt) {
  TempStore s;
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "dup"); }));
  Gate gate;
  gate.hold(s->writer());
  std::promise<Status> a, b;
  s->writer().submit([](Tx& tx) { return insert_setting(tx, "a"); }, [&](Status st) { a.set_value(st); });
  s->writer().submit([](Tx& tx) { return defer_sql(tx, "INSERT INTO settings(key, value) VALUES ('dup', 'v')"); },
                     [&](Status st) { b.set_value(st); });
  gate.open.set_value();
  // Neither is acknowledged, so neither client believes its write landed.
  EXPECT_FALSE(a.get_future().get().has_value());
  EXPECT_FALSE(b.get_future().get().has_value());
  EXPECT_EQ(setting(*s, "a"), "(none)");
  // The writer goes on.
  EXPECT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "after"); }));
  EXPECT_EQ(setting(*s, "after"), "v");
}

TEST(Writer, AThrowingJobBecomesAnInternalErrorWithoutStoppingTheWriter) {
  TempStore s;
  auto st = s->writer().run([](Tx&) -> Status { throw std::runtime_error("boom"); });
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().code, ErrorCode::internal);
  EXPECT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "after"); }).has_value());
}

TEST(Writer, AFullQueueRejectsWithUnavailableInsteadOfGrowing) {
  TempStore s;
  auto conn = Conn::open((s.dir() / "other.db").string(), Conn::Mode::writer);
  ASSERT_TRUE(conn);
  Writer w(std::move(*conn), /*max_queue=*/2, /*max_batch=*/1);
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::atomic<int> rejected{0}, ok{0};
  std::vector<std::promise<void>> finished(6);
  for (int i = 0; i < 6; ++i) {
    w.submit([gate](Tx&) -> Status { gate.wait(); return {}; },
             [&, i](Status st) {
               (st ? ok : rejected)++;
               finished[i].set_value();
             });
  }
  release.set_value();
  for (auto& f : finished) f.get_future().wait();
  EXPECT_GE(rejected.load(), 3);
  EXPECT_EQ(ok.load() + rejected.load(), 6);
  w.stop();
}

TEST(Writer, AnswersABatchOnlyAfterASyncThatFollowsItsCommitAndCommitsTheNextMeanwhile) {
  TempStore s;
  auto conn = Conn::open((s.dir() / "synced.db").string(), Conn::Mode::writer);
  ASSERT_TRUE(conn);
  ASSERT_TRUE((*conn)->exec("CREATE TABLE t(k TEXT)"));
  // Commits are counted by the WAL hook, which runs inside COMMIT once it is done, so before the
  // writer hands the batch on.
  std::atomic<int> committed{0};
  std::promise<void> b_committed;
  struct Hook {
    std::atomic<int>* n;
    std::promise<void>* second;
  } hook{&committed, &b_committed};
  sqlite3_wal_hook((*conn)->handle(), [](void* p, sqlite3*, const char*, int) -> int {
    auto* h = static_cast<Hook*>(p);
    if (++*h->n == 2) h->second->set_value();
    return SQLITE_OK;
  }, &hook);
  // The first sync waits for the test; every sync records how many batches had committed when it
  // began, so each answer can be checked against the syncs before it.
  std::promise<void> first_sync_entered;
  std::promise<void> release_first_sync;
  auto released = release_first_sync.get_future().share();
  std::atomic<int> syncs{0};
  std::mutex mu;
  std::vector<int> synced_upto;      // per finished sync: batches committed when it began
  std::vector<std::string> answers;  // "a@N": a's completion ran after N syncs had finished
  Writer w(std::move(*conn), 100, 100, [&]() -> int {
    int upto = committed.load();
    if (syncs.fetch_add(1) == 0) {
      first_sync_entered.set_value();
      released.wait();
    }
    std::lock_guard lock(mu);
    synced_upto.push_back(upto);
    return 0;
  });
  // Declared after the writer, so destroyed first: a failed assertion below must not leave the
  // writer's destructor waiting for a sync that waits for the test.
  ReleaseOnExit release{release_first_sync};
  auto insert = [](std::string k) {
    return [k](Tx& tx) -> Status {
      if (auto r = tx.conn().run("INSERT INTO t(k) VALUES (?)", {k}); !r) return fail(r.error());
      return {};
    };
  };
  std::promise<void> a_done, b_done;
  auto answered = [&](std::string name, std::promise<void>& p) {
    return [&, name](Status st) {
      EXPECT_TRUE(st.has_value());
      std::lock_guard lock(mu);
      answers.push_back(name + "@" + std::to_string(synced_upto.size()));
      p.set_value();
    };
  };
  w.submit(insert("a"), answered("a", a_done));
  first_sync_entered.get_future().wait();  // a is committed; its sync is held
  w.submit(insert("b"), answered("b", b_done));
  b_committed.get_future().wait();  // the writer went on to commit b while a's sync was held

  auto reader = Conn::open((s.dir() / "synced.db").string(), Conn::Mode::reader);
  ASSERT_TRUE(reader);
  EXPECT_EQ((*reader)->scalar("SELECT COUNT(*) FROM t").value().value_or(-1), 2);
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(answers.empty()) << "answered before its sync: " << answers.front();
  }
  release.now();
  a_done.get_future().wait();
  b_done.get_future().wait();
  w.stop();
  std::lock_guard lock(mu);
  // a after the first sync (which began once a had committed), b only after a second sync that
  // began once b had committed.
  ASSERT_EQ(answers, (std::vector<std::string>{"a@1", "b@2"}));
  ASSERT_EQ(synced_upto.size(), 2u);
  EXPECT_EQ(synced_upto[0], 1);
  EXPECT_EQ(synced_upto[1], 2);
}

TEST(Writer, WaitDurableHoldsWhatAReaderSawUntilTheSyncThatCoversIt) {
  TempStore s;
  const std::string path = (s.dir() / "durable.db").string();
  auto conn = Conn::open(path, Conn::Mode::writer);
  ASSERT_TRUE(conn);
  ASSERT_TRUE((*conn)->exec("CREATE TABLE t(k TEXT)"));
  std::promise<void> sync_entered, release_sync, answered;  // before the writer: its threads use them
  auto released = release_sync.get_future().share();
  std::atomic<int> syncs_done{0};
  Writer w(std::move(*conn), 10, 10, [&]() -> int {
    if (syncs_done.load() == 0) {
      sync_entered.set_value();
      released.wait();
    }
    syncs_done++;
    return 0;
  });
  ReleaseOnExit release{release_sync};  // after the writer, so destroyed first
  w.wait_durable();  // nothing committed yet: returns at once

  w.submit([](Tx& tx) -> Status { return tx.conn().exec("INSERT INTO t(k) VALUES ('a')"); },
           [&](Status st) {
             EXPECT_TRUE(st.has_value());
             answered.set_value();
           });
  // Committed, and its sync is held (a commit that failed would never sync: fail, not hang).
  ASSERT_EQ(sync_entered.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto reader = Conn::open(path, Conn::Mode::reader);
  ASSERT_TRUE(reader);
  ASSERT_EQ((*reader)->scalar("SELECT COUNT(*) FROM t").value().value_or(-1), 1);  // a reader sees it
  // What it saw is not durable: whoever would act on it outside the database waits.
  auto waiter = std::async(std::launch::async, [&] {
    w.wait_durable();
    return syncs_done.load();
  });
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.now();
  EXPECT_EQ(waiter.get(), 1) << "returned before the sync that covers the row had finished";
  answered.get_future().wait();
  w.stop();
}

TEST(WriterDeathTest, AFailedSyncStopsTheProcessInsteadOfAnsweringCommittedWrites) {
  // No threads before the fork: the writer and its syncer start in the child.
  const std::string path = testing::TempDir() + "rapport-failing-sync-" + std::to_string(::getpid()) + ".db";
  EXPECT_DEATH(
      {
        spdlog::set_default_logger(spdlog::stderr_color_mt("death"));  // the message is looked for on stderr
        auto conn = Conn::open(path, Conn::Mode::writer);
        if (!conn) std::abort();
        Writer w(std::move(*conn), 10, 10, [] { return EIO; });
        (void)w.run([](Tx& tx) -> Status { return tx.conn().exec("CREATE TABLE t(k TEXT)"); });
        std::fprintf(stderr, "answered\n");  // not reached: neither a success nor an error is a true answer
      },
      "wal_sync_failed errno=5");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(WalBuffer, EveryCommitIsInTheFilesForAConnectionOrACopyThatReadsThemThroughTheOperatingSystem) {
  // The writer's WAL appends are gathered in memory (wal_buffer.hpp), and the server commits with
  // synchronous=NORMAL, so no sync writes them out. A connection on SQLite's own VFS has its own
  // descriptors, as another process would: after each commit it must read exactly what was
  // committed, and so must a copy of the files taken then (what a crash would leave, were the
  // OS to keep its page cache). Commits range from one page to many times the buffer (120 KiB);
  // the writer's cache is tiny, so pages spill to the WAL mid-transaction, change again (SQLite
  // then rewrites those frames and their checksums after the commit frame) and are read back;
  // one-page commits follow those; checkpoints start the WAL over between rounds.
  TempStore s;
  const std::string path = (s.dir() / "buffered.db").string();
  auto writer = Conn::open(path, Conn::Mode::writer);
  ASSERT_TRUE(writer);
  Conn& w = **writer;
  ASSERT_TRUE(w.exec("PRAGMA synchronous=NORMAL; PRAGMA cache_size=5;"
                     "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE c(n INTEGER)"));
  ASSERT_TRUE(w.exec("INSERT INTO c VALUES (0)"));
  sqlite3* plain = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &plain, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
  auto query = [](sqlite3* db, const std::string& sql, int64_t id, const std::string& text) -> int64_t {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    int64_t out = -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) out = sqlite3_column_int64(st, 0);
    else ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    sqlite3_finalize(st);
    return out;
  };
  auto value = [](int64_t id, std::size_t size, int version) {
    std::string v(size, ' ');
    for (std::size_t i = 0; i < size; ++i)
      v[i] = static_cast<char>('a' + (i * 7 + static_cast<std::size_t>(id + version)) % 26);
    return v;
  };
  // Both readers check the same things: the row count, rows `a` and `b` at `version`, and the
  // one-page counter.
  int64_t rows = 0, counter = 0;
  auto check = [&](const char* when, int64_t a, int64_t b, std::size_t size, int version) {
    auto copy = s.dir() / "copy.db";
    std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(path + "-wal", copy.string() + "-wal", std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(copy.string() + "-shm");
    sqlite3* image = nullptr;
    ASSERT_EQ(sqlite3_open_v2(copy.c_str(), &image, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
    for (sqlite3* db : {plain, image}) {
      const char* who = db == plain ? "plain connection" : "copy of the files";
      EXPECT_EQ(query(db, "SELECT COUNT(*) FROM t WHERE ?1 > 0 AND ?2 IS NOT NULL", 1, ""), rows) << who << ", " << when;
      for (int64_t id : {a, b})
        EXPECT_EQ(query(db, "SELECT v = ?2 FROM t WHERE id = ?1", id, value(id, size, version)), 1)
            << who << ", " << when << ", row " << id;
      EXPECT_EQ(query(db, "SELECT n = ?1 AND ?2 IS NOT NULL FROM c", counter, ""), 1) << who << ", " << when;
    }
    sqlite3_close(image);
  };
  const std::size_t sizes[] = {10, 3000, 70000, 400000, 2500000, 100, 1200000};
  for (int round = 0; round < 3; ++round) {
    const int64_t first = rows + 1;
    for (std::size_t size : sizes) {
      ASSERT_TRUE(w.exec("BEGIN IMMEDIATE"));
      for (int k = 0; k < 2; ++k) {  // two rows per commit: half a commit would show
        ++rows;
        ASSERT_TRUE(w.run("INSERT INTO t(id, v) VALUES (?, ?)", {rows, value(rows, 3000, 0)}));
      }
      ASSERT_TRUE(w.run("UPDATE t SET v = ? WHERE id = ?", {value(rows, size, 0), rows}));
      ASSERT_TRUE(w.run("UPDATE t SET v = ? WHERE id = ?", {value(rows - 1, size, 0), rows - 1}));
      ASSERT_TRUE(w.exec("COMMIT"));
      check("after a commit of two rows", rows - 1, rows, size, 0);
    }
    // Scattered changes over every row of the round, twice each within one transaction: with a
    // five-page cache they spill and are written again.
    ASSERT_TRUE(w.exec("BEGIN IMMEDIATE"));
    for (int pass = 1; pass <= 2; ++pass)
      for (int64_t id = first; id <= rows; ++id)
        ASSERT_TRUE(w.run("UPDATE t SET v = ? WHERE id = ?", {value(id, 3000, pass), id}));
    ASSERT_TRUE(w.exec("COMMIT"));
    check("after the scattered changes", first, rows, 3000, 2);
    for (int i = 0; i < 3; ++i) {
      ++counter;
      ASSERT_TRUE(w.run("UPDATE c SET n = ?", {counter}));
      check("after a one-page commit", first, rows, 3000, 2);
    }
    // The plain connection copies the WAL into the database; the writer's next commit starts it over.
    ASSERT_EQ(sqlite3_exec(plain, "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  EXPECT_EQ(query(plain, "SELECT (SELECT group_concat(integrity_check) FROM pragma_integrity_check) = 'ok' AND ?1 AND ?2 IS NOT NULL", 1, ""), 1);
  sqlite3_close(plain);
}

TEST(Store, AnAnsweredWriteLeavesNothingInTheProcessForTheNextCommitToCarry) {
  // The server's own path: the writer commits, checks nothing of its WAL is still held in memory
  // (counting any it must write out late), and the syncer answers. Each answer's row must be in
  // the files then, for a copy opened elsewhere.
  TempStore s;
  const auto late = wal_buffer_late_flushes();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(s->writer().run([i](Tx& tx) -> Status {
      if (auto st = insert_setting(tx, "durable" + std::to_string(i)); !st) return st;
      // A large row now and then, so commits cross the buffer's capacity too.
      if (i % 8 == 0) {
        auto r = tx.conn().run("INSERT INTO settings(key, value) VALUES (?, ?)",
                               {"big" + std::to_string(i), std::string(300000, 'x')});
        if (!r) return fail(r.error());
      }
      return {};
    }));
    auto copy = s.dir() / "copy.db";
    std::filesystem::copy_file(s.dir() / "test.db", copy, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(s.dir() / "test.db-wal", copy.string() + "-wal",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(copy.string() + "-shm");
    sqlite3* image = nullptr;
    ASSERT_EQ(sqlite3_open_v2(copy.c_str(), &image, SQLITE_OPEN_READWRITE, "unix"), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    const std::string key = "durable" + std::to_string(i);
    ASSERT_EQ(sqlite3_prepare_v2(image, "SELECT COUNT(*) FROM settings WHERE key = ?", -1, &st, nullptr), SQLITE_OK);
    sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW) << sqlite3_errmsg(image);
    EXPECT_EQ(sqlite3_column_int(st, 0), 1) << key;
    sqlite3_finalize(st);
    sqlite3_close(image);
  }
  EXPECT_EQ(wal_buffer_late_flushes(), late) << "a commit was published before its frames were written";
}

TEST(Store, UnderSteadyWritesTheWalStartsOverInsteadOfGrowingWithEveryCommit) {
  // Four writers keep the writer busy with 64 KB commits, about 40 MB in all: ten times the WAL
  // size at which a checkpoint starts. The checkpoint must catch up between two batches, or the
  // WAL grows by every commit (and each fsync appends to the file).
  TempStore s;
  constexpr int k_threads = 4, k_commits = 150;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_commits; ++i) {
        auto st = s->writer().run([&](Tx& tx) -> Status {
          auto r = tx.conn().run("INSERT INTO settings(key, value) VALUES (?, hex(randomblob(32768)))",
                                 {"k" + std::to_string(t) + "-" + std::to_string(i)});
          if (!r) return fail(r.error());
          return {};
        });
        if (!st) failed++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(count_settings(*s), k_threads * k_commits);
  const auto wal = std::filesystem::file_size(s.dir() / "test.db-wal");
  EXPECT_LT(wal, 16u << 20) << "the WAL grew to " << wal << " bytes for 40 MB of commits";
}

TEST(Store, ReopeningAppliesNoMigrationTwiceAndBackupIsConsistent) {
  TempStore s;
  ASSERT_TRUE(s->writer().run([](Tx& tx) { return insert_setting(tx, "x"); }));
  auto dest = (s.dir() / "backup.db").string();
  ASSERT_TRUE(s->backup(dest).has_value());
  auto copy = Store::open(dest);
  ASSERT_TRUE(copy);
  EXPECT_EQ(count_settings(**copy), 1);
  auto n = (*copy)->read([](Conn& c) { return c.scalar("SELECT COUNT(*) FROM schema_migrations"); });
  EXPECT_EQ(n.value().value_or(0), static_cast<int64_t>(sqlite_migrations().size()));
}

}  // namespace rapport::store

namespace rapport::store {

TEST(Store, PlannerStatisticsAreTakenOnceTicketsGrowAndMakeTextSearchReadTheMatchesFirst) {
  TempStore s;
  auto plan = [&] {
    std::string out;
    EXPECT_TRUE(s->read([&](Conn& c) {
      return c.each("EXPLAIN QUERY PLAN SELECT updated_at, id FROM tickets WHERE deleted_at IS NULL AND status_rank = 1 "
                    "AND id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH 'printer')",
                    {}, [&](const Row& r) { out += r.text(3) + "\n"; });
    }));
    return out;
  };
  auto refresh = [&] {
    bool ran = false;
    EXPECT_TRUE(s->writer().run([&](Tx& tx) -> Status {
      auto r = refresh_statistics(tx.conn());
      if (!r) return fail(r.error());
      ran = *r;
      return {};
    }));
    return ran;
  };
  EXPECT_FALSE(refresh()) << "an empty database needs no statistics";
  // Without statistics the planner walks the status index and probes the text matches per row.
  EXPECT_NE(plan().find("USING INDEX tickets_status"), std::string::npos) << plan();
  auto filled = s->writer().run([](Tx& tx) -> Status {
    auto& c = tx.conn();
    auto u = c.run("INSERT INTO users(name, email, email_key, created_at, updated_at) VALUES ('C', 'c@x', 'c@x', 0, 0)");
    if (!u) return fail(u.error());
    // 4,000 tickets, a quarter in each of four statuses.
    auto t = c.run(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 3999) "
        "INSERT INTO tickets(subject, status, status_rank, requester_id, submitter_id, created_at, updated_at, generated_ts) "
        "SELECT 'T' || i, 'open', i % 4, ?, ?, i, i, i FROM n",
        {c.last_insert_id(), c.last_insert_id()});
    if (!t) return fail(t.error());
    return {};
  });
  ASSERT_TRUE(filled) << filled.error().message;
  EXPECT_TRUE(refresh());
  EXPECT_FALSE(refresh()) << "fresh statistics are not taken again";
  auto stat = s->read([](Conn& c) { return c.scalar_text("SELECT stat FROM sqlite_stat1 WHERE idx = 'tickets_status'"); });
  ASSERT_TRUE(stat && *stat);
  // analysis_limit samples, so the row count is an estimate.
  EXPECT_NEAR(std::stod(stat->value()), 4000, 400) << stat->value();
  // The read connections see them: the text matches drive, each looked up by id.
  auto after = plan();
  EXPECT_NE(after.find("INTEGER PRIMARY KEY"), std::string::npos) << after;
  EXPECT_EQ(after.find("USING INDEX tickets_status"), std::string::npos) << after;
}

}  // namespace rapport::store
