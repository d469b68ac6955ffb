#pragma once
// Incoming mail as intake needs it, parsed with GMime 3: addresses, threading headers, the
// loop-relevant headers, the text (always valid UTF-8), attachments and inline images, and a
// delivery status notification's failed recipients.
//
// Every limit is checked before the work it bounds: the raw size first, then a scan that bounds
// how many MIME entities GMime could build (so a deeply nested "zip bomb" never reaches its
// recursive parser), then depth, part count and each attachment's size while walking the tree.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>

namespace rapport::email {

struct Limits {
  std::size_t max_message_bytes = 30u * 1024 * 1024;     // the raw RFC 5322 message
  std::size_t max_attachment_bytes = 25u * 1024 * 1024;  // one decoded attachment or inline image
  int max_depth = 10;                                    // multipart / message nesting
  int max_parts = 100;                                   // MIME entities in the whole message
};

struct Address {
  std::string name;   // display name, decoded (RFC 2047), may be empty
  std::string email;  // as written; compare lower-cased
};

// An attachment or an inline image (Content-Disposition: inline with a Content-ID).
struct Attachment {
  std::string file_name, content_type, content_id;  // content_id without <>
  bool is_inline = false;
  std::string data;  // decoded bytes
};

struct DsnRecipient {
  std::string address, action, status, diagnostic;  // status: "5.1.1"
};

// A delivery status notification (RFC 3464): multipart/report; report-type=delivery-status.
struct Dsn {
  std::vector<DsnRecipient> failed;     // Action: failed only (delayed/delivered are not bounces)
  std::string original_message_id;      // normalized; empty when the report does not carry it
};

struct ParsedMessage {
  std::optional<Address> from;
  std::vector<Address> to, cc, reply_to;
  std::string subject;                  // RFC 2047 decoded, UTF-8
  std::string message_id;               // normalized (no <>, lower case)
  bool message_id_synthesized = false;  // no usable Message-ID: derived from the raw bytes' hash
  std::vector<std::string> in_reply_to, references;  // normalized
  std::optional<int64_t> date;          // epoch seconds
  std::string auto_submitted, precedence;  // raw header values, lower-cased, trimmed
  std::string text;                     // the body as plain UTF-8 text
  std::string html;                     // the HTML body if there was one (UTF-8)
  bool html_only = false;               // `text` was made from `html`
  std::vector<Attachment> attachments;  // attachments and inline images
  std::optional<Dsn> dsn;
  int parts = 0;                        // MIME entities seen
};

// Parses a raw message. Errors: too_large (the raw size or an attachment over its limit) and
// validation (nesting, part count, not a message at all), each with a message that says which
// limit and its value.
Result<ParsedMessage> parse_message(std::string_view raw, const Limits& limits = {});

// `bytes` in `charset` as UTF-8. Invalid or unconvertible input becomes U+FFFD, never passes
// through; an unknown charset is read as UTF-8 when valid, else as Windows-1252.
std::string to_utf8(std::string_view bytes, std::string_view charset);
// `s` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string scrub_utf8(std::string_view s);

// Readable text from an email's HTML: <head>, <style> and <script> dropped, block elements become
// line breaks, entities decoded, runs of blank lines collapsed.
std::string html_to_plain(std::string_view html);

// Whether the message asks not to be answered automatically: Auto-Submitted other than "no",
// Precedence bulk/list/junk, or a mailer-daemon / postmaster sender.
bool is_auto_submitted(const ParsedMessage& m);

}  // namespace rapport::email
