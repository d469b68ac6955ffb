// The text cache against FTS5 itself: random writes that change tickets' text (creates, comments,
// new subjects, deletes, a job rolled back) interleaved with searches, some from snapshots held
// open across the writes; every search must give what the tickets table and FTS5 give in the
// same snapshot, and the cache must have answered by each of its ways for that to mean anything.
#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/store/testing.hpp>
#include <rapport/tickets/facet_table.hpp>
#include <rapport/tickets/search.hpp>
#include <rapport/tickets/tickets.hpp>

#include <random>

#include <gtest/gtest.h>

namespace rapport::tickets {

namespace {

using accounts::system_principal;

// "printers" makes `printer` a prefix of two words.
const std::vector<std::string> k_words = {"printer", "printers", "refund", "invoice", "login", "screen"};

// A search and the same question in SQL over the tickets and the full-text index. A status
// condition is tested in the facet table, which holds the current state, not a snapshot's
// (facet_table.hpp), so it is asked only of fresh snapshots.
struct Query {
  std::string search, where;
  bool current_only = false;
};
const std::vector<Query> k_queries = {
    {"printer", "id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH 'printer*')"},
    {"refund -printer", "id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH '{subject body} : (refund* NOT printer*)')"},
    {"status:open invoice", "status = 'open' AND id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH 'invoice*')", true},
    {"\"refund invoice\"", "id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH '{subject body} : (\"refund invoice\")')"},
    {"subject:login", "id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH 'subject : (login*)')"},
};

class TextMatchesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    ASSERT_TRUE(load_facet_table(*s));
    ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
      auto u = accounts::create_user(tx, {{"name", "Cust"}, {"email", "cust@x.io"}}, system_principal());
      if (!u) return fail(u.error());
      customer = u->id;
      return {};
    }));
  }
  void TearDown() override { drop_facet_table(s->path()); }

  std::string words(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += (out.empty() ? "" : " ") + k_words[rng() % k_words.size()];
    return out;
  }

  // The search's ids (all of them, newest update first) and what SQL says in the same snapshot.
  void expect_same(store::Conn& c, const Query& q, const std::string& where) {
    auto page = search_tickets(c, parse_search(q.search).value(), system_principal(), {"updated_at", true}, 0, 10000);
    ASSERT_TRUE(page) << page.error().message;
    std::vector<int64_t> got, want;
    for (const auto& t : page->items) got.push_back(t.id);
    auto st = c.each("SELECT id FROM tickets WHERE deleted_at IS NULL AND " + q.where + " ORDER BY updated_at DESC, id DESC", {},
                     [&](const store::Row& r) { want.push_back(r.i64(0)); });
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_EQ(page->count, static_cast<int64_t>(want.size())) << q.search << " " << where;
    EXPECT_EQ(got, want) << q.search << " " << where;
    if (!want.empty()) ++nonempty;
  }

  store::TempStore s;
  int64_t customer = 0;
  std::mt19937 rng{20261202};
  int nonempty = 0;
};

// A read connection inside a snapshot that stays as it was while the writer goes on.
struct Held {
  explicit Held(store::Store& s) : lease(s.reads().acquire().value()) {
    EXPECT_TRUE(lease->exec("BEGIN"));
    EXPECT_TRUE(lease->scalar("SELECT max(id) FROM events"));  // the snapshot starts at the first read
  }
  ~Held() { (void)lease->exec("COMMIT"); }
  store::ReadPool::Lease lease;
};

}  // namespace

TEST_F(TextMatchesTest, EverySearchSeesItsOwnSnapshotWhateverTheCacheHolds) {
  // Keep every answer however cheap, few entries (so they evict one another) and few notes (so
  // some entries fall too far behind and are read again).
  facet_table(s->path())->text().set_limits({.bytes = 1 << 20, .entries = 3, .notes = 40, .min_build_us = 0});
  std::vector<int64_t> live;
  std::vector<std::unique_ptr<Held>> held;
  int from_held = 0;
  for (int step = 0; step < 400; ++step) {
    const auto action = rng() % 10;
    const auto some = [&] { return live[rng() % live.size()]; };
    Status st;
    if (action < 3 || live.size() < 5) {
      st = s->writer().run([&](store::Tx& tx) -> Status {
        auto t = create_ticket(tx, {{"subject", words(1 + rng() % 2)}, {"comment", {{"body", words(1 + rng() % 3)}}}, {"requester_id", customer}},
                               system_principal());
        if (!t) return fail(t.error());
        live.push_back(t->ticket.id);
        return {};
      });
    } else if (action < 5) {
      const auto id = some();
      st = s->writer().run([&](store::Tx& tx) -> Status {
        auto r = update_ticket(tx, id, {{"comment", {{"body", words(2)}, {"public", rng() % 2 == 0}}}}, system_principal());
        return r ? Status{} : fail(r.error());
      });
    } else if (action < 6) {
      const auto id = some();
      st = s->writer().run([&](store::Tx& tx) -> Status {
        auto r = update_ticket(tx, id, {{"subject", words(2)}, {"status", rng() % 2 ? "open" : "pending"}}, system_principal());
        return r ? Status{} : fail(r.error());
      });
    } else if (action < 7) {
      const auto at = rng() % live.size();
      st = s->writer().run([&](store::Tx& tx) { return delete_ticket(tx, live[at], system_principal()); });
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    } else if (action < 8) {
      // A job that changes text and then fails is rolled back: nothing of it may show.
      auto failed = s->writer().run([&](store::Tx& tx) -> Status {
        auto r = update_ticket(tx, some(), {{"subject", "printer refund invoice"}}, system_principal());
        if (!r) return fail(r.error());
        return fail(Error::invalid("rolled back on purpose", "invalid"));
      });
      EXPECT_FALSE(failed);
    } else if (action < 9) {
      if (held.size() < 3) held.push_back(std::make_unique<Held>(*s));
    } else if (!held.empty()) {
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(rng() % held.size()));
    }
    ASSERT_TRUE(st) << st.error().message;
    // Two searches, each from a fresh snapshot or a held one (often older than the cache's entry).
    for (int i = 0; i < 2; ++i) {
      const auto& q = k_queries[rng() % k_queries.size()];
      if (!held.empty() && rng() % 2 && !q.current_only) {
        ++from_held;
        expect_same(*held[rng() % held.size()]->lease, q, "held snapshot, step " + std::to_string(step));
      } else {
        Held fresh(*s);
        expect_same(*fresh.lease, q, "fresh snapshot, step " + std::to_string(step));
      }
    }
  }
  const auto stats = facet_table(s->path())->text().stats();
  EXPECT_GT(stats.hits, 0u);
  EXPECT_GT(stats.patched, 20u);
  EXPECT_GT(stats.rebuilt, 20u);
  EXPECT_GT(from_held, 100);
  EXPECT_GT(nonempty, 400);
}

