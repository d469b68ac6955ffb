#include <rapport/automation/engine.hpp>

#include <set>

#include <spdlog/spdlog.h>

#include <rapport/automation/webhooks.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::automation {

namespace {

std::string first_name(const std::string& name) { return std::string(trim(name.substr(0, name.find(' ')))); }

struct Person {
  std::string name, email;
  std::string role;
};

Result<std::optional<Person>> person(store::Conn& conn, std::optional<Id> id) {
  if (!id || *id <= 0) return std::optional<Person>();
  std::optional<Person> out;
  auto st = conn.each("SELECT name, COALESCE(email, ''), role FROM users WHERE id = ?", {*id},
                      [&](const store::Row& r) { out = Person{r.text(0), r.text(1), r.text(2)}; });
  if (!st) return fail(st.error());
  return out;
}

std::string role_name(const domain::Principal& p) {
  if (!p.user_id) return "";  // the system: neither agent nor end user
  switch (p.role) {
    case domain::Role::admin: return "admin";
    case domain::Role::agent: return "agent";
    case domain::Role::end_user: return "end_user";
  }
  return "";
}

// Who a rule's comment is written as: the assignee, else the agent who made the update, else
// the first admin (a comment needs an author, and it must not look like the customer's).
Result<Id> comment_author(store::Conn& conn, const domain::Ticket& t, const domain::Principal& actor) {
  if (t.assignee_id) return *t.assignee_id;
  if (actor.user_id && actor.is_staff()) return actor.user_id;
  auto admin = conn.scalar("SELECT MIN(id) FROM users WHERE role = 'admin' AND active = 1");
  if (!admin) return fail(admin.error());
  if (!*admin) return fail(Error::internal("no admin to write a rule's comment as"));
  return **admin;
}

// The update a rule's effect makes, in update_ticket's input shape; empty when it changes nothing.
Result<Json> update_input(store::Conn& conn, const Effect& e, const domain::Ticket& t, const domain::Principal& actor,
                          const std::map<std::string, std::string>& values) {
  Json in = Json::object();
  if (changes_anything(t, e.update)) in = e.update;
  if (e.comment) {
    auto author = comment_author(conn, t, actor);
    if (!author) return fail(author.error());
    Json c = {{"public", e.comment_public.value_or(true)}, {"author_id", *author}};
    if (e.comment_html) c["html_body"] = render(*e.comment, values, Escape::html);
    else c["body"] = render(*e.comment, values, Escape::none);
    in["comment"] = c;
  }
  return in;
}

// Merges the actions of the macros an effect names into it (triggers and automations may apply
// a macro: its field changes and its comment).
Status expand_macros(store::Conn& conn, Effect& e, const domain::Ticket& t, Id current_user) {
  for (auto id : std::vector<Id>(e.macros)) {
    auto rules = active_rules(conn, RuleKind::macro);
    if (!rules) return fail(rules.error());
    const Rule* macro = nullptr;
    for (const auto& r : *rules)
      if (r.id == id) macro = &r;
    if (!macro) continue;  // inactive or deleted since the rule was saved: nothing to apply
    auto m = plan(macro->actions, simulate(t, e.update), current_user);
    for (auto it = m.update.begin(); it != m.update.end(); ++it) e.update[it.key()] = it.value();
    if (m.comment) {
      e.comment = m.comment;
      e.comment_html = m.comment_html;
    }
    if (m.comment_public) e.comment_public = m.comment_public;
  }
  e.macros.clear();
  return {};
}

Status queue_mail(store::Conn& conn, const std::string& to, const std::string& subject, const std::string& body,
                  Id ticket_id, Id rule_id, int64_t now) {
  auto bounced = conn.scalar("SELECT 1 FROM mail_bounces WHERE address_key = ?", {to_lower(to)});
  if (!bounced) return fail(bounced.error());
  if (*bounced) return {};  // never email an address that bounced
  Json headers = {{"Auto-Submitted", "auto-generated"}};
  auto q = conn.run(
      "INSERT INTO outbox(kind, to_address, subject, body_text, body_html, headers, ticket_id, related_id, "
      "next_attempt_at, created_at, auto_submitted) VALUES ('notification', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
      {to, subject, body, tickets::text_to_html(body), headers.dump(), ticket_id, rule_id, now, now});
  if (!q) return fail(q.error());
  return {};
}

bool tagged(const domain::Ticket& t, const std::string& tag) {
  for (const auto& x : t.tags)
    if (x == tag) return true;
  return false;
}

// Sends a rule's notifications: one outbox row per recipient address.
Status notify(store::Conn& conn, const Rule& rule, const std::vector<Notification>& notes, const domain::Ticket& t,
              const domain::Principal& actor, const std::map<std::string, std::string>& values, int64_t now) {
  if (notes.empty()) return {};
  // A ticket opened by an autoresponder gets no automatic mail back: two robots would answer
  // each other forever.
  if (tagged(t, "mail_auto_submitted")) return {};
  Json sent = Json::array();
  for (const auto& n : notes) {
    std::vector<std::string> to;
    auto add_user = [&](std::optional<Id> id) -> Status {
      auto p = person(conn, id);
      if (!p) return fail(p.error());
      if (*p && !(*p)->email.empty()) to.push_back((*p)->email);
      return {};
    };
    Status st;
    if (n.recipient == "requester_id") st = add_user(t.requester_id);
    else if (n.recipient == "assignee_id") st = add_user(t.assignee_id);
    else if (n.recipient == "current_user") st = add_user(actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt);
    else if (n.recipient == "email") to.push_back(n.address);
    else if (n.recipient == "group") {
      if (n.group_id) {
        st = conn.each(
            "SELECT u.email FROM group_memberships m JOIN users u ON u.id = m.user_id WHERE m.group_id = ? AND u.active = 1 "
            "AND u.role IN ('agent','admin') AND u.email IS NOT NULL ORDER BY u.id LIMIT 100",
            {*n.group_id}, [&](const store::Row& r) { to.push_back(r.text(0)); });
      }
    } else if (auto id = parse_int(n.recipient)) {
      st = add_user(*id);
    }
    if (!st) return st;
    auto subject = render(n.subject, values, Escape::none, 998);
    auto body = render(n.body, values, Escape::none);
    for (const auto& addr : to) {
      if (auto q = queue_mail(conn, addr, subject, body, t.id, rule.id, now); !q) return q;
      sent.push_back(addr);
    }
  }
  events::Event e{"rule.notified", std::string(to_string(rule.kind)), rule.id, std::nullopt, std::nullopt,
                  {{"ticket_id", t.id}, {"title", rule.title}, {"recipients", sent}}};
  if (auto ev = events::append(conn, e, now); !ev) return fail(ev.error());
  return {};
}

Status call_webhooks(store::Conn& conn, const Rule& rule, const std::vector<WebhookCall>& calls, const domain::Ticket& t,
                     const std::map<std::string, std::string>& values, int64_t now) {
  for (const auto& c : calls) {
    auto body = render(c.body, values, Escape::json, 262144);
    if (auto st = queue_invocation(conn, c.webhook_id, t.id, rule, body, now); !st) return st;
  }
  return {};
}

// What firing `rule` on `t` did.
struct Fired {
  bool changed_ticket = false;
};

Result<Fired> fire(store::Tx& tx, const Rule& rule, tickets::Change& change, const domain::Principal& actor,
                   std::optional<Id> join_audit, const EngineOptions& o) {
  auto& conn = tx.conn();
  const auto& t = change.ticket;
  int64_t now = now_epoch();
  Effect e = plan(rule.actions, t, actor.user_id);
  if (auto st = expand_macros(conn, e, t, actor.user_id); !st) return fail(st.error());
  auto values = placeholder_values(conn, &t, actor.user_id, o);
  if (!values) return fail(values.error());
  auto in = update_input(conn, e, t, actor, *values);
  if (!in) return fail(in.error());
  Fired out;
  if (!in->empty()) {
    if (auto sp = conn.exec("SAVEPOINT rule_change"); !sp) return fail(sp.error());
    tickets::RuleVia via{std::string(to_string(rule.kind)), rule.id, rule.title};
    auto r = tickets::apply_rule_update(tx, t.id, *in, via, join_audit);
    if (!r) {
      (void)conn.exec("ROLLBACK TO rule_change; RELEASE rule_change");
      if (r.error().code != ErrorCode::validation) return fail(r.error());
      // A rule that no longer fits (an agent deactivated since it was saved, a solve without an
      // assignee) must not block the customer's update: it is skipped and the failure logged.
      std::string why = r.error().message;
      if (!r.error().details.empty()) why = r.error().details.begin()->second.front().description;
      spdlog::warn("event=rule_failed kind={} rule_id={} ticket_id={} error=\"{}\"", to_string(rule.kind), rule.id, t.id, why);
      events::Event ev{"rule.failed", std::string(to_string(rule.kind)), rule.id, std::nullopt, std::nullopt,
                       {{"ticket_id", t.id}, {"title", rule.title}, {"error", why}}};
      if (auto a = events::append(conn, ev, now); !a) return fail(a.error());
      return out;
    }
    (void)conn.exec("RELEASE rule_change");
    if (r->audit.id) {  // zero: the update turned out to change nothing
      out.changed_ticket = true;
      change.ticket = r->ticket;
      change.audit = r->audit;  // the joined audit (a trigger's) or the rule's own (an automation's)
    }
  }
  if (auto st = notify(conn, rule, e.notifications, change.ticket, actor, *values, now); !st) return fail(st.error());
  if (auto st = call_webhooks(conn, rule, e.webhooks, change.ticket, *values, now); !st) return fail(st.error());
  if (auto u = conn.run("UPDATE business_rules SET usage_count = usage_count + 1 WHERE id = ?", {rule.id}); !u)
    return fail(u.error());
  return out;
}

Result<TicketTimes> times_of(store::Conn& conn, Id ticket_id) {
  TicketTimes out;
  auto st = conn.each(
      "SELECT status_at, assigned_at, requester_updated_at, assignee_updated_at FROM ticket_times WHERE ticket_id = ?",
      {ticket_id}, [&](const store::Row& r) {
        out.status_at = r.i64(0);
        out.assigned_at = r.opt_i64(1);
        out.requester_updated_at = r.opt_i64(2);
        out.assignee_updated_at = r.opt_i64(3);
      });
  if (!st) return fail(st.error());
  return out;
}

// The triggers over one write; `before` null for a create.
Status trigger_passes(store::Tx& tx, const std::vector<Rule>& rules, const std::optional<domain::Ticket>& before,
                      const std::optional<domain::Comment>& comment, const domain::Principal& actor,
                      tickets::Change& change, std::optional<Id> join_audit, const EngineOptions& o) {
  Facts f;
  f.before = before ? &*before : nullptr;
  f.is_create = !before;
  f.comment = comment;
  f.current_user_role = role_name(actor);
  f.current_user_id = actor.user_id;
  f.now = now_epoch();
  auto hours = o.hours ? o.hours->open(tx.conn()) : nullptr;
  f.hours = hours.get();
  std::set<Id> fired;
  int pass = 0;
  for (bool again = true; again; ++pass) {
    again = false;
    if (pass >= o.max_trigger_passes) {
      // Cut only if a trigger that has not fired would fire now; otherwise the list was done.
      f.ticket = &change.ticket;
      bool pending = false;
      for (const auto& rule : rules) pending = pending || (!fired.count(rule.id) && matches(rule.conditions, f));
      if (!pending) break;
      spdlog::warn("event=trigger_passes_bounded ticket_id={} passes={}", change.ticket.id, pass);
      events::Event ev{"trigger.loop_bounded", "ticket", change.ticket.id, std::nullopt, std::nullopt,
                       {{"passes", pass}, {"fired", Json(std::vector<Id>(fired.begin(), fired.end()))}}};
      if (auto a = events::append(tx.conn(), ev, f.now); !a) return fail(a.error());
      break;
    }
    for (const auto& rule : rules) {
      if (fired.count(rule.id)) continue;
      f.ticket = &change.ticket;
      if (!matches(rule.conditions, f)) continue;
      fired.insert(rule.id);
      auto r = fire(tx, rule, change, actor, join_audit, o);
      if (!r) return fail(r.error());
      if (r->changed_ticket) again = true;
    }
  }
  return {};
}

}  // namespace

