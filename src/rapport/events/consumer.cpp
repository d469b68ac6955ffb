#include <rapport/events/consumer.hpp>

namespace rapport::events {

Status start_at_end(store::Tx& tx, const std::string& name) {
  auto r = tx.conn().run(
      "INSERT OR IGNORE INTO event_cursors(name, last_id) SELECT ?, COALESCE(MAX(id), 0) FROM events", {name});
  if (!r) return fail(r.error());
  return {};
}

Result<int> consume(store::Store& store, const std::string& name, const std::vector<std::string>& kinds,
                    const EventHandler& handler, int limit) {
  // An idle pass must not write: every commit wakes the workers, so a pass that always moved
  // the cursor would wake itself forever. A read connection tells whether anything is new, and
  // only events of this consumer's kinds count: under a stream of other writes (ticket creates,
  // say) a pass that moved the cursor over them queued one extra write job per group commit,
  // and alone in a batch that job cost a whole fsync. Other kinds are skipped by the events_kind
  // index (kind, id) when something of ours does arrive, so the cursor may lag over them.
  auto behind = store.read([&](store::Conn& conn) -> Result<bool> {
    auto pos = conn.scalar("SELECT last_id FROM event_cursors WHERE name = ?", {name});
    if (!pos) return fail(pos.error());
    if (kinds.empty()) {
      auto max = conn.scalar("SELECT COALESCE(MAX(id), 0) FROM events");
      if (!max) return fail(max.error());
      return max->value_or(0) > pos->value_or(0);
    }
    store::Params params;
    for (const auto& k : kinds) params.push_back(k);
    params.push_back(pos->value_or(0));
    auto next = conn.scalar("SELECT id FROM events WHERE kind IN (" + store::placeholders(kinds.size()) +
                                ") AND id > ? LIMIT 1",
                            params);
    if (!next) return fail(next.error());
    return next->has_value();
  });
  if (!behind) return fail(behind.error());
  if (!*behind) return 0;

  int read = 0;
  auto st = store.writer().run([&](store::Tx& tx) -> Status {
    auto& conn = tx.conn();
    auto pos = conn.scalar("SELECT last_id FROM event_cursors WHERE name = ?", {name});
    if (!pos) return fail(pos.error());
    const int64_t start = pos->value_or(0);
    int64_t last = start;
    std::vector<StoredEvent> batch;
    store::Params params{last};
    std::string filter;
    if (!kinds.empty()) {
      filter = " AND kind IN (" + store::placeholders(kinds.size()) + ")";
      for (const auto& k : kinds) params.push_back(k);
    }
    params.push_back(int64_t{limit});
    auto q = conn.each("SELECT id, at, kind, entity, entity_id, actor_id, data FROM events WHERE id > ?" + filter +
                           " ORDER BY id LIMIT ?",
                       params, [&](const store::Row& r) {
                         batch.push_back({r.i64(0), r.i64(1), r.text(2), r.text(3), r.opt_i64(4), r.opt_i64(5),
                                          Json::parse(r.text(6), nullptr, false)});
                       });
    if (!q) return fail(q.error());
    for (const auto& e : batch) {
      if (auto h = handler(tx, e); !h) return h;
      last = e.id;
    }
    if (batch.empty()) {
      // Nothing of ours: skip ahead over other kinds so the next scan starts late in the log.
      auto max = conn.scalar("SELECT COALESCE(MAX(id), 0) FROM events");
      if (!max) return fail(max.error());
      last = std::max(last, max->value_or(0));
    }
    read = static_cast<int>(batch.size());
    if (last == start) return {};
    auto w = conn.run("INSERT INTO event_cursors(name, last_id) VALUES (?, ?) "
                      "ON CONFLICT(name) DO UPDATE SET last_id = excluded.last_id",
                      {name, last});
    if (!w) return fail(w.error());
    return {};
  });
  if (!st) return fail(st.error());
  return read;
}

}  // namespace rapport::events
