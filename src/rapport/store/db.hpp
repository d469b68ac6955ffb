#pragma once
// A small wrapper over one SQLite connection: prepared statements cached by SQL text,
// parameters bound by position (`?`), rows read by column index. SQL stays portable
// (no SQLite-only syntax in services) so the PostgreSQL backend can run the same text.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <rapport/base/error.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace rapport::store {

// One bound parameter. Implicit from the types services use, so calls read naturally:
//   conn.run(k_sql, {id, name, std::nullopt}).
class Param {
 public:
  Param(std::nullptr_t) {}
  Param(std::nullopt_t) {}
  Param(bool v) : m_v(int64_t{v}) {}
  Param(int v) : m_v(int64_t{v}) {}
  Param(int64_t v) : m_v(v) {}
  Param(double v) : m_v(v) {}
  Param(const char* v) : m_v(std::string(v)) {}
  Param(std::string v) : m_v(std::move(v)) {}
  Param(std::string_view v) : m_v(std::string(v)) {}
  template <typename T>
  Param(const std::optional<T>& v) {
    if (v) *this = Param(*v);
  }
  const std::variant<std::monostate, int64_t, double, std::string>& value() const { return m_v; }

 private:
  std::variant<std::monostate, int64_t, double, std::string> m_v;
};
using Params = std::vector<Param>;

class Row {
 public:
  explicit Row(sqlite3_stmt* s) : m_s(s) {}
  bool is_null(int col) const;
  int64_t i64(int col) const;
  double f64(int col) const;
  std::string text(int col) const;
  std::optional<int64_t> opt_i64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  sqlite3_stmt* m_s;
};

class Conn {
 public:
  enum class Mode { writer, reader };
  static Result<std::unique_ptr<Conn>> open(const std::string& path, Mode mode);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs one or more statements without parameters (DDL, PRAGMA, BEGIN/COMMIT).
  Status exec(std::string_view sql);
  // Runs one statement; returns the number of rows changed.
  Result<int64_t> run(std::string_view sql, const Params& params = {});
  // Calls `fn` for each row.
  Status each(std::string_view sql, const Params& params, const std::function<void(const Row&)>& fn);
  // The first column of the first row, if any.
  Result<std::optional<int64_t>> scalar(std::string_view sql, const Params& params = {});
  Result<std::optional<std::string>> scalar_text(std::string_view sql, const Params& params = {});
  int64_t last_insert_id() const;
  sqlite3* handle() { return m_db; }
  const std::string& path() const { return m_path; }

 private:
  Conn(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  Result<sqlite3_stmt*> prepare(std::string_view sql, const Params& params);
  Error error(std::string_view what) const;

  sqlite3* m_db;
  std::string m_path;
  std::unordered_map<std::string, sqlite3_stmt*> m_cache;
};

// Builds "?, ?, ?" for IN lists.
std::string placeholders(std::size_t n);

}  // namespace rapport::store
