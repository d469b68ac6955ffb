#pragma once
// Stored bytes and files on comments: `blobs` holds each distinct content once (by SHA-256),
// `attachments` names it on a comment. Reading an attachment requires seeing its ticket (and,
// for end users, a public comment), so a file is exactly as visible as the comment it came with.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/store/store.hpp>
#include <rapport/tickets/uploads.hpp>

namespace rapport::email {

struct StoredAttachment {
  int64_t id = 0;
  std::string file_name, content_type, content_id, sha256;
  int64_t size = 0;
  bool is_inline = false;
  std::optional<int64_t> ticket_id, comment_id;
};

// The bytes themselves live in `blobs` through tickets::put_blob / tickets::blob_data.
using tickets::blob_data;
using tickets::put_blob;

// Stores the bytes and the attachment row on a comment.
Result<StoredAttachment> add_attachment(store::Conn& conn, const Attachment& a, int64_t ticket_id, int64_t comment_id,
                                        int64_t now);

// The attachments of these comments, by comment id (for comment lists).
Result<std::map<int64_t, std::vector<StoredAttachment>>> attachments_for_comments(store::Conn& conn,
                                                                                  const std::vector<int64_t>& comment_ids);
// One attachment, if `p` may see it (not_found otherwise, so existence does not leak).
Result<StoredAttachment> get_attachment(store::Conn& conn, int64_t id, const domain::Principal& p);

// The sanitized HTML of email comment `comment_id` on ticket `ticket_id` (metadata.email.html is
// "sanitized"), its inline images pointing at their attachments (`/api/v2/attachments/{id}/content`,
// relative). not_found for any other comment. The caller checks the ticket's visibility.
Result<std::string> email_comment_html(store::Conn& conn, int64_t ticket_id, int64_t comment_id);

// How a stored file may be served. Only a short list of raster image types is shown inline;
// everything else is a download, and anything a browser could run (HTML, SVG, XML, scripts) is
// served as application/octet-stream.
struct ServeAs {
  std::string content_type;
  bool inline_ok = false;
};
ServeAs serve_as(std::string_view stored_content_type);


}  // namespace rapport::email