Result<std::map<std::string, std::string>> placeholder_values(store::Conn& conn, const domain::Ticket* t,
                                                              Id current_user, const EngineOptions& o) {
  std::map<std::string, std::string> v;
  auto me = person(conn, current_user ? std::optional<Id>(current_user) : std::nullopt);
  if (!me) return fail(me.error());
  if (*me) {
    v["current_user.name"] = (*me)->name;
    v["current_user.first_name"] = first_name((*me)->name);
    v["current_user.email"] = (*me)->email;
  }
  if (!t) return v;
  v["ticket.id"] = std::to_string(t->id);
  v["ticket.title"] = t->subject;
  v["ticket.description"] = t->description;
  v["ticket.status"] = t->status;
  v["ticket.priority"] = t->priority.value_or("");
  v["ticket.ticket_type"] = t->type.value_or("");
  v["ticket.via"] = t->channel;
  std::string tags;
  for (const auto& x : t->tags) tags += (tags.empty() ? "" : " ") + x.get<std::string>();
  v["ticket.tags"] = tags;
  v["ticket.url"] = o.public_url.empty() ? "" : o.public_url + "/tickets/" + std::to_string(t->id);
  // Zendesk's {{ticket.in_business_hours}}: now, in the ticket's schedule (24x7 without calendars).
  v["ticket.in_business_hours"] = !o.hours || o.hours->open(conn)->within(*t, now_epoch()) ? "true" : "false";
  auto req = person(conn, t->requester_id);
  if (!req) return fail(req.error());
  v["ticket.requester.name"] = *req ? (*req)->name : "";
  v["ticket.requester.first_name"] = *req ? first_name((*req)->name) : "";
  v["ticket.requester.email"] = *req ? (*req)->email : "";
  auto as = person(conn, t->assignee_id);
  if (!as) return fail(as.error());
  v["ticket.assignee.name"] = *as ? (*as)->name : "";
  v["ticket.assignee.first_name"] = *as ? first_name((*as)->name) : "";
  v["ticket.assignee.email"] = *as ? (*as)->email : "";
  v["ticket.group.name"] = "";
  if (t->group_id) {
    auto g = conn.scalar_text("SELECT name FROM groups WHERE id = ?", {*t->group_id});
    if (!g) return fail(g.error());
    v["ticket.group.name"] = g->value_or("");
  }
  v["ticket.organization.name"] = "";
  if (t->organization_id) {
    auto org = conn.scalar_text("SELECT name FROM organizations WHERE id = ?", {*t->organization_id});
    if (!org) return fail(org.error());
    v["ticket.organization.name"] = org->value_or("");
  }
  return v;
}

