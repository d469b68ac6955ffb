#include <rapport/tickets/search.hpp>

#include <algorithm>
#include <iterator>
#include <unordered_map>

#include <sqlite3.h>

#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/search_facets.hpp>
#include <rapport/domain/ticket.hpp>
#include <rapport/store/list_query.hpp>
#include <rapport/tickets/facet_table.hpp>
#include <rapport/tickets/text_matches.hpp>
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

// Whether free text must be kept out of the facets column by a column filter: unless each of its
// words is one plain token that no facet word begins with (unicode61 folds ASCII case, so such a
// word is its own token). Phrases keep the filter: consecutive facet words could match one.
bool needs_text_filter(const SearchTerm& t) {
  if (t.phrase) return true;
  for (auto& w : split(t.value, ' ')) {
    if (w.empty()) continue;
    const auto lower = to_lower(w);
    for (char c : lower) if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return true;
    if (domain::facets::some_word_starts_with(lower)) return true;
  }
  return false;
}

// One condition: an FTS5 expression, and for a filter its facet words (any of them matches).
struct Part {
  std::string expr;
  std::optional<std::vector<std::string>> words;
  bool text = false;  // about subject and comments alone: its matches may come from the text cache
};

// The conditions joined into one FTS5 query (a query of negations alone starts from every ticket).
std::string match_of(const std::vector<Part>& pos, const std::vector<Part>& neg) {
  std::string out;
  if (pos.empty() && !neg.empty()) out = "(facets : " + std::string(domain::facets::k_any) + ")";
  for (auto& x : pos) out += (out.empty() ? "(" : " AND (") + x.expr + ")";
  for (auto& x : neg) out += " NOT (" + x.expr + ")";
  return out;
}

// A search compiled to one FTS5 expression over ticket_fts (text, filters as facet words and the
// principal's visibility: see domain/search_facets.hpp) plus the SQL conditions that are not
// words (dates), over the tickets table.
struct Compiled {
  std::vector<Part> pos, neg;       // the full-text conditions
  std::string match;                // match_of(pos, neg); empty: no full-text condition
  std::vector<std::string> where;   // SQL conditions on tickets (besides deleted_at)
  store::Params params;
};

Part any_of(std::vector<std::string> words) {
  if (words.empty()) words.emplace_back(domain::facets::k_nothing);
  std::string out = "facets : (";
  for (std::size_t i = 0; i < words.size(); ++i) out += (i ? " OR " : "") + words[i];
  return {out + ")", std::move(words)};
}

bool compares(int a, const std::string& op, int b) {
  if (op == "<") return a < b;
  if (op == ">") return a > b;
  if (op == "<=") return a <= b;
  if (op == ">=") return a >= b;
  return a == b;
}

