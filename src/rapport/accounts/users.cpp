#include <rapport/accounts/users.hpp>

#include <regex>

#include <rapport/base/crypto.hpp>
#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::accounts {

namespace {

constexpr const char* k_columns =
    "id, name, email, role, rapport_role, verified, active, suspended, organization_id, external_id, "
    "tags, phone, time_zone, locale, alias, details, notes, signature, default_group_id, "
    "ticket_restriction, site_id, team_lead_id, hired_at, skills, photo_url, bio, user_fields, "
    "last_login_at, created_at, updated_at";

User map_user(const store::Row& r) {
  User u;
  u.id = r.i64(0);
  u.name = r.text(1);
  u.email = r.opt_text(2);
  u.role = r.text(3);
  u.rapport_role = r.opt_text(4).value_or("");
  u.verified = r.i64(5) != 0;
  u.active = r.i64(6) != 0;
  u.suspended = r.i64(7) != 0;
  u.organization_id = r.opt_i64(8);
  u.external_id = r.opt_text(9);
  u.tags = Json::parse(r.text(10), nullptr, false);
  u.phone = r.opt_text(11);
  u.time_zone = r.text(12);
  u.locale = r.text(13);
  u.alias = r.text(14);
  u.details = r.text(15);
  u.notes = r.text(16);
  u.signature = r.text(17);
  u.default_group_id = r.opt_i64(18);
  u.ticket_restriction = r.opt_text(19);
  u.site_id = r.opt_i64(20);
  u.team_lead_id = r.opt_i64(21);
  u.hired_at = r.opt_i64(22);
  u.skills = Json::parse(r.text(23), nullptr, false);
  u.photo_url = r.opt_text(24);
  u.bio = r.text(25);
  u.user_fields = Json::parse(r.text(26), nullptr, false);
  u.last_login_at = r.opt_i64(27);
  u.created_at = r.i64(28);
  u.updated_at = r.i64(29);
  return u;
}

Status load_groups(store::Conn& conn, std::vector<User>& users) {
  if (users.empty()) return {};
  std::vector<Id> ids;
  store::Params params;
  for (auto& u : users) params.push_back(u.id);
  std::unordered_map<Id, std::vector<Id>> by_user;
  auto st = conn.each("SELECT user_id, group_id FROM group_memberships WHERE user_id IN (" +
                          store::placeholders(users.size()) + ") ORDER BY group_id",
                      params, [&](const store::Row& r) { by_user[r.i64(0)].push_back(r.i64(1)); });
  if (!st) return st;
  for (auto& u : users) u.group_ids = by_user[u.id];
  return {};
}

const std::regex& email_re() {
  static const std::regex re(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)");
  return re;
}

// Reads the fields shared by create and update into `u`; records problems in `v`.
void read_fields(JsonInput& in, User& u, const Principal& actor, bool creating) {
  auto& v = in.validation();
  if (auto s = in.str("name", 255)) u.name = *s;
  if (in.has("email")) {
    auto e = in.str("email", 254);
    if (e && !std::regex_match(*e, email_re())) {
      v.add("email", "InvalidValue", "Email: " + *e + " is not properly formatted");
    } else {
      u.email = e;
    }
  }
  if (auto r = in.str("role")) {
    auto role = domain::parse_role(*r);
    if (!role) v.add("role", "InvalidValue", "Role: is not valid");
    else if (*role != domain::Role::end_user && !actor.is_admin())
      v.add("role", "InvalidValue", "Role: only an admin can make agents and admins");
    else u.role = std::string(domain::to_string(*role));
  }
  if (auto r = in.str("rapport_role")) {
    if (!domain::parse_rapport_role(*r)) v.add("rapport_role", "InvalidValue", "Rapport role: is not valid");
    else if (!actor.is_admin()) v.add("rapport_role", "InvalidValue", "Rapport role: only an admin can set it");
    else u.rapport_role = *r;
  }
  if (auto b = in.boolean("verified")) u.verified = *b;
  if (auto b = in.boolean("suspended")) u.suspended = *b;
  if (in.has("organization_id")) u.organization_id = in.integer("organization_id");
  if (in.has("external_id")) u.external_id = in.str("external_id", 255);
  if (auto t = in.strings("tags")) {
    u.tags = Json::array();
    for (auto& s : *t) u.tags.push_back(to_lower(s));
  }
  if (in.has("phone")) u.phone = in.str("phone", 64);
  if (auto s = in.str("time_zone", 64)) u.time_zone = *s;
  if (auto s = in.str("iana_time_zone", 64)) u.time_zone = *s;
  if (auto s = in.str("locale", 16)) u.locale = *s;
  if (auto s = in.str("alias", 255)) u.alias = *s;
  if (auto s = in.str("details")) u.details = *s;
  if (auto s = in.str("notes")) u.notes = *s;
  if (auto s = in.str("signature")) u.signature = *s;
  if (in.has("default_group_id")) u.default_group_id = in.integer("default_group_id");
  if (in.has("ticket_restriction")) {
    auto s = in.str("ticket_restriction");
    if (s && *s != "groups" && *s != "assigned" && *s != "requested" && *s != "organization")
      v.add("ticket_restriction", "InvalidValue", "Ticket restriction: is not valid");
    else u.ticket_restriction = s;
  }
  if (in.has("site_id")) u.site_id = in.integer("site_id");
  if (in.has("team_lead_id")) u.team_lead_id = in.integer("team_lead_id");
  if (in.has("hired_at")) {
    auto s = in.str("hired_at");
    if (s) {
      auto t = parse_iso8601(*s);
      if (!t) v.add("hired_at", "InvalidValue", "Hired at: is not a date");
      else u.hired_at = t;
    } else {
      u.hired_at.reset();
    }
  }
  if (auto a = in.array("skills")) u.skills = *a;
  if (in.has("photo_url")) u.photo_url = in.str("photo_url", 2048);
  if (auto s = in.str("bio", 2000)) u.bio = *s;
  if (auto o = in.object("user_fields")) u.user_fields = *o;
  if (creating && u.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (!creating && in.has("name") && u.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
}

Status check_references(store::Conn& conn, const User& u, Validation& v) {
  auto exists = [&](const char* table, const char* field, std::optional<Id> id) -> Status {
    if (!id) return {};
    auto r = conn.scalar(std::string("SELECT 1 FROM ") + table + " WHERE id = ?", {*id});
    if (!r) return fail(r.error());
    if (!*r) v.add(field, "InvalidValue", field_label(field) + ": " + std::to_string(*id) + " does not exist");
    return {};
  };
  if (auto st = exists("organizations", "organization_id", u.organization_id); !st) return st;
  if (auto st = exists("groups", "default_group_id", u.default_group_id); !st) return st;
  if (auto st = exists("sites", "site_id", u.site_id); !st) return st;
  if (auto st = exists("users", "team_lead_id", u.team_lead_id); !st) return st;
  return {};
}

store::Params row_params(const User& u) {
  return {u.name, u.email, u.email ? std::optional<std::string>(to_lower(*u.email)) : std::nullopt, u.role,
          u.rapport_role.empty() ? std::optional<std::string>() : u.rapport_role, u.verified, u.active,
          u.suspended, u.organization_id, u.external_id, u.tags.dump(), u.phone, u.time_zone, u.locale,
          u.alias, u.details, u.notes, u.signature, u.default_group_id, u.ticket_restriction, u.site_id,
          u.team_lead_id, u.hired_at, u.skills.dump(), u.photo_url, u.bio, u.user_fields.dump()};
}

Status apply_group_ids(store::Tx& tx, const User& u, const std::optional<std::vector<int64_t>>& groups,
                       Validation& v) {
  if (!groups) return {};
  for (auto g : *groups) {
    auto r = tx.conn().scalar("SELECT 1 FROM groups WHERE id = ? AND deleted = 0", {g});
    if (!r) return fail(r.error());
    if (!*r) v.add("group_ids", "InvalidValue", "Group ids: group " + std::to_string(g) + " does not exist");
  }
  if (!v.ok()) return {};
  if (auto r = tx.conn().run("DELETE FROM group_memberships WHERE user_id = ?", {u.id}); !r) return fail(r.error());
  for (auto g : *groups) {
    if (auto r = tx.conn().run("INSERT OR IGNORE INTO group_memberships(user_id, group_id) VALUES (?, ?)", {u.id, g}); !r)
      return fail(r.error());
  }
  return {};
}

Error duplicate_email(const std::string& email) {
  return Error::field("email", "DuplicateValue", "Email: " + email + " is already being used by another user");
}

}  // namespace

Principal system_principal() {
  Principal p;
  p.role = domain::Role::admin;
  return p;
}

Result<User> get_user(store::Conn& conn, Id id) {
  std::vector<User> out;
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM users WHERE id = ?", {id},
                      [&](const store::Row& r) { out.push_back(map_user(r)); });
  if (!st) return fail(st.error());
  if (out.empty()) return fail(Error::not_found());
  if (auto g = load_groups(conn, out); !g) return fail(g.error());
  return out.front();
}

Result<std::optional<User>> find_user_by_email(store::Conn& conn, const std::string& email) {
  auto id = conn.scalar("SELECT id FROM users WHERE email_key = ?", {to_lower(email)});
  if (!id) return fail(id.error());
  if (!*id) return std::optional<User>();
  auto u = get_user(conn, **id);
  if (!u) return fail(u.error());
  return std::optional<User>(*u);
}

Result<std::vector<User>> users_by_ids(store::Conn& conn, const std::vector<Id>& ids) {
  std::vector<User> out;
  if (ids.empty()) return out;
  store::Params params(ids.begin(), ids.end());
  auto st = conn.each(std::string("SELECT ") + k_columns + " FROM users WHERE id IN (" +
                          store::placeholders(ids.size()) + ") ORDER BY id",
                      params, [&](const store::Row& r) { out.push_back(map_user(r)); });
  if (!st) return fail(st.error());
  if (auto g = load_groups(conn, out); !g) return fail(g.error());
  return out;
}

Result<domain::Page<User>> list_users(store::Conn& conn, const UserFilter& f, const domain::PageRequest& pr) {
  store::ListQuery q{k_columns, "users", {}, {}};
  if (!f.roles.empty()) {
    q.where.push_back("role IN (" + store::placeholders(f.roles.size()) + ")");
    for (auto& r : f.roles) q.params.push_back(r);
  }
  if (f.organization_id) {
    q.where.push_back("organization_id = ?");
    q.params.push_back(*f.organization_id);
  }
  if (f.site_id) {
    q.where.push_back("site_id = ?");
    q.params.push_back(*f.site_id);
  }
  if (f.group_id) {
    q.where.push_back("id IN (SELECT user_id FROM group_memberships WHERE group_id = ?)");
    q.params.push_back(*f.group_id);
  }
  auto page = store::run_list<User>(conn, q, pr, map_user);
  if (!page) return page;
  if (auto g = load_groups(conn, page->items); !g) return fail(g.error());
  return page;
}

Result<domain::Page<User>> search_users(store::Conn& conn, const std::string& query,
                                        const std::optional<std::string>& external_id,
                                        const domain::PageRequest& pr) {
  store::ListQuery q{k_columns, "users", {}, {}};
  if (external_id) {
    q.where.push_back("external_id = ?");
    q.params.push_back(*external_id);
  }
  auto text = std::string(trim(query));
  if (!text.empty()) {
    // Escape LIKE wildcards so a search for "50%" means that text.
    std::string pat;
    for (char c : to_lower(text)) {
      if (c == '%' || c == '_' || c == '\\') pat.push_back('\\');
      pat.push_back(c);
    }
    q.where.push_back("lower(name) LIKE ? ESCAPE '\\' OR email_key LIKE ? ESCAPE '\\' OR external_id = ?");
    q.params.push_back("%" + pat + "%");
    q.params.push_back(pat + "%");
    q.params.push_back(text);
  }
  auto page = store::run_list<User>(conn, q, pr, map_user);
  if (!page) return page;
  if (auto g = load_groups(conn, page->items); !g) return fail(g.error());
  return page;
}

Result<User> create_user(store::Tx& tx, const Json& in, const Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  Validation v;
  JsonInput input(in, v);
  User u;
  read_fields(input, u, actor, true);
  auto groups = input.integers("group_ids");
  // New agents see their groups' tickets until an admin grants them all (ticket_restriction null).
  if (u.role == "agent" && !input.has("ticket_restriction")) u.ticket_restriction = "groups";
  if (!v.ok()) return fail(v.error());
  if (auto st = check_references(tx.conn(), u, v); !st) return fail(st.error());
  if (!v.ok()) return fail(v.error());
  if (u.email) {
    auto dup = tx.conn().scalar("SELECT 1 FROM users WHERE email_key = ?", {to_lower(*u.email)});
    if (!dup) return fail(dup.error());
    if (*dup) return fail(duplicate_email(*u.email));
  }
  int64_t now = now_epoch();
  auto params = row_params(u);
  params.push_back(now);
  params.push_back(now);
  auto r = tx.conn().run(
      "INSERT INTO users(name, email, email_key, role, rapport_role, verified, active, suspended, "
      "organization_id, external_id, tags, phone, time_zone, locale, alias, details, notes, signature, "
      "default_group_id, ticket_restriction, site_id, team_lead_id, hired_at, skills, photo_url, bio, "
      "user_fields, created_at, updated_at) VALUES (" + store::placeholders(29) + ")",
      params);
  if (!r) {
    if (r.error().code == ErrorCode::conflict && u.email) return fail(duplicate_email(*u.email));
    return fail(r.error());
  }
  u.id = tx.conn().last_insert_id();
  if (auto st = apply_group_ids(tx, u, groups, v); !st) return fail(st.error());
  if (!v.ok()) return fail(v.error());
  if (auto pw = input.str("password", 1024)) {
    if (!actor.is_admin()) return fail(Error::field("password", "InvalidValue", "Password: only an admin can set it"));
    if (auto st = set_password(tx, u.id, *pw); !st) return fail(st.error());
  }
  events::Event e{"user.created", "user", u.id, actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt,
                  actor.token_id, {{"role", u.role}}};
  if (auto ev = events::append(tx.conn(), e, now); !ev) return fail(ev.error());
  return get_user(tx.conn(), u.id);
}

Result<User> update_user(store::Tx& tx, Id id, const Json& in, const Principal& actor) {
  auto current = get_user(tx.conn(), id);
  if (!current) return current;
  bool self = actor.user_id == id;
  if (!actor.is_admin()) {
    // Agents manage customers; anyone may edit their own profile, but not their own role.
    if (!self && (!actor.is_staff() || current->role != "end-user")) return fail(Error::forbidden());
    if (in.contains("role") || in.contains("rapport_role") || in.contains("ticket_restriction") ||
        (in.contains("group_ids") && !actor.is_staff()))
      return fail(Error::forbidden());
  }
  Validation v;
  JsonInput input(in, v);
  User u = *current;
  read_fields(input, u, actor, false);
  auto groups = input.integers("group_ids");
  if (!v.ok()) return fail(v.error());
  if (auto st = check_references(tx.conn(), u, v); !st) return fail(st.error());
  if (!v.ok()) return fail(v.error());
  if (u.email && (!current->email || to_lower(*u.email) != to_lower(*current->email))) {
    auto dup = tx.conn().scalar("SELECT 1 FROM users WHERE email_key = ? AND id <> ?", {to_lower(*u.email), id});
    if (!dup) return fail(dup.error());
    if (*dup) return fail(duplicate_email(*u.email));
  }
  int64_t now = now_epoch();
  auto params = row_params(u);
  params.push_back(now);
  params.push_back(id);
  auto r = tx.conn().run(
      "UPDATE users SET name=?, email=?, email_key=?, role=?, rapport_role=?, verified=?, active=?, "
      "suspended=?, organization_id=?, external_id=?, tags=?, phone=?, time_zone=?, locale=?, alias=?, "
      "details=?, notes=?, signature=?, default_group_id=?, ticket_restriction=?, site_id=?, "
      "team_lead_id=?, hired_at=?, skills=?, photo_url=?, bio=?, user_fields=?, updated_at=? WHERE id=?",
      params);
  if (!r) return fail(r.error());
  if (auto st = apply_group_ids(tx, u, groups, v); !st) return fail(st.error());
  if (!v.ok()) return fail(v.error());
  if (auto pw = input.str("password", 1024)) {
    if (!actor.is_admin() && !self) return fail(Error::forbidden());
    if (auto st = set_password(tx, id, *pw); !st) return fail(st.error());
  }
  Json changed = Json::array();
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (it.key() != "password") changed.push_back(it.key());
  }
  events::Event e{"user.updated", "user", id, actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt,
                  actor.token_id, {{"fields", changed}}};
  if (auto ev = events::append(tx.conn(), e, now); !ev) return fail(ev.error());
  return get_user(tx.conn(), id);
}

