#include <rapport/email/html.hpp>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <regex>
#include <vector>

#include <rapport/base/strings.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/email/reply.hpp>

namespace rapport::email {

// libxml2 parses (it repairs any tag soup into a tree, as mail clients' HTML needs); the walk
// below is hand-written because libxml2 has no sanitizer, and it is the allow-list itself: every
// element, attribute and CSS property written out is one named here.

namespace {

constexpr std::array k_kept = {
    "a",      "abbr",  "address", "b",     "bdi",    "bdo",     "big",   "blockquote", "br",   "caption", "center",
    "cite",   "code",  "col",     "colgroup", "dd",  "del",     "dfn",   "div",        "dl",   "dt",      "em",
    "font",   "h1",    "h2",      "h3",    "h4",     "h5",      "h6",    "hr",         "i",    "img",     "ins",
    "kbd",    "li",    "mark",    "ol",    "p",      "pre",     "q",     "s",          "samp", "small",   "span",
    "strike", "strong", "sub",    "sup",   "table",  "tbody",   "td",    "tfoot",      "th",   "thead",   "tr",
    "tt",     "u",     "ul",      "var",   "wbr"};

// Dropped with everything inside: not readable text, or able to run, load, embed or submit.
constexpr std::array k_dropped = {
    "applet", "area",   "audio",  "base",     "button",  "canvas", "datalist", "dialog", "embed",  "frame",
    "frameset", "head", "iframe", "input",    "keygen",  "link",   "map",      "math",   "meta",   "meter",
    "noembed", "noframes", "noscript", "object", "optgroup", "option", "output", "param", "picture", "plaintext",
    "portal", "progress", "script", "select",  "slot",   "source", "style",    "svg",    "template", "textarea",
    "title",  "track",  "video",  "xmp"};

constexpr std::array k_void = {"br", "col", "hr", "img", "wbr"};

// Void elements that are dropped. libxml2's HTML 4 parser does not know some of them as empty and
// makes what follows their children: that is walked, as the siblings a browser would see.
constexpr std::array k_dropped_void = {"area", "base", "embed", "input", "keygen", "link", "meta", "param", "source",
                                       "track"};

constexpr std::array k_css_properties = {
    "background-color", "border", "border-bottom", "border-bottom-color", "border-bottom-style", "border-bottom-width",
    "border-collapse", "border-color", "border-left", "border-left-color", "border-left-style", "border-left-width",
    "border-radius", "border-right", "border-right-color", "border-right-style", "border-right-width", "border-spacing",
    "border-style", "border-top", "border-top-color", "border-top-style", "border-top-width", "border-width", "color",
    "direction", "display", "font", "font-family", "font-size", "font-style", "font-variant", "font-weight", "height",
    "letter-spacing", "line-height", "list-style-type", "margin", "margin-bottom", "margin-left", "margin-right",
    "margin-top", "max-height", "max-width", "min-height", "min-width", "padding", "padding-bottom", "padding-left",
    "padding-right", "padding-top", "table-layout", "text-align", "text-decoration", "text-indent", "text-transform",
    "vertical-align", "white-space", "width", "word-break", "word-spacing", "word-wrap", "overflow-wrap"};

constexpr std::array k_display = {"block", "inline", "inline-block", "none", "table", "table-cell", "table-row",
                                  "list-item"};

template <std::size_t N>
bool in(const std::array<const char*, N>& list, std::string_view s) {
  return std::any_of(list.begin(), list.end(), [&](const char* x) { return s == x; });
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// What a browser does to a URL before reading its scheme: tab, CR and LF removed anywhere,
// leading and trailing C0 controls and spaces trimmed.
std::string url_as_browsers_read_it(std::string_view v) {
  std::string out;
  for (char ch : v)
    if (ch != '\t' && ch != '\n' && ch != '\r') out += ch;
  auto ctl = [](char ch) { return static_cast<unsigned char>(ch) <= 0x20; };
  while (!out.empty() && ctl(out.back())) out.pop_back();
  std::size_t i = 0;
  while (i < out.size() && ctl(out[i])) ++i;
  return out.substr(i);
}

std::optional<std::string> safe_link(std::string_view href) {
  auto url = url_as_browsers_read_it(href);
  auto lower = to_lower(url);
  for (const char* scheme : {"https://", "http://", "mailto:", "tel:"})
    if (starts_with(lower, scheme) && url.size() <= 4096) return url;
  return std::nullopt;
}

bool matches(const std::string& v, const std::regex& re) { return v.size() <= 100 && std::regex_match(v, re); }

// An attribute's value if the attribute is allowed on `tag` and the value is of its kind.
std::optional<std::string> safe_attribute(std::string_view tag, std::string_view name, const std::string& value) {
  static const std::regex k_length(R"(\s*\d{1,4}(\.\d+)?\s*(%|px)?\s*)", std::regex::icase);
  static const std::regex k_count(R"(\s*\d{1,4}\s*)");
  static const std::regex k_color(R"(\s*#?[a-zA-Z0-9]{1,20}\s*)");
  static const std::regex k_face(R"([\w ,'"\-]{1,100})");
  static const std::regex k_lang(R"([a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*)");
  static const std::regex k_list_type(R"([1aAiI]|disc|circle|square)");
  auto lower = to_lower(trim(value));
  if (name == "title" || (name == "alt" && tag == "img")) return value.substr(0, 500);
  if (name == "dir") return (lower == "ltr" || lower == "rtl" || lower == "auto") ? std::optional(lower) : std::nullopt;
  if (name == "lang") return matches(value, k_lang) ? std::optional(value) : std::nullopt;
  if (name == "align")
    return (lower == "left" || lower == "right" || lower == "center" || lower == "justify") ? std::optional(lower)
                                                                                           : std::nullopt;
  if (name == "valign")
    return (lower == "top" || lower == "middle" || lower == "bottom" || lower == "baseline") ? std::optional(lower)
                                                                                              : std::nullopt;
  if (name == "width" || name == "height" || name == "border" || name == "cellpadding" || name == "cellspacing")
    return matches(value, k_length) ? std::optional(std::string(trim(value))) : std::nullopt;
  if (name == "colspan" || name == "rowspan" || name == "start" || name == "span" || (name == "size" && tag == "font"))
    return matches(value, k_count) ? std::optional(std::string(trim(value))) : std::nullopt;
  if (name == "bgcolor" || (name == "color" && tag == "font"))
    return matches(value, k_color) ? std::optional(std::string(trim(value))) : std::nullopt;
  if (name == "face" && tag == "font") return matches(value, k_face) ? std::optional(value) : std::nullopt;
  if (name == "type" && (tag == "ol" || tag == "ul" || tag == "li"))
    return matches(value, k_list_type) ? std::optional(value) : std::nullopt;
  return std::nullopt;
}

// A style attribute reduced to its allowed declarations. Hand-written: Debian has no maintained
// CSS parser library for C++, and this only has to recognise `property: value` pairs; anything it
// cannot read plainly (escapes, comments, functions that load or compute) is dropped whole.
std::string safe_style(std::string_view style) {
  if (style.size() > 4096) return {};
  std::string out;
  for (const auto& decl : split(style, ';')) {
    auto colon = decl.find(':');
    if (colon == std::string::npos) continue;
    auto prop = to_lower(trim(std::string_view(decl).substr(0, colon)));
    std::string value(trim(std::string_view(decl).substr(colon + 1)));
    if (!in(k_css_properties, prop) || value.empty() || value.size() > 200) continue;
    auto lv = to_lower(value);
    bool bad = false;
    for (const char* no : {"url(", "expression", "image", "\\", "/*", "@", "<", ">", "&", "javascript", "behavior",
                           "binding", "attr(", "env(", "var("})
      if (lv.find(no) != std::string::npos) bad = true;
    if (std::any_of(lv.begin(), lv.end(), [](unsigned char ch) { return ch < 0x20; })) bad = true;
    if (prop == "display") {
      auto v = std::string(trim(lv.substr(0, lv.find('!'))));
      bad = bad || !in(k_display, v);
    }
    if (bad) continue;
    out += (out.empty() ? "" : "; ") + prop + ": " + value;
  }
  return out;
}

void escape_text(std::string& out, std::string_view s) {
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += ch;
    }
  }
}

