#include <rapport/tickets/text_matches.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <limits>

#include <rapport/store/db.hpp>

namespace rapport::tickets {

namespace {

// What bringing an entry up to date costs per changed ticket (reading its row, indexing it in the
// scratch table): 10-15 µs on the bench machine (a search of `printer` over 25,000 tickets took
// 0.3 ms with nothing changed, 1.8 ms with 100 tickets changed, 15 ms with 1,000). A patch is
// chosen while it costs less than half of reading the entry again, and always for a few dozen.
constexpr double k_patch_us_per_ticket = 10.0;
constexpr std::size_t k_patch_always = 64;

// A ticket_fts of the same definition in a private in-memory database, one per thread: the
// changed tickets' rows go in, FTS5 answers the expression over them, and a ROLLBACK empties it.
Result<store::Conn*> scratch_for(store::Conn& source) {
  thread_local std::unordered_map<std::string, std::unique_ptr<store::Conn>> t_scratch;
  auto& slot = t_scratch[source.path()];
  if (slot) return slot.get();
  auto sql = source.scalar_text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ticket_fts'");
  if (!sql) return fail(sql.error());
  if (!*sql) return fail(Error::internal("no ticket_fts table to copy"));
  auto conn = store::Conn::open(":memory:", store::Conn::Mode::writer);
  if (!conn) return fail(conn.error());
  if (auto st = (*conn)->exec(**sql); !st) return fail(st.error());
  slot = std::move(*conn);
  return slot.get();
}

// The ids among `changed` whose rows, as `conn`'s snapshot holds them, match `expr`.
Result<std::vector<int64_t>> match_among(store::Conn& conn, const std::vector<int64_t>& changed, const std::string& expr) {
  auto scratch = scratch_for(conn);
  if (!scratch) return fail(scratch.error());
  auto& s = **scratch;
  if (auto st = s.exec("BEGIN"); !st) return fail(st.error());
  Status st;
  for (auto id : changed) {
    st = conn.each("SELECT subject, body, facets FROM ticket_fts WHERE rowid = ?", {id}, [&](const store::Row& r) {
      if (!st) return;
      auto added = s.run("INSERT INTO ticket_fts(rowid, subject, body, facets) VALUES (?, ?, ?, ?)",
                         {id, r.opt_text(0), r.opt_text(1), r.opt_text(2)});
      if (!added) st = fail(added.error());
    });
    if (!st) break;
  }
  std::vector<int64_t> out;
  if (st) {
    st = fts_ids(s, expr, out);
  }
  (void)s.exec("ROLLBACK");
  if (!st) return fail(st.error());
  return out;
}

}  // namespace

Status fts_ids(store::Conn& conn, const std::string& match, std::vector<int64_t>& out) {
  return conn.each("SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ? ORDER BY rowid", {match},
                   [&](const store::Row& r) { out.push_back(r.i64(0)); });
}

void TextMatches::set_limits(const Limits& limits) {
  std::lock_guard lock(m_mu);
  m_limits = limits;
}

void TextMatches::forget_through(int64_t position) {
  std::lock_guard lock(m_mu);
  m_forgotten = std::max(m_forgotten, position);
}

void TextMatches::note_change(int64_t position, int64_t id) {
  std::lock_guard lock(m_mu);
  m_notes.emplace_back(position, id);
  while (m_notes.size() > m_limits.notes) {
    m_forgotten = std::max(m_forgotten, m_notes.front().first);
    m_notes.pop_front();
  }
}

bool TextMatches::changed(int64_t lo, int64_t hi, std::size_t limit, std::vector<int64_t>& out) const {
  if (lo < m_forgotten) return false;
  // Every batch after the snapshot at `lo` has events past it, so its notes come after the last
  // note at or before `lo`: walking back stops there. Notes past `hi` are of batches the later
  // snapshot does not hold.
  for (auto it = m_notes.rbegin(); it != m_notes.rend() && it->first > lo; ++it) {
    if (it->first > hi) continue;
    out.push_back(it->second);
    if (out.size() > 4 * limit) return false;  // before removing repeats: a bound on the work
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out.size() <= limit;
}

void TextMatches::keep(const std::string& expr, std::shared_ptr<const Entry> entry) {
  // The map node, the entry and their pointers, roughly, so many small entries are counted too.
  constexpr std::size_t k_overhead = 160;
  auto bytes_of = [](const std::string& key, const Entry& e) { return e.ids.size() * sizeof(uint32_t) + key.size() + k_overhead; };
  const std::size_t size = bytes_of(expr, *entry);
  if (size > m_limits.bytes / 4) return;  // one entry may not crowd out the others
  if (auto it = m_entries.find(expr); it != m_entries.end()) {
    m_bytes -= bytes_of(it->first, *it->second.entry);
    m_entries.erase(it);
  }
  // Least recently used out first: a linear pass, over at most `entries`, when one is added.
  while ((m_bytes + size > m_limits.bytes || m_entries.size() >= m_limits.entries) && !m_entries.empty()) {
    auto oldest = std::min_element(m_entries.begin(), m_entries.end(),
                                   [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    m_bytes -= bytes_of(oldest->first, *oldest->second.entry);
    m_entries.erase(oldest);
  }
  m_bytes += size;
  m_entries.emplace(expr, Slot{std::move(entry), ++m_clock});
}

Result<TextMatches::Place> TextMatches::place_of(store::Conn& conn) {
  Place place;
  auto st = conn.each("SELECT (SELECT max(id) FROM events), (SELECT n FROM search_epoch WHERE id = 1)", {},
                      [&](const store::Row& r) {
                        place.position = r.is_null(0) ? 0 : r.i64(0);
                        place.epoch = r.is_null(1) ? 0 : r.i64(1);
                      });
  if (!st) return fail(st.error());
  return place;
}

Result<std::vector<int64_t>> TextMatches::ids(store::Conn& conn, const Place& place, const std::string& expr) {
  const int64_t position = place.position;
  std::shared_ptr<const Entry> entry;
  std::vector<int64_t> stale;  // tickets whose rows differ between the entry's snapshot and this one
  bool usable = false;
  {
    std::lock_guard lock(m_mu);
    if (auto it = m_entries.find(expr); it != m_entries.end()) {
      it->second.used = ++m_clock;
      entry = it->second.entry;
      const auto limit = std::max(k_patch_always, static_cast<std::size_t>(entry->build_us / (2 * k_patch_us_per_ticket)));
      usable = entry->epoch == place.epoch &&
               changed(std::min(entry->position, position), std::max(entry->position, position), limit, stale);
      if (usable) ++(stale.empty() ? m_stats.hits : m_stats.patched);
    }
  }
  if (usable) {
    std::vector<int64_t> out;
    out.reserve(entry->ids.size() + stale.size());
    if (stale.empty()) {
      out.assign(entry->ids.begin(), entry->ids.end());
      return out;
    }
    auto now = match_among(conn, stale, expr);
    if (!now) return fail(now.error());
    // The entry without the changed tickets, then those of them that match now, in order.
    std::vector<int64_t> kept;
    kept.reserve(entry->ids.size());
    std::set_difference(entry->ids.begin(), entry->ids.end(), stale.begin(), stale.end(), std::back_inserter(kept));
    std::merge(kept.begin(), kept.end(), now->begin(), now->end(), std::back_inserter(out));
    if (position > entry->position && (out.empty() || out.back() <= std::numeric_limits<uint32_t>::max())) {
      auto next = std::make_shared<Entry>();
      next->position = position;
      next->epoch = place.epoch;
      next->ids.assign(out.begin(), out.end());
      next->build_us = entry->build_us;
      std::lock_guard lock(m_mu);
      // Another search may have moved it further meanwhile.
      if (auto it = m_entries.find(expr); it == m_entries.end() || it->second.entry->position < position) keep(expr, std::move(next));
    }
    return out;
  }
  const auto started = std::chrono::steady_clock::now();
  std::vector<int64_t> out;
  if (auto st = fts_ids(conn, expr, out); !st) return fail(st.error());
  const auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count();
  std::lock_guard lock(m_mu);
  ++m_stats.rebuilt;
  if (us >= m_limits.min_build_us && (out.empty() || out.back() <= std::numeric_limits<uint32_t>::max())) {
    // A newer entry stays: a search on an older snapshot does not take the cache back.
    auto it = m_entries.find(expr);
    if (it == m_entries.end() || it->second.entry->position < position) {
      auto next = std::make_shared<Entry>();
      next->position = position;
      next->epoch = place.epoch;
      next->ids.assign(out.begin(), out.end());
      next->build_us = us;
      keep(expr, std::move(next));
    }
  }
  return out;
}

TextMatches::Stats TextMatches::stats() const {
  std::lock_guard lock(m_mu);
  auto s = m_stats;
  s.bytes = m_bytes;
  return s;
}

}  // namespace rapport::tickets
