#include <rapport/accounts/directory.hpp>

#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/base/time.hpp>
#include <rapport/domain/search_facets.hpp>
#include <rapport/events/event_log.hpp>
#include <rapport/store/list_query.hpp>

namespace rapport::accounts {

namespace {

using domain::Principal;

std::optional<domain::Id> actor_id(const Principal& p) {
  return p.user_id ? std::optional<domain::Id>(p.user_id) : std::nullopt;
}

Status log(store::Tx& tx, const char* kind, const char* entity, domain::Id id, const Principal& actor,
           Json data = Json::object()) {
  events::Event e{kind, entity, id, actor_id(actor), actor.token_id, std::move(data)};
  auto r = events::append(tx.conn(), e, now_epoch());
  if (!r) return fail(r.error());
  return {};
}

// ---- organizations ----
constexpr const char* k_org_columns =
    "id, name, external_id, domain_names, details, notes, group_id, shared_tickets, shared_comments, tags, "
    "organization_fields, created_at, updated_at";

Organization map_org(const store::Row& r) {
  Organization o;
  o.id = r.i64(0);
  o.name = r.text(1);
  o.external_id = r.opt_text(2);
  o.domain_names = Json::parse(r.text(3), nullptr, false);
  o.details = r.text(4);
  o.notes = r.text(5);
  o.group_id = r.opt_i64(6);
  o.shared_tickets = r.i64(7) != 0;
  o.shared_comments = r.i64(8) != 0;
  o.tags = Json::parse(r.text(9), nullptr, false);
  o.organization_fields = Json::parse(r.text(10), nullptr, false);
  o.created_at = r.i64(11);
  o.updated_at = r.i64(12);
  return o;
}

void read_org(JsonInput& in, Organization& o) {
  if (auto s = in.str("name", 255)) o.name = *s;
  if (in.has("external_id")) o.external_id = in.str("external_id", 255);
  if (auto a = in.strings("domain_names")) {
    o.domain_names = Json::array();
    for (auto& d : *a) o.domain_names.push_back(to_lower(d));
  }
  if (auto s = in.str("details")) o.details = *s;
  if (auto s = in.str("notes")) o.notes = *s;
  if (in.has("group_id")) o.group_id = in.integer("group_id");
  if (auto b = in.boolean("shared_tickets")) o.shared_tickets = *b;
  if (auto b = in.boolean("shared_comments")) o.shared_comments = *b;
  if (auto a = in.strings("tags")) {
    o.tags = Json::array();
    for (auto& t : *a) o.tags.push_back(to_lower(t));
  }
  if (auto f = in.object("organization_fields")) o.organization_fields = *f;
}

Error name_taken() { return Error::field("name", "DuplicateValue", "Name: has already been taken"); }

// ---- groups ----
constexpr const char* k_group_columns = "id, name, description, is_default, is_public, deleted, site_id, created_at, updated_at";

Group map_group(const store::Row& r) {
  Group g;
  g.id = r.i64(0);
  g.name = r.text(1);
  g.description = r.text(2);
  g.is_default = r.i64(3) != 0;
  g.is_public = r.i64(4) != 0;
  g.deleted = r.i64(5) != 0;
  g.site_id = r.opt_i64(6);
  g.created_at = r.i64(7);
  g.updated_at = r.i64(8);
  return g;
}

// ---- sites ----
constexpr const char* k_site_columns = "id, name, kind, vendor, time_zone, created_at, updated_at";

Site map_site(const store::Row& r) {
  return Site{r.i64(0), r.text(1), r.text(2), r.opt_text(3), r.text(4), r.i64(5), r.i64(6)};
}

template <typename T>
Result<T> get_one(store::Conn& conn, const std::string& sql, domain::Id id, T (*map)(const store::Row&)) {
  std::optional<T> out;
  auto st = conn.each(sql, {id}, [&](const store::Row& r) { out = map(r); });
  if (!st) return fail(st.error());
  if (!out) return fail(Error::not_found());
  return *out;
}

}  // namespace

Result<Organization> get_organization(store::Conn& conn, domain::Id id) {
  return get_one<Organization>(conn, std::string("SELECT ") + k_org_columns + " FROM organizations WHERE id = ?", id, map_org);
}

Result<domain::Page<Organization>> list_organizations(store::Conn& conn, const domain::PageRequest& pr) {
  return store::run_list<Organization>(conn, {k_org_columns, "organizations", {}, {}}, pr, map_org);
}

Result<std::vector<Organization>> organizations_by_ids(store::Conn& conn, const std::vector<domain::Id>& ids) {
  std::vector<Organization> out;
  if (ids.empty()) return out;
  store::Params params(ids.begin(), ids.end());
  auto st = conn.each(std::string("SELECT ") + k_org_columns + " FROM organizations WHERE id IN (" +
                          store::placeholders(ids.size()) + ") ORDER BY id",
                      params, [&](const store::Row& r) { out.push_back(map_org(r)); });
  if (!st) return fail(st.error());
  return out;
}

Result<domain::Page<Organization>> search_organizations(store::Conn& conn, const std::string& text,
                                                        const domain::PageRequest& pr) {
  store::ListQuery q{k_org_columns, "organizations", {}, {}};
  if (!text.empty()) {
    q.where.push_back("name_key LIKE ? OR external_id = ?");
    q.params.push_back("%" + to_lower(text) + "%");
    q.params.push_back(text);
  }
  return store::run_list<Organization>(conn, q, pr, map_org);
}

Result<Organization> create_organization(store::Tx& tx, const Json& in, const Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  Validation v;
  JsonInput input(in, v);
  Organization o;
  read_org(input, o);
  if (o.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto r = tx.conn().run(
      "INSERT INTO organizations(name, name_key, external_id, domain_names, details, notes, group_id, shared_tickets, "
      "shared_comments, tags, organization_fields, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
      {o.name, to_lower(o.name), o.external_id, o.domain_names.dump(), o.details, o.notes, o.group_id,
       o.shared_tickets, o.shared_comments, o.tags.dump(), o.organization_fields.dump(), now, now});
  if (!r) return fail(r.error().code == ErrorCode::conflict ? name_taken() : r.error());
  o.id = tx.conn().last_insert_id();
  if (auto st = log(tx, "organization.created", "organization", o.id, actor); !st) return fail(st.error());
  return get_organization(tx.conn(), o.id);
}

Result<Organization> update_organization(store::Tx& tx, domain::Id id, const Json& in, const Principal& actor) {
  if (!actor.is_staff()) return fail(Error::forbidden());
  auto cur = get_organization(tx.conn(), id);
  if (!cur) return cur;
  Validation v;
  JsonInput input(in, v);
  Organization o = *cur;
  read_org(input, o);
  if (o.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (!v.ok()) return fail(v.error());
  auto r = tx.conn().run(
      "UPDATE organizations SET name=?, name_key=?, external_id=?, domain_names=?, details=?, notes=?, group_id=?, "
      "shared_tickets=?, shared_comments=?, tags=?, organization_fields=?, updated_at=? WHERE id=?",
      {o.name, to_lower(o.name), o.external_id, o.domain_names.dump(), o.details, o.notes, o.group_id,
       o.shared_tickets, o.shared_comments, o.tags.dump(), o.organization_fields.dump(), now_epoch(), id});
  if (!r) return fail(r.error().code == ErrorCode::conflict ? name_taken() : r.error());
  if (auto st = log(tx, "organization.updated", "organization", id, actor); !st) return fail(st.error());
  return get_organization(tx.conn(), id);
}

Status delete_organization(store::Tx& tx, domain::Id id, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  if (auto cur = get_organization(tx.conn(), id); !cur) return fail(cur.error());
  // Members and tickets keep existing; they simply no longer belong to an organization.
  for (const char* sql : {"UPDATE users SET organization_id = NULL WHERE organization_id = ?",
                          "UPDATE tickets SET organization_id = NULL WHERE organization_id = ?",
                          "DELETE FROM organizations WHERE id = ?"}) {
    if (auto r = tx.conn().run(sql, {id}); !r) return fail(r.error());
  }
  // Their search facets still name the organization: re-index them from the rows (in the
  // batch's deferred full-text writes, after any ticket this batch created for it).
  tx.defer([word = domain::facets::id('o', id)](store::Conn& conn) -> Status {
    auto r = conn.run(
        "UPDATE ticket_fts SET facets = (SELECT ticket_facets(t.status, t.priority, t.type, t.tags, t.requester_id, "
        "t.submitter_id, t.assignee_id, t.organization_id, t.group_id, t.channel) FROM tickets t WHERE t.id = ticket_fts.rowid) "
        "WHERE rowid IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)",
        {"facets : " + word});
    if (!r) return fail(r.error());
    return {};
  });
  return log(tx, "organization.deleted", "organization", id, actor);
}

Result<Group> get_group(store::Conn& conn, domain::Id id) {
  return get_one<Group>(conn, std::string("SELECT ") + k_group_columns + " FROM groups WHERE id = ?", id, map_group);
}

Result<domain::Page<Group>> list_groups(store::Conn& conn, const domain::PageRequest& pr) {
  return store::run_list<Group>(conn, {k_group_columns, "groups", {"deleted = 0"}, {}}, pr, map_group);
}

Result<Group> create_group(store::Tx& tx, const Json& in, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  Validation v;
  JsonInput input(in, v);
  Group g;
  if (auto s = input.str("name", 255)) g.name = *s;
  if (auto s = input.str("description")) g.description = *s;
  if (auto b = input.boolean("is_public")) g.is_public = *b;
  if (auto b = input.boolean("default")) g.is_default = *b;
  if (input.has("site_id")) g.site_id = input.integer("site_id");
  if (g.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto r = tx.conn().run(
      "INSERT INTO groups(name, description, is_default, is_public, site_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?)",
      {g.name, g.description, g.is_default, g.is_public, g.site_id, now, now});
  if (!r) return fail(r.error());
  g.id = tx.conn().last_insert_id();
  if (auto st = log(tx, "group.created", "group", g.id, actor); !st) return fail(st.error());
  return get_group(tx.conn(), g.id);
}

Result<Group> update_group(store::Tx& tx, domain::Id id, const Json& in, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto cur = get_group(tx.conn(), id);
  if (!cur) return cur;
  Validation v;
  JsonInput input(in, v);
  Group g = *cur;
  if (auto s = input.str("name", 255)) g.name = *s;
  if (auto s = input.str("description")) g.description = *s;
  if (auto b = input.boolean("is_public")) g.is_public = *b;
  if (auto b = input.boolean("default")) g.is_default = *b;
  if (input.has("site_id")) g.site_id = input.integer("site_id");
  if (g.name.empty()) v.add("name", "BlankValue", "Name: cannot be blank");
  if (!v.ok()) return fail(v.error());
  auto r = tx.conn().run("UPDATE groups SET name=?, description=?, is_default=?, is_public=?, site_id=?, updated_at=? WHERE id=?",
                         {g.name, g.description, g.is_default, g.is_public, g.site_id, now_epoch(), id});
  if (!r) return fail(r.error());
  if (auto st = log(tx, "group.updated", "group", id, actor); !st) return fail(st.error());
  return get_group(tx.conn(), id);
}

Status delete_group(store::Tx& tx, domain::Id id, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  if (auto cur = get_group(tx.conn(), id); !cur) return fail(cur.error());
  if (auto r = tx.conn().run("UPDATE groups SET deleted = 1, updated_at = ? WHERE id = ?", {now_epoch(), id}); !r)
    return fail(r.error());
  if (auto r = tx.conn().run("DELETE FROM group_memberships WHERE group_id = ?", {id}); !r) return fail(r.error());
  return log(tx, "group.deleted", "group", id, actor);
}

Result<Site> get_site(store::Conn& conn, domain::Id id) {
  return get_one<Site>(conn, std::string("SELECT ") + k_site_columns + " FROM sites WHERE id = ?", id, map_site);
}

Result<domain::Page<Site>> list_sites(store::Conn& conn, const domain::PageRequest& pr) {
  return store::run_list<Site>(conn, {k_site_columns, "sites", {}, {}}, pr, map_site);
}

namespace {
void read_site(JsonInput& in, Site& s) {
  if (auto v = in.str("name", 255)) s.name = *v;
  if (auto v = in.str("kind")) {
    if (*v != "in_house" && *v != "vendor") in.validation().add("kind", "InvalidValue", "Kind: must be in_house or vendor");
    else s.kind = *v;
  }
  if (in.has("vendor")) s.vendor = in.str("vendor", 255);
  if (auto v = in.str("time_zone", 64)) s.time_zone = *v;
  if (s.name.empty()) in.validation().add("name", "BlankValue", "Name: cannot be blank");
}
}  // namespace

Result<Site> create_site(store::Tx& tx, const Json& in, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  Validation v;
  JsonInput input(in, v);
  Site s;
  read_site(input, s);
  if (!v.ok()) return fail(v.error());
  int64_t now = now_epoch();
  auto r = tx.conn().run("INSERT INTO sites(name, kind, vendor, time_zone, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                         {s.name, s.kind, s.vendor, s.time_zone, now, now});
  if (!r) return fail(r.error().code == ErrorCode::conflict ? name_taken() : r.error());
  s.id = tx.conn().last_insert_id();
  if (auto st = log(tx, "site.created", "site", s.id, actor); !st) return fail(st.error());
  return get_site(tx.conn(), s.id);
}

Result<Site> update_site(store::Tx& tx, domain::Id id, const Json& in, const Principal& actor) {
  if (!actor.is_admin()) return fail(Error::forbidden());
  auto cur = get_site(tx.conn(), id);
  if (!cur) return cur;
  Validation v;
  JsonInput input(in, v);
  Site s = *cur;
  read_site(input, s);
  if (!v.ok()) return fail(v.error());
  auto r = tx.conn().run("UPDATE sites SET name=?, kind=?, vendor=?, time_zone=?, updated_at=? WHERE id=?",
                         {s.name, s.kind, s.vendor, s.time_zone, now_epoch(), id});
  if (!r) return fail(r.error().code == ErrorCode::conflict ? name_taken() : r.error());
  if (auto st = log(tx, "site.updated", "site", id, actor); !st) return fail(st.error());
  return get_site(tx.conn(), id);
}

}  // namespace rapport::accounts
