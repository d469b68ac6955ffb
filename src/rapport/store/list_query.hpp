#pragma once
// Runs a filtered list in either pagination style. Offset pages count the total; cursor pages
// use keyset conditions on (sort column, id) so page 10,000 costs what page 1 costs.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/store/db.hpp>

namespace rapport::store {

struct ListQuery {
  std::string columns;  // "id, name, ..."
  std::string from;     // "users"
  std::vector<std::string> where;
  Params params;
  // Offset pages: when set, the total comes from this query (a maintained counter, say) instead
  // of COUNT(*) over `from` and `where`. It must count exactly the rows the list would return.
  std::string count_sql;
  Params count_params;
};

// `map` turns a row into a record.
template <typename T>
Result<domain::Page<T>> run_list(Conn& conn, const ListQuery& q, const domain::PageRequest& pr,
                                 const std::function<T(const Row&)>& map) {
  domain::Page<T> page;
  std::string where;
  for (std::size_t i = 0; i < q.where.size(); ++i) where += (i ? " AND (" : " WHERE (") + q.where[i] + ")";
  const std::string& col = pr.sort_by;  // validated by the caller against a fixed list
  Params params = q.params;
  if (!pr.cursor) {
    auto count = q.count_sql.empty() ? conn.scalar("SELECT COUNT(*) FROM " + q.from + where, params)
                                     : conn.scalar(q.count_sql, q.count_params);
    if (!count) return fail(count.error());
    page.count = count->value_or(0);
    std::string sql = "SELECT " + q.columns + " FROM " + q.from + where + " ORDER BY " + col +
                      (pr.desc ? " DESC" : " ASC") + (col != "id" ? std::string(", id") + (pr.desc ? " DESC" : " ASC") : "") +
                      " LIMIT ? OFFSET ?";
    params.push_back(pr.per_page);
    params.push_back((pr.page - 1) * pr.per_page);
    auto st = conn.each(sql, params, [&](const Row& r) { page.items.push_back(map(r)); });
    if (!st) return fail(st.error());
    return page;
  }
  // Keyset: walking backwards (page[before]) flips the comparison and the order, then reverses.
  bool backwards = pr.before.has_value();
  bool desc = pr.desc != backwards;
  std::string cmp = desc ? "<" : ">";
  std::string cond;
  const domain::Cursor* c = backwards ? &*pr.before : (pr.after ? &*pr.after : nullptr);
  if (c) {
    if (col == "id") {
      cond = "id " + cmp + " ?";
      params.push_back(c->id);
    } else {
      cond = "(" + col + " " + cmp + " ? OR (" + col + " = ? AND id " + cmp + " ?))";
      params.push_back(c->key);
      params.push_back(c->key);
      params.push_back(c->id);
    }
    where += (where.empty() ? " WHERE " : " AND ") + cond;
  }
  std::string dir = desc ? " DESC" : " ASC";
  std::string sql = "SELECT " + q.columns + " FROM " + q.from + where + " ORDER BY " +
                    (col == "id" ? "id" + dir : col + dir + ", id" + dir) + " LIMIT ?";
  params.push_back(pr.size + 1);
  auto st = conn.each(sql, params, [&](const Row& r) { page.items.push_back(map(r)); });
  if (!st) return fail(st.error());
  bool more = static_cast<int64_t>(page.items.size()) > pr.size;
  if (more) page.items.pop_back();
  if (backwards) {
    std::reverse(page.items.begin(), page.items.end());
    page.has_more = true;  // we came from a later page
    page.has_prev = more;
  } else {
    page.has_more = more;
    page.has_prev = c != nullptr;
  }
  return page;
}

}  // namespace rapport::store
