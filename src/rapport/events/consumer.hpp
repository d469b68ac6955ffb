#pragma once
// A background reader of the event log. Each consumer has a name and a remembered position
// (event_cursors); it handles events in order, each batch in one write job that also moves the
// position, so a crash neither loses nor repeats an effect. Capabilities react to each other this
// way (a solve creates a feedback request; a bad rating opens a recovery case) without calling
// each other.
#include <functional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/store/store.hpp>

namespace rapport::events {

struct StoredEvent {
  int64_t id = 0;
  int64_t at = 0;
  std::string kind, entity;
  std::optional<int64_t> entity_id, actor_id;
  Json data;
};

// Handles one event inside the batch's transaction. An error aborts the batch (the position
// does not move) and is retried on the next run.
using EventHandler = std::function<Status(store::Tx& tx, const StoredEvent& e)>;

// Processes up to `limit` events after the consumer's position whose kind is in `kinds`
// (all kinds when empty). Returns how many events it read. Blocks until the batch is committed.
Result<int> consume(store::Store& store, const std::string& name, const std::vector<std::string>& kinds,
                    const EventHandler& handler, int limit = 500);

// Starts a consumer at the current end of the log, so it reacts only to new events.
Status start_at_end(store::Tx& tx, const std::string& name);

}  // namespace rapport::events