Result<Id> find_or_create_requester(store::Tx& tx, const std::string& name, const std::string& email,
                                     const Principal& actor) {
  auto id = tx.conn().scalar("SELECT id FROM users WHERE email_key = ?", {to_lower(email)});
  if (!id) return fail(id.error());
  if (*id) return **id;
  if (!std::regex_match(email, email_re()))
    return fail(Error::field("requester", "InvalidValue", "Requester: Email: " + email + " is not properly formatted"));
  int64_t now = now_epoch();
  std::string display = name.empty() ? email.substr(0, email.find('@')) : name;
  auto r = tx.conn().run(
      "INSERT INTO users(name, email, email_key, role, created_at, updated_at) VALUES (?, ?, ?, 'end-user', ?, ?)",
      {display, email, to_lower(email), now, now});
  if (!r) return fail(r.error());
  Id uid = tx.conn().last_insert_id();
  events::Event e{"user.created", "user", uid, actor.user_id ? std::optional<Id>(actor.user_id) : std::nullopt,
                  actor.token_id, {{"role", "end-user"}, {"via", "requester"}}};
  if (auto ev = events::append(tx.conn(), e, now); !ev) return fail(ev.error());
  return uid;
}

Status set_password(store::Tx& tx, Id id, const std::string& password) {
  if (password.size() < 8)
    return fail(Error::field("password", "InvalidValue", "Password: is too short (minimum is 8 characters)"));
  auto r = tx.conn().run("UPDATE users SET password_hash = ? WHERE id = ?", {crypto::hash_password(password), id});
  if (!r) return fail(r.error());
  return {};
}

bool can_view_user(const Principal& actor, const User& user) {
  return actor.is_staff() || actor.user_id == user.id;
}

}  // namespace rapport::accounts
