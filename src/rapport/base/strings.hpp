#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport {

// Escapes text for HTML element content and quoted attribute values.
std::string html_escape(std::string_view s);

std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
bool iequals(std::string_view a, std::string_view b);
std::optional<int64_t> parse_int(std::string_view s);
// Decodes %XX and, when `plus_is_space`, '+' as in application/x-www-form-urlencoded.
std::string url_decode(std::string_view s, bool plus_is_space = true);
std::string url_encode(std::string_view s);
// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
// Hand-written because it is twenty lines and every request body passes through it.
bool valid_utf8(std::string_view s);
// Nesting depth of a JSON text, counting only brackets outside strings; stops counting at `limit`+1.
int json_depth(std::string_view s, int limit);

}  // namespace rapport
