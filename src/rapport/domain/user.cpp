#include <rapport/domain/user.hpp>

namespace rapport::domain {

std::optional<Role> parse_role(std::string_view s) {
  if (s == "end-user" || s == "end_user") return Role::end_user;
  if (s == "agent") return Role::agent;
  if (s == "admin") return Role::admin;
  return std::nullopt;
}

std::string_view to_string(Role r) {
  switch (r) {
    case Role::end_user: return "end-user";
    case Role::agent: return "agent";
    case Role::admin: return "admin";
  }
  return "end-user";
}

std::optional<RapportRole> parse_rapport_role(std::string_view s) {
  if (s.empty() || s == "none") return RapportRole::none;
  if (s == "team_lead") return RapportRole::team_lead;
  if (s == "qa") return RapportRole::qa;
  if (s == "manager") return RapportRole::manager;
  return std::nullopt;
}

std::string_view to_string(RapportRole r) {
  switch (r) {
    case RapportRole::none: return "";
    case RapportRole::team_lead: return "team_lead";
    case RapportRole::qa: return "qa";
    case RapportRole::manager: return "manager";
  }
  return "";
}

}  // namespace rapport::domain