Status run_triggers(store::Tx& tx, const tickets::Written& w, tickets::Change& change, const EngineOptions& o) {
  auto rules = active_rules(tx.conn(), RuleKind::trigger);
  if (!rules) return fail(rules.error());
  if (rules->empty()) return {};
  return trigger_passes(tx, *rules, w.before, w.comment, w.actor, change, change.audit.id, o);
}

Result<AutomationReport> run_automations(store::Store& store, const EngineOptions& o, std::optional<int64_t> at,
                                         int64_t batch) {
  AutomationReport report;
  Id after = 0;
  for (bool more = true; more;) {
    more = false;
    auto st = store.writer().run([&](store::Tx& tx) -> Status {
      std::optional<ScopedClock> clock;
      if (at) clock.emplace(*at);
      auto& conn = tx.conn();
      auto autos = active_rules(conn, RuleKind::automation);
      if (!autos) return fail(autos.error());
      if (autos->empty()) return {};
      auto triggers = active_rules(conn, RuleKind::trigger);
      if (!triggers) return fail(triggers.error());
      std::vector<Id> ids;
      auto s = conn.each(
          "SELECT id FROM tickets WHERE id > ? AND deleted_at IS NULL AND status != 'closed' ORDER BY id LIMIT ?",
          {after, batch}, [&](const store::Row& r) { ids.push_back(r.i64(0)); });
      if (!s) return s;
      if (ids.empty()) return {};
      after = ids.back();
      more = static_cast<int64_t>(ids.size()) == batch;
      auto system = domain::Principal{};
      system.role = domain::Role::admin;
      auto list = tickets::tickets_by_ids(conn, ids, system);
      if (!list) return fail(list.error());
      int64_t now = now_epoch();
      auto hours = o.hours ? o.hours->open(conn) : nullptr;  // one view per batch: calendars load once
      for (auto& ticket : *list) {
        ++report.tickets;
        auto times = times_of(conn, ticket.id);
        if (!times) return fail(times.error());
        for (const auto& rule : *autos) {
          Facts f;
          f.ticket = &ticket;
          f.now = now;
          f.times = *times;
          f.hours = hours.get();
          if (!matches(rule.conditions, f)) continue;
          // Once per state: the ticket's updated_at when the automation acted.
          auto seen = conn.scalar("SELECT 1 FROM automation_runs WHERE rule_id = ? AND ticket_id = ? AND state = ?",
                                  {rule.id, ticket.id, ticket.updated_at});
          if (!seen) return fail(seen.error());
          if (*seen) continue;
          if (auto r = conn.run("INSERT INTO automation_runs(rule_id, ticket_id, state, ran_at) VALUES (?,?,?,?)",
                                {rule.id, ticket.id, ticket.updated_at, now});
              !r)
            return fail(r.error());
          tickets::Change change{ticket, domain::Audit{}};
          auto before = ticket;
          auto fired = fire(tx, rule, change, system, std::nullopt, o);
          if (!fired) return fail(fired.error());
          ++report.fired;
          if (fired->changed_ticket) {
            // Triggers run on an automation's change as on any other, in its transaction.
            if (auto tr = trigger_passes(tx, *triggers, before, std::nullopt, system, change, change.audit.id, o); !tr)
              return tr;
            ticket = change.ticket;
            auto t2 = times_of(conn, ticket.id);
            if (!t2) return fail(t2.error());
            *times = *t2;
          }
          if (ticket.status == "closed") break;
        }
      }
      return {};
    });
    if (!st) return fail(st.error());
  }
  return report;
}

