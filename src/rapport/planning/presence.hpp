#pragma once
// Agent presence: online | away | offline. Agents set their own; team leads, managers and admins
// read everyone's. Each change updates `agent_presence` and appends, in the same transaction, the
// event routing and adherence build on:
//   kind "agent.presence_changed", entity "user", entity_id = the agent's id,
//   data {"status": "online", "previous": "offline"}
// Setting the status an agent already has changes nothing and appends nothing. An agent with no
// row has never set a presence and reads as "offline" with since = null.
#include <cstdint>
#include <optional>
#include <string>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/paging.hpp>
#include <rapport/domain/records.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::planning {

struct Presence {
  int64_t id = 0;  // the agent's user id (named id for paging)
  std::string name;
  std::string status = "offline";
  std::optional<int64_t> since;  // epoch seconds of the last change
  bool changed = false;          // set_presence: whether this call changed it
};

bool valid_presence_status(const std::string& status);
bool can_read_presence(const domain::Principal& who);

// The caller's own presence. Errors: not an agent or admin (403), a status other than
// online | away | offline (422 naming the value).
Result<Presence> set_presence(store::Tx& tx, const domain::Principal& who,
                              const std::string& status);

// Every active agent and admin, by id, with their presence; `status` filters.
Result<domain::Page<Presence>> list_presence(store::Conn& conn, const domain::Principal& who,
                                             const std::optional<std::string>& status,
                                             const domain::PageRequest& page);

Json to_json(const Presence& p);

}  // namespace rapport::planning
