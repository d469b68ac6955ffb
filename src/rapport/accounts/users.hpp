#pragma once
// Users: customers (end-users), agents and admins, with Rapport's team and site structure.
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::accounts {

using domain::Id;
using domain::Principal;
using domain::User;

// The principal used by the CLI and start-up: an admin with no user behind it.
Principal system_principal();

Result<User> get_user(store::Conn& conn, Id id);
Result<std::optional<User>> find_user_by_email(store::Conn& conn, const std::string& email);
Result<std::vector<User>> users_by_ids(store::Conn& conn, const std::vector<Id>& ids);

struct UserFilter {
  std::vector<std::string> roles;  // empty: all
  std::optional<Id> organization_id, group_id, site_id;
};
Result<domain::Page<User>> list_users(store::Conn& conn, const UserFilter& f, const domain::PageRequest& pr);
// Free text over name and email (prefix match), or exact external_id.
Result<domain::Page<User>> search_users(store::Conn& conn, const std::string& query,
                                        const std::optional<std::string>& external_id,
                                        const domain::PageRequest& pr);

// `in` is the body's "user" object. Agents may create end-users; only admins create staff.
Result<User> create_user(store::Tx& tx, const Json& in, const Principal& actor);
Result<User> update_user(store::Tx& tx, Id id, const Json& in, const Principal& actor);
// Finds the end-user with this email (case-insensitive) or creates one.
Result<Id> find_or_create_requester(store::Tx& tx, const std::string& name, const std::string& email,
                                     const Principal& actor);
Status set_password(store::Tx& tx, Id id, const std::string& password);
// Whether `actor` may see `user` at all (end-users see only themselves).
bool can_view_user(const Principal& actor, const User& user);

}  // namespace rapport::accounts
