#pragma once
// Typed reads from a JSON request object that collect every type error into one Validation,
// so a client learns about all bad fields in one 422.
#include <cstdint>
#include <optional>
#include <string>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>

namespace rapport {

class JsonInput {
 public:
  JsonInput(const Json& obj, Validation& v) : m_obj(obj), m_v(v) {}
  bool has(const char* key) const { return m_obj.is_object() && m_obj.contains(key); }
  bool is_null(const char* key) const { return has(key) && m_obj.at(key).is_null(); }
  // Absent or null give nullopt; a value of the wrong type records an error and gives nullopt.
  std::optional<std::string> str(const char* key, std::size_t max_len = 65536);
  std::optional<int64_t> integer(const char* key);
  std::optional<bool> boolean(const char* key);
  std::optional<Json> array(const char* key);
  std::optional<Json> object(const char* key);
  // An array of strings (tags); records an error for anything else.
  std::optional<std::vector<std::string>> strings(const char* key);
  // An array of integers (ids).
  std::optional<std::vector<int64_t>> integers(const char* key);
  const Json& raw() const { return m_obj; }
  Validation& validation() { return m_v; }

 private:
  void bad(const char* key, const std::string& what);
  const Json& m_obj;
  Validation& m_v;
};

// "Subject" from "subject", "Requester id" from "requester_id": Zendesk's descriptions.
std::string field_label(std::string_view key);

}  // namespace rapport
