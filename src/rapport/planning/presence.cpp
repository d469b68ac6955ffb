#include <rapport/planning/presence.hpp>

#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>

namespace rapport::planning {

namespace {

constexpr const char* k_current = "SELECT status FROM agent_presence WHERE user_id = ?";
constexpr const char* k_upsert =
    "INSERT INTO agent_presence (user_id, status, since) VALUES (?, ?, ?) "
    "ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, since = excluded.since";

}  // namespace

bool valid_presence_status(const std::string& s) {
  return s == "online" || s == "away" || s == "offline";
}

bool can_read_presence(const domain::Principal& who) {
  return who.is_admin() || (who.is_staff() && (who.rapport_role == domain::RapportRole::team_lead ||
                                               who.rapport_role == domain::RapportRole::manager));
}

Result<Presence> set_presence(store::Tx& tx, const domain::Principal& who,
                              const std::string& status) {
  if (!who.is_staff()) return fail(Error::forbidden("only agents have a presence"));
  if (!valid_presence_status(status))
    return fail(Error::field(
        "status", "InvalidValue",
        "Status: must be online, away or offline (got '" + status.substr(0, 32) + "')"));
  auto& conn = tx.conn();
  auto previous = conn.scalar_text(k_current, {who.user_id});
  if (!previous) return fail(previous.error());
  const std::string prev = previous->value_or("offline");
  Presence p;
  p.id = who.user_id;
  p.status = status;
  auto name = conn.scalar_text("SELECT name FROM users WHERE id = ?", {who.user_id});
  if (!name) return fail(name.error());
  p.name = name->value_or("");
  const int64_t now = now_epoch();
  if (*previous && prev == status) {
    auto since = conn.scalar("SELECT since FROM agent_presence WHERE user_id = ?", {who.user_id});
    if (!since) return fail(since.error());
    p.since = *since;
    return p;
  }
  if (auto r = conn.run(k_upsert, {who.user_id, status, now}); !r) return fail(r.error());
  events::Event e{"agent.presence_changed",
                  "user",
                  who.user_id,
                  who.user_id,
                  who.token_id,
                  {{"status", status}, {"previous", prev}}};
  if (auto a = events::append(conn, e, now); !a) return fail(a.error());
  p.since = now;
  p.changed = true;
  return p;
}

Result<domain::Page<Presence>> list_presence(store::Conn& conn, const domain::Principal& who,
                                             const std::optional<std::string>& status,
                                             const domain::PageRequest& pr) {
  if (!can_read_presence(who))
    return fail(Error::forbidden("team leads, managers and admins read presence"));
  if (status && !valid_presence_status(*status))
    return fail(Error::invalid("status must be online, away or offline"));
  const std::string from =
      " FROM users u LEFT JOIN agent_presence p ON p.user_id = u.id"
      " WHERE u.role IN ('agent', 'admin') AND u.active = 1"
      " AND (? IS NULL OR COALESCE(p.status, 'offline') = ?)";
  domain::Page<Presence> page;
  auto count = conn.scalar("SELECT COUNT(*)" + from, {status, status});
  if (!count) return fail(count.error());
  page.count = count->value_or(0);
  const int64_t offset = (pr.page - 1) * pr.per_page;
  auto st = conn.each("SELECT u.id, u.name, COALESCE(p.status, 'offline'), p.since" + from +
                          " ORDER BY u.id LIMIT ? OFFSET ?",
                      {status, status, pr.per_page, offset}, [&](const store::Row& r) {
                        Presence p;
                        p.id = r.i64(0);
                        p.name = r.text(1);
                        p.status = r.text(2);
                        p.since = r.opt_i64(3);
                        page.items.push_back(std::move(p));
                      });
  if (!st) return fail(st.error());
  return page;
}

Json to_json(const Presence& p) {
  return {{"user_id", p.id},
          {"name", p.name},
          {"status", p.status},
          {"since", p.since ? Json(iso8601(*p.since)) : Json(nullptr)}};
}

}  // namespace rapport::planning
