#pragma once
#include <string>
#include <vector>

#include <rapport/store/db.hpp>

namespace rapport::store {

struct Migration {
  const char* name;  // "V001__init.sql"
  const char* sql;
};

// The numbered migrations compiled in from migrations/sqlite/.
const std::vector<Migration>& sqlite_migrations();
// Applies, in order and each in its own transaction, every migration not yet recorded in
// schema_migrations. Returns how many it applied.
Result<int> migrate(Conn& conn);

}  // namespace rapport::store
