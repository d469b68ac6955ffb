#pragma once
// The knowledge base: Help Center categories, sections and articles (Markdown, draft or
// published, public or internal), with ranked full-text search and article suggestions.
//
// Who sees what (one rule, `article_visibility`):
//   knowledge-base editors (admins, managers, team leads)  every article, drafts included
//   other agents                                            published articles, public and internal
//   end users and anonymous visitors                        published public articles
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::knowledge {

using domain::Principal;
using Id = int64_t;

struct Category {
  Id id = 0;
  std::string name, description;
  int64_t position = 0;
  int64_t created_at = 0, updated_at = 0;
};

struct Section {
  Id id = 0, category_id = 0;
  std::string name, description;
  int64_t position = 0;
  int64_t created_at = 0, updated_at = 0;
  int64_t article_count = 0;  // articles the reader may see (lists only)
};

struct Article {
  Id id = 0, section_id = 0, category_id = 0;
  std::string title, body_markdown, body_html;
  std::optional<Id> author_id;
  bool draft = true;
  std::string visibility = "public";  // public | internal
  Json label_names = Json::array();
  int64_t position = 0;
  bool promoted = false;
  int64_t created_at = 0, updated_at = 0, edited_at = 0;
  std::optional<int64_t> published_at;
};

// Limits: an article body is at most 256 KiB of Markdown, a title 255 characters, 20 labels.
constexpr std::size_t k_max_body = 256 * 1024;
constexpr std::size_t k_max_labels = 20;

// Admins, managers and team leads write the knowledge base.
bool can_edit(const Principal& p);

Result<std::vector<Category>> list_categories(store::Conn& conn);
Result<Category> get_category(store::Conn& conn, Id id);
Result<Category> create_category(store::Tx& tx, const Json& in, const Principal& actor);
Result<Category> update_category(store::Tx& tx, Id id, const Json& in, const Principal& actor);
// Only an empty category (no sections) can be deleted.
Status delete_category(store::Tx& tx, Id id, const Principal& actor);

// Sections in position order, with the number of articles `reader` may see in each.
Result<std::vector<Section>> list_sections(store::Conn& conn, std::optional<Id> category_id, const Principal& reader);
Result<Section> get_section(store::Conn& conn, Id id);
Result<Section> create_section(store::Tx& tx, Id category_id, const Json& in, const Principal& actor);
Result<Section> update_section(store::Tx& tx, Id id, const Json& in, const Principal& actor);
// Only a section that never held an article can be deleted (archived ones count: reports keep them).
Status delete_section(store::Tx& tx, Id id, const Principal& actor);

struct ArticleFilter {
  std::optional<Id> section_id, category_id;
  std::vector<std::string> label_names;  // any of them
};
Result<domain::Page<Article>> list_articles(store::Conn& conn, const ArticleFilter& f, const domain::PageRequest& pr,
                                            const Principal& reader);
// not_found when it does not exist or `reader` may not see it.
Result<Article> get_article(store::Conn& conn, Id id, const Principal& reader);
// `in`: title, body (Markdown), draft, visibility, label_names, position, promoted.
Result<Article> create_article(store::Tx& tx, Id section_id, const Json& in, const Principal& actor);
// The same fields plus section_id (moves it).
Result<Article> update_article(store::Tx& tx, Id id, const Json& in, const Principal& actor);
// Archives it: gone from every list, the search and the help center; kept for reports.
Status delete_article(store::Tx& tx, Id id, const Principal& actor);

struct SearchHit {
  Article article;
  std::string snippet_html;  // escaped text with the matched words in <em>
  double score = 0;          // bm25, lower is better (SQLite's convention)
};
struct SearchResult {
  std::vector<SearchHit> hits;
  int64_t count = 0;
};
struct SearchQuery {
  std::string text;
  std::optional<Id> section_id, category_id;
  int64_t page = 1, per_page = 25;
};
// Every word must match (prefix match on the last one); ranked by bm25 with the title weighted
// 10, labels 5, body 1. Only articles `reader` may see. An empty query is invalid.
Result<SearchResult> search_articles(store::Conn& conn, const SearchQuery& q, const Principal& reader);
// Articles that might answer free text a customer or a ticket gave: any of its significant words
// matches (stop words dropped), best first, at most `limit` (<= 10).
Result<std::vector<SearchHit>> suggest_articles(store::Conn& conn, std::string_view text, const Principal& reader,
                                                int64_t limit = 5);

// The FTS5 query for `text`: each word quoted (so nothing in it is FTS syntax), joined by AND
// (`all_words`) or OR; stop words dropped in OR mode. Empty when no word is left.
std::string fts_query(std::string_view text, bool all_words, std::size_t max_words = 16);

}  // namespace rapport::knowledge
