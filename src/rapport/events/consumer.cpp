#include <rapport/events/consumer.hpp>

namespace rapport::events {

Status start_at_end(store::Tx& tx, const std::string& name) {
  auto r = tx.conn().run(
      "INSERT OR IGNORE INTO event_cursors(name, last_id) SELECT ?, COALESCE(MAX(id), 0) FROM events", {name});
  if (!r) return fail(r.error());
  return {};
}

namespace {
// The consumer's next events after `after`: up to `limit`, of `kinds` (all when empty), in order.
Result<std::vector<StoredEvent>> events_after(store::Conn& conn, int64_t after, const std::vector<std::string>& kinds,
                                             int limit) {
  std::vector<StoredEvent> batch;
  store::Params params{after};
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
  return batch;
}
}  // namespace

Result<int> consume(store::Store& store, const std::string& name, const std::vector<std::string>& kinds,
                    const EventHandler& handler, int limit) {
  // An idle pass must not write: every commit wakes the workers, so a pass that always moved
  // the cursor would wake itself forever. A read connection tells whether anything is new, and
  // only events of this consumer's kinds count: under a stream of other writes (ticket creates,
  // say) a pass that moved the cursor over them queued one extra write job per group commit,
  // and alone in a batch that job cost a whole fsync. Other kinds are skipped by the events_kind
  // index (kind, id) when something of ours does arrive, so the cursor may lag over them.
  //
  // The same read also fetches the events, parsed: the write job uses them when the position is
  // still where the read found it, so the writer thread, which every write request waits for,
  // does not spend its time reading and parsing the log (7% of it under steady ticket creates,
  // with two consumers). Events are only ever appended, each with a higher id than every event
  // committed before it, so what the read saw is the start of what the job would read.
  struct Prefetch {
    int64_t from = 0;
    std::vector<StoredEvent> events;
  };
  auto prefetched = store.read([&](store::Conn& conn) -> Result<std::optional<Prefetch>> {
    auto pos = conn.scalar("SELECT last_id FROM event_cursors WHERE name = ?", {name});
    if (!pos) return fail(pos.error());
    const int64_t from = pos->value_or(0);
    Result<std::optional<int64_t>> next;
    if (kinds.empty()) {
      next = conn.scalar("SELECT id FROM events WHERE id > ? LIMIT 1", {from});
    } else {
      store::Params params;
      for (const auto& k : kinds) params.push_back(k);
      params.push_back(from);
      next = conn.scalar("SELECT id FROM events WHERE kind IN (" + store::placeholders(kinds.size()) +
                             ") AND id > ? LIMIT 1",
                         params);
    }
    if (!next) return fail(next.error());
    if (!next->has_value()) return std::optional<Prefetch>();
    auto events = events_after(conn, from, kinds, limit);
    if (!events) return fail(events.error());
    return std::optional<Prefetch>(Prefetch{from, std::move(*events)});
  });
  if (!prefetched) return fail(prefetched.error());
  if (!*prefetched) return 0;

  int read = 0;
  auto st = store.writer().run([&](store::Tx& tx) -> Status {
    auto& conn = tx.conn();
    auto pos = conn.scalar("SELECT last_id FROM event_cursors WHERE name = ?", {name});
    if (!pos) return fail(pos.error());
    const int64_t start = pos->value_or(0);
    int64_t last = start;
    std::vector<StoredEvent> fetched;
    const std::vector<StoredEvent>* batch = &(*prefetched)->events;
    if (start != (*prefetched)->from) {  // another pass moved it meanwhile: read again, here
      auto events = events_after(conn, start, kinds, limit);
      if (!events) return fail(events.error());
      fetched = std::move(*events);
      batch = &fetched;
    }
    for (const auto& e : *batch) {
      if (auto h = handler(tx, e); !h) return h;
      last = e.id;
    }
    if (batch->empty()) {
      // Nothing of ours: skip ahead over other kinds so the next scan starts late in the log.
      auto max = conn.scalar("SELECT COALESCE(MAX(id), 0) FROM events");
      if (!max) return fail(max.error());
      last = std::max(last, max->value_or(0));
    }
    read = static_cast<int>(batch->size());
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
