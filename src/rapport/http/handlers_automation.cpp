// Triggers, automations, macros (with apply) and webhooks (with signing secret and invocations),
// in Zendesk's shapes.
#include <rapport/automation/business_rules.hpp>
#include <rapport/automation/engine.hpp>
#include <rapport/automation/webhooks.hpp>
#include <rapport/base/time.hpp>
#include <rapport/http/handler_util.hpp>

namespace rapport::http {

namespace {

using automation::Rule;
using automation::RuleKind;
using automation::Webhook;

struct Kind {
  RuleKind kind;
  std::string one, many;  // "trigger", "triggers"
};

Json rule_json(const Rule& r, const Kind& k, const std::string& base) {
  Json out = {{"url", base + "/api/v2/" + k.many + "/" + std::to_string(r.id) + ".json"},
              {"id", r.id},
              {"title", r.title},
              {"raw_title", r.title},
              {"description", r.description},
              {"active", r.active},
              {"position", r.position},
              {"default", false},
              {"actions", automation::to_json(r.actions)},
              {"usage_count", r.usage_count},
              {"created_at", iso8601(r.created_at)},
              {"updated_at", iso8601(r.updated_at)}};
  if (r.kind == RuleKind::macro) out["restriction"] = r.restriction;
  else out["conditions"] = automation::to_json(r.conditions);
  return out;
}

Json rules_envelope(const std::vector<Rule>& rules, const Kind& k, const std::string& base) {
  Json items = Json::array();
  for (const auto& r : rules) items.push_back(rule_json(r, k, base));
  return {{k.many, items}, {"next_page", nullptr}, {"previous_page", nullptr}, {"count", items.size()}};
}

Json webhook_json(const Webhook& w) {
  return {{"id", std::to_string(w.id)},
          {"name", w.name},
          {"description", w.description},
          {"endpoint", w.endpoint},
          {"http_method", w.http_method},
          {"request_format", w.request_format},
          {"status", w.status},
          {"subscriptions", {"conditional_ticket_events"}},
          {"custom_headers", w.custom_headers},
          {"signing_secret", {{"algorithm", "SHA256"}, {"secret", nullptr}}},
          {"created_by", w.created_by ? Json(std::to_string(*w.created_by)) : Json(nullptr)},
          {"created_at", iso8601(w.created_at)},
          {"updated_at", iso8601(w.updated_at)}};
}

Json invocation_json(const automation::Invocation& i) {
  std::string status = i.status == "queued" ? (i.attempts ? "retrying" : "queued") : i.status;
  return {{"id", std::to_string(i.id)},
          {"status", status},
          {"status_code", i.last_status_code ? Json(*i.last_status_code) : Json(nullptr)},
          {"attempts", i.attempts},
          {"last_error", i.last_error ? Json(*i.last_error) : Json(nullptr)},
          {"created_at", iso8601(i.created_at)},
          {"latest_completed_at", i.completed_at ? Json(iso8601(*i.completed_at)) : Json(nullptr)},
          {"source",
           {{"id", std::to_string(i.rule_id)},
            {"type", i.rule_kind},
            {"title", i.rule_title},
            {"event", {{"ticket_id", i.ticket_id ? Json(*i.ticket_id) : Json(nullptr)}}}}}};
}

automation::EngineOptions engine_options(const CtxPtr& c) {
  automation::EngineOptions o;
  o.public_url = c->api.config().public_url.empty() ? c->base : c->api.config().public_url;
  o.hours = c->api.config().business_hours;
  return o;
}

automation::RuleOptions rule_options(const CtxPtr& c) {
  return {c->api.config().business_hours};
}

// Runs `job` as a write and replies `status` with `{key: encode(result)}`.
template <typename T, typename Job, typename Encode>
void write_one(const CtxPtr& c, Job job, unsigned status, std::string key, Encode encode) {
  auto out = std::make_shared<T>();
  c->api.write(
      c,
      [job = std::move(job), out](store::Tx& tx) -> Status {
        auto r = job(tx);
        if (!r) return fail(r.error());
        *out = std::move(*r);
        return {};
      },
      [c, out, status, key = std::move(key), encode = std::move(encode)](Status st) {
        if (!st) return c->api.reply_error(c, st.error());
        c->api.reply_json(c, status, {{key, encode(*out)}});
      });
}

void write_status(const CtxPtr& c, store::Writer::Job job) {
  c->api.write(c, std::move(job), [c](Status st) {
    if (!st) return c->api.reply_error(c, st.error());
    c->api.reply(c, Response{bhttp::status::no_content, 11});
  });
}

std::optional<bool> active_param(const CtxPtr& c) {
  auto a = c->param("active");
  if (!a || a->empty()) return std::nullopt;
  return *a == "true" || *a == "1";
}

void register_rules(Api& api, const std::shared_ptr<Kind>& k) {
  auto R = AuthMode::required;
  auto base = "/api/v2/" + k->many;
  auto list = [k](const CtxPtr& c, std::optional<bool> active) {
    with_read(c, [&](store::Conn& conn) {
      automation::RuleFilter f;
      f.active = active;
      auto rules = automation::list_rules(conn, k->kind, f, c->who);
      if (!rules) return c->api.reply_error(c, rules.error());
      c->api.reply_json(c, 200, rules_envelope(*rules, *k, c->base));
    });
  };
  api.add("GET", base, R, [list](const CtxPtr& c) { list(c, active_param(c)); });
  api.add("GET", base + "/active", R, [list](const CtxPtr& c) { list(c, true); });
  if (k->kind != RuleKind::macro) {
    api.add("PUT", base + "/reorder", R, [k](const CtxPtr& c) {
      auto key = k->one + "_ids";
      const auto& raw = c->req.body();
      if (!valid_utf8(raw) || json_depth(raw, 8) > 8)
        return c->api.reply_error(c, Error::invalid("The request body must be {\"" + key + "\": [ids in the new order]}"));
      Json body = Json::parse(raw, nullptr, false);
      if (body.is_discarded() || !body.is_object() || !body.contains(key) || !body[key].is_array() || body[key].size() > 1000)
        return c->api.reply_error(c, Error::invalid("The request body must be {\"" + key + "\": [ids in the new order]}"));
      std::vector<domain::Id> ids;
      for (const auto& x : body[key]) {
        if (!x.is_number_integer()) return c->api.reply_error(c, Error::invalid(key + " must hold ids"));
        ids.push_back(x.get<domain::Id>());
      }
      auto out = std::make_shared<std::vector<Rule>>();
      c->api.write(
          c,
          [k, ids, who = c->who, out](store::Tx& tx) -> Status {
            if (auto st = automation::reorder_rules(tx, k->kind, ids, who); !st) return st;
            auto rules = automation::list_rules(tx.conn(), k->kind, {}, who);
            if (!rules) return fail(rules.error());
            *out = std::move(*rules);
            return {};
          },
          [c, k, out](Status st) {
            if (!st) return c->api.reply_error(c, st.error());
            c->api.reply_json(c, 200, rules_envelope(*out, *k, c->base));
          });
    });
  }
  api.add("GET", base + "/{}", R, [k](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    with_read(c, [&](store::Conn& conn) {
      auto r = automation::get_rule(conn, k->kind, *id, c->who);
      if (!r) return c->api.reply_error(c, r.error());
      c->api.reply_json(c, 200, {{k->one, rule_json(*r, *k, c->base)}});
    });
  });
  api.add("POST", base, R, [k](const CtxPtr& c) {
    auto in = body_object(*c, k->one.c_str());
    if (!in) return c->api.reply_error(c, in.error());
    write_one<Rule>(
        c,
        [k, in = std::move(*in), who = c->who, o = rule_options(c)](store::Tx& tx) {
          return automation::create_rule(tx, k->kind, in, who, o);
        },
        201, k->one, [c, k](const Rule& r) { return rule_json(r, *k, c->base); });
  });
  api.add("PUT", base + "/{}", R, [k](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    auto in = body_object(*c, k->one.c_str());
    if (!in) return c->api.reply_error(c, in.error());
    write_one<Rule>(
        c,
        [k, id = *id, in = std::move(*in), who = c->who, o = rule_options(c)](store::Tx& tx) {
          return automation::update_rule(tx, k->kind, id, in, who, o);
        },
        200, k->one, [c, k](const Rule& r) { return rule_json(r, *k, c->base); });
  });
  api.add("DELETE", base + "/{}", R, [k](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    write_status(c, [k, id = *id, who = c->who](store::Tx& tx) { return automation::delete_rule(tx, k->kind, id, who); });
  });
}

void apply_macro(const CtxPtr& c, domain::Id macro_id, std::optional<domain::Id> ticket_id) {
  with_read(c, [&](store::Conn& conn) {
    auto r = automation::apply_macro(conn, macro_id, ticket_id, c->who, engine_options(c));
    if (!r) return c->api.reply_error(c, r.error());
    c->api.reply_json(c, 200, {{"result", *r}});
  });
}

void register_webhooks(Api& api) {
  auto R = AuthMode::required;
  api.add("GET", "/api/v2/webhooks", R, [](const CtxPtr& c) {
    with_read(c, [&](store::Conn& conn) {
      auto list = automation::list_webhooks(conn, c->who);
      if (!list) return c->api.reply_error(c, list.error());
      Json items = Json::array();
      for (const auto& w : *list) items.push_back(webhook_json(w));
      c->api.reply_json(c, 200, {{"webhooks", items}, {"meta", {{"has_more", false}, {"after_cursor", nullptr}, {"before_cursor", nullptr}}},
                                 {"links", {{"next", nullptr}, {"prev", nullptr}}}});
    });
  });
  api.add("POST", "/api/v2/webhooks", R, [](const CtxPtr& c) {
    auto in = body_object(*c, "webhook");
    if (!in) return c->api.reply_error(c, in.error());
    write_one<Webhook>(
        c, [in = std::move(*in), who = c->who](store::Tx& tx) { return automation::create_webhook(tx, in, who); }, 201,
        "webhook", webhook_json);
  });
  api.add("GET", "/api/v2/webhooks/{}", R, [](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    with_read(c, [&](store::Conn& conn) {
      auto w = automation::get_webhook(conn, *id, c->who);
      if (!w) return c->api.reply_error(c, w.error());
      c->api.reply_json(c, 200, {{"webhook", webhook_json(*w)}});
    });
  });
  auto update = [](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    auto in = body_object(*c, "webhook");
    if (!in) return c->api.reply_error(c, in.error());
    write_one<Webhook>(
        c, [id = *id, in = std::move(*in), who = c->who](store::Tx& tx) { return automation::update_webhook(tx, id, in, who); },
        200, "webhook", webhook_json);
  };
  api.add("PUT", "/api/v2/webhooks/{}", R, update);
  api.add("PATCH", "/api/v2/webhooks/{}", R, update);
  api.add("DELETE", "/api/v2/webhooks/{}", R, [](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    write_status(c, [id = *id, who = c->who](store::Tx& tx) { return automation::delete_webhook(tx, id, who); });
  });
  auto secret_json = [](const Webhook& w) { return Json{{"algorithm", "SHA256"}, {"secret", w.signing_secret}}; };
  api.add("GET", "/api/v2/webhooks/{}/signing_secret", R, [secret_json](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    with_read(c, [&](store::Conn& conn) {
      auto w = automation::get_webhook(conn, *id, c->who);
      if (!w) return c->api.reply_error(c, w.error());
      c->api.reply_json(c, 200, {{"signing_secret", secret_json(*w)}});
    });
  });
  api.add("POST", "/api/v2/webhooks/{}/signing_secret", R, [secret_json](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    write_one<Webhook>(
        c, [id = *id, who = c->who](store::Tx& tx) { return automation::reset_signing_secret(tx, id, who); }, 200,
        "signing_secret", secret_json);
  });
  api.add("GET", "/api/v2/webhooks/{}/invocations", R, [](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    auto size = parse_int(c->param("page[size]").value_or("100")).value_or(100);
    with_read(c, [&](store::Conn& conn) {
      auto list = automation::list_invocations(conn, *id, size, c->who);
      if (!list) return c->api.reply_error(c, list.error());
      Json items = Json::array();
      for (const auto& i : *list) items.push_back(invocation_json(i));
      c->api.reply_json(c, 200, {{"invocations", items}, {"meta", {{"has_more", false}, {"after_cursor", nullptr}, {"before_cursor", nullptr}}},
                                 {"links", {{"next", nullptr}, {"prev", nullptr}}}});
    });
  });
  api.add("GET", "/api/v2/webhooks/{}/invocations/{}/attempts", R, [](const CtxPtr& c) {
    auto id = c->id_arg(0);
    auto inv = c->id_arg(1);
    if (!id || !inv) return c->api.reply_error(c, Error::not_found());
    with_read(c, [&](store::Conn& conn) {
      auto list = automation::list_attempts(conn, *id, *inv, c->who);
      if (!list) return c->api.reply_error(c, list.error());
      Json items = Json::array();
      for (const auto& a : *list) {
        bool ok = a.status_code && *a.status_code >= 200 && *a.status_code < 300;
        items.push_back({{"id", std::to_string(a.id)},
                         {"invocation_id", std::to_string(a.invocation_id)},
                         {"attempt", a.attempt},
                         {"status", ok ? "success" : "failed"},
                         {"status_code", a.status_code ? Json(*a.status_code) : Json(nullptr)},
                         {"error", a.error ? Json(*a.error) : Json(nullptr)},
                         {"duration_ms", a.duration_ms},
                         {"completed_at", iso8601(a.at)}});
      }
      c->api.reply_json(c, 200, {{"attempts", items}});
    });
  });
}

}  // namespace

void register_automation_routes(Api& api) {
  register_rules(api, std::make_shared<Kind>(Kind{RuleKind::trigger, "trigger", "triggers"}));
  register_rules(api, std::make_shared<Kind>(Kind{RuleKind::automation, "automation", "automations"}));
  register_rules(api, std::make_shared<Kind>(Kind{RuleKind::macro, "macro", "macros"}));
  auto R = AuthMode::required;
  // Runs every automation now (also hourly on its own): for operators, and for tests.
  api.add("POST", "/api/v2/automations/run", R, [](const CtxPtr& c) {
    if (!c->who.is_admin()) return c->api.reply_error(c, Error::forbidden());
    auto report = automation::run_automations(c->api.store(), engine_options(c));
    if (!report) return c->api.reply_error(c, report.error());
    c->api.reply_json(c, 200, {{"automation_run", {{"tickets", report->tickets}, {"fired", report->fired}}}});
  });
  api.add("GET", "/api/v2/macros/{}/apply", R, [](const CtxPtr& c) {
    auto id = c->id_arg(0);
    if (!id) return c->api.reply_error(c, Error::not_found());
    apply_macro(c, *id, std::nullopt);
  });
  api.add("GET", "/api/v2/tickets/{}/macros/{}/apply", R, [](const CtxPtr& c) {
    auto tid = c->id_arg(0);
    auto id = c->id_arg(1);
    if (!tid || !id) return c->api.reply_error(c, Error::not_found());
    apply_macro(c, *id, *tid);
  });
  register_webhooks(api);
}

}  // namespace rapport::http