void escape_attribute(std::string& out, std::string_view s) {
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
}

std::string xml_string(const xmlChar* s) { return s ? std::string(reinterpret_cast<const char*>(s)) : std::string(); }

struct Walker {
  std::string out;
  SafeHtml* result = nullptr;
  int depth = 0;

  void attribute(std::string_view name, std::string_view value) {
    out += ' ';
    out += name;
    out += "=\"";
    escape_attribute(out, value);
    out += '"';
  }

  // The image's attributes; false when the image is dropped.
  bool image(xmlNode* el, std::vector<std::pair<std::string, std::string>>& attrs) {
    xmlChar* raw = xmlGetProp(el, BAD_CAST "src");
    auto src = url_as_browsers_read_it(xml_string(raw));
    xmlFree(raw);
    auto lower = to_lower(src);
    static const std::regex k_raster(R"(data:image/(png|gif|jpeg|webp);base64,[a-z0-9+/=\s]*)", std::regex::icase);
    if (starts_with(lower, "cid:") && src.size() > 4 && src.size() <= 1000) {
      attrs.emplace_back("src", src);
      ++result->inline_images;
      return true;
    }
    if ((starts_with(lower, "https://") || starts_with(lower, "http://")) && src.size() <= 4096) {
      attrs.emplace_back("data-remote-src", src);
      ++result->remote_images;
      return true;
    }
    if (starts_with(lower, "data:") && src.size() <= 256 * 1024 && std::regex_match(src, k_raster)) {
      attrs.emplace_back("src", src);
      return true;
    }
    return false;
  }