bool plain_word(const std::string& v) {
  if (v.empty()) return false;
  for (char c : v) if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

// The ids a user reference names: `me`, an id, `none`, or an email (looked up).
Result<std::vector<std::string>> user_words(store::Conn& conn, char letter, const std::string& value,
                                            const domain::Principal& p) {
  namespace f = domain::facets;
  if (value == "none") return std::vector<std::string>{f::id(letter, std::nullopt)};
  if (value == "me") return std::vector<std::string>{f::id(letter, p.user_id)};
  if (auto id = parse_int(value)) return std::vector<std::string>{f::id(letter, *id)};
  std::vector<std::string> out;
  auto st = conn.each("SELECT id FROM users WHERE email_key = ?", {to_lower(value)},
                      [&](const store::Row& r) { out.push_back(f::id(letter, r.i64(0))); });
  if (!st) return fail(st.error());
  return out;
}

// The principal's visibility (tickets.cpp visibility_clause) as facet words; none: sees all.
std::optional<Part> visibility_words(const domain::Principal& p) {
  namespace f = domain::facets;
  if (p.sees_all_tickets()) return std::nullopt;
  std::vector<std::string> w;
  if (p.is_staff()) {
    const auto& r = *p.ticket_restriction;
    if (r == "assigned") w = {f::id('a', p.user_id), f::id('u', p.user_id)};
    else if (r == "requested") w = {f::id('u', p.user_id)};
    else {
      w = {f::id('g', std::nullopt), f::id('a', p.user_id), f::id('u', p.user_id)};
      for (auto g : p.group_ids) w.push_back(f::id('g', g));
    }
  } else {
    w = {f::id('u', p.user_id)};
    if (p.organization_shared && p.organization_id) w.push_back(f::id('o', *p.organization_id));
  }
  return any_of(w);
}

Result<Compiled> compile(store::Conn& conn, const SearchQuery& q, const domain::Principal& p) {
  namespace f = domain::facets;
  Compiled c;
  if (auto vis = visibility_words(p)) c.pos.push_back(std::move(*vis));
  for (const auto& t : q.terms) {
    Part expr;
    const auto& fld = t.field;
    if (fld.empty() || fld == "subject" || fld == "description" || fld == "comment") {
      auto e = fts_expr(t);
      if (e.empty()) continue;
      // Text never reaches the facets column: a column filter keeps it out, unless no facet word
      // can match it.
      if (fld == "subject") expr.expr = "subject : (" + e + ")";
      else if (fld == "description" || fld == "comment") expr.expr = "body : (" + e + ")";
      else if (needs_text_filter(t)) expr.expr = "{subject body} : (" + e + ")";
      else expr.expr = e;
      expr.text = true;
    } else if (fld == "status") {
      auto rank = domain::status_rank(t.value);
      if (!rank) return fail(Error::invalid("status must be one of new, open, pending, hold, solved, closed", "invalid"));
      std::vector<std::string> w;
      for (auto st : domain::k_statuses)
        if (compares(*domain::status_rank(st), t.op, *rank)) w.push_back(f::status(st));
      expr = any_of(w);
    } else if (fld == "priority") {
      int r = priority_rank(t.value);
      if (t.value == "none") expr = any_of({f::priority(std::nullopt)});
      else if (r < 0) return fail(Error::invalid("priority must be one of low, normal, high, urgent", "invalid"));
      else {
        std::vector<std::string> w;
        for (const char* pr : {"low", "normal", "high", "urgent"})
          if (compares(priority_rank(pr), t.op, r)) w.push_back(f::priority(std::string(pr)));
        expr = any_of(w);
      }
    } else if (fld == "ticket_type") {
      if (t.value == "none") expr = any_of({f::type(std::nullopt)});
      else expr = any_of(plain_word(t.value) ? std::vector<std::string>{f::type(t.value)} : std::vector<std::string>{});
    } else if (fld == "tags" || fld == "tag") {
      expr = any_of({t.value == "none" ? f::no_tags() : f::tag(domain::normalize_tag(t.value))});
    } else if (fld == "requester" || fld == "assignee" || fld == "submitter") {
      auto w = user_words(conn, fld == "requester" ? 'u' : fld == "assignee" ? 'a' : 's', t.value, p);
      if (!w) return fail(w.error());
      expr = any_of(*w);
    } else if (fld == "organization" || fld == "group") {
      char letter = fld == "group" ? 'g' : 'o';
      std::vector<std::string> w;
      if (t.value == "none") w.push_back(f::id(letter, std::nullopt));
      else if (auto id = parse_int(t.value)) w.push_back(f::id(letter, *id));
      else {
        std::string sql = std::string("SELECT id FROM ") + (fld == "group" ? "groups" : "organizations") +
                          " WHERE lower(name) = ?";
        auto st = conn.each(sql, {to_lower(t.value)}, [&](const store::Row& r) { w.push_back(f::id(letter, r.i64(0))); });
        if (!st) return fail(st.error());
      }
      expr = any_of(w);
    } else if (fld == "via") {
      expr = any_of({f::channel(t.value)});
    } else if (fld == "created" || fld == "updated" || fld == "solved" || fld == "due_date") {
      std::string col = fld == "due_date" ? "due_at" : fld + "_at";
      auto when = parse_iso8601(t.value);
      if (!when) return fail(Error::invalid(fld + " needs a date such as 2024-01-31", "invalid"));
      bool day = t.value.size() == 10;
      std::string cond;
      store::Params ps;
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
      c.where.push_back(t.negated ? "NOT (" + cond + ")" : cond);
      for (auto& x : ps) c.params.push_back(std::move(x));
      continue;
    } else {
      continue;
    }
    (t.negated ? c.neg : c.pos).push_back(std::move(expr));
  }
  c.match = match_of(c.pos, c.neg);
  return c;
}

// The tickets table's conditions, with the full-text match as an id subquery.
std::string where_sql(const Compiled& c, store::Params& params) {
  std::string where = " WHERE deleted_at IS NULL";
  params = c.params;
  for (auto& w : c.where) where += " AND (" + w + ")";
  if (!c.match.empty()) {
    where += " AND id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)";
    params.push_back(c.match);
  }
  return where;
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

namespace {

struct TopK {
  std::vector<int64_t> ids;  // the best keys' ids, best first, at most k
  int64_t total = 0;         // rows the query produced
};

// One pass over `SELECT <key>, id ...`: counts every row and keeps the best k sort keys in a
// bounded heap, so nothing sorts every match or reads it twice.
Result<TopK> heap_top(store::Conn& conn, const std::string& sql, const store::Params& params, const SearchSort& sort,
                      std::size_t k) {
  auto better = [desc = sort.desc](const SortKey& a, const SortKey& b) { return desc ? key_less(b, a) : key_less(a, b); };
  std::vector<SortKey> heap;  // a max-heap under `better`: the worst kept key on top
  heap.reserve(k);
  TopK out;
  SortKey cur;
  auto st = conn.each(sql, params, [&](const store::Row& r) {
    ++out.total;
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
  std::sort_heap(heap.begin(), heap.end(), better);
  for (auto& h : heap) out.ids.push_back(h.id);
  return out;
}

std::string sort_expression(const SearchSort& sort) {
  return sort.column == "status"        ? "status_rank"
         : sort.column == "ticket_type" ? "type"
         : sort.column == "priority"
             ? "(CASE priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END)"
             : sort.column;
}

// The index whose order is the sort's (key, id) order, if there is one.
const char* sort_index(const SearchSort& sort) {
  if (sort.column == "updated_at") return "tickets_updated";
  if (sort.column == "created_at") return "tickets_created";
  if (sort.column == "status") return "tickets_status";
  return nullptr;
}

// Walks the sort's index in order, keeping the ids found in `matches` (sorted), until k are
// found. Stops (nullopt) after `budget` index entries: the matches are too sparse in that order
// and probing each is cheaper.
Result<std::optional<std::vector<int64_t>>> walk_index(store::Conn& conn, const SearchSort& sort,
                                                       const std::vector<int64_t>& matches, std::size_t k,
                                                       int64_t budget) {
  const std::string col = sort_expression(sort);
  const std::string dir = sort.desc ? "DESC" : "ASC";
  const std::string cmp = sort.desc ? "<" : ">";
  constexpr int64_t k_chunk = 2048;
  std::vector<int64_t> found;
  std::optional<std::pair<int64_t, int64_t>> last;  // (key, id) of the last entry read
  int64_t read = 0;
  while (found.size() < k) {
    store::Params ps;
    std::string sql = "SELECT " + col + ", id FROM tickets INDEXED BY " + sort_index(sort);
    if (last) {
      sql += " WHERE (" + col + ", id) " + cmp + " (?, ?)";
      ps.push_back(last->first);
      ps.push_back(last->second);
    }
    sql += " ORDER BY " + col + " " + dir + ", id " + dir + " LIMIT ?";
    ps.push_back(k_chunk);
    int64_t rows = 0;
    auto st = conn.each(sql, ps, [&](const store::Row& r) {
      ++rows;
      last = {r.i64(0), r.i64(1)};
      if (found.size() < k && std::binary_search(matches.begin(), matches.end(), r.i64(1))) found.push_back(r.i64(1));
    });
    if (!st) return fail(st.error());
    read += rows;
    if (rows < k_chunk) break;  // the end of the table
    if (found.size() < k && read >= budget) return std::optional<std::vector<int64_t>>{};
  }
  return std::optional<std::vector<int64_t>>{std::move(found)};
}

// Keeps the ids of `ids` that are not in `drop` (both ascending).
void subtract(std::vector<int64_t>& ids, const std::vector<int64_t>& drop) {
  std::vector<int64_t> kept;
  kept.reserve(ids.size());
  std::set_difference(ids.begin(), ids.end(), drop.begin(), drop.end(), std::back_inserter(kept));
  ids = std::move(kept);
}

// The matches (ascending ids) of a query wholly in the full-text index, with the conditions on
// the facet table's fields tested there, text conditions answered by the text cache
// (text_matches.hpp) and the rest asked of FTS5 (facet_table.hpp says why). nullopt when the
// table cannot answer: none is loaded, thousands of this snapshot's tickets are past it, it has
// not taken another process's changes yet, or neither it nor the text cache has a condition to
// answer.
Result<std::optional<std::vector<int64_t>>> table_matches(store::Conn& conn, const Compiled& c) {
  using Ids = std::optional<std::vector<int64_t>>;
  auto table = facet_table(conn.path());
  if (!table) return Ids{};
  // The text cache places a search by its snapshot, so the search must be one read transaction.
  const bool cache = sqlite3_get_autocommit(conn.handle()) == 0;
  std::vector<FacetTable::Clause> clauses;
  std::vector<Part> pos, neg, text_pos, text_neg;
  auto sort_out = [&](const std::vector<Part>& parts, bool negated, std::vector<Part>& rest, std::vector<Part>& text) {
    for (const auto& part : parts) {
      FacetTable::Clause clause;
      clause.negated = negated;
      bool held = part.words.has_value();
      for (std::size_t i = 0; held && i < part.words->size(); ++i) held = clause.add((*part.words)[i]);
      if (held) clauses.push_back(std::move(clause));
      else if (cache && part.text) text.push_back(part);
      else rest.push_back(part);
    }
  };
  sort_out(c.pos, false, pos, text_pos);
  sort_out(c.neg, true, neg, text_neg);
  if (clauses.empty() && text_pos.empty() && text_neg.empty()) return Ids{};
  int64_t snapshot_max = 0, snapshot_epoch = 0;
  auto st = conn.each("SELECT (SELECT max(id) FROM tickets), (SELECT n FROM search_epoch WHERE id = 1)", {},
                      [&](const store::Row& r) {
                        snapshot_max = r.is_null(0) ? 0 : r.i64(0);
                        snapshot_epoch = r.is_null(1) ? 0 : r.i64(1);
                      });
  if (!st) return fail(st.error());
  // Another process changed tickets since the table last took such changes: the index alone,
  // while the table catches up.
  if (snapshot_epoch > table->epoch()) {
    table->catch_up_later();
    return Ids{};
  }
  // The tickets of this snapshot the table has not been given yet (a batch committed and not yet
  // durable, or written by another process) are read from the snapshot; too many: the index alone.
  const auto table_max = table->max_id();
  std::optional<FacetTable::Tail> tail;
  if (snapshot_max > table_max) {
    if (snapshot_max - table_max > 4096) return Ids{};
    auto t = FacetTable::tail_of(conn, table_max);
    if (!t) return fail(t.error());
    if (!*t) return Ids{};
    tail = std::move(*t);
  } else {
    tail.emplace();
  }
  TextMatches::Place place;
  if (!text_pos.empty() || !text_neg.empty()) {
    auto p = TextMatches::place_of(conn);
    if (!p) return fail(p.error());
    place = *p;
  }
  auto text_ids = [&](const Part& part) { return table->text().ids(conn, place, part.expr); };
  std::vector<int64_t> ids;
  bool started = false;
  if (!pos.empty()) {
    if (auto st = fts_ids(conn, match_of(pos, neg), ids); !st) return fail(st.error());
    started = true;
  }
  for (const auto& part : text_pos) {
    auto t = text_ids(part);
    if (!t) return fail(t.error());
    if (!started) {
      ids = std::move(*t);
      started = true;
      continue;
    }
    std::vector<int64_t> both;
    std::set_intersection(ids.begin(), ids.end(), t->begin(), t->end(), std::back_inserter(both));
    ids = std::move(both);
  }
  if (started) {
    if (!clauses.empty()) table->filter(ids, clauses, *tail);
  } else {
    ids = table->scan(clauses, snapshot_max, *tail);
  }
  for (const auto& part : text_neg) {
    auto t = text_ids(part);
    if (!t) return fail(t.error());
    subtract(ids, *t);
  }
  if (pos.empty() && !neg.empty()) {
    // Only negations are left for FTS5: drop what any of them matches.
    std::string any;
    for (const auto& n : neg) any += (any.empty() ? "(" : " OR (") + n.expr + ")";
    std::vector<int64_t> excluded;
    if (auto st = fts_ids(conn, any, excluded); !st) return fail(st.error());
    subtract(ids, excluded);
  }
  return Ids{std::move(ids)};
}

std::string json_ids(const std::vector<int64_t>& ids) {
  std::string out = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

}  // namespace

Result<domain::Page<domain::Ticket>> search_tickets(store::Conn& conn, const SearchQuery& q, const domain::Principal& p,
                                                    const SearchSort& sort, int64_t offset, int64_t limit,
                                                    SearchPlan plan) {
  auto c = compile(conn, q, p);
  if (!c) return fail(c.error());
  const auto k = static_cast<std::size_t>(std::max<int64_t>(0, offset + limit));
  const std::string key = sort_expression(sort);
  domain::Page<domain::Ticket> page;
  std::vector<int64_t> ids;
  if (c->where.empty() && !c->match.empty()) {
    // Everything is in the full-text index (and the facet table): FTS5 intersects the word
    // lists, and the matches' ids (ascending) give the exact count without reading a ticket.
    auto from_table = table_matches(conn, *c);
    if (!from_table) return fail(from_table.error());
    if (k == 0 && !*from_table) {  // the count alone (GET /search/count, and the count of a mixed search)
      auto n = conn.scalar("SELECT COUNT(*) FROM ticket_fts WHERE ticket_fts MATCH ?", {c->match});
      if (!n) return fail(n.error());
      page.count = n->value_or(0);
      return page;
    }
    const bool listed = from_table->has_value();  // the facet table chose the matches
    std::vector<int64_t> matches;
    if (listed) matches = std::move(**from_table);
    else if (auto st = fts_ids(conn, c->match, matches); !st) return fail(st.error());
    page.count = static_cast<int64_t>(matches.size());
    if (k == 0) return page;
    if (!matches.empty()) {
      // The best k in the sort order: either walk the sort's index and keep the matches (cheap
      // when they are dense), or read each match's sort key (cheap when they are few). A probe
      // is a random b-tree lookup, about 15 times an index step.
      std::optional<std::vector<int64_t>> walked;
      if (sort_index(sort) && plan != SearchPlan::probe) {
        auto live = conn.scalar("SELECT COALESCE(SUM(live), 0) FROM ticket_counts");
        if (!live) return fail(live.error());
        const double n = static_cast<double>(std::max<int64_t>(live->value_or(0), 1));
        const double m = static_cast<double>(matches.size());
        const double walk_cost = static_cast<double>(k) * n / m;
        if (plan == SearchPlan::walk || walk_cost < 15.0 * m) {
          // Twice the expected walk (at least one chunk) before giving up on it; unbounded when forced.
          int64_t budget = plan == SearchPlan::walk ? INT64_MAX : static_cast<int64_t>(std::max(4096.0, 2 * walk_cost));
          auto w = walk_index(conn, sort, matches, k, budget);
          if (!w) return fail(w.error());
          walked = std::move(*w);
        }
      }
      if (walked) {
        ids = std::move(*walked);
      } else {
        // Each match's sort key, the matches named by the same query or, when the facet table
        // chose them, listed.
        auto top = listed ? heap_top(conn, "SELECT " + key + ", id FROM tickets WHERE id IN (SELECT value FROM json_each(?))",
                                     {json_ids(matches)}, sort, k)
                          : heap_top(conn,
                                     "SELECT " + key + ", id FROM tickets WHERE id IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)",
                                     {c->match}, sort, k);
        if (!top) return fail(top.error());
        ids = std::move(top->ids);
      }
    }
  } else {
    store::Params params;
    auto where = where_sql(*c, params);
    auto top = heap_top(conn, "SELECT " + key + ", id FROM tickets" + where, params, sort, k);
    if (!top) return fail(top.error());
    page.count = top->total;
    ids = std::move(top->ids);
  }
  if (offset > 0) ids.erase(ids.begin(), ids.begin() + std::min<std::ptrdiff_t>(offset, static_cast<std::ptrdiff_t>(ids.size())));
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
  auto c = compile(conn, q, p);
  if (!c) return fail(c.error());
  std::vector<int64_t> ids;
  store::Params params;
  auto where = where_sql(*c, params);
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
