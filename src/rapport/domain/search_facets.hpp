#pragma once
// Search facets: a ticket's filterable fields written as words into the `facets` column of the
// full-text index (ticket_fts), so that a search such as `status:open printer` is answered by
// FTS5 intersecting two word lists, and its exact count is a count over the index alone.
// Before, every text match was looked up in the tickets table to test its status: 1.1 s for
// 72,500 matches in 1,000,000 tickets. Dates stay SQL conditions (ranges do not fit words).
//
// The unicode61 tokenizer splits on anything but letters and digits, so every facet is one
// lower-case alphanumeric word: a one-letter field prefix and the value, with tags and channels
// hex-encoded (they may hold `_:/.-`). Words are only ever matched inside the `facets` column,
// so they cannot collide with text.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/domain/records.hpp>

namespace rapport::domain::facets {

// The word every ticket carries: the left side of a query made only of negations.
inline constexpr std::string_view k_any = "any";
// A word no ticket carries: a term that can match nothing (an unknown requester email).
inline constexpr std::string_view k_nothing = "nomatch";

std::string status(std::string_view s);                     // sopen
std::string priority(const std::optional<std::string>& p);  // phigh, pnone
std::string type(const std::optional<std::string>& t);      // yincident, ynone
std::string tag(std::string_view tag);                      // t<hex>
std::string no_tags();                                      // tnone
std::string channel(std::string_view c);                    // v<hex>
// u: requester, s: submitter, a: assignee, o: organization, g: group; `none` for no value.
std::string id(char field, const std::optional<Id>& v);

// Whether some facet word above begins with `w`, a lower-case word of ASCII letters and digits.
// A free-text word for which this is false cannot match inside the `facets` column, so its
// search needs no column filter, which costs FTS5 a read of every match's position list (about
// a fifth of a `printer refund` search at 1,000,000 tickets). Keep it in step with the words.
bool some_word_starts_with(std::string_view w);

// Every facet word of a ticket, space-separated.
std::string of(const Ticket& t);
// The same from the columns as stored (`tags` is the JSON array text): the SQL function
// `ticket_facets(...)` the migration uses to index existing tickets.
std::string of_columns(std::string_view status, const std::optional<std::string>& priority,
                       const std::optional<std::string>& type, std::string_view tags_json, Id requester_id,
                       Id submitter_id, const std::optional<Id>& assignee_id, const std::optional<Id>& organization_id,
                       const std::optional<Id>& group_id, std::string_view channel);

}  // namespace rapport::domain::facets