  void element(xmlNode* el) {
    std::string tag = to_lower(xml_string(el->name));
    if (in(k_dropped_void, tag)) return children(el);
    if (in(k_dropped, tag) || el->ns != nullptr) return;
    // Beyond this depth elements are unwrapped (their text kept): libxml2 bounds the depth it
    // builds, this bounds what reaches a browser.
    if (!in(k_kept, tag) || depth >= 100) return children(el);

    std::vector<std::pair<std::string, std::string>> attrs;
    if (tag == "img" && !image(el, attrs)) return;
    for (xmlAttr* a = el->properties; a; a = a->next) {
      std::string name = to_lower(xml_string(a->name));
      auto raw = xmlNodeListGetString(el->doc, a->children, 1);
      std::string value = xml_string(raw);
      xmlFree(raw);
      if (name == "style") {
        auto css = safe_style(value);
        if (!css.empty()) attrs.emplace_back("style", css);
      } else if (name == "href" && tag == "a") {
        if (auto link = safe_link(value)) attrs.emplace_back("href", *link);
      } else if (auto v = safe_attribute(tag, name, value)) {
        attrs.emplace_back(name, *v);
      }
    }
    if (tag == "a") {
      attrs.emplace_back("target", "_blank");
      attrs.emplace_back("rel", "noopener noreferrer");
    }
    out += '<';
    out += tag;
    for (const auto& [name, value] : attrs) attribute(name, value);
    out += '>';
    if (in(k_void, tag)) return;
    ++depth;
    children(el);
    --depth;
    out += "</";
    out += tag;
    out += '>';
  }

  void children(xmlNode* parent) {
    for (xmlNode* n = parent->children; n; n = n->next) node(n);
  }

  void node(xmlNode* n) {
    switch (n->type) {
      case XML_ELEMENT_NODE: element(n); break;
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE: escape_text(out, xml_string(n->content)); break;
      default: break;  // comments, processing instructions, DTDs, entity references
    }
  }
};

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};

void sanitize_into(std::string_view html, SafeHtml& result, std::string& out) {
  if (trim(html).empty()) return;
  constexpr int k_options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET;
  std::unique_ptr<xmlDoc, DocFree> doc(
      htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8", k_options));
  if (!doc) return;
  Walker w;
  w.result = &result;
  for (xmlNode* n = doc->children; n; n = n->next) w.node(n);
  out += scrub_utf8(w.out);
}

}  // namespace

SafeHtml sanitize_html(std::string_view html) {
  SafeHtml r;
  sanitize_into(html, r, r.html);
  return r;
}

Result<SafeHtml> sanitize_email_html(std::string_view html, std::size_t max_bytes) {
  if (html.size() > max_bytes)
    return fail(Error{ErrorCode::too_large,
                      "The HTML is " + std::to_string(html.size()) + " bytes, over the limit of " +
                          std::to_string(max_bytes) + " bytes",
                      {},
                      {}});
  SafeHtml r;
  // The same cut as the stored text's (strip_quoted_html): what comes before is this message,
  // the rest is history. Each part is parsed on its own, so a cut inside markup cannot join them.
  auto head = strip_quoted_html(html).size();
  sanitize_into(html.substr(0, head), r, r.html);
  if (head < html.size()) {
    std::string quoted;
    sanitize_into(html.substr(head), r, quoted);
    if (!trim(quoted).empty()) {
      r.quoted = true;
      r.html += "<details data-quoted><summary>Show quoted text</summary>" + quoted + "</details>";
    }
  }
  return r;
}

std::string resolve_inline_images(std::string_view safe_html, const std::map<std::string, std::string>& urls) {
  if (urls.empty()) return std::string(safe_html);
  std::map<std::string, std::string> by_key;
  for (const auto& [cid, url] : urls) by_key[to_lower(cid)] = url;
  std::string out;
  constexpr std::string_view k_prefix = "<img src=\"cid:";
  std::size_t pos = 0;
  while (true) {
    auto at = safe_html.find(k_prefix, pos);
    if (at == std::string_view::npos) break;
    auto start = at + k_prefix.size();
    auto end = safe_html.find('"', start);
    if (end == std::string_view::npos) break;
    out.append(safe_html.substr(pos, start - 4 - pos));  // up to `cid:`
    // The Content-ID as written (attribute-escaped), then as the part names it.
    std::string cid(safe_html.substr(start, end - start));
    std::string key = to_lower(cid);
    for (auto [from, to] : std::array<std::pair<std::string_view, std::string_view>, 4>{
             {{"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}})
      for (auto i = key.find(from); i != std::string::npos; i = key.find(from, i + to.size()))
        key.replace(i, from.size(), to);
    if (!key.empty() && key.front() == '<' && key.back() == '>') key = key.substr(1, key.size() - 2);
    if (auto it = by_key.find(key); it != by_key.end()) escape_attribute(out, it->second);
    else out += "cid:" + cid;
    pos = end;
  }
  out.append(safe_html.substr(pos));
  return out;
}

std::string with_remote_images(std::string_view safe_html) {
  std::string out(safe_html);
  constexpr std::string_view k_from = "<img data-remote-src=\"", k_to = "<img src=\"";
  for (auto i = out.find(k_from); i != std::string::npos; i = out.find(k_from, i + k_to.size()))
    out.replace(i, k_from.size(), k_to);
  return out;
}

}  // namespace rapport::email
