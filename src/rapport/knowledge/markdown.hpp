#pragma once
// Knowledge-base articles are written in Markdown (GitHub flavour: tables, strikethrough,
// autolinks, task lists) and rendered by cmark-gfm. Raw HTML in the source is never passed
// through (cmark-gfm's safe mode: raw HTML is omitted and javascript:/vbscript:/file: links are
// emptied), so an article cannot carry script into the help center.
#include <string>
#include <string_view>

namespace rapport::knowledge {

// Safe HTML for `markdown`.
std::string render_markdown(std::string_view markdown);
// The words a reader sees, for the search index and snippets (no markup, no link targets).
std::string markdown_text(std::string_view markdown);

}  // namespace rapport::knowledge
