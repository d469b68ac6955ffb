#include <rapport/store/migrate.hpp>

#include <rapport/base/time.hpp>
#include <spdlog/spdlog.h>

namespace rapport::store {

Result<int> migrate(Conn& conn) {
  if (auto st = conn.exec("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, "
                          "applied_at INTEGER NOT NULL)");
      !st) {
    return fail(st.error());
  }
  int applied = 0;
  for (const auto& m : sqlite_migrations()) {
    auto seen = conn.scalar("SELECT 1 FROM schema_migrations WHERE name = ?", {m.name});
    if (!seen) return fail(seen.error());
    if (*seen) continue;
    if (auto st = conn.exec("BEGIN IMMEDIATE"); !st) return fail(st.error());
    auto st = conn.exec(m.sql);
    if (st) {
      auto rec = conn.run("INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)", {m.name, now_epoch()});
      if (!rec) st = fail(rec.error());
    }
    if (!st) {
      (void)conn.exec("ROLLBACK");
      return fail(Error::internal(std::string("migration ") + m.name + " failed: " + st.error().message));
    }
    if (auto c = conn.exec("COMMIT"); !c) return fail(c.error());
    spdlog::info("event=migration_applied name={}", m.name);
    ++applied;
  }
  return applied;
}

}  // namespace rapport::store
