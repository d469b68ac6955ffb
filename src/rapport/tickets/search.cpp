#include <rapport/tickets/search.hpp>

#include <algorithm>
#include <unordered_map>

#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/store/list_query.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::tickets {

namespace {

const char* const k_ticket_fields[] = {"status", "priority", "ticket_type", "tags", "tag", "requester", "assignee",
                                       "submitter", "organization", "group", "created", "updated", "solved",
                                       "due_date", "via", "subject", "description", "comment"};

bool is_ticket_field(const std::string& f) {
  for (auto* k : k_ticket_fields) if (f == k) return true;
  return false;
}

int priority_rank(const std::string& p) {
  if (p == "low") return 1;
  if (p == "normal") return 2;
  if (p == "high") return 3;
  if (p == "urgent") return 4;
  return -1;
}

std::string sql_op(const std::string& op) { return op == ":" ? "=" : op; }

// A full-text query that matches each word as a prefix, or the phrase exactly.
std::string fts_expr(const SearchTerm& t) {
  std::string escaped;
  for (char c : t.value) {
    if (c == '"') escaped += "\"\"";
    else escaped.push_back(c);
  }
  if (t.phrase) return "\"" + escaped + "\"";
  std::string out;
  for (auto& w : split(escaped, ' ')) {
    if (w.empty()) continue;
    if (!out.empty()) out += " AND ";
    out += "\"" + w + "\"*";
  }
  return out;
}

struct Compiled {
  std::vector<std::string> where;
  store::Params params;
};

Result<std::string> user_ref(const std::string& column, const std::string& value, const domain::Principal& p,
                             store::Params& params) {
  if (value == "none") return column + " IS NULL";
  if (value == "me") {
    params.push_back(p.user_id);
    return column + " = ?";
  }
  if (auto id = parse_int(value)) {
    params.push_back(*id);
    return column + " = ?";
  }
  params.push_back(to_lower(value));
  return column + " IN (SELECT id FROM users WHERE email_key = ? )";
}

Result<Compiled> compile(const SearchQuery& q, const domain::Principal& p) {
  Compiled c;
  c.where.push_back("deleted_at IS NULL");
  if (auto vis = visibility_clause(p, c.params); !vis.empty()) c.where.push_back(vis);
  std::vector<std::string> fts_all, fts_not;
  for (const auto& t : q.terms) {
    std::string cond;
    store::Params ps;
    const auto& f = t.field;
    if (f.empty() || f == "subject" || f == "description" || f == "comment") {
      auto e = fts_expr(t);
      if (e.empty()) continue;
      if (f == "subject") e = "subject : (" + e + ")";
      else if (f == "description" || f == "comment") e = "body : (" + e + ")";
      (t.negated ? fts_not : fts_all).push_back(e);
      continue;
    }
    if (f == "status") {
      auto rank = domain::status_rank(t.value);
      if (!rank) return fail(Error::invalid("status must be one of new, open, pending, hold, solved, closed", "invalid"));
      cond = "status_rank " + sql_op(t.op) + " ?";
      ps.push_back(int64_t{*rank});
    } else if (f == "priority") {
      int r = priority_rank(t.value);
      if (t.value == "none") cond = "priority IS NULL";
      else if (r < 0) return fail(Error::invalid("priority must be one of low, normal, high, urgent", "invalid"));
      else {
        cond = "(CASE priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 END) " +
               sql_op(t.op) + " ?";
        ps.push_back(int64_t{r});
      }
    } else if (f == "ticket_type") {
      cond = t.value == "none" ? "type IS NULL" : "type = ?";
      if (t.value != "none") ps.push_back(t.value);
    } else if (f == "tags" || f == "tag") {
      if (t.value == "none") cond = "tags = '[]'";
      else {
        cond = "id IN (SELECT ticket_id FROM ticket_tags WHERE tag = ?)";
        ps.push_back(domain::normalize_tag(t.value));
      }
    } else if (f == "requester" || f == "assignee" || f == "submitter") {
      auto r = user_ref(f + "_id", t.value, p, ps);
      if (!r) return fail(r.error());
      cond = *r;
    } else if (f == "organization" || f == "group") {
      std::string col = f + "_id";
      std::string table = f == "group" ? "groups" : "organizations";
      if (t.value == "none") cond = col + " IS NULL";
      else if (auto id = parse_int(t.value)) {
        cond = col + " = ?";
        ps.push_back(*id);
      } else {
        cond = col + " IN (SELECT id FROM " + table + " WHERE lower(name) = ?)";
        ps.push_back(to_lower(t.value));
      }
    } else if (f == "created" || f == "updated" || f == "solved" || f == "due_date") {
      std::string col = f == "due_date" ? "due_at" : f + "_at";
      auto when = parse_iso8601(t.value);
      if (!when) return fail(Error::invalid(f + " needs a date such as 2024-01-31", "invalid"));
      bool day = t.value.size() == 10;
      if (t.op == ":" && day) {
        cond = col + " >= ? AND " + col + " < ?";
        ps.push_back(*when);
        ps.push_back(*when + 86400);
      } else {
        // created>2024-01-31 means after that whole day, as a reader would expect.
        int64_t v = *when;
        if (day && (t.op == ">" || t.op == "<=")) v += 86400;
        std::string op = t.op == ":" ? "=" : (day && t.op == ">" ? ">=" : (day && t.op == "<=" ? "<" : t.op));
        cond = col + " " + op + " ?";
        ps.push_back(v);
      }
    } else if (f == "via") {
      cond = "channel = ?";
      ps.push_back(t.value);
    } else {
      continue;
    }
    c.where.push_back(t.negated ? "NOT (" + cond + ")" : cond);
    for (auto& x : ps) c.params.push_back(std::move(x));
  }
  auto join = [](const std::vector<std::string>& parts) {
    std::string out;
    for (auto& x : parts) out += (out.empty() ? "" : " AND ") + ("(" + x + ")");
    return out;
  };
  if (!fts_all.empty()) {
    c.where.push_back("id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)");
    c.params.push_back(join(fts_all));
  }
  if (!fts_not.empty()) {
    c.where.push_back("id NOT IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)");
    c.params.push_back(join(fts_not));
  }
  return c;
}

}  // namespace

