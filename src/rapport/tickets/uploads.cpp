#include <rapport/tickets/uploads.hpp>

#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::tickets {

namespace {

constexpr const char* k_columns =
    "id, blob_sha256, file_name, content_type, size, inline, ticket_id, comment_id, upload_token, created_at";

Attachment map_attachment(const store::Row& r) {
  Attachment a;
  a.id = r.i64(0);
  a.sha256 = r.text(1);
  a.file_name = r.text(2);
  a.content_type = r.text(3);
  a.size = r.i64(4);
  a.is_inline = r.i64(5) != 0;
  a.ticket_id = r.opt_i64(6);
  a.comment_id = r.opt_i64(7);
  a.upload_token = r.opt_text(8);
  a.created_at = r.i64(9);
  return a;
}

}  // namespace

std::string safe_content_type(std::string_view ct) {
  auto base = to_lower(trim(ct.substr(0, ct.find(';'))));
  auto slash = base.find('/');
  auto token = [](std::string_view s) {
    if (s.empty() || s.size() > 100) return false;
    for (unsigned char c : s)
      if (!std::isalnum(c) && std::string_view("!#$&^_.+-").find(static_cast<char>(c)) == std::string_view::npos) return false;
    return true;
  };
  if (slash == std::string::npos || !token(std::string_view(base).substr(0, slash)) ||
      !token(std::string_view(base).substr(slash + 1)))
    return "application/octet-stream";
  return base;
}

std::string safe_file_name(std::string_view name) {
  // Only the last path component: "../../etc/passwd" is "passwd", "C:\\x\\a.pdf" is "a.pdf".
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  name = trim(name);  // before controls become '_': a trailing tab or newline is just dropped
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    auto c = static_cast<unsigned char>(name[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > name.size() || (len > 1 && !valid_utf8(name.substr(i, len)))) {
      out.push_back('_');  // a byte that is no UTF-8 character
      ++i;
      continue;
    }
    if (len == 1 && (c < 0x20 || c == 0x7F || c == '"' || c == ';')) out.push_back('_');
    else out.append(name.substr(i, len));
    i += len;
  }
  std::string t(trim(out));
  if (t.size() > k_max_file_name_bytes) {
    // Keep the end, where the extension is, from a character boundary on.
    std::size_t from = t.size() - k_max_file_name_bytes;
    while (from < t.size() && (static_cast<unsigned char>(t[from]) & 0xC0) == 0x80) ++from;
    t = std::string(trim(std::string_view(t).substr(from)));
  }
  if (t == "." || t == "..") t.clear();
  return t;
}

Result<std::string> put_blob(store::Conn& conn, std::string_view data, int64_t now) {
  auto sha = crypto::sha256_hex(data);
  auto r = conn.run("INSERT INTO blobs(sha256, size, data, created_at) VALUES (?, ?, CAST(? AS BLOB), ?) "
                    "ON CONFLICT(sha256) DO NOTHING",
                    {sha, static_cast<int64_t>(data.size()), std::string(data), now});
  if (!r) return fail(r.error());
  return sha;
}

Result<std::string> blob_data(store::Conn& conn, const std::string& sha256) {
  auto r = conn.scalar_text("SELECT data FROM blobs WHERE sha256 = ?", {sha256});
  if (!r) return fail(r.error());
  if (!*r) return fail(Error::not_found());
  return **r;
}

