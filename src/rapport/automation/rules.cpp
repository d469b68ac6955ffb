#include <rapport/automation/rules.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include <rapport/base/strings.hpp>
#include <rapport/domain/ticket.hpp>

namespace rapport::automation {

namespace {

enum class Kind { status, priority, type, id, tags, channel, text, update_type, comment_public, role, hours, schedule, custom_field, time };

struct FieldSpec {
  const char* name;
  Kind kind;
  bool trigger, automation;  // where the condition may be used
};

// Zendesk's condition fields (Rapport accepts channel names for via_id as well as the numbers).
constexpr FieldSpec k_fields[] = {
    {"status", Kind::status, true, true},
    {"priority", Kind::priority, true, true},
    {"type", Kind::type, true, true},
    {"group_id", Kind::id, true, true},
    {"assignee_id", Kind::id, true, true},
    {"requester_id", Kind::id, true, true},
    {"organization_id", Kind::id, true, true},
    {"current_tags", Kind::tags, true, true},
    {"via_id", Kind::channel, true, true},
    {"subject_includes_word", Kind::text, true, true},
    {"comment_includes_word", Kind::text, true, false},
    {"update_type", Kind::update_type, true, false},
    {"comment_is_public", Kind::comment_public, true, false},
    {"role", Kind::role, true, false},
    {"within_business_hours", Kind::hours, true, true},
    {"within_schedule", Kind::schedule, true, true},
    {"NEW", Kind::time, false, true},
    {"OPEN", Kind::time, false, true},
    {"PENDING", Kind::time, false, true},
    {"HOLD", Kind::time, false, true},
    {"SOLVED", Kind::time, false, true},
    {"CLOSED", Kind::time, false, true},
    {"created_at", Kind::time, false, true},
    {"updated_at", Kind::time, false, true},
    {"assigned_at", Kind::time, false, true},
    {"requester_updated_at", Kind::time, false, true},
    {"assignee_updated_at", Kind::time, false, true},
    {"due_date", Kind::time, false, true},
    {"until_due_date", Kind::time, false, true},
};

// Zendesk's `custom_fields_<field id>`: a ticket field's value.
constexpr FieldSpec k_custom_field{"custom_fields_", Kind::custom_field, true, true};
constexpr std::string_view k_custom_prefix = "custom_fields_";

std::optional<Id> custom_field_id(std::string_view name) {
  if (name.substr(0, k_custom_prefix.size()) != k_custom_prefix) return std::nullopt;
  auto n = parse_int(name.substr(k_custom_prefix.size()));
  if (!n || *n <= 0) return std::nullopt;
  return *n;
}

const FieldSpec* field_spec(std::string_view name) {
  for (const auto& f : k_fields)
    if (name == f.name) return &f;
  if (custom_field_id(name)) return &k_custom_field;
  return nullptr;
}

// A custom field value as text, so "5", 5 and true/"true" compare as a person would expect.
std::string scalar_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

const std::vector<std::string>& operators_for(Kind k) {
  static const std::vector<std::string> ordered = {"is", "is_not", "less_than", "greater_than", "changed", "not_changed",
                                                   "value", "value_previous", "not_value", "not_value_previous"};
  static const std::vector<std::string> plain = {"is", "is_not", "changed", "not_changed",
                                                 "value", "value_previous", "not_value", "not_value_previous"};
  static const std::vector<std::string> tags = {"includes", "not_includes"};
  static const std::vector<std::string> text = {"includes", "not_includes", "is", "is_not"};
  static const std::vector<std::string> is = {"is"};
  static const std::vector<std::string> is_or_not = {"is", "is_not"};
  static const std::vector<std::string> time = {"is", "less_than", "greater_than"};
  switch (k) {
    case Kind::status:
    case Kind::priority: return ordered;
    case Kind::type:
    case Kind::id: return plain;
    case Kind::tags: return tags;
    case Kind::text: return text;
    case Kind::channel:
    case Kind::role:
    case Kind::custom_field: return is_or_not;
    case Kind::update_type:
    case Kind::comment_public:
    case Kind::hours:
    case Kind::schedule: return is;
    case Kind::time: return time;
  }
  return is;
}

bool is_change_operator(const std::string& op) {
  return op == "changed" || op == "not_changed" || op == "value" || op == "value_previous" || op == "not_value" ||
         op == "not_value_previous";
}

// Zendesk's numeric via ids for the channels Rapport has.
std::optional<std::string> channel_of(const Json& v) {
  static const std::map<int64_t, std::string> k_via = {{0, "web"}, {4, "email"}, {5, "api"}, {29, "chat"}, {33, "voice"}};
  std::optional<int64_t> n;
  if (v.is_number_integer()) n = v.get<int64_t>();
  else if (v.is_string()) {
    if (domain::valid_channel(v.get<std::string>())) return v.get<std::string>();
    n = parse_int(v.get<std::string>());
  }
  if (!n) return std::nullopt;
  auto it = k_via.find(*n);
  if (it == k_via.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> integer_of(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) return parse_int(trim(v.get<std::string>()));
  return std::nullopt;
}

std::optional<bool> bool_of(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) {
    auto s = to_lower(v.get<std::string>());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return std::nullopt;
}

bool none_value(const Json& v) { return v.is_null() || (v.is_string() && trim(v.get<std::string>()).empty()); }

// Tags from "a b c" or ["a", "b c"], normalized as tickets store them.
std::optional<std::vector<std::string>> tags_of(const Json& v) {
  std::vector<std::string> raw;
  if (v.is_string()) raw.push_back(v.get<std::string>());
  else if (v.is_array()) {
    for (const auto& x : v) {
      if (!x.is_string()) return std::nullopt;
      raw.push_back(x.get<std::string>());
    }
  } else {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& r : raw)
    for (const auto& part : split(r, ' ')) {
      auto n = domain::normalize_tag(part);
      if (!n.empty() && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  return out;
}

int priority_rank(const std::optional<std::string>& p) {
  if (!p) return 0;
  for (int i = 0; i < 4; ++i)
    if (domain::k_priorities[i] == *p) return i + 1;
  return 0;
}

// The condition's value, validated and normalized; nullopt (with an error in `v`) when invalid.
std::optional<Json> normalize_value(const FieldSpec& f, const std::string& op, const Json& raw, Validation& v,
                                    const std::string& where) {
  auto bad = [&](const std::string& why) -> std::optional<Json> {
    v.add("conditions", "InvalidValue", where + ": " + why);
    return std::nullopt;
  };
  if (op == "changed" || op == "not_changed") return Json(nullptr);
  switch (f.kind) {
    case Kind::status:
      if (!raw.is_string() || !domain::status_rank(raw.get<std::string>()))
        return bad("the value must be one of new, open, pending, hold, solved, closed");
      return raw;
    case Kind::priority:
      if (none_value(raw)) return Json(nullptr);
      if (!raw.is_string() || !domain::valid_priority(raw.get<std::string>()))
        return bad("the value must be one of low, normal, high, urgent (or empty for none)");
      return raw;
    case Kind::type:
      if (none_value(raw)) return Json(nullptr);
      if (!raw.is_string() || !domain::valid_type(raw.get<std::string>()))
        return bad("the value must be one of problem, incident, question, task (or empty for none)");
      return raw;
    case Kind::id: {
      if (none_value(raw)) return Json(nullptr);
      if (std::string(f.name) == "assignee_id" && raw == "current_user") return raw;
      auto n = integer_of(raw);
      if (!n || *n <= 0) return bad("the value must be an id (or empty for none)");
      return Json(*n);
    }
    case Kind::tags: {
      auto t = tags_of(raw);
      if (!t || t->empty()) return bad("the value must name at least one tag");
      return Json(*t);
    }
    case Kind::channel: {
      auto c = channel_of(raw);
      if (!c) return bad("the value must be a channel (web, email, api, chat, voice, ...)");
      return Json(*c);
    }
    case Kind::text:
      if (!raw.is_string() || trim(raw.get<std::string>()).empty() || raw.get<std::string>().size() > 1000)
        return bad("the value must be text of 1 to 1000 characters");
      return raw;
    case Kind::update_type:
      if (raw != "Create" && raw != "Change") return bad("the value must be Create or Change");
      return raw;
    case Kind::comment_public: {
      if (raw == "not_relevant") return raw;
      auto b = bool_of(raw);
      if (!b) return bad("the value must be true, false or not_relevant");
      return Json(*b);
    }
    case Kind::role:
      if (raw != "end_user" && raw != "agent" && raw != "admin") return bad("the value must be end_user, agent or admin");
      return raw;
    case Kind::hours: {
      auto b = bool_of(raw);
      if (!b) return bad("the value must be true or false");
      return Json(*b);
    }
    case Kind::schedule: {
      auto n = integer_of(raw);
      if (!n || *n <= 0) return bad("the value must be a schedule id");
      return Json(*n);
    }
    case Kind::custom_field:
      if (!(raw.is_string() || raw.is_number() || raw.is_boolean() || raw.is_null()) || scalar_text(raw).size() > 1000)
        return bad("the value must be text, a number or true/false (empty for none)");
      return Json(scalar_text(raw));
    case Kind::time: {
      auto n = integer_of(raw);
      if (!n || *n < 0 || *n > 100000) return bad("the value must be a whole number of hours from 0 to 100000");
      return Json(*n);
    }
  }
  return bad("is not supported");
}

void parse_list(const Json& in, const char* key, RuleKind kind, const BusinessHours* hours, Validation& v,
                std::vector<Condition>& out) {
  if (!in.contains(key) || in[key].is_null()) return;
  if (!in[key].is_array()) {
    v.add("conditions", "InvalidValue", std::string("Conditions: ") + key + " must be an array");
    return;
  }
  if (in[key].size() > 50) {
    v.add("conditions", "InvalidValue", std::string("Conditions: at most 50 in ") + key);
    return;
  }
  std::size_t i = 0;
  for (const auto& c : in[key]) {
    std::string where = std::string("Conditions ") + key + "[" + std::to_string(i++) + "]";
    if (!c.is_object() || !c.contains("field") || !c["field"].is_string()) {
      v.add("conditions", "InvalidValue", where + ": needs a field, an operator and a value");
      continue;
    }
    auto field = c["field"].get<std::string>();
    const auto* spec = field_spec(field);
    if (!spec) {
      v.add("conditions", "InvalidValue", where + ": unknown field \"" + field + "\"");
      continue;
    }
    bool allowed = kind == RuleKind::automation ? spec->automation : spec->trigger;
    if (!allowed) {
      v.add("conditions", "InvalidValue",
            where + ": \"" + field + "\" cannot be used in " + (kind == RuleKind::automation ? "an automation" : "a trigger"));
      continue;
    }
    if ((spec->kind == Kind::hours || spec->kind == Kind::schedule) && !hours) {
      v.add("conditions", "InvalidValue", where + ": business hours are not configured on this server");
      continue;
    }
    std::string op = c.contains("operator") && c["operator"].is_string() ? c["operator"].get<std::string>() : "";
    const auto& ops = operators_for(spec->kind);
    if (std::find(ops.begin(), ops.end(), op) == ops.end() ||
        (kind == RuleKind::automation && is_change_operator(op))) {
      v.add("conditions", "InvalidValue", where + ": operator \"" + op + "\" does not apply to " + field);
      continue;
    }
    auto value = normalize_value(*spec, op, c.contains("value") ? c["value"] : Json(nullptr), v, where);
    if (!value) continue;
    if (spec->kind == Kind::schedule && !hours->has_schedule(value->get<Id>())) {
      v.add("conditions", "InvalidValue", where + ": schedule " + std::to_string(value->get<Id>()) + " does not exist");
      continue;
    }
    out.push_back({field, op, *value});
  }
}

// ---- evaluation ----

// The comparable value of an id-like or vocabulary field on a ticket.
Json field_json(const domain::Ticket& t, const std::string& field) {
  auto opt_s = [](const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); };
  auto opt_i = [](const std::optional<int64_t>& i) { return i ? Json(*i) : Json(nullptr); };
  if (field == "status") return t.status;
  if (field == "priority") return opt_s(t.priority);
  if (field == "type") return opt_s(t.type);
  if (field == "group_id") return opt_i(t.group_id);
  if (field == "assignee_id") return opt_i(t.assignee_id);
  if (field == "requester_id") return t.requester_id;
  if (field == "organization_id") return opt_i(t.organization_id);
  return nullptr;
}

int rank_of(const std::string& field, const Json& v) {
  if (field == "status") return v.is_string() ? domain::status_rank(v.get<std::string>()).value_or(0) : 0;
  return priority_rank(v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt);
}

bool has_tag(const domain::Ticket& t, const std::string& tag) {
  for (const auto& x : t.tags)
    if (x.is_string() && x.get<std::string>() == tag) return true;
  return false;
}

// Lower-cased words of `text` (letters, digits, and bytes of multi-byte characters).
std::set<std::string> words_of(std::string_view text) {
  std::set<std::string> out;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80 || c == '\'' || c == '-') cur.push_back(static_cast<char>(std::tolower(c)));
    else if (!cur.empty()) out.insert(std::exchange(cur, {}));
  }
  if (!cur.empty()) out.insert(cur);
  return out;
}

bool text_matches(const std::string& op, std::string_view text, const std::string& value) {
  if (op == "is" || op == "is_not") {
    bool contains = to_lower(text).find(to_lower(value)) != std::string::npos;
    return op == "is" ? contains : !contains;
  }
  auto have = words_of(text);
  bool any = false;
  for (const auto& w : words_of(value)) any = any || have.count(w) > 0;
  return op == "includes" ? any : !any;
}

std::optional<int64_t> time_start(const std::string& field, const Facts& f) {
  const auto& t = *f.ticket;
  static const std::map<std::string, std::string> k_status = {{"NEW", "new"},       {"OPEN", "open"},
                                                              {"PENDING", "pending"}, {"HOLD", "hold"},
                                                              {"SOLVED", "solved"},   {"CLOSED", "closed"}};
  if (auto it = k_status.find(field); it != k_status.end()) {
    // "Hours since pending": the ticket is pending, and has been for this long.
    if (t.status != it->second) return std::nullopt;
    return f.times.status_at;
  }
  if (field == "created_at") return t.created_at;
  if (field == "updated_at") return t.updated_at;
  if (field == "assigned_at") return t.assignee_id ? f.times.assigned_at : std::nullopt;
  if (field == "requester_updated_at") return f.times.requester_updated_at;
  if (field == "assignee_updated_at") return f.times.assignee_updated_at;
  if (field == "due_date") return t.due_at;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(RuleKind k) {
  switch (k) {
    case RuleKind::trigger: return "trigger";
    case RuleKind::automation: return "automation";
    case RuleKind::macro: return "macro";
  }
  return "trigger";
}

Conditions parse_conditions(const Json& in, RuleKind kind, const BusinessHours* hours, Validation& v) {
  Conditions out;
  if (in.is_null()) return out;
  if (!in.is_object()) {
    v.add("conditions", "InvalidValue", "Conditions: must be an object with all and any arrays");
    return out;
  }
  parse_list(in, "all", kind, hours, v, out.all);
  parse_list(in, "any", kind, hours, v, out.any);
  return out;
}

std::vector<Action> parse_actions(const Json& in, RuleKind kind, Validation& v) {
  std::vector<Action> out;
  if (in.is_null()) return out;
  if (!in.is_array()) {
    v.add("actions", "InvalidValue", "Actions: must be an array of {field, value}");
    return out;
  }
  if (in.size() > 50) {
    v.add("actions", "InvalidValue", "Actions: at most 50");
    return out;
  }
  bool macro = kind == RuleKind::macro;
  std::size_t i = 0;
  for (const auto& a : in) {
    std::string where = "Actions[" + std::to_string(i++) + "]";
    auto bad = [&](const std::string& why) { v.add("actions", "InvalidValue", where + ": " + why); };
    if (!a.is_object() || !a.contains("field") || !a["field"].is_string()) {
      bad("needs a field and a value");
      continue;
    }
    auto field = a["field"].get<std::string>();
    Json value = a.contains("value") ? a["value"] : Json(nullptr);
    auto text_list = [&](std::size_t n, std::size_t first_text) -> bool {
      // [x, "subject", "body"]: Zendesk's notification shape.
      if (!value.is_array() || value.size() != n) return false;
      for (std::size_t k = first_text; k < n; ++k)
        if (!value[k].is_string() || value[k].get<std::string>().size() > 65536) return false;
      return true;
    };
    if (field == "status") {
      if (!value.is_string() || !domain::status_rank(value.get<std::string>())) {
        bad("status must be one of new, open, pending, hold, solved, closed");
        continue;
      }
    } else if (field == "priority" || field == "type") {
      if (none_value(value)) value = nullptr;
      else if (!value.is_string() || !(field == "priority" ? domain::valid_priority(value.get<std::string>())
                                                            : domain::valid_type(value.get<std::string>()))) {
        bad(field + " is not valid");
        continue;
      }
    } else if (field == "group_id" || field == "assignee_id") {
      if (none_value(value)) value = nullptr;
      else if (field == "assignee_id" && value == "current_user") {
      } else if (auto n = integer_of(value); n && *n > 0) {
        value = *n;
      } else {
        bad(field + " must be an id, current_user or empty");
        continue;
      }
    } else if (field == "set_tags" || field == "current_tags" || field == "remove_tags") {
      auto t = tags_of(value);
      if (!t || (t->empty() && field != "set_tags")) {
        bad(field + " must name tags, e.g. \"vip priority\"");
        continue;
      }
      value = *t;
    } else if (field == "subject") {
      if (!value.is_string() || trim(value.get<std::string>()).empty() || value.get<std::string>().size() > 1024) {
        bad("subject must be text of 1 to 1024 characters");
        continue;
      }
    } else if (field == "comment_value" || field == "comment_value_html") {
      // Zendesk also writes ["channel:all", "text"].
      if (value.is_array() && value.size() == 2 && value[1].is_string()) value = value[1];
      if (!value.is_string() || trim(value.get<std::string>()).empty() || value.get<std::string>().size() > 65536) {
        bad(field + " must be text of 1 to 65536 characters");
        continue;
      }
    } else if (field == "comment_mode_is_public") {
      auto b = bool_of(value);
      if (!b) {
        bad("comment_mode_is_public must be true or false");
        continue;
      }
      value = *b;
    } else if (macro) {
      bad("\"" + field + "\" cannot be used in a macro");
      continue;
    } else if (field == "notification_user") {
      if (!text_list(3, 1)) {
        bad("notification_user must be [recipient, subject, body]");
        continue;
      }
      const auto& r = value[0];
      if (!(r == "requester_id" || r == "assignee_id" || r == "current_user" || integer_of(r).value_or(0) > 0)) {
        bad("the recipient must be requester_id, assignee_id, current_user or a user id");
        continue;
      }
    } else if (field == "notification_group") {
      if (!text_list(3, 1) || !(value[0] == "group_id" || integer_of(value[0]).value_or(0) > 0)) {
        bad("notification_group must be [group id or \"group_id\", subject, body]");
        continue;
      }
    } else if (field == "notification_email") {
      if (!text_list(3, 0) || value[0].get<std::string>().find('@') == std::string::npos ||
          value[0].get<std::string>().size() > 254) {
        bad("notification_email must be [address, subject, body]");
        continue;
      }
    } else if (field == "notification_webhook") {
      if (!value.is_array() || value.size() < 1 || value.size() > 2 || integer_of(value[0]).value_or(0) <= 0 ||
          (value.size() == 2 && (!value[1].is_string() || value[1].get<std::string>().size() > 262144))) {
        bad("notification_webhook must be [webhook id, body] (the body under 256 KB)");
        continue;
      }
      value[0] = *integer_of(value[0]);
    } else if (field == "macro_id") {
      auto n = integer_of(value);
      if (!n || *n <= 0) {
        bad("macro_id must be a macro's id");
        continue;
      }
      value = *n;
    } else {
      bad("unknown action \"" + field + "\"");
      continue;
    }
    out.push_back({field, value});
  }
  return out;
}

bool has_nullifying_action(const Conditions& c, const std::vector<Action>& actions) {
  auto touches = [&](const std::string& cond_field) {
    for (const auto& a : actions) {
      if (a.field == cond_field) return true;
      if (cond_field == "current_tags" && (a.field == "set_tags" || a.field == "current_tags" || a.field == "remove_tags"))
        return true;
    }
    return false;
  };
  for (const auto& cond : c.all) {
    const auto* spec = field_spec(cond.field);
    if (spec && spec->kind == Kind::time && cond.op == "is") return true;  // true during one hour only
    if (!touches(cond.field)) continue;
    // A ticket that meets the condition, changed by the actions: does it still meet it?
    // Start from a ticket that meets the condition where it pins a value; the actions set the
    // field regardless of where it started for the other operators.
    domain::Ticket t;
    if (cond.field == "current_tags" && cond.op == "includes") t.tags = cond.value;
    else if (cond.op == "is" && cond.value != "current_user") t = simulate(t, {{cond.field, cond.value}});
    auto after = simulate(t, plan(actions, t, 0).update);
    Facts f;
    f.ticket = &after;
    if (!matches(cond, f)) return true;
  }
  return false;
}

Json to_json(const Conditions& c) {
  Json out = {{"all", Json::array()}, {"any", Json::array()}};
  for (const auto& x : c.all) out["all"].push_back({{"field", x.field}, {"operator", x.op}, {"value", x.value}});
  for (const auto& x : c.any) out["any"].push_back({{"field", x.field}, {"operator", x.op}, {"value", x.value}});
  return out;
}

Json to_json(const std::vector<Action>& a) {
  Json out = Json::array();
  for (const auto& x : a) out.push_back({{"field", x.field}, {"value", x.value}});
  return out;
}

bool matches(const Condition& c, const Facts& f) {
  const auto* spec = field_spec(c.field);
  if (!spec || !f.ticket) return false;
  const auto& t = *f.ticket;
  switch (spec->kind) {
    case Kind::status:
    case Kind::priority:
    case Kind::type:
    case Kind::id: {
      Json want = c.value;
      if (want == "current_user") want = f.current_user_id ? Json(f.current_user_id) : Json(nullptr);
      Json now = field_json(t, c.field);
      Json was = f.before ? field_json(*f.before, c.field) : Json(nullptr);
      // On create a field "changed" when it was set at all, as in Zendesk.
      bool changed = f.before ? was != now : !now.is_null();
      if (c.op == "is") return now == want;
      if (c.op == "is_not") return now != want;
      if (c.op == "less_than") return rank_of(c.field, now) < rank_of(c.field, want);
      if (c.op == "greater_than") return rank_of(c.field, now) > rank_of(c.field, want);
      if (c.op == "changed") return changed;
      if (c.op == "not_changed") return !changed;
      if (c.op == "value") return changed && now == want;
      if (c.op == "not_value") return !(changed && now == want);
      if (c.op == "value_previous") return changed && f.before && was == want;
      if (c.op == "not_value_previous") return !(changed && f.before && was == want);
      return false;
    }
    case Kind::tags: {
      bool any = false;
      for (const auto& tag : c.value) any = any || has_tag(t, tag.get<std::string>());
      return c.op == "includes" ? any : !any;
    }
    case Kind::channel: {
      bool same = t.channel == c.value.get<std::string>();
      return c.op == "is" ? same : !same;
    }
    case Kind::text: {
      if (c.field == "subject_includes_word") return text_matches(c.op, t.subject, c.value.get<std::string>());
      // Without a comment in this update there is no text to contain anything.
      if (!f.comment) return c.op == "not_includes" || c.op == "is_not";
      return text_matches(c.op, f.comment->body, c.value.get<std::string>());
    }
    case Kind::update_type: return c.value == (f.is_create ? "Create" : "Change");
    case Kind::comment_public:
      if (c.value == "not_relevant") return true;
      if (!f.comment) return false;
      return f.comment->is_public == c.value.get<bool>();
    case Kind::role: {
      bool same = !f.current_user_role.empty() && f.current_user_role == c.value.get<std::string>();
      // "agent" covers admins too, as Zendesk's "(current user) is agent" does.
      if (c.value == "agent" && f.current_user_role == "admin") same = true;
      return c.op == "is" ? same : !same;
    }
    case Kind::hours: {
      if (!f.hours) return false;
      return f.hours->within(t, f.now) == c.value.get<bool>();
    }
    case Kind::schedule: return f.hours && f.hours->within_schedule(c.value.get<Id>(), f.now);
    case Kind::custom_field: {
      auto id = custom_field_id(c.field);
      std::string have;
      for (const auto& cf : t.custom_fields)
        if (cf.is_object() && cf.contains("id") && cf["id"].is_number_integer() && cf["id"].get<Id>() == *id)
          have = scalar_text(cf.contains("value") ? cf["value"] : Json(nullptr));
      bool same = have == c.value.get<std::string>();
      return c.op == "is" ? same : !same;
    }
    case Kind::time: {
      std::optional<int64_t> hours;
      if (c.field == "until_due_date") {
        if (!t.due_at || *t.due_at < f.now) return false;
        hours = (*t.due_at - f.now) / 3600;
      } else {
        auto start = time_start(c.field, f);
        if (!start || *start > f.now) return false;
        hours = (f.now - *start) / 3600;
      }
      auto want = c.value.get<int64_t>();
      if (c.op == "is") return *hours == want;
      if (c.op == "less_than") return *hours < want;
      if (c.op == "greater_than") return *hours > want;
      return false;
    }
  }
  return false;
}

bool matches(const Conditions& c, const Facts& f) {
  for (const auto& x : c.all)
    if (!matches(x, f)) return false;
  if (c.any.empty()) return true;
  for (const auto& x : c.any)
    if (matches(x, f)) return true;
  return false;
}

Effect plan(const std::vector<Action>& actions, const domain::Ticket& t, Id current_user) {
  Effect e;
  std::vector<std::string> tags;
  for (const auto& x : t.tags)
    if (x.is_string()) tags.push_back(x.get<std::string>());
  bool tags_touched = false;
  for (const auto& a : actions) {
    const auto& f = a.field;
    if (f == "status" || f == "priority" || f == "type" || f == "group_id" || f == "subject") {
      e.update[f] = a.value;
    } else if (f == "assignee_id") {
      if (a.value == "current_user") {
        if (current_user) e.update[f] = current_user;
      } else {
        e.update[f] = a.value;
      }
    } else if (f == "set_tags") {
      tags = a.value.get<std::vector<std::string>>();
      tags_touched = true;
    } else if (f == "current_tags") {
      for (const auto& x : a.value)
        if (std::find(tags.begin(), tags.end(), x.get<std::string>()) == tags.end()) tags.push_back(x.get<std::string>());
      tags_touched = true;
    } else if (f == "remove_tags") {
      for (const auto& x : a.value) std::erase(tags, x.get<std::string>());
      tags_touched = true;
    } else if (f == "comment_value" || f == "comment_value_html") {
      e.comment = a.value.get<std::string>();
      e.comment_html = f == "comment_value_html";
    } else if (f == "comment_mode_is_public") {
      e.comment_public = a.value.get<bool>();
    } else if (f == "notification_user") {
      Notification n{a.value[0].is_string() ? a.value[0].get<std::string>() : std::to_string(a.value[0].get<int64_t>()),
                     std::nullopt, "", a.value[1].get<std::string>(), a.value[2].get<std::string>()};
      e.notifications.push_back(std::move(n));
    } else if (f == "notification_group") {
      std::optional<Id> g = a.value[0] == "group_id" ? t.group_id : integer_of(a.value[0]);
      e.notifications.push_back({"group", g, "", a.value[1].get<std::string>(), a.value[2].get<std::string>()});
    } else if (f == "notification_email") {
      e.notifications.push_back(
          {"email", std::nullopt, a.value[0].get<std::string>(), a.value[1].get<std::string>(), a.value[2].get<std::string>()});
    } else if (f == "notification_webhook") {
      e.webhooks.push_back({a.value[0].get<int64_t>(), a.value.size() > 1 ? a.value[1].get<std::string>() : ""});
    } else if (f == "macro_id") {
      e.macros.push_back(a.value.get<int64_t>());
    }
  }
  if (tags_touched) e.update["tags"] = tags;
  return e;
}

domain::Ticket simulate(const domain::Ticket& t, const Json& update) {
  domain::Ticket out = t;
  auto opt_s = [](const Json& v) { return v.is_string() ? std::optional<std::string>(v.get<std::string>()) : std::nullopt; };
  auto opt_i = [](const Json& v) { return v.is_number_integer() ? std::optional<int64_t>(v.get<int64_t>()) : std::nullopt; };
  for (auto it = update.begin(); it != update.end(); ++it) {
    const auto& k = it.key();
    const auto& v = it.value();
    if (k == "status" && v.is_string()) out.status = v.get<std::string>();
    else if (k == "priority") out.priority = opt_s(v);
    else if (k == "type") out.type = opt_s(v);
    else if (k == "group_id") out.group_id = opt_i(v);
    else if (k == "assignee_id") out.assignee_id = opt_i(v);
    else if (k == "subject" && v.is_string()) out.subject = v.get<std::string>();
    else if (k == "tags") out.tags = v;
  }
  return out;
}

bool changes_anything(const domain::Ticket& t, const Json& update) {
  auto after = simulate(t, update);
  return after.status != t.status || after.priority != t.priority || after.type != t.type ||
         after.group_id != t.group_id || after.assignee_id != t.assignee_id || after.subject != t.subject ||
         after.tags != t.tags;
}

std::string render(std::string_view tmpl, const std::map<std::string, std::string>& values, Escape e,
                   std::size_t max_len) {
  // Hand-written: a Liquid engine is not packaged for Debian, and placeholders are plain names.
  std::string out;
  std::size_t i = 0;
  auto append_escaped = [&](std::string_view v) {
    switch (e) {
      case Escape::none: out.append(v); break;
      case Escape::html: out += html_escape(v); break;
      case Escape::json: {
        auto quoted = Json(std::string(v)).dump(-1, ' ', false, Json::error_handler_t::replace);
        out.append(quoted, 1, quoted.size() - 2);  // the string's content, without its quotes
        break;
      }
    }
  };
  while (i < tmpl.size() && out.size() < max_len) {
    auto open = tmpl.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    out.append(tmpl.substr(i, open - i));
    auto close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(open));
      break;
    }
    auto name = std::string(trim(tmpl.substr(open + 2, close - open - 2)));
    auto it = values.find(name);
    if (it != values.end()) append_escaped(it->second);
    else out.append(tmpl.substr(open, close + 2 - open));  // unknown: left as typed
    i = close + 2;
  }
  if (out.size() > max_len) out.resize(max_len);
  return out;
}

const std::vector<std::string>& placeholder_names() {
  static const std::vector<std::string> k_names = {
      "ticket.id",           "ticket.title",           "ticket.description",      "ticket.status",
      "ticket.priority",     "ticket.ticket_type",     "ticket.via",              "ticket.tags",
      "ticket.url",          "ticket.requester.name",  "ticket.requester.first_name", "ticket.requester.email",
      "ticket.assignee.name", "ticket.assignee.first_name", "ticket.assignee.email", "ticket.group.name",
      "ticket.organization.name", "ticket.in_business_hours", "current_user.name", "current_user.first_name",
      "current_user.email"};
  return k_names;
}

}  // namespace rapport::automation
