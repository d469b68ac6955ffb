#pragma once
// Outgoing mail as RFC 5322 bytes, built with GMime: headers (RFC 2047 where text is not ASCII),
// multipart/alternative text + HTML, and attachments in multipart/mixed.
//
// Every header value that came from a user (names, subjects, addresses, Message-IDs) goes through
// `header_text` or an address check first, so CR, LF or NUL can never start a new header line.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>

namespace rapport::email {

struct MailAddress {
  std::string name;     // display name; may be empty or non-ASCII
  std::string address;  // addr-spec, checked by valid_address
};

struct MailAttachment {
  std::string file_name;
  std::string content_type;  // "type/subtype"; anything unparsable is sent as application/octet-stream
  std::string data;
  bool is_inline = false;
  std::string content_id;    // without <>, for cid: references
};

struct Outgoing {
  MailAddress from;
  std::vector<MailAddress> to;
  std::vector<MailAddress> cc;
  std::optional<MailAddress> reply_to;
  std::string subject;
  std::string text;  // the plain-text body
  std::string html;  // the HTML body; generated from `text` when empty
  std::string message_id;                // normalized (no <>)
  std::string in_reply_to;               // normalized, or empty
  std::vector<std::string> references;   // normalized, oldest first
  std::string auto_submitted;            // "", "auto-generated" or "auto-replied"
  int64_t date = 0;                      // epoch seconds
  std::vector<MailAttachment> attachments;
};

// Limits on what one message may carry (bounded everything).
inline constexpr std::size_t k_max_recipients = 50;
inline constexpr std::size_t k_max_references = 20;
inline constexpr std::size_t k_max_subject = 998;
inline constexpr std::size_t k_max_display_name = 200;

// An addr-spec we are willing to put in a header or an SMTP envelope: dot-atom local part (or
// nothing unusual in it), a domain of labels, no whitespace, controls, quotes, brackets or commas,
// at most 254 bytes. Deliberately stricter than RFC 5322: a quoted local part is legal, but not
// something we send to.
bool valid_address(std::string_view address);

// `s` as one header line's worth of text: CR, LF, NUL and other controls become spaces, runs of
// spaces collapse, invalid UTF-8 is dropped, trimmed and cut at `limit` bytes (on a character
// boundary).
std::string header_text(std::string_view s, std::size_t limit = k_max_subject);

// The message as bytes with CRLF line ends, ready for SMTP DATA (curl dot-stuffs). Fails with a
// validation error when an address is not valid or there is no recipient.
Result<std::string> compose(const Outgoing& m);

}  // namespace rapport::email
