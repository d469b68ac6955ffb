#pragma once
// The search's most used filter fields, kept in memory: for every ticket id, its status,
// priority, type, requester, assignee and group as small integers, one column each. A search
// whose filters name only these fields (`status:pending priority:urgent`, an agent's visibility)
// tests them here instead of making FTS5 intersect facet word lists that hold half the tickets:
// `status:open` alone is a list of 500,000 entries in 1,000,000 tickets, 16-20 ms to read, where
// testing every id here takes a few milliseconds. Tags, channels, submitters and organizations
// stay facet words in the full-text index (domain/search_facets.hpp), as does all text.
//
// Kept true by the writes: reindex_later (tickets.cpp) derives a ticket's row here from the same
// final state as its full-text row, and sets it after the commit, before any request of the batch
// is answered, so a client reads its own writes. load_facet_table scans the tickets inside a
// write job, so no commit slips between the scan and the first update. The rows are set once the
// batch is durable, and other readers can see a batch about a millisecond before that: a search
// whose snapshot holds tickets past the table's highest id reads those few from the snapshot
// (Tail), and asks the full-text index alone only when they are many (another process wrote them).
//
// Another process (the CLI) has no table to keep: it lists the tickets it changed in
// search_changes and moves search_epoch, in the same transaction (tickets.cpp). A search whose
// snapshot's epoch is past the table's asks the full-text index alone and has the table take
// those changes in a write job (catch_up_later); the searches after it use the table again.
//
// About 13 bytes per ticket id (13 MB for 1,000,000 tickets).
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <pthread.h>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/tickets/text_matches.hpp>

namespace rapport::store {
class Conn;
class Store;
class Tx;
}

namespace rapport::tickets {

// A reader-writer lock that lets a waiting writer in before new readers. std::shared_mutex (on
// glibc, a default rwlock) prefers readers: with searches overlapping one another, the writer
// thread, which sets rows after each commit, could wait as long as they keep coming, and every
// write request with it. A pthread rwlock of the writer-first kind is the library's answer.
class WriterFirstLock {
 public:
  WriterFirstLock();
  ~WriterFirstLock();
  WriterFirstLock(const WriterFirstLock&) = delete;
  WriterFirstLock& operator=(const WriterFirstLock&) = delete;
  void lock() { pthread_rwlock_wrlock(&m_lock); }
  void unlock() { pthread_rwlock_unlock(&m_lock); }
  void lock_shared() { pthread_rwlock_rdlock(&m_lock); }
  void unlock_shared() { pthread_rwlock_unlock(&m_lock); }

 private:
  pthread_rwlock_t m_lock;
};

class FacetTable : public std::enable_shared_from_this<FacetTable> {
 public:
  struct Row {
    uint8_t status = 0;    // status rank + 1; 0: no live ticket (deleted, or never stored)
    uint8_t priority = 0;  // 0: none, then low, normal, high, urgent
    uint8_t type = 0;      // 0: none, then problem, incident, question, task
    uint32_t requester = 0, assignee = 0, group = 0;  // 0: none
  };
  // The row of a ticket as stored; nullopt when the columns cannot hold it (an id over 2^32 - 1,
  // a status, priority or type outside the validated lists).
  static std::optional<Row> row_of(const domain::Ticket& t);

  // One condition of a search: any of its facet words (OR), or none of them when negated.
  struct Clause {
    bool negated = false;
    bool always = false;  // the word every ticket carries
    uint8_t status = 0, priority = 0, type = 0;  // bit masks over the codes above
    std::vector<uint32_t> requesters, assignees, groups;
    // Adds a facet word; false when the word is not about a field kept here.
    bool add(std::string_view word);
  };

  void set(domain::Id id, const Row& row);
  // The highest id set so far (live or not).
  domain::Id max_id() const;

  // The tickets a search's snapshot holds past the table's `after` (its max_id() when the search
  // looked), read from the snapshot: the table is given a batch's rows once it is durable, and a
  // snapshot can hold the batch before that (or tickets another process wrote).
  struct Tail {
    domain::Id after = std::numeric_limits<domain::Id>::max();  // the default: the table has every id
    std::vector<std::pair<domain::Id, Row>> rows;  // ascending ids
  };
  // The tail of `conn`'s snapshot after `after`; nullopt when a ticket there cannot be held.
  static Result<std::optional<Tail>> tail_of(store::Conn& conn, domain::Id after);

  // Ids up to `max_id` of live tickets meeting every clause, ascending: from the table up to
  // `tail.after`, then from the tail.
  std::vector<int64_t> scan(const std::vector<Clause>& clauses, domain::Id max_id, const Tail& tail) const;
  std::vector<int64_t> scan(const std::vector<Clause>& clauses, domain::Id max_id) const;
  // The ids (ascending) of live tickets meeting every clause, kept in place.
  void filter(std::vector<int64_t>& ids, const std::vector<Clause>& clauses, const Tail& tail) const;
  void filter(std::vector<int64_t>& ids, const std::vector<Clause>& clauses) const;

  // The search_epoch whose changes by other processes the table holds (read at its load, then
  // at each catch-up). A snapshot at a later epoch may see tickets the table shows as they were.
  int64_t epoch() const { return m_epoch.load(std::memory_order_acquire); }
  // Has the table take the changes other processes listed, soon, in a write job (one at a time).
  void catch_up_later();

  // The text conditions' matches, cached (text_matches.hpp). They live with the table: both are
  // kept by the same writes, begin at its load, and serve the same searches.
  TextMatches& text() { return m_text; }

 private:
  // The clauses made ready for testing many ids: those about status, priority and type alone
  // folded into one table over every (status, priority, type), the others kept to test in turn.
  struct Test {
    std::array<bool, 7 * 5 * 5> by_codes{};
    std::vector<const Clause*> others;
  };
  static Test prepare(const std::vector<Clause>& clauses);
  static bool meets(uint8_t code, uint32_t requester, uint32_t assignee, uint32_t group, const Test& test);
  bool meets(std::size_t i, const Test& test) const {
    return meets(m_codes[i], m_requester[i], m_assignee[i], m_group[i], test);
  }
  static bool meets(const Row& row, const Test& test);
  // Held by readers for at most k_chunk ids at a time, so a writer waits well under a millisecond.
  static constexpr std::size_t k_chunk = std::size_t{1} << 16;
  mutable WriterFirstLock m_mu;
  std::vector<uint8_t> m_codes;  // codes(status, priority, type): one byte to test them together
  std::vector<uint32_t> m_requester, m_assignee, m_group;
  domain::Id m_max = 0;
  TextMatches m_text;
  std::atomic<int64_t> m_epoch{0};
  std::atomic<bool> m_catching_up{false};
  store::Store* m_store = nullptr;  // the store it was loaded from, for the catch-up's job

  // In a write job: takes the rows of the tickets listed in search_changes, deleting them there,
  // and the epoch they bring the table to, once the job is committed.
  Status take_changes(store::Tx& tx);
  friend Status load_facet_table(store::Store& store);
};

// The table of the database at `path`, or null when none is loaded (the CLI, most tests).
std::shared_ptr<FacetTable> facet_table(const std::string& path);
// Loads the table of `store` from its tickets (inside a write job) and makes it the one
// facet_table(store.path()) returns. `rapport serve` calls it at start-up, and drops it before it
// closes the store (the table's catch-ups are that store's write jobs).
Status load_facet_table(store::Store& store);
// Forgets the table of `path`: searches use the full-text index alone again.
void drop_facet_table(const std::string& path);

}  // namespace rapport::tickets
