#include <rapport/tickets/facet_table.hpp>

#include <algorithm>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include <rapport/base/strings.hpp>
#include <rapport/domain/search_facets.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/store/store.hpp>

namespace rapport::tickets {

namespace {

namespace f = domain::facets;

constexpr int64_t k_max_id = std::numeric_limits<uint32_t>::max();

template <std::size_t N>
uint8_t code_in(const std::string_view (&list)[N], std::string_view v) {
  for (std::size_t i = 0; i < N; ++i) if (list[i] == v) return static_cast<uint8_t>(i + 1);
  return 0;
}

std::optional<uint32_t> small_id(const std::optional<domain::Id>& id) {
  if (!id) return 0u;
  if (*id <= 0 || *id > k_max_id) return std::nullopt;
  return static_cast<uint32_t>(*id);
}

std::optional<FacetTable::Row> make_row(bool live, std::string_view status, const std::optional<std::string>& priority,
                                        const std::optional<std::string>& type, domain::Id requester,
                                        const std::optional<domain::Id>& assignee, const std::optional<domain::Id>& group) {
  FacetTable::Row row;
  if (!live) return row;
  row.status = code_in(domain::k_statuses, status);
  row.priority = priority ? code_in(domain::k_priorities, *priority) : 0;
  row.type = type ? code_in(domain::k_types, *type) : 0;
  // A value outside the validated lists has no code: the table cannot hold this ticket.
  if (!row.status || (priority && !row.priority) || (type && !row.type)) return std::nullopt;
  auto rq = small_id(requester), as = small_id(assignee), gr = small_id(group);
  if (!rq || !as || !gr) return std::nullopt;
  row.requester = *rq;
  row.assignee = *as;
  row.group = *gr;
  return row;
}

// The row of a result whose columns are (id, live, status, priority, type, requester, assignee,
// group), as k_row_columns selects them; nullopt when the table cannot hold it.
constexpr const char* k_row_columns =
    "id, deleted_at IS NULL, status, priority, type, requester_id, assignee_id, group_id FROM tickets";
std::optional<FacetTable::Row> stored_row(const store::Row& r) {
  if (r.i64(0) > k_max_id) return std::nullopt;
  return make_row(r.i64(1) != 0, r.text(2), r.opt_text(3), r.opt_text(4), r.i64(5), r.opt_i64(6), r.opt_i64(7));
}

// Status, priority and type in one byte (at most 6 * 25 + 4 * 5 + 4 = 174).
uint8_t codes(uint8_t status, uint8_t priority, uint8_t type) {
  return static_cast<uint8_t>(status * 25 + priority * 5 + type);
}

bool has(const std::vector<uint32_t>& values, uint32_t v) {
  for (auto x : values) if (x == v) return true;
  return false;
}

std::mutex g_tables_mu;
std::unordered_map<std::string, std::shared_ptr<FacetTable>> g_tables;

}  // namespace

std::optional<FacetTable::Row> FacetTable::row_of(const domain::Ticket& t) {
  return make_row(!t.deleted_at, t.status, t.priority, t.type, t.requester_id, t.assignee_id, t.group_id);
}

bool FacetTable::Clause::add(std::string_view word) {
  // Each word is recognized by making it the way search_facets.cpp does, so the two cannot drift.
  auto bit = [](std::size_t code) { return static_cast<uint8_t>(1u << code); };
  if (word == f::k_any) {
    always = true;
    return true;
  }
  if (word == f::k_nothing) return true;  // no ticket carries it: adds no alternative
  for (std::size_t i = 0; i < std::size(domain::k_statuses); ++i) {
    if (word == f::status(domain::k_statuses[i])) {
      status |= bit(i + 1);
      return true;
    }
  }
  for (std::size_t i = 0; i <= std::size(domain::k_priorities); ++i) {
    if (word == f::priority(i ? std::optional<std::string>(domain::k_priorities[i - 1]) : std::nullopt)) {
      priority |= bit(i);
      return true;
    }
  }
  for (std::size_t i = 0; i <= std::size(domain::k_types); ++i) {
    if (word == f::type(i ? std::optional<std::string>(domain::k_types[i - 1]) : std::nullopt)) {
      type |= bit(i);
      return true;
    }
  }
  for (auto [letter, values] : {std::pair{'u', &requesters}, std::pair{'a', &assignees}, std::pair{'g', &groups}}) {
    if (word.empty() || word[0] != letter) continue;
    if (word == f::id(letter, std::nullopt)) {
      values->push_back(0);
      return true;
    }
    auto id = parse_int(word.substr(1));
    if (!id || *id <= 0 || *id > k_max_id || f::id(letter, *id) != word) return false;
    values->push_back(static_cast<uint32_t>(*id));
    return true;
  }
  return false;
}

WriterFirstLock::WriterFirstLock() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&m_lock, &attr);
  pthread_rwlockattr_destroy(&attr);
}

WriterFirstLock::~WriterFirstLock() { pthread_rwlock_destroy(&m_lock); }

