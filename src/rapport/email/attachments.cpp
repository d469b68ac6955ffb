#include <rapport/email/attachments.hpp>

#include <algorithm>

#include <rapport/base/crypto.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/email/html.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::email {

namespace {

constexpr const char* k_columns =
    "id, file_name, content_type, size, inline, COALESCE(content_id, ''), blob_sha256, ticket_id, comment_id";

StoredAttachment map_attachment(const store::Row& r) {
  StoredAttachment a;
  a.id = r.i64(0);
  a.file_name = r.text(1);
  a.content_type = r.text(2);
  a.size = r.i64(3);
  a.is_inline = r.i64(4) != 0;
  a.content_id = r.text(5);
  a.sha256 = r.text(6);
  a.ticket_id = r.opt_i64(7);
  a.comment_id = r.opt_i64(8);
  return a;
}

}  // namespace

Result<StoredAttachment> add_attachment(store::Conn& conn, const Attachment& a, int64_t ticket_id, int64_t comment_id,
                                        int64_t now) {
  auto sha = put_blob(conn, a.data, now);
  if (!sha) return fail(sha.error());
  StoredAttachment s;
  s.file_name = tickets::safe_file_name(a.file_name);
  if (s.file_name.empty()) s.file_name = "attachment";
  s.content_type = tickets::safe_content_type(a.content_type);
  s.content_id = a.content_id;
  s.sha256 = *sha;
  s.size = static_cast<int64_t>(a.data.size());
  s.is_inline = a.is_inline;
  s.ticket_id = ticket_id;
  s.comment_id = comment_id;
  auto r = conn.run(
      "INSERT INTO attachments(blob_sha256, file_name, content_type, size, inline, content_id, ticket_id, comment_id, "
      "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {s.sha256, s.file_name, s.content_type, s.size, s.is_inline,
       s.content_id.empty() ? store::Param(nullptr) : store::Param(s.content_id), ticket_id, comment_id, now});
  if (!r) return fail(r.error());
  s.id = conn.last_insert_id();
  return s;
}

Result<std::map<int64_t, std::vector<StoredAttachment>>> attachments_for_comments(store::Conn& conn,
                                                                                  const std::vector<int64_t>& comment_ids) {
  std::map<int64_t, std::vector<StoredAttachment>> out;
  if (comment_ids.empty()) return out;
  store::Params params(comment_ids.begin(), comment_ids.end());
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM attachments WHERE comment_id IN (" +
                          store::placeholders(comment_ids.size()) + ") ORDER BY id",
                      params, [&](const store::Row& r) {
                        auto a = map_attachment(r);
                        out[*a.comment_id].push_back(std::move(a));
                      });
  if (!st) return fail(st.error());
  return out;
}

Result<StoredAttachment> get_attachment(store::Conn& conn, int64_t id, const domain::Principal& p) {
  std::optional<StoredAttachment> a;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM attachments WHERE id = ?", {id},
                      [&](const store::Row& r) { a = map_attachment(r); });
  if (!st) return fail(st.error());
  if (!a || !a->ticket_id) return fail(Error::not_found());
  // As visible as its ticket; for end users, only on public comments.
  if (auto t = tickets::get_ticket(conn, *a->ticket_id, p); !t) return fail(Error::not_found());
  if (!p.is_staff() && a->comment_id) {
    auto pub = conn.scalar("SELECT public FROM comments WHERE id = ?", {*a->comment_id});
    if (!pub) return fail(pub.error());
    if (!*pub || **pub == 0) return fail(Error::not_found());
  }
  return *a;
}

ServeAs serve_as(std::string_view stored) {
  static const char* k_inline_images[] = {"image/png", "image/jpeg", "image/gif", "image/webp"};
  std::string ct = to_lower(stored);
  for (const char* ok : k_inline_images)
    if (ct == ok) return {ct, true};
  // Types a browser would render or run if allowed to: never served as themselves.
  static const char* k_risky[] = {"html", "svg", "xml", "javascript", "ecmascript", "x-sh", "multipart/", "message/"};
  for (const char* bad : k_risky)
    if (ct.find(bad) != std::string::npos) return {"application/octet-stream", false};
  if (ct.rfind("text/", 0) == 0) return {"text/plain; charset=utf-8", false};
  return {ct.empty() ? "application/octet-stream" : ct, false};
}

Result<std::string> email_comment_html(store::Conn& conn, int64_t ticket_id, int64_t comment_id) {
  std::optional<std::pair<std::string, std::string>> row;
  auto st = conn.each("SELECT html_body, metadata FROM comments WHERE id = ? AND ticket_id = ?", {comment_id, ticket_id},
                      [&](const store::Row& r) { row.emplace(r.text(0), r.text(1)); });
  if (!st) return fail(st.error());
  if (!row) return fail(Error::not_found());
  auto md = Json::parse(row->second, nullptr, false);
  if (!md.is_object() || !md.contains("email") || !md["email"].is_object() || md["email"].value("html", "") != "sanitized")
    return fail(Error::not_found("This comment has no email HTML"));
  auto files = attachments_for_comments(conn, {comment_id});
  if (!files) return fail(files.error());
  std::map<std::string, std::string> urls;
  for (const auto& a : (*files)[comment_id])
    if (!a.content_id.empty()) urls[a.content_id] = "/api/v2/attachments/" + std::to_string(a.id) + "/content";
  return resolve_inline_images(row->first, urls);
}

}  // namespace rapport::email
