#pragma once
// Organizations (customers' companies), groups (teams) and sites (locations or outsourcing
// vendors that agents belong to).
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::accounts {

using domain::Group;
using domain::Organization;
using domain::Site;

Result<Organization> get_organization(store::Conn& conn, domain::Id id);
Result<domain::Page<Organization>> list_organizations(store::Conn& conn, const domain::PageRequest& pr);
Result<std::vector<Organization>> organizations_by_ids(store::Conn& conn, const std::vector<domain::Id>& ids);
Result<Organization> create_organization(store::Tx& tx, const Json& in, const domain::Principal& actor);
Result<Organization> update_organization(store::Tx& tx, domain::Id id, const Json& in, const domain::Principal& actor);
Status delete_organization(store::Tx& tx, domain::Id id, const domain::Principal& actor);
Result<domain::Page<Organization>> search_organizations(store::Conn& conn, const std::string& text,
                                                        const domain::PageRequest& pr);

Result<Group> get_group(store::Conn& conn, domain::Id id);
Result<domain::Page<Group>> list_groups(store::Conn& conn, const domain::PageRequest& pr);
Result<Group> create_group(store::Tx& tx, const Json& in, const domain::Principal& actor);
Result<Group> update_group(store::Tx& tx, domain::Id id, const Json& in, const domain::Principal& actor);
Status delete_group(store::Tx& tx, domain::Id id, const domain::Principal& actor);

Result<Site> get_site(store::Conn& conn, domain::Id id);
Result<domain::Page<Site>> list_sites(store::Conn& conn, const domain::PageRequest& pr);
Result<Site> create_site(store::Tx& tx, const Json& in, const domain::Principal& actor);
Result<Site> update_site(store::Tx& tx, domain::Id id, const Json& in, const domain::Principal& actor);

}  // namespace rapport::accounts