void FacetTable::set(domain::Id id, const Row& row) {
  std::unique_lock lock(m_mu);
  auto i = static_cast<std::size_t>(id);
  if (i >= m_codes.size()) {
    std::size_t n = std::max<std::size_t>(i + 1, m_codes.size() + m_codes.size() / 2);
    m_codes.resize(n);
    m_requester.resize(n);
    m_assignee.resize(n);
    m_group.resize(n);
  }
  m_codes[i] = codes(row.status, row.priority, row.type);
  m_requester[i] = row.requester;
  m_assignee[i] = row.assignee;
  m_group[i] = row.group;
  m_max = std::max(m_max, id);
}

domain::Id FacetTable::max_id() const {
  std::shared_lock lock(m_mu);
  return m_max;
}

namespace {
bool clause_meets(const FacetTable::Clause& c, uint8_t status, uint8_t priority, uint8_t type, uint32_t requester,
                  uint32_t assignee, uint32_t group) {
  bool any = c.always || ((c.status >> status) & 1) || ((c.priority >> priority) & 1) || ((c.type >> type) & 1) ||
             has(c.requesters, requester) || has(c.assignees, assignee) || has(c.groups, group);
  return any != c.negated;
}
}  // namespace

FacetTable::Test FacetTable::prepare(const std::vector<Clause>& clauses) {
  Test test;
  std::vector<const Clause*> by_codes;
  for (const auto& c : clauses) {
    if (c.requesters.empty() && c.assignees.empty() && c.groups.empty()) by_codes.push_back(&c);
    else test.others.push_back(&c);
  }
  for (uint8_t s = 1; s <= 6; ++s) {  // status 0: no live ticket, never a match
    for (uint8_t p = 0; p <= 4; ++p) {
      for (uint8_t t = 0; t <= 4; ++t) {
        bool ok = true;
        for (const auto* c : by_codes) ok = ok && clause_meets(*c, s, p, t, 0, 0, 0);
        test.by_codes[codes(s, p, t)] = ok;
      }
    }
  }
  return test;
}

bool FacetTable::meets(uint8_t code, uint32_t requester, uint32_t assignee, uint32_t group, const Test& test) {
  if (!test.by_codes[code]) return false;
  for (const auto* c : test.others) {
    if (!clause_meets(*c, code / 25, code / 5 % 5, code % 5, requester, assignee, group)) return false;
  }
  return true;
}

bool FacetTable::meets(const Row& row, const Test& test) {
  return meets(codes(row.status, row.priority, row.type), row.requester, row.assignee, row.group, test);
}

Result<std::optional<FacetTable::Tail>> FacetTable::tail_of(store::Conn& conn, domain::Id after) {
  Tail tail;
  tail.after = after;
  bool fits = true;
  auto st = conn.each(
      std::string("SELECT ") + k_row_columns + " WHERE id > ? ORDER BY id",
      {after}, [&](const store::Row& r) {
        auto row = stored_row(r);
        if (!row) fits = false;
        else tail.rows.emplace_back(r.i64(0), *row);
      });
  if (!st) return fail(st.error());
  if (!fits) return std::optional<Tail>{};
  return std::optional<Tail>{std::move(tail)};
}

std::vector<int64_t> FacetTable::scan(const std::vector<Clause>& clauses, domain::Id max_id, const Tail& tail) const {
  const auto test = prepare(clauses);
  std::vector<int64_t> out;
  for (std::size_t from = 1;; from += k_chunk) {
    std::shared_lock lock(m_mu);
    const auto last = static_cast<std::size_t>(std::min({max_id, m_max, tail.after}));
    if (from > last) break;
    const std::size_t to = std::min(last, from + k_chunk - 1);
    if (test.others.empty()) {
      // Status, priority and type alone (`status:pending priority:urgent`): one byte and one
      // table lookup per ticket.
      for (std::size_t i = from; i <= to; ++i) {
        if (test.by_codes[m_codes[i]]) out.push_back(static_cast<int64_t>(i));
      }
      continue;
    }
    for (std::size_t i = from; i <= to; ++i) {
      if (meets(i, test)) out.push_back(static_cast<int64_t>(i));
    }
  }
  for (const auto& [id, row] : tail.rows) {
    if (id <= max_id && meets(row, test)) out.push_back(id);
  }
  return out;
}

void FacetTable::filter(std::vector<int64_t>& ids, const std::vector<Clause>& clauses, const Tail& tail) const {
  const auto test = prepare(clauses);
  std::size_t kept = 0, j = 0;
  for (std::size_t from = 0; from < ids.size(); from += k_chunk) {
    std::shared_lock lock(m_mu);
    const auto last = std::min(m_max, tail.after);
    for (j = from; j < std::min(ids.size(), from + k_chunk) && ids[j] <= last; ++j) {
      const auto id = ids[j];
      if (id > 0 && meets(static_cast<std::size_t>(id), test)) ids[kept++] = id;
    }
    if (j < std::min(ids.size(), from + k_chunk)) break;  // past the table: the rest are the tail's
  }
  // The ids past the table, tested in the tail (ascending both: one merge).
  auto row = tail.rows.begin();
  for (; j < ids.size(); ++j) {
    const auto id = ids[j];
    while (row != tail.rows.end() && row->first < id) ++row;
    if (row != tail.rows.end() && row->first == id && meets(row->second, test)) ids[kept++] = id;
  }
  ids.resize(kept);
}

