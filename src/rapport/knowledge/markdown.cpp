#include <rapport/knowledge/markdown.hpp>

#include <cstdlib>
#include <memory>
#include <vector>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

namespace rapport::knowledge {

namespace {

// CMARK_OPT_UNSAFE stays off: that is what omits raw HTML and unsafe link schemes.
constexpr int k_options = CMARK_OPT_DEFAULT | CMARK_OPT_GITHUB_PRE_LANG;
constexpr const char* k_extensions[] = {"table", "strikethrough", "autolink", "tasklist"};

struct NodeFree {
  void operator()(cmark_node* n) const { cmark_node_free(n); }
};
struct ParserFree {
  void operator()(cmark_parser* p) const { cmark_parser_free(p); }
};
using Node = std::unique_ptr<cmark_node, NodeFree>;

// The registered extensions, looked up once (the registry is global and never changes after).
const std::vector<cmark_syntax_extension*>& extensions() {
  static const std::vector<cmark_syntax_extension*> k_list = [] {
    cmark_gfm_core_extensions_ensure_registered();
    std::vector<cmark_syntax_extension*> out;
    for (const char* name : k_extensions) {
      if (auto* ext = cmark_find_syntax_extension(name)) out.push_back(ext);
    }
    return out;
  }();
  return k_list;
}

Node parse(std::string_view markdown) {
  std::unique_ptr<cmark_parser, ParserFree> parser(cmark_parser_new(k_options));
  for (auto* ext : extensions()) cmark_parser_attach_syntax_extension(parser.get(), ext);
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  return Node(cmark_parser_finish(parser.get()));
}

std::string take(char* s) {
  std::string out = s ? s : "";
  std::free(s);
  return out;
}

}  // namespace

std::string render_markdown(std::string_view markdown) {
  auto doc = parse(markdown);
  cmark_mem* mem = cmark_get_default_mem_allocator();
  cmark_llist* exts = nullptr;  // the HTML renderer needs the list to render tables and task lists
  for (auto* ext : extensions()) exts = cmark_llist_append(mem, exts, ext);
  std::string html = take(cmark_render_html(doc.get(), k_options, exts));
  cmark_llist_free(mem, exts);
  return html;
}

std::string markdown_text(std::string_view markdown) {
  auto doc = parse(markdown);
  return take(cmark_render_plaintext(doc.get(), k_options, 0));
}

}  // namespace rapport::knowledge
