#pragma once
// Which tickets a search's text condition matches, kept between searches and brought up to date
// from the tickets whose text changed since, so a common word costs FTS5's answer once, not once
// per search. `printer*` in 1,000,000 tickets is about 143,000 ids; reading them from FTS5 (its
// prefix merge, then one virtual-table step per row) was 80% of such a search's 15 ms at 16
// connections, where the target needs about 5 ms.
//
// Exact, not approximate. Positions are the newest event id a snapshot holds (every write appends
// an event in its transaction, and events are never deleted, so `SELECT max(id) FROM events`
// names a snapshot's place in the commit order). The writer notes each ticket whose full-text row
// it rewrites, with the position of its batch, *before* the COMMIT, so a snapshot that holds a
// change always finds it noted (a note of a batch that then failed only costs a needless check).
// An entry is the ids an expression matched in a snapshot at position p. A search at position q
// takes the entry, the tickets noted between p and q (either way: the search's snapshot may be
// older than the entry's), and asks FTS5 about those tickets alone, in a small in-memory table
// built from their rows as the search's snapshot holds them: the same engine and tokenizer decide,
// so no rule of FTS5's is restated here. When too many changed, or the notes that far back are
// forgotten, the entry is rebuilt from the index.
//
// Another process writing (`rapport mail receive` storing a reply) has no cache to note in: it
// moves `search_epoch` in its transaction instead (tickets.cpp), and an entry serves only
// snapshots of its own epoch, so the next search after such a write reads the index again.
//
// Bounded: entries by count and total bytes (least recently used out first), notes by count.
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <rapport/base/error.hpp>

namespace rapport::store {
class Conn;
}

namespace rapport::tickets {

// The ids (ascending) of the rows of `conn`'s ticket_fts that the FTS5 expression `match` matches:
// the server's index, or the scratch copy a patch builds.
Status fts_ids(store::Conn& conn, const std::string& match, std::vector<int64_t>& out);

class TextMatches {
 public:
  struct Limits {
    std::size_t bytes = std::size_t{16} << 20;  // all entries: their ids, keys and bookkeeping
    std::size_t entries = 4096;
    std::size_t notes = std::size_t{1} << 16;  // changed tickets remembered
    double min_build_us = 100;                  // cheaper answers are not kept: reading them again costs less
  };
  // Takes effect for what is kept from now on (tests keep cheap answers and few notes).
  void set_limits(const Limits& limits);

  // Changes at or before `position` were never noted (those before the cache began): a snapshot
  // there can be used only for entries built from itself.
  void forget_through(int64_t position);
  // The writer, before the COMMIT of a batch whose newest event is `position`: ticket `id`'s
  // full-text row is being rewritten.
  void note_change(int64_t position, int64_t id);

  // Where a snapshot stands: its newest event id and its search_epoch, read in it.
  struct Place {
    int64_t position = 0, epoch = 0;
  };
  static Result<Place> place_of(store::Conn& conn);

  // The ids (ascending) of the rows of ticket_fts that the FTS5 expression `expr` matches in the
  // snapshot `conn` is reading, which stands at `place`. `conn` must be inside a read transaction.
  Result<std::vector<int64_t>> ids(store::Conn& conn, const Place& place, const std::string& expr);

  struct Stats {
    uint64_t hits = 0;      // the entry was at the snapshot's position
    uint64_t patched = 0;   // brought there by asking about the tickets changed in between
    uint64_t rebuilt = 0;   // read from the index (no entry, too many changes, or forgotten)
    std::size_t bytes = 0;  // held now
  };
  Stats stats() const;

 private:
  struct Entry {
    int64_t position = 0, epoch = 0;
    std::vector<uint32_t> ids;
    double build_us = 0;  // what reading it from the index cost, to weigh a patch against
  };
  struct Slot {
    std::shared_ptr<const Entry> entry;
    uint64_t used = 0;  // m_clock when last used
  };
  // Tickets noted with positions in (lo, hi], ascending and distinct; false when the notes of
  // that range are forgotten or more than `limit`.
  bool changed(int64_t lo, int64_t hi, std::size_t limit, std::vector<int64_t>& out) const;
  void keep(const std::string& expr, std::shared_ptr<const Entry> entry);

  Limits m_limits;
  mutable std::mutex m_mu;
  std::deque<std::pair<int64_t, int64_t>> m_notes;  // (position, ticket), in the order noted
  int64_t m_forgotten = 0;                           // the highest position of a dropped note
  std::unordered_map<std::string, Slot> m_entries;
  std::size_t m_bytes = 0;
  uint64_t m_clock = 0;
  Stats m_stats;
};

}  // namespace rapport::tickets
