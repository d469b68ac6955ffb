#include <rapport/knowledge/knowledge.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/knowledge/markdown.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::knowledge {

namespace {

constexpr const char* k_article_columns =
    "id, section_id, category_id, title, body_markdown, body_html, author_id, draft, visibility, label_names, "
    "position, promoted, created_at, updated_at, edited_at, published_at";
// Articles with their category, for lists and filters (`k` in queries).
constexpr const char* k_articles_view =
    "(SELECT a.*, s.category_id AS category_id FROM kb_articles a JOIN kb_sections s ON s.id = a.section_id) k";

std::optional<Id> actor_id(const Principal& p) { return p.user_id ? std::optional<Id>(p.user_id) : std::nullopt; }

Status append_event(store::Conn& conn, const std::string& kind, const std::string& entity, Id id, const Principal& actor,
                    Json data, int64_t now) {
  events::Event e{kind, entity, id, actor_id(actor), actor.token_id, std::move(data)};
  if (auto r = events::append(conn, e, now); !r) return fail(r.error());
  return {};
}

Category map_category(const store::Row& r) {
  return Category{r.i64(0), r.text(1), r.text(2), r.i64(3), r.i64(4), r.i64(5)};
}

Section map_section(const store::Row& r) {
  Section s;
  s.id = r.i64(0);
  s.category_id = r.i64(1);
  s.name = r.text(2);
  s.description = r.text(3);
  s.position = r.i64(4);
  s.created_at = r.i64(5);
  s.updated_at = r.i64(6);
  return s;
}

Article map_article(const store::Row& r) {
  Article a;
  a.id = r.i64(0);
  a.section_id = r.i64(1);
  a.category_id = r.i64(2);
  a.title = r.text(3);
  a.body_markdown = r.text(4);
  a.body_html = r.text(5);
  a.author_id = r.opt_i64(6);
  a.draft = r.i64(7) != 0;
  a.visibility = r.text(8);
  auto labels = Json::parse(r.text(9), nullptr, false);
  a.label_names = labels.is_array() ? labels : Json::array();
  a.position = r.i64(10);
  a.promoted = r.i64(11) != 0;
  a.created_at = r.i64(12);
  a.updated_at = r.i64(13);
  a.edited_at = r.i64(14);
  a.published_at = r.opt_i64(15);
  return a;
}

// The condition (over the article view's columns, alias-free) limiting articles to what `p` sees.
std::string visibility_clause(const Principal& p) {
  if (can_edit(p)) return "archived_at IS NULL";
  if (p.is_staff()) return "archived_at IS NULL AND draft = 0";
  return "archived_at IS NULL AND draft = 0 AND visibility = 'public'";
}

Status need_editor(const Principal& actor) {
  if (!can_edit(actor)) return fail(Error::forbidden());
  return {};
}

// Name, description and position, shared by categories and sections.
struct Named {
  std::optional<std::string> name, description;
  std::optional<int64_t> position;
};
Named read_named(JsonInput& in, bool creating) {
  Named n;
  auto& v = in.validation();
  if (in.has("name")) {
    n.name = in.str("name", 255);
    if (!n.name || trim(*n.name).empty()) v.add("name", "BlankValue", "Name: cannot be blank");
    else n.name = std::string(trim(*n.name));
  } else if (creating) {
    v.add("name", "BlankValue", "Name: cannot be blank");
  }
  if (in.has("description")) n.description = in.str("description", 4096).value_or("");
  if (in.has("position")) n.position = in.integer("position");
  return n;
}

Json normalized_labels(const std::vector<std::string>& in, Validation& v) {
  std::set<std::string> seen;
  Json out = Json::array();
  for (const auto& raw : in) {
    auto l = to_lower(trim(raw));
    if (l.empty()) continue;
    if (l.size() > 64) {
      v.add("label_names", "InvalidValue", "Label names: each is at most 64 characters");
      break;
    }
    if (seen.insert(l).second) out.push_back(l);
  }
  if (out.size() > k_max_labels)
    v.add("label_names", "InvalidValue", "Label names: at most " + std::to_string(k_max_labels) + " labels");
  return out;
}

std::string labels_text(const Json& labels) {
  std::string out;
  for (const auto& l : labels) out += (out.empty() ? "" : " ") + l.get<std::string>();
  return out;
}

Result<Article> read_article(store::Conn& conn, Id id) {
  std::optional<Article> out;
  auto st = conn.each(std::string("SELECT ") + k_article_columns + " FROM " + k_articles_view +
                          " WHERE id = ? AND archived_at IS NULL",
                      {id}, [&](const store::Row& r) { out = map_article(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

// Every live article is in kb_article_fts; the published public ones also in kb_public_fts, the
// index visitors and customers search (V016).
Status unindex_article(store::Conn& conn, Id id) {
  for (const char* sql : {"DELETE FROM kb_article_fts WHERE rowid = ?", "DELETE FROM kb_public_fts WHERE rowid = ?"})
    if (auto r = conn.run(sql, {id}); !r) return fail(r.error());
  return {};
}

Status index_article(store::Conn& conn, const Article& a) {
  if (auto st = unindex_article(conn, a.id); !st) return st;
  const store::Params row{a.id, a.title, markdown_text(a.body_markdown), labels_text(a.label_names)};
  auto r = conn.run("INSERT INTO kb_article_fts(rowid, title, body, labels) VALUES (?, ?, ?, ?)", row);
  if (!r) return fail(r.error());
  if (!a.draft && a.visibility == "public") {
    r = conn.run("INSERT INTO kb_public_fts(rowid, title, body, labels) VALUES (?, ?, ?, ?)", row);
    if (!r) return fail(r.error());
  }
  return {};
}

Status check_section(store::Conn& conn, Id section_id, Validation& v) {
  auto r = conn.scalar("SELECT 1 FROM kb_sections WHERE id = ?", {section_id});
  if (!r) return fail(r.error());
  if (!*r) v.add("section_id", "InvalidValue", "Section: does not exist");
  return {};
}

// Applies the article fields present in `in` to `a`.
void apply_article(JsonInput& in, Article& a, bool creating) {
  auto& v = in.validation();
  if (in.has("title") || creating) {
    auto t = in.str("title", 255);
    if (!t || trim(*t).empty()) v.add("title", "BlankValue", "Title: cannot be blank");
    else a.title = std::string(trim(*t));
  }
  if (in.has("body")) {
    auto b = in.str("body", k_max_body);
    a.body_markdown = b.value_or("");
  }
  if (in.has("draft")) {
    if (auto d = in.boolean("draft")) a.draft = *d;
  }
  if (in.has("visibility")) {
    auto vis = in.str("visibility");
    if (!vis || (*vis != "public" && *vis != "internal"))
      v.add("visibility", "InvalidValue", "Visibility: must be public or internal");
    else a.visibility = *vis;
  }
  if (in.has("label_names")) {
    if (auto l = in.strings("label_names")) a.label_names = normalized_labels(*l, v);
  }
  if (in.has("position")) {
    if (auto p = in.integer("position")) a.position = *p;
  }
  if (in.has("promoted")) {
    if (auto p = in.boolean("promoted")) a.promoted = *p;
  }
}

// Splits text into search words: runs of ASCII letters and digits or non-ASCII bytes (letters of
// other scripts), lower-cased. Hand-written: FTS5's own tokenizer is not callable from SQL.
std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool is_stop_word(const std::string& w) {
  static const std::set<std::string> k_stop = {
      "a",     "about", "after", "again", "all",   "am",    "an",    "and",   "any",   "are",   "as",    "at",
      "be",    "been",  "but",   "by",    "can",   "could", "did",   "do",    "does",  "for",   "from",  "get",
      "got",   "had",   "has",   "have",  "hello", "help",  "hi",    "how",   "i",     "if",    "in",    "is",
      "it",    "its",   "just",  "me",    "my",    "no",    "not",   "of",    "on",    "or",    "our",   "please",
      "so",    "that",  "the",   "their", "them",  "then",  "there", "this",  "to",    "too",   "up",    "us",
      "was",   "we",    "what",  "when",  "where", "which", "who",   "why",   "will",  "with",  "would", "you",
      "your",  "thanks", "thank", "im",   "dont",  "cant",  "ive",   "m",     "s",     "t"};
  return k_stop.count(w) > 0;
}

// Escapes a snippet and turns SQLite's \x02..\x03 match markers into <em>.
std::string snippet_html(const std::string& raw) {
  std::string out;
  for (char c : html_escape(raw)) {
    if (c == '\x02') out += "<em>";
    else if (c == '\x03') out += "</em>";
    else if (c == '\n' || c == '\r' || c == '\t') out += ' ';
    else out.push_back(c);
  }
  return out;
}

// The matches, joined so that FTS5 drives: CROSS JOIN makes SQLite keep this order, one rowid
// lookup per match. (With a plain JOIN the planner may loop over the articles and run the MATCH
// once per article: over 10,000 articles that was a second per query.) Search filters name
// `section_id` (the article's) and `category_id` (the section's); the visibility rule names
// columns only articles have. All unambiguous in this FROM.
std::string search_from(const std::string& index) {
  return index + " CROSS JOIN kb_articles a ON a.id = " + index + ".rowid CROSS JOIN kb_sections s ON s.id = a.section_id";
}

// Visitors and customers (no editor, not staff) search kb_public_fts, which holds only what they
// may read; with no section or category filter nothing needs joining to rank and count.
bool public_reader(const Principal& reader) { return !reader.is_staff(); }
const char* search_index(const Principal& reader) { return public_reader(reader) ? "kb_public_fts" : "kb_article_fts"; }

// The matches `reader` may see as (id, score); the MATCH is the first parameter, then the
// filters' parameters.
std::string matches_sql(const Principal& reader, const std::vector<std::string>& extra_where) {
  const std::string index = search_index(reader);
  const std::string score = "bm25(" + index + ", 10.0, 1.0, 5.0) AS score";
  if (public_reader(reader) && extra_where.empty())
    return "SELECT rowid AS id, " + score + " FROM kb_public_fts WHERE kb_public_fts MATCH ?";
  std::string sql = "SELECT a.id AS id, " + score + " FROM " + search_from(index) + " WHERE " + index + " MATCH ? AND " +
                    visibility_clause(reader);
  for (const auto& x : extra_where) sql += " AND " + x;
  return sql;
}

// One page of matches, best first: ids and scores from the index, then those articles, then
// snippets for those articles only (snippet() over every match of a common word costs more than
// the whole rest of the query).
Result<std::vector<SearchHit>> run_search(store::Conn& conn, const std::string& match, const Principal& reader,
                                          const std::vector<std::string>& extra_where, const store::Params& extra_params,
                                          int64_t limit, int64_t offset, int64_t* total = nullptr) {
  std::vector<std::pair<Id, double>> ranked;
  store::Params params = {match};
  for (const auto& p : extra_params) params.push_back(p);
  params.push_back(limit);
  params.push_back(offset);
  // COUNT(*) OVER () counts every match in the same pass that ranks them. bm25() works only
  // inside the FTS5 scan: the window in the outer query keeps SQLite from flattening the scan into
  // it, so bm25 is computed in the subquery and the outer query only sorts and counts.
  const std::string index = search_index(reader);
  auto st = conn.each("SELECT id, score, COUNT(*) OVER () FROM (" + matches_sql(reader, extra_where) + ") ORDER BY score, id LIMIT ? OFFSET ?",
                      params, [&](const store::Row& r) {
                        ranked.emplace_back(r.i64(0), r.f64(1));
                        if (total) *total = r.i64(2);
                      });
  if (!st) return fail(st.error());
  std::vector<SearchHit> hits;
  if (ranked.empty()) return hits;
  store::Params ids;
  for (const auto& [id, score] : ranked) ids.push_back(id);
  std::map<Id, Article> articles;
  st = conn.each(std::string("SELECT ") + k_article_columns + " FROM " + k_articles_view + " WHERE id IN (" +
                     store::placeholders(ids.size()) + ")",
                 ids, [&](const store::Row& r) {
                   auto a = map_article(r);
                   articles.emplace(a.id, std::move(a));
                 });
  if (!st) return fail(st.error());
  std::map<Id, std::string> snippets;
  store::Params snippet_params = {"\x02", "\x03", match};
  for (const auto& p : ids) snippet_params.push_back(p);
  st = conn.each("SELECT rowid, snippet(" + index + ", 1, ?, ?, '…', 24) FROM " + index + " WHERE " + index +
                     " MATCH ? AND rowid IN (" + store::placeholders(ids.size()) + ")",
                 snippet_params, [&](const store::Row& r) { snippets[r.i64(0)] = r.text(1); });
  if (!st) return fail(st.error());
  for (const auto& [id, score] : ranked) {
    auto it = articles.find(id);
    if (it == articles.end()) continue;
    hits.push_back(SearchHit{std::move(it->second), snippet_html(snippets[id]), score});
  }
  return hits;
}

}  // namespace

bool can_edit(const Principal& p) {
  return p.is_admin() || (p.is_staff() && (p.rapport_role == domain::RapportRole::manager ||
                                           p.rapport_role == domain::RapportRole::team_lead));
}

// ---- categories ----

Result<std::vector<Category>> list_categories(store::Conn& conn) {
  std::vector<Category> out;
  auto st = conn.each("SELECT id, name, description, position, created_at, updated_at FROM kb_categories "
                      "ORDER BY position, id",
                      {}, [&](const store::Row& r) { out.push_back(map_category(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<Category> get_category(store::Conn& conn, Id id) {
  std::optional<Category> out;
  auto st = conn.each("SELECT id, name, description, position, created_at, updated_at FROM kb_categories WHERE id = ?",
                      {id}, [&](const store::Row& r) { out = map_category(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

Result<Category> create_category(store::Tx& tx, const Json& in, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return fail(st.error());
  Validation v;
  JsonInput input(in, v);
  auto n = read_named(input, true);
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto& conn = tx.conn();
  auto r = conn.run("INSERT INTO kb_categories(name, description, position, created_at, updated_at) VALUES (?,?,?,?,?)",
                    {*n.name, n.description.value_or(""), n.position.value_or(0), now, now});
  if (!r) return fail(r.error());
  Id id = conn.last_insert_id();
  if (auto st = append_event(conn, "kb.category.created", "kb_category", id, actor, {{"name", *n.name}}, now); !st)
    return fail(st.error());
  return get_category(conn, id);
}

Result<Category> update_category(store::Tx& tx, Id id, const Json& in, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return fail(st.error());
  auto& conn = tx.conn();
  auto cur = get_category(conn, id);
  if (!cur) return cur;
  Validation v;
  JsonInput input(in, v);
  auto n = read_named(input, false);
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto r = conn.run("UPDATE kb_categories SET name = ?, description = ?, position = ?, updated_at = ? WHERE id = ?",
                    {n.name.value_or(cur->name), n.description.value_or(cur->description),
                     n.position.value_or(cur->position), now, id});
  if (!r) return fail(r.error());
  if (auto st = append_event(conn, "kb.category.updated", "kb_category", id, actor, {{"name", n.name.value_or(cur->name)}}, now);
      !st)
    return fail(st.error());
  return get_category(conn, id);
}

Status delete_category(store::Tx& tx, Id id, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return st;
  auto& conn = tx.conn();
  if (auto c = get_category(conn, id); !c) return fail(c.error());
  auto n = conn.scalar("SELECT COUNT(*) FROM kb_sections WHERE category_id = ?", {id});
  if (!n) return fail(n.error());
  if (n->value_or(0) > 0)
    return fail(Error::field("base", "InvalidValue", "Category: has sections; delete or move them first"));
  if (auto r = conn.run("DELETE FROM kb_categories WHERE id = ?", {id}); !r) return fail(r.error());
  return append_event(conn, "kb.category.deleted", "kb_category", id, actor, Json::object(), now_epoch());
}

// ---- sections ----

Result<std::vector<Section>> list_sections(store::Conn& conn, std::optional<Id> category_id, const Principal& reader) {
  std::vector<Section> out;
  std::string sql =
      "SELECT s.id, s.category_id, s.name, s.description, s.position, s.created_at, s.updated_at, "
      "(SELECT COUNT(*) FROM kb_articles k WHERE k.section_id = s.id AND " + visibility_clause(reader) +
      ") FROM kb_sections s" + (category_id ? " WHERE s.category_id = ?" : "") + " ORDER BY s.position, s.id";
  store::Params params;
  if (category_id) params.push_back(*category_id);
  auto st = conn.each(sql, params, [&](const store::Row& r) {
    auto s = map_section(r);
    s.article_count = r.i64(7);
    out.push_back(std::move(s));
  });
  if (!st) return fail(st.error());
  return out;
}

Result<Section> get_section(store::Conn& conn, Id id) {
  std::optional<Section> out;
  auto st = conn.each("SELECT id, category_id, name, description, position, created_at, updated_at FROM kb_sections "
                      "WHERE id = ?",
                      {id}, [&](const store::Row& r) { out = map_section(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

Result<Section> create_section(store::Tx& tx, Id category_id, const Json& in, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return fail(st.error());
  auto& conn = tx.conn();
  if (auto c = get_category(conn, category_id); !c) return fail(c.error());
  Validation v;
  JsonInput input(in, v);
  auto n = read_named(input, true);
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto r = conn.run(
      "INSERT INTO kb_sections(category_id, name, description, position, created_at, updated_at) VALUES (?,?,?,?,?,?)",
      {category_id, *n.name, n.description.value_or(""), n.position.value_or(0), now, now});
  if (!r) return fail(r.error());
  Id id = conn.last_insert_id();
  if (auto st = append_event(conn, "kb.section.created", "kb_section", id, actor,
                             {{"name", *n.name}, {"category_id", category_id}}, now);
      !st)
    return fail(st.error());
  return get_section(conn, id);
}

Result<Section> update_section(store::Tx& tx, Id id, const Json& in, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return fail(st.error());
  auto& conn = tx.conn();
  auto cur = get_section(conn, id);
  if (!cur) return cur;
  Validation v;
  JsonInput input(in, v);
  auto n = read_named(input, false);
  Id category_id = cur->category_id;
  if (input.has("category_id")) {
    if (auto c = input.integer("category_id")) {
      auto exists = conn.scalar("SELECT 1 FROM kb_categories WHERE id = ?", {*c});
      if (!exists) return fail(exists.error());
      if (!*exists) v.add("category_id", "InvalidValue", "Category: does not exist");
      category_id = *c;
    }
  }
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto r = conn.run(
      "UPDATE kb_sections SET category_id = ?, name = ?, description = ?, position = ?, updated_at = ? WHERE id = ?",
      {category_id, n.name.value_or(cur->name), n.description.value_or(cur->description),
       n.position.value_or(cur->position), now, id});
  if (!r) return fail(r.error());
  if (auto st = append_event(conn, "kb.section.updated", "kb_section", id, actor, {{"category_id", category_id}}, now); !st)
    return fail(st.error());
  return get_section(conn, id);
}

Status delete_section(store::Tx& tx, Id id, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return st;
  auto& conn = tx.conn();
  if (auto s = get_section(conn, id); !s) return fail(s.error());
  auto n = conn.scalar("SELECT COUNT(*) FROM kb_articles WHERE section_id = ?", {id});
  if (!n) return fail(n.error());
  if (n->value_or(0) > 0)
    return fail(Error::field("base", "InvalidValue", "Section: has articles; move them to another section first"));
  if (auto r = conn.run("DELETE FROM kb_sections WHERE id = ?", {id}); !r) return fail(r.error());
  return append_event(conn, "kb.section.deleted", "kb_section", id, actor, Json::object(), now_epoch());
}

// ---- articles ----

Result<domain::Page<Article>> list_articles(store::Conn& conn, const ArticleFilter& f, const domain::PageRequest& pr,
                                            const Principal& reader) {
  store::ListQuery q{k_article_columns, k_articles_view, {visibility_clause(reader)}, {}};
  if (f.section_id) {
    q.where.push_back("section_id = ?");
    q.params.push_back(*f.section_id);
  }
  if (f.category_id) {
    q.where.push_back("category_id = ?");
    q.params.push_back(*f.category_id);
  }
  if (!f.label_names.empty()) {
    q.where.push_back("EXISTS (SELECT 1 FROM json_each(label_names) WHERE value IN (" +
                      store::placeholders(f.label_names.size()) + "))");
    for (const auto& l : f.label_names) q.params.push_back(to_lower(l));
  }
  return store::run_list<Article>(conn, q, pr, map_article);
}

Result<Article> get_article(store::Conn& conn, Id id, const Principal& reader) {
  std::optional<Article> out;
  auto st = conn.each(std::string("SELECT ") + k_article_columns + " FROM " + k_articles_view + " WHERE id = ? AND " +
                          visibility_clause(reader),
                      {id}, [&](const store::Row& r) { out = map_article(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());  // a hidden article does not exist for this reader
  return *out;
}

Result<Article> create_article(store::Tx& tx, Id section_id, const Json& in, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return fail(st.error());
  auto& conn = tx.conn();
  if (auto s = get_section(conn, section_id); !s) return fail(s.error());
  Validation v;
  JsonInput input(in, v);
  Article a;
  a.section_id = section_id;
  a.draft = true;  // as in Zendesk's UI: written first, published on purpose
  apply_article(input, a, true);
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  a.author_id = actor_id(actor);
  a.body_html = render_markdown(a.body_markdown);
  a.created_at = a.updated_at = a.edited_at = now;
  if (!a.draft) a.published_at = now;
  auto r = conn.run(
      "INSERT INTO kb_articles(section_id, title, body_markdown, body_html, author_id, draft, visibility, label_names, "
      "position, promoted, created_at, updated_at, edited_at, published_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {a.section_id, a.title, a.body_markdown, a.body_html, a.author_id, a.draft, a.visibility, a.label_names.dump(),
       a.position, a.promoted, now, now, now, a.published_at});
  if (!r) return fail(r.error());
  a.id = conn.last_insert_id();
  if (auto st = index_article(conn, a); !st) return fail(st.error());
  if (auto st = append_event(conn, "kb.article.created", "kb_article", a.id, actor,
                             {{"section_id", a.section_id}, {"draft", a.draft}, {"visibility", a.visibility}}, now);
      !st)
    return fail(st.error());
  return read_article(conn, a.id);
}

Result<Article> update_article(store::Tx& tx, Id id, const Json& in, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return fail(st.error());
  auto& conn = tx.conn();
  auto cur = read_article(conn, id);
  if (!cur) return cur;
  Validation v;
  JsonInput input(in, v);
  Article a = *cur;
  apply_article(input, a, false);
  if (input.has("section_id")) {
    if (auto s = input.integer("section_id")) {
      if (auto st = check_section(conn, *s, v); !st) return fail(st.error());
      a.section_id = *s;
    }
  }
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  bool edited = a.title != cur->title || a.body_markdown != cur->body_markdown;
  if (a.body_markdown != cur->body_markdown) a.body_html = render_markdown(a.body_markdown);
  if (edited) a.edited_at = now;
  bool published = cur->draft && !a.draft;
  if (published && !a.published_at) a.published_at = now;
  auto r = conn.run(
      "UPDATE kb_articles SET section_id = ?, title = ?, body_markdown = ?, body_html = ?, draft = ?, visibility = ?, "
      "label_names = ?, position = ?, promoted = ?, updated_at = ?, edited_at = ?, published_at = ? WHERE id = ?",
      {a.section_id, a.title, a.body_markdown, a.body_html, a.draft, a.visibility, a.label_names.dump(), a.position,
       a.promoted, now, a.edited_at, a.published_at, id});
  if (!r) return fail(r.error());
  // Publishing, unpublishing and a change of visibility move the article in or out of the help
  // center's index, so they re-index as an edit does.
  if (edited || a.label_names != cur->label_names || a.draft != cur->draft || a.visibility != cur->visibility) {
    if (auto st = index_article(conn, a); !st) return fail(st.error());
  }
  Json changes = Json::object();
  if (edited) changes["content"] = true;
  if (a.draft != cur->draft) changes["draft"] = {cur->draft, a.draft};
  if (a.visibility != cur->visibility) changes["visibility"] = {cur->visibility, a.visibility};
  if (a.section_id != cur->section_id) changes["section_id"] = {cur->section_id, a.section_id};
  const char* kind = published ? "kb.article.published" : (!cur->draft && a.draft ? "kb.article.unpublished" : "kb.article.updated");
  if (auto st = append_event(conn, kind, "kb_article", id, actor, {{"changes", changes}}, now); !st) return fail(st.error());
  return read_article(conn, id);
}

Status delete_article(store::Tx& tx, Id id, const Principal& actor) {
  if (auto st = need_editor(actor); !st) return st;
  auto& conn = tx.conn();
  if (auto a = read_article(conn, id); !a) return fail(a.error());
  int64_t now = now_epoch();
  if (auto r = conn.run("UPDATE kb_articles SET archived_at = ?, updated_at = ? WHERE id = ?", {now, now, id}); !r)
    return fail(r.error());
  if (auto st = unindex_article(conn, id); !st) return st;
  return append_event(conn, "kb.article.archived", "kb_article", id, actor, Json::object(), now);
}

// ---- search ----

std::string fts_query(std::string_view text, bool all_words, std::size_t max_words) {
  std::vector<std::string> picked;
  std::set<std::string> seen;
  for (auto& w : words_of(text)) {
    if (w.size() > 64) continue;
    if (!all_words && (is_stop_word(w) || w.size() < 2)) continue;
    if (!seen.insert(w).second) continue;
    picked.push_back(w);
    if (picked.size() >= max_words) break;
  }
  std::string out;
  for (std::size_t i = 0; i < picked.size(); ++i) {
    if (i) out += all_words ? " AND " : " OR ";
    // Words hold only letters and digits, so quoting makes each a plain FTS5 string.
    out += "\"" + picked[i] + "\"";
    // The word being typed matches as a prefix once it has 3 letters (the index keeps 3- and
    // 4-letter prefixes); a 1-2 letter prefix would expand to most of the vocabulary.
    if (all_words && i + 1 == picked.size() && picked[i].size() >= 3) out += "*";
  }
  return out;
}

Result<SearchResult> search_articles(store::Conn& conn, const SearchQuery& q, const Principal& reader) {
  auto match = fts_query(q.text, true);
  if (match.empty()) return fail(Error::invalid("query must contain at least one word", "invalid"));
  std::vector<std::string> where;
  store::Params params;
  if (q.section_id) {
    where.push_back("section_id = ?");
    params.push_back(*q.section_id);
  }
  if (q.category_id) {
    where.push_back("category_id = ?");
    params.push_back(*q.category_id);
  }
  SearchResult out;
  auto hits = run_search(conn, match, reader, where, params, q.per_page, (q.page - 1) * q.per_page, &out.count);
  if (!hits) return fail(hits.error());
  out.hits = std::move(*hits);
  if (out.hits.empty() && q.page > 1) {
    // Past the last page: the ranking pass returned no row to carry the count.
    auto n = conn.scalar("SELECT COUNT(*) FROM (" + matches_sql(reader, where) + ")",
                         [&] {
                           store::Params p = {match};
                           for (const auto& x : params) p.push_back(x);
                           return p;
                         }());
    if (!n) return fail(n.error());
    out.count = n->value_or(0);
  }
  return out;
}

Result<std::vector<SearchHit>> suggest_articles(store::Conn& conn, std::string_view text, const Principal& reader,
                                                int64_t limit) {
  auto match = fts_query(text.substr(0, std::min<std::size_t>(text.size(), 8192)), false, 24);
  if (match.empty()) return std::vector<SearchHit>{};
  return run_search(conn, match, reader, {}, {}, std::clamp<int64_t>(limit, 1, 10), 0);
}

}  // namespace rapport::knowledge
