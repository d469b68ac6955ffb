#pragma once
// Zendesk's uploads: a file is uploaded first (POST /api/v2/uploads) and gets a token; a comment
// then names the token (`comment.uploads`) and the file becomes that comment's attachment (and
// goes out with the reply mail). The bytes live once in `blobs`, by SHA-256.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::tickets {

inline constexpr std::size_t k_max_upload_bytes = 20u << 20;  // also bounded by server.body_limit
inline constexpr std::size_t k_max_uploads_per_comment = 20;

struct Attachment {
  int64_t id = 0;
  std::string sha256, file_name, content_type;
  int64_t size = 0;
  bool is_inline = false;
  std::optional<int64_t> ticket_id, comment_id;
  std::optional<std::string> upload_token;
  int64_t created_at = 0;
};

inline constexpr std::size_t k_max_file_name_bytes = 200;

// The one rule for a stored file name, from an upload or an email attachment: the last path
// component only, controls, quotes, ';' and bytes that are not UTF-8 replaced by '_', trimmed, at
// most k_max_file_name_bytes bytes (the end kept, for the extension, never half a character).
// Safe in a Content-Disposition header and as a name on disk. Empty when nothing usable is left
// ("", "/", ".", "..").
std::string safe_file_name(std::string_view name);

// The one rule for a MIME type that is stored or put in a mail header (uploads, email
// attachments, outgoing mail): "type/subtype" of RFC 6838 name characters, lower case, without
// parameters, each part at most 100 bytes; anything else is "application/octet-stream".
std::string safe_content_type(std::string_view ct);

// Content-addressed bytes (`blobs`): stores `data` once, as a BLOB; returns its lower-case hex
// SHA-256. Shared by uploads and email intake (raw messages, attachments).
Result<std::string> put_blob(store::Conn& conn, std::string_view data, int64_t now);
Result<std::string> blob_data(store::Conn& conn, const std::string& sha256);

// Stores an upload by staff (`file_name` made safe, `content_type` kept only if it is a plain
// type/subtype). Returns the attachment with its token.
Result<Attachment> create_upload(store::Tx& tx, const std::string& file_name, const std::string& content_type,
                                 const std::string& data, const domain::Principal& actor);
// Removes an upload not yet attached to a comment (its uploader or an admin). The blob stays if
// anything else uses it.
Status delete_upload(store::Tx& tx, const std::string& token, const domain::Principal& actor);
// Attaches the uploads named by `tokens` to a new comment; a token that is unknown, used, or
// someone else's is a validation error (the comment is not saved).
Status link_uploads(store::Conn& conn, const std::vector<std::string>& tokens, int64_t ticket_id, int64_t comment_id,
                    const domain::Principal& actor);
Result<std::vector<Attachment>> comment_attachments(store::Conn& conn, int64_t comment_id);

// Zendesk's attachment object; `base` is the server's URL.
Json attachment_json(const Attachment& a, const std::string& base);

}  // namespace rapport::tickets
