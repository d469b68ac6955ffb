#pragma once
// Triggers, automations and macros as stored records: create, change, order, list, and who may
// see which (admins write; agents read, macros only those shared with them).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapport/automation/rules.hpp>
#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>
#include <rapport/domain/user.hpp>
#include <rapport/store/store.hpp>

namespace rapport::automation {

using domain::Principal;

struct Rule {
  Id id = 0;
  RuleKind kind = RuleKind::trigger;
  std::string title, description;
  bool active = true;
  int64_t position = 0;
  Conditions conditions;
  std::vector<Action> actions;
  Json restriction;  // macros: null (everyone), {"type":"User","id":N} or {"type":"Group","id":N,"ids":[...]}
  int64_t usage_count = 0;
  std::optional<Id> created_by;
  int64_t created_at = 0, updated_at = 0;
};

// At most this many rules of each kind: every ticket write evaluates all active triggers.
constexpr std::size_t k_max_rules = 500;

// Where the business-hours conditions read calendars: the app hands in a source (sla's schedules),
// and each transaction that evaluates or validates rules opens a view over its own connection,
// so a rule sees the schedules as that transaction does.
class BusinessHoursSource {
 public:
  virtual ~BusinessHoursSource() = default;
  virtual std::unique_ptr<BusinessHours> open(store::Conn& conn) const = 0;
};

struct RuleOptions {
  const BusinessHoursSource* hours = nullptr;  // null: `within_business_hours`/`within_schedule` are refused
};

struct RuleFilter {
  std::optional<bool> active;
  bool only_usable = false;  // macros: only those the principal may apply (the agent view)
};

Result<Rule> create_rule(store::Tx& tx, RuleKind kind, const Json& in, const Principal& actor, const RuleOptions& o = {});
Result<Rule> update_rule(store::Tx& tx, RuleKind kind, Id id, const Json& in, const Principal& actor,
                         const RuleOptions& o = {});
Status delete_rule(store::Tx& tx, RuleKind kind, Id id, const Principal& actor);
// Sets positions 1..n in the order of `ids`, which must name every rule of the kind exactly once.
Status reorder_rules(store::Tx& tx, RuleKind kind, const std::vector<Id>& ids, const Principal& actor);

Result<Rule> get_rule(store::Conn& conn, RuleKind kind, Id id, const Principal& p);
// In position order. Agents see triggers and automations, and the macros shared with them.
Result<std::vector<Rule>> list_rules(store::Conn& conn, RuleKind kind, const RuleFilter& f, const Principal& p);
// The active rules of a kind, in order, for the engine (no permission check).
Result<std::vector<Rule>> active_rules(store::Conn& conn, RuleKind kind);
// Whether `p` may use macro `r` (its restriction names them or one of their groups).
bool may_use_macro(const Principal& p, const Rule& r);

}  // namespace rapport::automation
