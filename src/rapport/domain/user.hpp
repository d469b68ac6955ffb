#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::domain {

// Zendesk's three roles; Rapport's finer roles ride along on agents.
enum class Role { end_user, agent, admin };
enum class RapportRole { none, team_lead, qa, manager };

std::optional<Role> parse_role(std::string_view s);
std::string_view to_string(Role r);
std::optional<RapportRole> parse_rapport_role(std::string_view s);
std::string_view to_string(RapportRole r);

// Who is making a request, after authentication.
struct Principal {
  int64_t user_id = 0;
  Role role = Role::end_user;
  RapportRole rapport_role = RapportRole::none;
  std::optional<int64_t> organization_id;
  bool organization_shared = false;  // the organization shares tickets among its members
  // NULL in the store means "all tickets"; otherwise groups | assigned | requested.
  std::optional<std::string> ticket_restriction;
  std::vector<int64_t> group_ids;
  std::optional<int64_t> token_id;     // the API token used, if any
  std::optional<int64_t> acting_for;   // set when an admin token acts as another user
  bool via_session = false;            // cookie session (needs CSRF on writes)
  std::string email;

  bool is_staff() const { return role != Role::end_user; }
  bool is_admin() const { return role == Role::admin; }
  // Managers, admins and unrestricted agents see every ticket.
  bool sees_all_tickets() const {
    return role == Role::admin || rapport_role == RapportRole::manager ||
           rapport_role == RapportRole::qa || (role == Role::agent && !ticket_restriction);
  }
};

}  // namespace rapport::domain
