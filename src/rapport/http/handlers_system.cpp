// Health, readiness and Prometheus metrics.
#include <rapport/http/handler_util.hpp>

#include <fmt/format.h>

#include <rapport/tickets/facet_table.hpp>

namespace rapport::http {

void register_system_routes(Api& api) {
  api.add("GET", "/healthz", AuthMode::none, [](const CtxPtr& c) {
    Response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.body() = "ok\n";
    c->api.reply(c, std::move(res));
  }, RunOn::io);
  // Readiness reads the store on a database thread, so it also tells whether those answer.
  api.add("GET", "/readyz", AuthMode::none, [](const CtxPtr& c) {
    // Ready when the store answers a read and the server is not draining.
    bool ok = !c->api.ready || c->api.ready();
    if (ok) {
      auto lease = c->api.store().reads().acquire();
      ok = lease && (*lease)->scalar("SELECT 1").has_value();
    }
    Response res{ok ? bhttp::status::ok : bhttp::status::service_unavailable, 11};
    res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    res.body() = ok ? "ready\n" : "not ready\n";
    c->api.reply(c, std::move(res));
  });
  api.add("GET", "/metrics", AuthMode::none, [](const CtxPtr& c) {
    const auto& ws = c->api.store().writer().stats();
    std::string out = c->api.metrics().render();
    out += "# HELP rapport_write_queue_depth Write jobs waiting for the writer thread.\n";
    out += "# TYPE rapport_write_queue_depth gauge\n";
    out += fmt::format("rapport_write_queue_depth {}\n", c->api.store().writer().queue_depth());
    out += "# HELP rapport_db_queue_depth Requests waiting for a database thread.\n";
    out += "# TYPE rapport_db_queue_depth gauge\n";
    out += fmt::format("rapport_db_queue_depth {}\n", c->api.db_queue_depth());
    out += "# HELP rapport_group_commit_batch_size Write jobs committed together in one transaction.\n";
    out += "# TYPE rapport_group_commit_batch_size histogram\n";
    uint64_t cumulative = 0;
    for (int i = 0; i < store::WriterStats::k_buckets; ++i) {
      cumulative += ws.batch_size_bucket[i].load();
      std::string le = i == store::WriterStats::k_buckets - 1 ? "+Inf" : std::to_string(1u << i);
      out += fmt::format("rapport_group_commit_batch_size_bucket{{le=\"{}\"}} {}\n", le, cumulative);
    }
    out += fmt::format("rapport_group_commit_batch_size_sum {}\n", ws.batch_size_sum.load());
    out += fmt::format("rapport_group_commit_batch_size_count {}\n", ws.batches.load());
    out += "# TYPE rapport_write_commit_failures_total counter\n";
    out += fmt::format("rapport_write_commit_failures_total {}\n", ws.failed_commits.load());
    if (auto table = tickets::facet_table(c->api.store().path())) {
      const auto ts = table->text().stats();
      out += "# HELP rapport_search_text_cache_total Text conditions of searches answered by the text cache: as held, "
             "brought up to date from the tickets changed since, or read from the full-text index.\n";
      out += "# TYPE rapport_search_text_cache_total counter\n";
      out += fmt::format("rapport_search_text_cache_total{{outcome=\"hit\"}} {}\n", ts.hits);
      out += fmt::format("rapport_search_text_cache_total{{outcome=\"patched\"}} {}\n", ts.patched);
      out += fmt::format("rapport_search_text_cache_total{{outcome=\"rebuilt\"}} {}\n", ts.rebuilt);
      out += "# TYPE rapport_search_text_cache_bytes gauge\n";
      out += fmt::format("rapport_search_text_cache_bytes {}\n", ts.bytes);
    }
    if (c->api.connections_gauge) {
      out += "# TYPE rapport_http_connections gauge\n";
      out += fmt::format("rapport_http_connections {}\n", c->api.connections_gauge());
    }
    Response res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = std::move(out);
    c->api.reply(c, std::move(res));
  }, RunOn::io);
}

}  // namespace rapport::http
