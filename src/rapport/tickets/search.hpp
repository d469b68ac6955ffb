#pragma once
// Zendesk's search syntax: `type:ticket status<solved tags:vip -tags:spam requester:me
// created>2024-01-01 "printer on fire" refund`, parsed into terms and compiled into one FTS5
// query over the full-text index (text and filters as facet words, domain/search_facets.hpp)
// plus parameterized SQL for what is not a word (dates).
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/db.hpp>

namespace rapport::tickets {

struct SearchTerm {
  std::string field;  // empty for free text
  std::string op;     // ":", "<", ">", "<=", ">="
  std::string value;
  bool negated = false;
  bool phrase = false;  // the value was quoted
};

struct SearchQuery {
  std::optional<std::string> type;  // ticket | user | organization | group
  std::vector<SearchTerm> terms;
  bool has_ticket_fields = false;   // a ticket-only field was used
  std::string free_text() const;    // the free-text words joined by spaces
};

Result<SearchQuery> parse_search(std::string_view q);

struct SearchSort {
  std::string column = "updated_at";  // validated: updated_at, created_at, priority, status, ticket_type
  bool desc = true;
};

// How the best matches are picked when the whole query is in the full-text index: by cost
// (automatic), or forced, for tests that check both give the same pages.
enum class SearchPlan { automatic, walk, probe };

// Matching tickets visible to `p`: the total and one slice [offset, offset+limit).
Result<domain::Page<domain::Ticket>> search_tickets(store::Conn& conn, const SearchQuery& q, const domain::Principal& p,
                                                    const SearchSort& sort, int64_t offset, int64_t limit,
                                                    SearchPlan plan = SearchPlan::automatic);
// Keyset pages by id, for /search/export.
Result<domain::Page<domain::Ticket>> export_tickets(store::Conn& conn, const SearchQuery& q, const domain::Principal& p,
                                                    const domain::PageRequest& pr);

}  // namespace rapport::tickets
