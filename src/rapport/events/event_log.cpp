#include <rapport/events/event_log.hpp>

namespace rapport::events {

namespace {
constexpr const char* k_insert =
    "INSERT INTO events(at, kind, entity, entity_id, actor_id, token_id, data) VALUES (?,?,?,?,?,?,?)";
}

Result<int64_t> append(store::Conn& conn, const Event& e, int64_t at) {
  auto r = conn.run(k_insert, {at, e.kind, e.entity, e.entity_id, e.actor_id, e.token_id, e.data.dump()});
  if (!r) return fail(r.error());
  return conn.last_insert_id();
}

}  // namespace rapport::events
