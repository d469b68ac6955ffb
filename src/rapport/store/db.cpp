#include <rapport/store/db.hpp>

#include <sqlite3.h>

#include <mutex>

#include <rapport/base/time.hpp>
#include <rapport/domain/search_facets.hpp>
#include <rapport/store/wal_buffer.hpp>

namespace rapport::store {

namespace {
// local_day(epoch): the organization's calendar day of an instant (base/time.hpp), so reports can
// group by the organization's days in SQL. Not deterministic across a change of the zone, so it
// is registered without SQLITE_DETERMINISTIC and must never appear in an index or a view.
void sql_local_day(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  sqlite3_result_int64(ctx, local_day(sqlite3_value_int64(argv[0])));
}

// ticket_facets(status, priority, type, tags, requester_id, submitter_id, assignee_id,
// organization_id, group_id, channel): the search facet words of a ticket row
// (domain/search_facets.hpp), for migrations and bulk changes that re-index in SQL.
void sql_ticket_facets(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto text = [&](int i) -> std::optional<std::string> {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return std::nullopt;
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[i]));
    return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_value_bytes(argv[i])));
  };
  auto id = [&](int i) -> std::optional<int64_t> {
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return std::nullopt;
    return sqlite3_value_int64(argv[i]);
  };
  auto words = domain::facets::of_columns(text(0).value_or(""), text(1), text(2), text(3).value_or("[]"),
                                          id(4).value_or(0), id(5).value_or(0), id(6), id(7), id(8),
                                          text(9).value_or(""));
  sqlite3_result_text(ctx, words.data(), static_cast<int>(words.size()), SQLITE_TRANSIENT);
}
}  // namespace

bool Row::is_null(int col) const { return sqlite3_column_type(m_s, col) == SQLITE_NULL; }
int64_t Row::i64(int col) const { return sqlite3_column_int64(m_s, col); }
double Row::f64(int col) const { return sqlite3_column_double(m_s, col); }
std::string Row::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_s, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(m_s, col))) : std::string();
}
std::optional<int64_t> Row::opt_i64(int col) const {
  if (is_null(col)) return std::nullopt;
  return i64(col);
}
std::optional<std::string> Row::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

Result<std::unique_ptr<Conn>> Conn::open(const std::string& path, Mode mode) {
  // SQLite counts every allocation in global statistics under a global mutex unless told not to,
  // so every connection's statements contended on one lock; nothing here reads those statistics.
  // It must be set before SQLite initializes, which the first open does.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  register_wal_buffer_vfs();
  if (sqlite3_open_v2(path.c_str(), &db, flags, k_wal_buffer_vfs) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(Error::unavailable("cannot open database " + path + ": " + msg));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_create_function_v2(db, "local_day", 1, SQLITE_UTF8 | SQLITE_INNOCUOUS, nullptr, sql_local_day, nullptr, nullptr,
                             nullptr);
  sqlite3_create_function_v2(db, "ticket_facets", 10, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                             sql_ticket_facets, nullptr, nullptr, nullptr);
  std::unique_ptr<Conn> conn(new Conn(db, path));
  // WAL lets readers run beside the single writer; synchronous=FULL makes every commit durable
  // (an fsync of the WAL), which group commit amortises over many requests. The store's writer
  // then moves that fsync to its syncer thread (store.hpp).
  const char* pragmas = mode == Mode::writer
                            ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                              "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536;"
                            : "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384;"
                              "PRAGMA query_only=ON;";
  if (auto st = conn->exec(pragmas); !st) return fail(st.error());
  return conn;
}

Conn::~Conn() {
  for (auto& [sql, stmt] : m_cache) sqlite3_finalize(stmt);
  sqlite3_close_v2(m_db);
}

Error Conn::error(std::string_view what) const {
  int code = sqlite3_extended_errcode(m_db);
  std::string msg = std::string(what) + ": " + sqlite3_errmsg(m_db);
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Error::conflict(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return Error::unavailable(msg);
    default:
      return Error::internal(msg);
  }
}

Status Conn::exec(std::string_view sql) {
  char* err = nullptr;
  std::string s(sql);
  if (sqlite3_exec(m_db, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = error("exec");
    sqlite3_free(err);
    return fail(e);
  }
  return {};
}

Result<sqlite3_stmt*> Conn::prepare(std::string_view sql, const Params& params) {
  std::string key(sql);
  sqlite3_stmt* stmt = nullptr;
  if (auto it = m_cache.find(key); it != m_cache.end()) {
    stmt = it->second;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  } else {
    if (sqlite3_prepare_v3(m_db, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return fail(error("prepare `" + key.substr(0, 80) + "`"));
    }
    // Dynamic SQL (IN lists, search filters) must not grow the cache without bound.
    if (m_cache.size() > 512) {
      for (auto& [k, s] : m_cache) sqlite3_finalize(s);
      m_cache.clear();
    }
    m_cache.emplace(std::move(key), stmt);
  }
  int i = 1;
  for (const auto& p : params) {
    const auto& v = p.value();
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(v)) rc = sqlite3_bind_null(stmt, i);
    else if (auto* n = std::get_if<int64_t>(&v)) rc = sqlite3_bind_int64(stmt, i, *n);
    else if (auto* d = std::get_if<double>(&v)) rc = sqlite3_bind_double(stmt, i, *d);
    else {
      const auto& s = std::get<std::string>(v);
      rc = sqlite3_bind_text(stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) return fail(error("bind"));
    ++i;
  }
  return stmt;
}

Result<int64_t> Conn::run(std::string_view sql, const Params& params) {
  auto stmt = prepare(sql, params);
  if (!stmt) return fail(stmt.error());
  int rc;
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) {
    Error e = error("step");
    sqlite3_reset(*stmt);
    return fail(e);
  }
  sqlite3_reset(*stmt);
  return static_cast<int64_t>(sqlite3_changes64(m_db));
}

Status Conn::each(std::string_view sql, const Params& params, const std::function<void(const Row&)>& fn) {
  auto stmt = prepare(sql, params);
  if (!stmt) return fail(stmt.error());
  // Reset on every way out, a throwing `fn` included: a statement left mid-step keeps its read
  // transaction open, and a pooled reader would then serve that old snapshot to later requests.
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() { sqlite3_reset(s); }
  } reset{*stmt};
  int rc;
  Row row(*stmt);
  while ((rc = sqlite3_step(*stmt)) == SQLITE_ROW) fn(row);
  if (rc != SQLITE_DONE) return fail(error("step"));
  return {};
}

Result<std::optional<int64_t>> Conn::scalar(std::string_view sql, const Params& params) {
  std::optional<int64_t> out;
  bool first = true;
  auto st = each(sql, params, [&](const Row& r) {
    if (first) out = r.opt_i64(0);
    first = false;
  });
  if (!st) return fail(st.error());
  return out;
}

Result<std::optional<std::string>> Conn::scalar_text(std::string_view sql, const Params& params) {
  std::optional<std::string> out;
  bool first = true;
  auto st = each(sql, params, [&](const Row& r) {
    if (first) out = r.opt_text(0);
    first = false;
  });
  if (!st) return fail(st.error());
  return out;
}

int64_t Conn::last_insert_id() const { return sqlite3_last_insert_rowid(m_db); }

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += i ? ",?" : "?";
  return out;
}

}  // namespace rapport::store