Result<Json> apply_macro(store::Conn& conn, Id macro_id, std::optional<Id> ticket_id, const Principal& p,
                         const EngineOptions& o) {
  auto macro = get_rule(conn, RuleKind::macro, macro_id, p);
  if (!macro) return fail(macro.error());
  std::optional<domain::Ticket> t;
  if (ticket_id) {
    auto got = tickets::get_ticket(conn, *ticket_id, p);
    if (!got) return fail(got.error());
    t = *got;
  }
  domain::Ticket base = t.value_or(domain::Ticket{});
  Effect e = plan(macro->actions, base, p.user_id);
  auto values = placeholder_values(conn, t ? &*t : nullptr, p.user_id, o);
  if (!values) return fail(values.error());
  Json ticket = Json::object();
  if (t) ticket["id"] = t->id;
  for (auto it = e.update.begin(); it != e.update.end(); ++it) ticket[it.key()] = it.value();
  Json out = {{"ticket", ticket}};
  if (e.comment) {
    std::string body, html;
    if (e.comment_html) {
      html = render(*e.comment, *values, Escape::html);
      body = tickets::html_to_text(html);
    } else {
      body = render(*e.comment, *values, Escape::none);
      html = tickets::text_to_html(body);
    }
    out["comment"] = {{"body", body},
                      {"html_body", html},
                      {"scoped_body", Json::array({Json::array({"channel:all", body})})},
                      {"public", e.comment_public.value_or(true)}};
  } else if (e.comment_public) {
    out["comment"] = {{"public", *e.comment_public}};
  }
  return out;
}

}  // namespace rapport::automation
