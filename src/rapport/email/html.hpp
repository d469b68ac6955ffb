#pragma once
// Email HTML made safe to show: the sender's formatting (headings, lists, tables, bold, links,
// quotes, inline images) kept, everything that could run, navigate, submit, load from elsewhere
// or draw outside its box removed.
//
// Why on the server, with libxml2's HTML parser and an allow-list walk: the result is stored as the
// comment's `html_body`, which the Zendesk-compatible API hands to every integration, so it has to
// be safe for readers we do not control, not only for our web UI (a sanitizer in the browser, such
// as DOMPurify, would protect our UI and leave the API's html_body raw). The web UI adds a second,
// independent wall: it shows this HTML in a sandboxed <iframe srcdoc> without scripts and under a
// restrictive Content-Security-Policy (docs/email.md).
//
// The rules, all allow-lists:
// - Elements: text formatting, headings, lists, tables, quotes, links, images, divisions and spans.
//   Elements whose content is not readable text (script, style, head, title, iframe, object,
//   embed, svg, math, template, form controls, ...) are dropped with their content; any other
//   element not allowed (form, font-less wrappers, o:p, custom tags) is unwrapped: its text stays.
// - Attributes: a short list per purpose, each value checked (numbers, colours, alignments); no
//   event handlers, no id/class/name (they could clobber the page's names), no `background`.
// - Links: http, https, mailto and tel only (after removing the whitespace and control characters
//   browsers ignore), opened in a new tab with rel="noopener noreferrer". Other links keep their
//   text and lose their target.
// - Images: `cid:` (the message's own inline parts; resolve_inline_images maps them to attachment
//   URLs when serving) and small raster `data:image/...;base64` images are kept. Remote images are
//   kept only as `data-remote-src`, without a `src`, so nothing loads (tracking pixels) until the
//   reader asks for them. Anything else is dropped.
// - CSS: only the `style` attribute, only listed properties (no position, z-index, transform,
//   content, behaviour), values without url(), expression(), escapes, at-rules or comments.
// - Comments, processing instructions and doctype are dropped; text and attribute values are
//   escaped on output, so what a browser parses is exactly the tree written here.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include <rapport/base/error.hpp>

namespace rapport::email {

struct SafeHtml {
  std::string html;        // the safe HTML fragment (UTF-8)
  int remote_images = 0;   // images left unloaded (`data-remote-src`)
  int inline_images = 0;   // `cid:` images
  bool quoted = false;     // quoted history was found and wrapped in <details data-quoted>
};

// The limit on the input: larger HTML is refused (too_large) and shown as text instead.
inline constexpr std::size_t k_max_email_html = 1u << 20;

// `html` (a whole document or a fragment, UTF-8) reduced to the allow-list above.
SafeHtml sanitize_html(std::string_view html);

// An email's HTML for the ticket view: sanitized, and the quoted history (the part
// strip_quoted_html would cut) kept but folded into
// <details data-quoted><summary>Show quoted text</summary>...</details>. Errors: too_large when
// `html` is over `max_bytes`.
Result<SafeHtml> sanitize_email_html(std::string_view html, std::size_t max_bytes = k_max_email_html);

// Sanitized HTML with each `src="cid:X"` (as sanitize_html writes it) replaced by the URL
// `urls` maps X (the Content-ID without <>, compared case-insensitively) to. An image whose part
// is unknown is left pointing at `cid:` (it shows nothing and loads nothing).
std::string resolve_inline_images(std::string_view safe_html, const std::map<std::string, std::string>& urls);

// Sanitized HTML with its remote images given their `src` back (each `<img data-remote-src="X"`
// as sanitize_html writes it becomes `<img src="X"`): what "show remote images" shows.
std::string with_remote_images(std::string_view safe_html);

}  // namespace rapport::email
