// The facet table on its own: clauses from facet words, and readers that scan while the writer
// grows the columns (run under ASan in `make test`, which would catch a read of freed columns).
#include <rapport/domain/search_facets.hpp>
#include <rapport/tickets/facet_table.hpp>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace rapport::tickets {

namespace f = domain::facets;

namespace {

FacetTable::Clause clause(std::initializer_list<std::string> words, bool negated = false) {
  FacetTable::Clause c;
  c.negated = negated;
  for (const auto& w : words) EXPECT_TRUE(c.add(w)) << w;
  return c;
}

// Ticket i: open when even, pending when odd; urgent every third; assigned to 7 every fifth.
FacetTable::Row row(int64_t i) {
  FacetTable::Row r;
  r.status = i % 2 == 0 ? 2 : 3;  // rank + 1: open, pending
  r.priority = i % 3 == 0 ? 4 : 2;
  r.assignee = i % 5 == 0 ? 7 : 0;
  r.requester = 1;
  return r;
}

}  // namespace

TEST(FacetTable, WordsOutsideItsFieldsAreLeftToTheIndex) {
  FacetTable::Clause c;
  EXPECT_FALSE(c.add(f::tag("vip")));
  EXPECT_FALSE(c.add(f::channel("email")));
  EXPECT_FALSE(c.add(f::id('s', 3)));  // submitter
  EXPECT_FALSE(c.add(f::id('o', 3)));  // organization
  EXPECT_TRUE(c.add(f::status("solved")));
  EXPECT_TRUE(c.add(f::priority(std::nullopt)));
  EXPECT_TRUE(c.add(f::id('g', std::nullopt)));
}

TEST(FacetTable, ReadersScanWhileTheWriterGrowsTheColumns) {
  FacetTable table;
  const std::vector<FacetTable::Clause> open_urgent = {clause({f::status("open")}), clause({f::priority(std::string("urgent"))})};
  const std::vector<FacetTable::Clause> not_assigned_to_7 = {clause({f::id('a', 7)}, true)};
  std::atomic<bool> done{false}, wrong{false};
  std::atomic<int64_t> scans{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done.load() && !wrong.load()) {
        auto ids = table.scan(open_urgent, INT64_MAX);
        // Whatever the writer has reached, what a scan returns is ascending and meets the clauses.
        for (std::size_t i = 0; i < ids.size(); ++i) {
          if (ids[i] % 6 != 0 || (i && ids[i - 1] >= ids[i])) wrong = true;
        }
        table.filter(ids, not_assigned_to_7);
        for (auto id : ids) if (id % 30 == 0) wrong = true;
        scans++;
      }
    });
  }
  // 200,000 rows: the columns grow about 30 times while the readers scan.
  constexpr int64_t n = 200'000;
  for (int64_t i = 1; i <= n; ++i) table.set(i, row(i));
  while (scans.load() < 4 && !wrong.load()) std::this_thread::yield();  // a few scans of the full table too
  done = true;
  for (auto& r : readers) r.join();
  EXPECT_FALSE(wrong.load()) << "a scan returned an id that does not meet its clauses, or out of order";

  auto ids = table.scan(open_urgent, INT64_MAX);
  EXPECT_EQ(static_cast<int64_t>(ids.size()), n / 6);
  table.filter(ids, not_assigned_to_7);
  EXPECT_EQ(static_cast<int64_t>(ids.size()), n / 6 - n / 30);
  EXPECT_EQ(table.max_id(), n);
  // A deleted ticket (status 0) matches nothing, not even a negation.
  table.set(6, FacetTable::Row{});
  EXPECT_EQ(table.scan(open_urgent, INT64_MAX).front(), 12);
  EXPECT_EQ(table.scan(not_assigned_to_7, 12), (std::vector<int64_t>{1, 2, 3, 4, 7, 8, 9, 11, 12}));
}

// A search's snapshot can hold tickets the table has not been given yet: they come as a tail,
// tested like the table's rows, and the table is read only up to where the tail begins.
TEST(FacetTable, TheTailOfASnapshotIsTestedLikeTheTable) {
  FacetTable table;
  for (int64_t i = 1; i <= 12; ++i) table.set(i, row(i));
  const std::vector<FacetTable::Clause> open = {clause({f::status("open")})};
  FacetTable::Tail tail;
  tail.after = 10;  // the table as the search found it; 11 and 12 were set later
  tail.rows = {{11, row(12)}, {12, row(11)}, {13, row(14)}};  // the snapshot says: 11 open, 12 pending, 13 open
  EXPECT_EQ(table.scan(open, 13, tail), (std::vector<int64_t>{2, 4, 6, 8, 10, 11, 13}));
  EXPECT_EQ(table.scan(open, 11, tail), (std::vector<int64_t>{2, 4, 6, 8, 10, 11}));
  std::vector<int64_t> ids = {1, 2, 9, 10, 11, 12, 13};
  table.filter(ids, open, tail);
  EXPECT_EQ(ids, (std::vector<int64_t>{2, 10, 11, 13}));
  // Without a tail the table answers for every id it has.
  EXPECT_EQ(table.scan(open, 13), (std::vector<int64_t>{2, 4, 6, 8, 10, 12}));
}

}  // namespace rapport::tickets
