#include <rapport/base/json_input.hpp>

#include <cctype>

namespace rapport {

std::string field_label(std::string_view key) {
  std::string out(key);
  for (auto& c : out) if (c == '_') c = ' ';
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

void JsonInput::bad(const char* key, const std::string& what) {
  m_v.add(key, "InvalidValue", field_label(key) + ": " + what);
}

std::optional<std::string> JsonInput::str(const char* key, std::size_t max_len) {
  if (!has(key) || is_null(key)) return std::nullopt;
  const auto& v = m_obj.at(key);
  if (!v.is_string()) {
    bad(key, "must be a string");
    return std::nullopt;
  }
  auto s = v.get<std::string>();
  if (s.size() > max_len) {
    bad(key, "is too long (maximum is " + std::to_string(max_len) + " characters)");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> JsonInput::integer(const char* key) {
  if (!has(key) || is_null(key)) return std::nullopt;
  const auto& v = m_obj.at(key);
  if (v.is_number_integer()) return v.get<int64_t>();
  bad(key, "must be an integer");
  return std::nullopt;
}

std::optional<bool> JsonInput::boolean(const char* key) {
  if (!has(key) || is_null(key)) return std::nullopt;
  const auto& v = m_obj.at(key);
  if (v.is_boolean()) return v.get<bool>();
  bad(key, "must be true or false");
  return std::nullopt;
}

std::optional<Json> JsonInput::array(const char* key) {
  if (!has(key) || is_null(key)) return std::nullopt;
  const auto& v = m_obj.at(key);
  if (v.is_array()) return v;
  bad(key, "must be an array");
  return std::nullopt;
}

std::optional<Json> JsonInput::object(const char* key) {
  if (!has(key) || is_null(key)) return std::nullopt;
  const auto& v = m_obj.at(key);
  if (v.is_object()) return v;
  bad(key, "must be an object");
  return std::nullopt;
}

std::optional<std::vector<std::string>> JsonInput::strings(const char* key) {
  auto a = array(key);
  if (!a) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : *a) {
    if (!e.is_string()) {
      bad(key, "must be an array of strings");
      return std::nullopt;
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<std::vector<int64_t>> JsonInput::integers(const char* key) {
  auto a = array(key);
  if (!a) return std::nullopt;
  std::vector<int64_t> out;
  for (const auto& e : *a) {
    if (!e.is_number_integer()) {
      bad(key, "must be an array of integers");
      return std::nullopt;
    }
    out.push_back(e.get<int64_t>());
  }
  return out;
}

}  // namespace rapport