std::string SearchQuery::free_text() const {
  std::string out;
  for (const auto& t : terms) {
    if (t.field.empty() && !t.negated) out += (out.empty() ? "" : " ") + t.value;
  }
  return out;
}

Result<SearchQuery> parse_search(std::string_view q) {
  SearchQuery out;
  std::size_t i = 0;
  if (q.size() > 4096) return fail(Error::invalid("The query is too long", "invalid"));
  while (i < q.size()) {
    while (i < q.size() && q[i] == ' ') ++i;
    if (i >= q.size()) break;
    SearchTerm t;
    if (q[i] == '-') {
      t.negated = true;
      ++i;
    }
    // field name
    std::size_t start = i;
    while (i < q.size() && (std::isalnum(static_cast<unsigned char>(q[i])) || q[i] == '_')) ++i;
    std::string word(q.substr(start, i - start));
    std::string op;
    if (i < q.size() && !word.empty()) {
      if (q.compare(i, 2, "<=") == 0 || q.compare(i, 2, ">=") == 0) op = std::string(q.substr(i, 2));
      else if (q[i] == ':' || q[i] == '<' || q[i] == '>') op = std::string(1, q[i]);
    }
    if (!op.empty()) {
      t.field = to_lower(word);
      t.op = op;
      i += op.size();
    } else {
      i = start;
    }
    // value: quoted phrase or bare word
    if (i < q.size() && q[i] == '"') {
      auto end = q.find('"', i + 1);
      if (end == std::string_view::npos) end = q.size();
      t.value = std::string(q.substr(i + 1, end - i - 1));
      t.phrase = true;
      i = std::min(q.size(), end + 1);
    } else {
      std::size_t vs = i;
      while (i < q.size() && q[i] != ' ') ++i;
      t.value = std::string(q.substr(vs, i - vs));
    }
    if (t.field == "type") {
      auto v = to_lower(t.value);
      if (v != "ticket" && v != "user" && v != "organization" && v != "group")
        return fail(Error::invalid("type must be ticket, user, organization or group", "invalid"));
      out.type = v;
      continue;
    }
    if (!t.field.empty() && !is_ticket_field(t.field)) {
      // Unknown fields read as text, as Zendesk does.
      t.value = t.field + " " + t.value;
      t.field.clear();
      t.op.clear();
    }
    if (!t.field.empty() && t.field != "subject" && t.field != "description" && t.field != "comment")
      out.has_ticket_fields = true;
    if (t.value.empty() && t.field.empty()) continue;
    if (t.field.empty() && t.value.find(' ') == std::string::npos && t.value.empty()) continue;
    out.terms.push_back(std::move(t));
  }
  return out;
}

