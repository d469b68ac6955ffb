#pragma once
// What a client asked for when it listed something: offset pages or keyset cursors.
#include <cstdint>
#include <optional>
#include <string>

namespace rapport::domain {

// A position in a keyset-ordered list: the sort key and the id of the last row seen.
struct Cursor {
  int64_t key = 0;
  int64_t id = 0;
};
// Cursors are opaque to clients: base64url of "key.id".
std::string encode_cursor(const Cursor& c);
std::optional<Cursor> decode_cursor(const std::string& s);

struct PageRequest {
  bool cursor = false;
  // offset mode
  int64_t page = 1;
  int64_t per_page = 100;
  // cursor mode
  int64_t size = 100;
  std::optional<Cursor> after, before;
  // ordering: an integer column (id, created_at, updated_at) and direction
  std::string sort_by = "id";
  bool desc = false;
};

}  // namespace rapport::domain
