#pragma once
// Small helpers shared by the handlers_*.cpp files.
#include <concepts>
#include <memory>

#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/http/api.hpp>
#include <rapport/http/codec.hpp>

namespace rapport::http {

// Runs `fn(conn)` on a pooled read connection in one snapshot, replying with an error if none
// can be had: the request's own (HeldRead) when the handler runs straight after authentication.
template <typename F>
void with_read(const CtxPtr& c, F&& fn) {
  if (auto* held = HeldRead::current(*c)) {
    auto conn = held->conn();
    if (!conn) return c->api.reply_error(c, conn.error());
    return fn(**conn);
  }
  auto lease = c->api.store().reads().acquire();
  if (!lease) return c->api.reply_error(c, lease.error());
  ReadSnapshot snapshot(**lease);
  fn(**lease);
}

// The value of a record's sort column, for cursors.
template <typename T>
int64_t sort_key(const T& r, const std::string& col) {
  if constexpr (requires { r.updated_at; }) {
    if (col == "updated_at") return r.updated_at;
  }
  if constexpr (requires { r.created_at; }) {
    if (col == "created_at") return r.created_at;
  }
  if constexpr (requires { requires std::same_as<std::decay_t<decltype(r.due_at)>, int64_t>; }) {
    if (col == "due_at") return r.due_at;
  }
  return r.id;
}

// Replies with a page in whichever envelope the request asked for.
template <typename T>
void reply_page(const CtxPtr& c, const std::string& key, const domain::Page<T>& page, const domain::PageRequest& pr,
                const std::function<Json(const T&)>& encode) {
  Json items = Json::array();
  for (const auto& r : page.items) items.push_back(encode(r));
  if (!pr.cursor) return c->api.reply_json(c, 200, offset_envelope(*c, key, std::move(items), pr, page.count));
  std::optional<domain::Cursor> first, last;
  if (!page.items.empty()) {
    first = domain::Cursor{sort_key(page.items.front(), pr.sort_by), page.items.front().id};
    last = domain::Cursor{sort_key(page.items.back(), pr.sort_by), page.items.back().id};
  }
  c->api.reply_json(c, 200, cursor_envelope(*c, key, std::move(items), pr, first, last, page.has_more));
}

// Replies with `envelope`, its top-level array `key` replaced by `items`, JSON text already
// written (codec's write_json): the envelope is small, the items are most of the bytes.
inline void reply_spliced(const CtxPtr& c, unsigned status, Json envelope, const std::string& key, std::string_view items) {
  envelope[key] = Json::array();
  std::string body = envelope.dump(-1, ' ', false, Json::error_handler_t::replace);
  // Only a key can be this text: inside a string value the quotes would be escaped.
  const std::string marker = "\"" + key + "\":[]";
  auto at = body.find(marker);
  body.replace(at + marker.size() - 2, 2, items);
  c->api.reply_json_text(c, status, std::move(body));
}

// reply_page for records with a JSON text writer: the same bytes, without building the items.
template <typename T>
void reply_page_written(const CtxPtr& c, const std::string& key, const domain::Page<T>& page,
                        const domain::PageRequest& pr, const std::function<void(std::string&, const T&)>& write) {
  std::string items = "[";
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    if (i) items.push_back(',');
    write(items, page.items[i]);
  }
  items.push_back(']');
  if (!pr.cursor) return reply_spliced(c, 200, offset_envelope(*c, key, Json::array(), pr, page.count), key, items);
  std::optional<domain::Cursor> first, last;
  if (!page.items.empty()) {
    first = domain::Cursor{sort_key(page.items.front(), pr.sort_by), page.items.front().id};
    last = domain::Cursor{sort_key(page.items.back(), pr.sort_by), page.items.back().id};
  }
  reply_spliced(c, 200, cursor_envelope(*c, key, Json::array(), pr, first, last, page.has_more), key, items);
}

// Parses "1,2,3" (at most 100 ids).
inline Result<std::vector<int64_t>> id_list(const Ctx& c, const std::string& key = "ids") {
  std::vector<int64_t> ids;
  auto raw = c.param(key);
  if (!raw || raw->empty()) return fail(Error::invalid(key + " is required, e.g. ?" + key + "=1,2,3"));
  for (auto& part : split(*raw, ',')) {
    auto id = parse_int(trim(part));
    if (!id) return fail(Error::invalid(key + " must be a comma-separated list of ids"));
    ids.push_back(*id);
  }
  if (ids.size() > 100) return fail(Error::invalid("at most 100 " + key + " at once"));
  return ids;
}

// A report period's bound from the query: a date is the organization's local midnight
// (metrics.md: periods are in the organization's time zone; base/time.hpp), an ISO-8601 time is
// that instant, and plain digits are epoch seconds (as Zendesk's incremental exports take them).
// Absent or empty: nullopt.
inline Result<std::optional<int64_t>> period_param(const Ctx& c, const std::string& key) {
  auto v = c.param(key);
  if (!v || v->empty()) return std::optional<int64_t>();
  auto t = parse_period_bound(*v);
  if (!t) t = parse_int(*v);
  if (!t) return fail(Error::invalid(key + " must be a date like 2026-11-30, a time like 2026-11-30T09:00:00Z, or epoch seconds"));
  return std::optional<int64_t>(*t);
}

inline std::string path_of(const CtxPtr& c, const std::string& kind, int64_t id) {
  return c->base + "/api/v2/" + kind + "/" + std::to_string(id) + ".json";
}

// Runs a write that yields a record, answering `status` with {root: encode(record)}; a 201 for a
// record with an id also carries its Location when `kind` names the resource.
template <typename T, typename Job, typename Encode>
void write_record(const CtxPtr& c, unsigned status, const char* root, Job job, Encode encode,
                  const std::string& kind = "") {
  auto out = std::make_shared<T>();
  c->api.write(
      c,
      [job = std::move(job), out](store::Tx& tx) -> Status {
        auto r = job(tx);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out, status, root, encode, kind](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        auto res = json_response(status, {{root, encode(*out)}});
        if (status == 201 && !kind.empty()) {
          if constexpr (requires { out->id; })
            res.set(bhttp::field::location, path_of(c, kind, out->id));
        }
        c->api.reply(c, std::move(res));
      });
}

}  // namespace rapport::http