namespace {

// A sort key as SQLite orders values of mixed type: NULL < integers < text.
struct SortKey {
  int kind = 0;  // 0 null, 1 integer, 2 text
  int64_t i = 0;
  std::string s;
  int64_t id = 0;
};

bool key_less(const SortKey& a, const SortKey& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  if (a.kind == 1 && a.i != b.i) return a.i < b.i;
  if (a.kind == 2 && a.s != b.s) return a.s < b.s;
  return a.id < b.id;
}

}  // namespace

Result<domain::Page<domain::Ticket>> search_tickets(store::Conn& conn, const SearchQuery& q, const domain::Principal& p,
                                                    const SearchSort& sort, int64_t offset, int64_t limit) {
  auto c = compile(q, p);
  if (!c) return fail(c.error());
  std::string col = sort.column == "status"       ? "status_rank"
                    : sort.column == "ticket_type" ? "type"
                    : sort.column == "priority"
                        ? "(CASE priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END)"
                        : sort.column;
  std::string where;
  for (auto& w : c->where) where += (where.empty() ? " WHERE (" : " AND (") + w + ")";
  // One pass over the matches counts them all and keeps only the best offset+limit sort keys in
  // a bounded heap: the total stays exact, but nothing sorts every match or reads it twice.
  const auto k = static_cast<std::size_t>(std::max<int64_t>(0, offset + limit));
  auto better = [desc = sort.desc](const SortKey& a, const SortKey& b) { return desc ? key_less(b, a) : key_less(a, b); };
  std::vector<SortKey> heap;  // a max-heap under `better`: the worst kept key on top
  heap.reserve(k);
  domain::Page<domain::Ticket> page;
  int64_t total = 0;
  SortKey cur;
  auto st = conn.each("SELECT " + col + ", id FROM tickets" + where, c->params, [&](const store::Row& r) {
    ++total;
    if (k == 0) return;
    cur.id = r.i64(1);
    if (r.is_null(0)) {
      cur.kind = 0;
    } else if (sort.column == "ticket_type") {
      cur.kind = 2;
      cur.s = r.text(0);
    } else {
      cur.kind = 1;
      cur.i = r.i64(0);
    }
    if (heap.size() < k) {
      heap.push_back(cur);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(cur, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = cur;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  });
  if (!st) return fail(st.error());
  page.count = total;
  std::sort_heap(heap.begin(), heap.end(), better);
  std::vector<int64_t> ids;
  for (std::size_t i = static_cast<std::size_t>(std::max<int64_t>(0, offset)); i < heap.size(); ++i) ids.push_back(heap[i].id);
  auto ts = tickets_by_ids(conn, ids, p);
  if (!ts) return fail(ts.error());
  // tickets_by_ids orders by id; restore the search order.
  std::unordered_map<int64_t, domain::Ticket> by_id;
  for (auto& t : *ts) by_id.emplace(t.id, std::move(t));
  for (auto id : ids) {
    if (auto it = by_id.find(id); it != by_id.end()) page.items.push_back(std::move(it->second));
  }
  return page;
}

Result<domain::Page<domain::Ticket>> export_tickets(store::Conn& conn, const SearchQuery& q, const domain::Principal& p,
                                                    const domain::PageRequest& pr) {
  auto c = compile(q, p);
  if (!c) return fail(c.error());
  std::vector<int64_t> ids;
  std::string where;
  for (auto& w : c->where) where += (where.empty() ? " WHERE (" : " AND (") + w + ")";
  auto params = c->params;
  if (pr.after) {
    where += " AND id > ?";
    params.push_back(pr.after->id);
  }
  params.push_back(pr.size + 1);
  auto st = conn.each("SELECT id FROM tickets" + where + " ORDER BY id LIMIT ?", params,
                      [&](const store::Row& r) { ids.push_back(r.i64(0)); });
  if (!st) return fail(st.error());
  domain::Page<domain::Ticket> page;
  page.has_more = static_cast<int64_t>(ids.size()) > pr.size;
  if (page.has_more) ids.pop_back();
  auto ts = tickets_by_ids(conn, ids, p);
  if (!ts) return fail(ts.error());
  page.items = std::move(*ts);
  return page;
}

}  // namespace rapport::tickets
