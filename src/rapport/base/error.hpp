#pragma once
// Expected failures are values (Result<T>); exceptions are for start-up and bugs only.
#include <map>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace rapport {

enum class ErrorCode {
  invalid,         // malformed input: bad JSON, bad parameter (HTTP 400)
  validation,      // well-formed but unacceptable record (422, with field details)
  unauthenticated, // no or bad credentials (401)
  forbidden,       // authenticated but not allowed (403)
  not_found,       // does not exist or may not be seen (404)
  conflict,        // duplicate or concurrent change (422 DuplicateValue in the API)
  too_large,       // body or upload over the limit (413)
  rate_limited,    // too many requests (429)
  unavailable,     // a dependency is down or overloaded; retry later (503)
  internal,        // a bug (500)
};

struct FieldError {
  std::string error;        // e.g. "BlankValue", "InvalidValue", "DuplicateValue"
  std::string description;  // human readable, e.g. "Subject: cannot be blank"
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::map<std::string, std::vector<FieldError>> details;  // field -> problems
  std::string kind;  // optional API error name override (e.g. "InvalidPaginationParameter")

  static Error invalid(std::string msg, std::string kind = {}) {
    return {ErrorCode::invalid, std::move(msg), {}, std::move(kind)};
  }
  static Error not_found(std::string msg = "Not found") { return {ErrorCode::not_found, std::move(msg), {}, {}}; }
  static Error forbidden(std::string msg = "Forbidden") { return {ErrorCode::forbidden, std::move(msg), {}, {}}; }
  static Error internal(std::string msg) { return {ErrorCode::internal, std::move(msg), {}, {}}; }
  static Error unavailable(std::string msg) { return {ErrorCode::unavailable, std::move(msg), {}, {}}; }
  static Error conflict(std::string msg) { return {ErrorCode::conflict, std::move(msg), {}, {}}; }
  // A record validation error on one field.
  static Error field(std::string field, std::string error, std::string description) {
    Error e{ErrorCode::validation, "Record validation errors", {}, {}};
    e.details[std::move(field)].push_back({std::move(error), std::move(description)});
    return e;
  }
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

// Collects field errors so a request reports every bad field at once, not the first only.
class Validation {
 public:
  void add(const std::string& field, std::string error, std::string description) {
    m_error.details[field].push_back({std::move(error), std::move(description)});
  }
  bool ok() const { return m_error.details.empty(); }
  Error error() const {
    Error e = m_error;
    e.code = ErrorCode::validation;
    e.message = "Record validation errors";
    return e;
  }

 private:
  Error m_error;
};

}  // namespace rapport