Result<Attachment> create_upload(store::Tx& tx, const std::string& file_name, const std::string& content_type,
                                 const std::string& data, const domain::Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  auto name = safe_file_name(file_name);
  if (name.empty()) return fail(Error::invalid("filename is required, e.g. POST /api/v2/uploads?filename=photo.png"));
  if (data.empty()) return fail(Error::invalid("The upload is empty"));
  if (data.size() > k_max_upload_bytes)
    return fail(Error{ErrorCode::too_large, "An upload may be at most " + std::to_string(k_max_upload_bytes >> 20) + " MB", {}, {}});
  auto& conn = tx.conn();
  int64_t now = now_epoch();
  Attachment a;
  a.sha256 = crypto::sha256_hex(data);
  a.file_name = name;
  a.content_type = safe_content_type(content_type);
  a.size = static_cast<int64_t>(data.size());
  a.upload_token = crypto::random_token(24);
  a.created_at = now;
  // Content-addressed: the same bytes uploaded twice are stored once.
  if (auto b = put_blob(conn, data, now); !b) return fail(b.error());
  auto ins = conn.run(
      "INSERT INTO attachments(blob_sha256, file_name, content_type, size, upload_token, uploader_id, created_at) VALUES (?,?,?,?,?,?,?)",
      {a.sha256, a.file_name, a.content_type, a.size, *a.upload_token, actor.user_id, now});
  if (!ins) return fail(ins.error());
  a.id = conn.last_insert_id();
  events::Event e{"upload.created", "attachment", a.id, actor.user_id, actor.token_id,
                  {{"size", a.size}, {"content_type", a.content_type}, {"sha256", a.sha256}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return a;
}

Status delete_upload(store::Tx& tx, const std::string& token, const domain::Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  auto& conn = tx.conn();
  std::optional<std::pair<int64_t, int64_t>> found;  // id, uploader
  auto st = conn.each("SELECT id, COALESCE(uploader_id, 0) FROM attachments WHERE upload_token = ? AND comment_id IS NULL", {token},
                      [&](const store::Row& r) { found = {r.i64(0), r.i64(1)}; });
  if (!st) return fail(st.error());
  if (!found || (found->second != actor.user_id && !actor.is_admin())) return fail(Error::not_found());
  auto sha = conn.scalar_text("SELECT blob_sha256 FROM attachments WHERE id = ?", {found->first});
  if (!sha) return fail(sha.error());
  if (auto d = conn.run("DELETE FROM attachments WHERE id = ?", {found->first}); !d) return fail(d.error());
  if (*sha) {
    auto d = conn.run("DELETE FROM blobs WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM attachments WHERE blob_sha256 = ?)",
                      {**sha, **sha});
    if (!d) return fail(d.error());
  }
  events::Event e{"upload.deleted", "attachment", found->first, actor.user_id, actor.token_id, Json::object()};
  if (auto ev = events::append(conn, e, now_epoch()); !ev) return fail(ev.error());
  return {};
}

Status link_uploads(store::Conn& conn, const std::vector<std::string>& tokens, int64_t ticket_id, int64_t comment_id,
                    const domain::Principal& actor) {
  if (tokens.size() > k_max_uploads_per_comment)
    return fail(Error::field("comment", "InvalidValue",
                             "Comment: at most " + std::to_string(k_max_uploads_per_comment) + " uploads per comment"));
  for (const auto& token : tokens) {
    auto u = conn.run(
        "UPDATE attachments SET ticket_id = ?, comment_id = ?, upload_token = NULL WHERE upload_token = ? AND comment_id IS NULL "
        "AND (uploader_id = ? OR ?)",
        {ticket_id, comment_id, token, actor.user_id, actor.is_admin()});
    if (!u) return fail(u.error());
    if (*u != 1) return fail(Error::field("comment", "InvalidValue", "Comment: upload token " + token.substr(0, 64) + " is not valid"));
  }
  return {};
}

Result<std::vector<Attachment>> comment_attachments(store::Conn& conn, int64_t comment_id) {
  std::vector<Attachment> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM attachments WHERE comment_id = ? ORDER BY id", {comment_id},
                      [&](const store::Row& r) { out.push_back(map_attachment(r)); });
  if (!st) return fail(st.error());
  return out;
}

Json attachment_json(const Attachment& a, const std::string& base) {
  return {{"id", a.id},
          {"file_name", a.file_name},
          {"content_url", base + "/api/v2/attachments/" + std::to_string(a.id) + "/content"},
          {"content_type", a.content_type},
          {"size", a.size},
          {"inline", a.is_inline},
          {"thumbnails", Json::array()}};
}

}  // namespace rapport::tickets
