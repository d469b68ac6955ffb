#include <rapport/store/store.hpp>
#include <rapport/store/migrate.hpp>
#include <rapport/store/testing.hpp>

#include <atomic>
#include <filesystem>
#include <thread>
#include <future>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

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