std::vector<int64_t> FacetTable::scan(const std::vector<Clause>& clauses, domain::Id max_id) const {
  return scan(clauses, max_id, Tail{});
}

void FacetTable::filter(std::vector<int64_t>& ids, const std::vector<Clause>& clauses) const { filter(ids, clauses, Tail{}); }

std::shared_ptr<FacetTable> facet_table(const std::string& path) {
  std::lock_guard lock(g_tables_mu);
  auto it = g_tables.find(path);
  return it == g_tables.end() ? nullptr : it->second;
}

void drop_facet_table(const std::string& path) {
  std::lock_guard lock(g_tables_mu);
  g_tables.erase(path);
}

void FacetTable::catch_up_later() {
  if (!m_store || m_catching_up.exchange(true)) return;
  m_store->writer().submit([table = shared_from_this()](store::Tx& tx) { return table->take_changes(tx); },
                           [table = shared_from_this()](Status st) {
                             if (!st) spdlog::warn("event=facet_table_catch_up_failed error=\"{}\"", st.error().message);
                             table->m_catching_up.store(false);  // failed: the next search asks again
                           });
}

Status FacetTable::take_changes(store::Tx& tx) {
  auto epoch = tx.conn().scalar("SELECT n FROM search_epoch WHERE id = 1");
  if (!epoch) return fail(epoch.error());
  std::vector<std::pair<domain::Id, Row>> rows;
  bool fits = true;
  auto st = tx.conn().each(
      "SELECT c.ticket_id, t.id IS NOT NULL AND t.deleted_at IS NULL, coalesce(t.status, ''), t.priority, t.type, "
      "coalesce(t.requester_id, 0), t.assignee_id, t.group_id FROM search_changes c LEFT JOIN tickets t ON t.id = c.ticket_id",
      {}, [&](const store::Row& r) {
        auto row = stored_row(r);
        if (!row) fits = false;
        else rows.emplace_back(r.i64(0), *row);
      });
  if (!st) return st;
  if (auto r = tx.conn().run("DELETE FROM search_changes"); !r) return fail(r.error());
  // Set once committed, as the writes' own rows are; until then a search at the new epoch still
  // asks the index.
  tx.on_commit([table = shared_from_this(), rows = std::move(rows), fits, epoch = epoch->value_or(0),
                path = tx.conn().path()] {
    if (!fits) {
      spdlog::warn("event=facet_table_dropped reason=\"another process wrote a ticket the table cannot hold\"");
      drop_facet_table(path);
      return;
    }
    for (const auto& [id, row] : rows) table->set(id, row);
    spdlog::info("event=facet_table_caught_up tickets={} epoch={}", rows.size(), epoch);
    auto seen = table->m_epoch.load();
    while (seen < epoch && !table->m_epoch.compare_exchange_weak(seen, epoch)) {
    }
  });
  return {};
}

Status load_facet_table(store::Store& store) {
  // In a write job: the writer is the only thread that commits, so the table cannot miss a
  // change made between the scan and its registration.
  return store.writer().run([&](store::Tx& tx) -> Status {
    auto table = std::make_shared<FacetTable>();
    bool fits = true;
    auto st = tx.conn().each(
        std::string("SELECT ") + k_row_columns, {},
        [&](const store::Row& r) {
          auto row = stored_row(r);
          if (!row) fits = false;
          else table->set(r.i64(0), *row);
        });
    if (!st) return st;
    // Text changes are noted from here on; the text cache must not bridge to a snapshot before.
    auto position = tx.conn().scalar("SELECT max(id) FROM events");
    if (!position) return fail(position.error());
    table->text().forget_through(position->value_or(0));
    // Every ticket was just read: the changes other processes listed are in the table already.
    auto epoch = tx.conn().scalar("SELECT n FROM search_epoch WHERE id = 1");
    if (!epoch) return fail(epoch.error());
    if (auto r = tx.conn().run("DELETE FROM search_changes"); !r) return fail(r.error());
    table->m_epoch.store(epoch->value_or(0));
    table->m_store = &store;
    const auto& path = tx.conn().path();
    if (!fits) {
      spdlog::warn("event=facet_table_skipped reason=\"a ticket has an id over 32 bits or an unknown status, priority or type\"");
      drop_facet_table(path);
      return {};
    }
    std::lock_guard lock(g_tables_mu);
    g_tables[path] = std::move(table);
    return {};
  });
}

}  // namespace rapport::tickets