// Outside a read transaction a search cannot be placed in the commit order: it asks FTS5.
TEST_F(TextMatchesTest, ASearchOutsideATransactionLeavesTheCacheAlone) {
  facet_table(s->path())->text().set_limits({.bytes = 1 << 20, .entries = 8, .notes = 64, .min_build_us = 0});
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    auto t = create_ticket(tx, {{"subject", "printer"}, {"comment", {{"body", "jammed"}}}, {"requester_id", customer}}, system_principal());
    return t ? Status{} : fail(t.error());
  }));
  auto page = s->read([&](store::Conn& c) { return search_tickets(c, parse_search("printer").value(), system_principal(), {}, 0, 25); });
  ASSERT_TRUE(page);
  EXPECT_EQ(page->count, 1);
  const auto stats = facet_table(s->path())->text().stats();
  EXPECT_EQ(stats.hits + stats.patched + stats.rebuilt, 0u);
}

// Another process (`rapport mail receive`) changes a ticket's text with no cache to note it in:
// it moves search_epoch in the same transaction, and the next searches read the index again,
// until the facet table has caught up and the cache is rebuilt at the new epoch.
TEST_F(TextMatchesTest, AnotherProcesssWriteIsSeenThroughTheEpoch) {
  facet_table(s->path())->text().set_limits({.bytes = 1 << 20, .entries = 8, .notes = 64, .min_build_us = 0});
  int64_t id = 0;
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    auto t = create_ticket(tx, {{"subject", "printer"}, {"comment", {{"body", "jammed"}}}, {"requester_id", customer}}, system_principal());
    if (!t) return fail(t.error());
    id = t->ticket.id;
    return {};
  }));
  auto count = [&](const std::string& q) {
    Held h(*s);
    return search_tickets(*h.lease, parse_search(q).value(), system_principal(), {}, 0, 25).value().count;
  };
  EXPECT_EQ(count("walrus"), 0);
  EXPECT_EQ(count("walrus"), 0);  // the second from the cache
  // What the other process commits: the ticket's new full-text row (its reply), the epoch, an event.
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    if (auto r = tx.conn().run("UPDATE ticket_fts SET body = body || ' a walrus ate it' WHERE rowid = ?", {id}); !r) return fail(r.error());
    if (auto r = tx.conn().run("UPDATE search_epoch SET n = n + 1 WHERE id = 1"); !r) return fail(r.error());
    if (auto r = tx.conn().run("INSERT INTO events(at, kind, entity, entity_id) VALUES (0, 'ticket.updated', 'ticket', ?)", {id}); !r)
      return fail(r.error());
    return {};
  }));
  EXPECT_EQ(count("walrus"), 1);  // from the index: the facet table has not caught up with the epoch
  EXPECT_EQ(facet_table(s->path())->text().stats().rebuilt, 1u);
  ASSERT_TRUE(s->writer().run([](store::Tx&) -> Status { return {}; }));  // after the catch-up that search queued
  EXPECT_EQ(count("walrus"), 1);
  const auto stats = facet_table(s->path())->text().stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.rebuilt, 2u);
}

// A process with no cache (the CLI) moves the epoch with every full-text row it writes.
TEST_F(TextMatchesTest, AWriteWithoutACacheMovesTheEpoch) {
  drop_facet_table(s->path());
  auto epoch = [&] { return s->read([](store::Conn& c) { return c.scalar("SELECT n FROM search_epoch WHERE id = 1"); })->value_or(-1); };
  const auto before = epoch();
  ASSERT_TRUE(s->writer().run([&](store::Tx& tx) -> Status {
    auto t = create_ticket(tx, {{"subject", "printer"}, {"comment", {{"body", "jammed"}}}, {"requester_id", customer}}, system_principal());
    return t ? Status{} : fail(t.error());
  }));
  EXPECT_GT(epoch(), before);
}

}  // namespace rapport::tickets
