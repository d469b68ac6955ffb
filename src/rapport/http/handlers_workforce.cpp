// The staffing calculator over HTTP: the same inputs and output as `rapport staff --format json`.
#include <rapport/http/handler_util.hpp>
#include <rapport/workforce/parse.hpp>
#include <rapport/workforce/staffing.hpp>

namespace rapport::http {

void register_workforce_routes(Api& api) {
  api.add("GET", "/api/v2/workforce/staffing", AuthMode::required, [](const CtxPtr& c) {
    if (!c->who.is_staff()) return c->api.reply_error(c, Error::forbidden());
    workforce::StaffingArgs a;
    auto take = [&](const char* key, std::string& field) {
      if (auto v = c->param(key)) field = *v;
    };
    take("volume", a.volume);
    take("interval", a.interval);
    take("aht", a.aht);
    take("target", a.target);
    take("asa", a.asa);
    take("shrinkage", a.shrinkage);
    take("patience", a.patience);
    take("concurrency", a.concurrency);
    take("channel", a.channel);
    if (auto r = c->param("rows")) {
      auto n = parse_int(*r);
      if (!n) return c->api.reply_error(c, Error::invalid("rows: must be an integer"));
      a.rows = static_cast<int>(*n);
    }
    auto in = workforce::staffing_input(a);
    if (!in) return c->api.reply_error(c, in.error());
    auto table = workforce::staffing_table(*in);
    if (!table) return c->api.reply_error(c, table.error());
    // Exactly the JSON of `rapport staff --format json`, so one script reads both.
    c->api.reply_json(c, 200, workforce::to_json(*table));
  });
}

}  // namespace rapport::http
