#pragma once
// The event log: every state change appends one row here in the same transaction as the change.
#include <cstdint>
#include <optional>
#include <string>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/store/store.hpp>

namespace rapport::events {

struct Event {
  std::string kind;    // "ticket.created"
  std::string entity;  // "ticket"
  std::optional<int64_t> entity_id;
  std::optional<int64_t> actor_id;
  std::optional<int64_t> token_id;
  Json data = Json::object();
};

// Appends `e` at `at` (epoch seconds); returns the event id.
Result<int64_t> append(store::Conn& conn, const Event& e, int64_t at);

}  // namespace rapport::events
