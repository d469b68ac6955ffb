#include <rapport/sla/engine.hpp>

#include <algorithm>
#include <limits>

#include <rapport/base/json_input.hpp>
#include <rapport/base/strings.hpp>
#include <rapport/domain/ticket.hpp>

namespace rapport::sla {

namespace {

constexpr int64_t k_forever = std::numeric_limits<int64_t>::max();

int priority_rank(std::string_view p) {
  for (int i = 0; i < 4; ++i)
    if (domain::k_priorities[i] == p) return i;
  return -1;
}

// The ticket's value for a condition field, as JSON (null when unset).
Json field_value(const domain::Ticket& t, const std::string& field) {
  auto opt = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
  if (field == "priority") return t.priority ? Json(*t.priority) : Json("normal");
  if (field == "group_id") return opt(t.group_id);
  if (field == "organization_id") return opt(t.organization_id);
  if (field == "via") return t.channel;
  if (field == "type") return opt(t.type);
  return nullptr;
}

std::vector<std::string> tag_list(const Json& v) {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    for (auto& part : split(s, ' ')) {
      auto n = domain::normalize_tag(part);
      if (!n.empty()) out.push_back(n);
    }
  };
  if (v.is_string())
    add(v.get<std::string>());
  else if (v.is_array())
    for (const auto& x : v)
      if (x.is_string()) add(x.get<std::string>());
  return out;
}

bool condition_holds(const Condition& c, const domain::Ticket& t) {
  if (c.field == "current_tags") {
    auto wanted = tag_list(c.value);
    bool any = std::any_of(wanted.begin(), wanted.end(), [&](const std::string& w) {
      return std::find(t.tags.begin(), t.tags.end(), Json(w)) != t.tags.end();
    });
    return c.op == "includes" ? any : !any;
  }
  Json have = field_value(t, c.field);
  if (c.field == "priority" && (c.op == "less_than" || c.op == "greater_than")) {
    int a = priority_rank(have.get<std::string>()), b = priority_rank(c.value.get<std::string>());
    return c.op == "less_than" ? a < b : a > b;
  }
  bool equal = have == c.value;
  return c.op == "is" ? equal : !equal;
}

bool is_done(std::string_view status) {
  return status == "solved" || status == "closed";
}

}  // namespace

bool valid_metric(std::string_view m) {
  return std::find(std::begin(k_metrics), std::end(k_metrics), m) != std::end(k_metrics);
}

Json condition_definitions() {
  Json priorities = Json::array();
  for (auto p : domain::k_priorities)
    priorities.push_back({{"value", p}, {"title", std::string(p)}, {"enabled", true}});
  Json types = Json::array();
  for (auto p : domain::k_types)
    types.push_back({{"value", p}, {"title", std::string(p)}, {"enabled", true}});
  Json channels = Json::array();
  for (auto p : domain::k_channels)
    channels.push_back({{"value", p}, {"title", std::string(p)}, {"enabled", true}});
  Json fields = Json::array({
      {{"title", "Priority"},
       {"value", "priority"},
       {"operators",
        {{{"value", "is"}},
         {{"value", "is_not"}},
         {{"value", "less_than"}},
         {{"value", "greater_than"}}}},
       {"values", {{"type", "list"}, {"list", priorities}}}},
      {{"title", "Group"},
       {"value", "group_id"},
       {"operators", {{{"value", "is"}}, {{"value", "is_not"}}}},
       {"values", {{"type", "list"}, {"list", Json::array()}}}},
      {{"title", "Organization"},
       {"value", "organization_id"},
       {"operators", {{{"value", "is"}}, {{"value", "is_not"}}}},
       {"values", {{"type", "list"}, {"list", Json::array()}}}},
      {{"title", "Channel"},
       {"value", "via"},
       {"operators", {{{"value", "is"}}, {{"value", "is_not"}}}},
       {"values", {{"type", "list"}, {"list", channels}}}},
      {{"title", "Type"},
       {"value", "type"},
       {"operators", {{{"value", "is"}}, {{"value", "is_not"}}}},
       {"values", {{"type", "list"}, {"list", types}}}},
      {{"title", "Tags"},
       {"value", "current_tags"},
       {"operators", {{{"value", "includes"}}, {{"value", "not_includes"}}}},
       {"values", {{"type", "text"}}}},
  });
  return {{"all", fields}, {"any", fields}};
}

void validate_condition(const Condition& c, Validation& v, const std::string& key) {
  auto bad = [&](const std::string& what) {
    v.add(key, "InvalidValue", field_label(key) + ": " + what);
  };
  if (c.field == "current_tags") {
    if (c.op != "includes" && c.op != "not_includes")
      return bad("current_tags takes includes or not_includes");
    if (tag_list(c.value).empty()) return bad("current_tags needs one or more tags");
    return;
  }
  if (c.field == "priority") {
    if (c.op != "is" && c.op != "is_not" && c.op != "less_than" && c.op != "greater_than")
      return bad("priority takes is, is_not, less_than or greater_than");
    if (!c.value.is_string() || !domain::valid_priority(c.value.get<std::string>()))
      return bad("priority must be low, normal, high or urgent");
    return;
  }
  if (c.field != "group_id" && c.field != "organization_id" && c.field != "via" &&
      c.field != "type")
    return bad("unknown field " + c.field +
               " (priority, group_id, organization_id, via, type, current_tags)");
  if (c.op != "is" && c.op != "is_not") return bad(c.field + " takes is or is_not");
  if (c.field == "group_id" || c.field == "organization_id") {
    if (!c.value.is_number_integer() && !c.value.is_null())
      return bad(c.field + " must be an id or null");
  } else if (c.field == "via") {
    if (!c.value.is_string() || !domain::valid_channel(c.value.get<std::string>()))
      return bad("via must be a channel name");
  } else if (!c.value.is_null() &&
             (!c.value.is_string() || !domain::valid_type(c.value.get<std::string>()))) {
    bad("type must be question, incident, problem, task or null");
  }
}

bool matches(const Policy& p, const domain::Ticket& t) {
  for (const auto& c : p.all)
    if (!condition_holds(c, t)) return false;
  if (p.any.empty()) return true;
  return std::any_of(p.any.begin(), p.any.end(),
                     [&](const Condition& c) { return condition_holds(c, t); });
}

const Policy* match_policy(const std::vector<Policy>& policies, const domain::Ticket& t) {
  const Policy* best = nullptr;
  for (const auto& p : policies) {
    if (best && (p.position > best->position || (p.position == best->position && p.id > best->id)))
      continue;
    if (matches(p, t)) best = &p;
  }
  return best;
}

const Target* target_for(const Policy& p, const std::optional<std::string>& priority,
                         std::string_view metric) {
  std::string_view pr = priority ? std::string_view(*priority) : std::string_view("normal");
  for (const auto& t : p.targets)
    if (t.priority == pr && t.metric == metric) return &t;
  return nullptr;
}

namespace {

struct Span {
  std::string metric;
  int instance;
  int64_t start;
  std::optional<int64_t> stop;
};

// Where the clock stands for one instance: walks the status timeline over [start, stop).
Instance evaluate(const Span& s, const Target& target,
                  const std::vector<std::pair<int64_t, std::string>>& timeline,
                  const std::vector<std::string>& pause, const Calendar& cal, int64_t now) {
  bool resolution = s.metric == "total_resolution_time";
  auto running = [&](const std::string& status) {
    if (is_done(status)) return false;
    if (resolution) return true;
    return std::find(pause.begin(), pause.end(), status) == pause.end();
  };
  auto measure = [&](int64_t a, int64_t b) {
    return target.business_hours ? cal.business_seconds(a, b) : std::max<int64_t>(0, b - a);
  };
  auto add = [&](int64_t a, int64_t secs) -> std::optional<int64_t> {
    return target.business_hours ? cal.add_business_seconds(a, secs)
                                 : std::optional<int64_t>(a + secs);
  };
  Instance out;
  out.metric = s.metric;
  out.instance = s.instance;
  out.started_at = s.start;
  out.fulfilled_at = s.stop;
  out.target_seconds = target.target_seconds;
  out.business_hours = target.business_hours;
  const int64_t stop = s.stop.value_or(k_forever);
  const int64_t until = std::min(stop, now);
  int64_t used = 0;  // clock time before the segment being looked at
  std::optional<int64_t> breach;
  std::string status_now;
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    int64_t seg_from = timeline[i].first,
            seg_to = i + 1 < timeline.size() ? timeline[i + 1].first : k_forever;
    if (seg_from <= until) status_now = timeline[i].second;
    if (!running(timeline[i].second)) continue;
    int64_t a = std::max(seg_from, s.start), b = std::min(seg_to, stop);
    if (b <= a) continue;
    if (!breach) {
      int64_t left = target.target_seconds - used;
      if (b == k_forever || measure(a, b) >= left) breach = add(a, left);
    }
    if (a < until) out.elapsed_seconds += measure(a, std::min(b, until));
    if (b != k_forever) used += measure(a, b);
  }
  if (s.stop) {
    bool late = breach && *s.stop > *breach;
    out.stage = late ? "breached" : "achieved";
    if (late) out.breach_at = breach;
  } else if (breach && *breach <= now) {
    out.stage = "breached";
    out.breach_at = breach;
  } else if (running(status_now)) {
    out.stage = "active";
    out.breach_at = breach;
  } else {
    out.stage = "paused";
  }
  return out;
}

}  // namespace

std::vector<Instance> compute_instances(const History& h, const Policy& policy,
                                        const std::optional<std::string>& priority,
                                        const Calendar& calendar, int64_t now) {
  std::vector<std::pair<int64_t, std::string>> timeline{{h.created_at, h.initial_status}};
  for (const auto& e : h.events)
    if (e.status) timeline.emplace_back(e.at, *e.status);

  std::vector<Span> spans;
  std::optional<std::size_t> frt, nrt, periodic;  // indexes of the running spans
  int next_n = 0, periodic_n = 0;
  auto close = [&](std::optional<std::size_t>& open, int64_t at) {
    if (open) spans[*open].stop = at;
    open.reset();
  };
  auto open = [&](std::optional<std::size_t>& slot, const char* metric, int n, int64_t at) {
    spans.push_back({metric, n, at, std::nullopt});
    slot = spans.size() - 1;
  };
  bool replied = h.opened_by_agent_publicly;
  bool done = is_done(h.initial_status);
  if (!replied)
    open(frt, "first_reply_time", 1, h.created_at);
  else if (!done)
    open(periodic, "periodic_update_time", ++periodic_n, h.created_at);
  if (done) close(frt, h.created_at);

  std::optional<int64_t> last_solve = done ? std::optional<int64_t>(h.created_at) : std::nullopt;
  for (const auto& e : h.events) {
    bool solving = e.status && is_done(*e.status);
    if (e.public_comment && e.by_agent) {
      close(frt, e.at);
      close(nrt, e.at);
      close(periodic, e.at);
      replied = true;
      if (!solving && !(done && !e.status))
        open(periodic, "periodic_update_time", ++periodic_n, e.at);
    } else if (e.public_comment && replied && !frt && !nrt && !solving) {
      open(nrt, "next_reply_time", ++next_n, e.at);
    }
    if (e.status) {
      done = solving;
      if (solving) {
        close(frt, e.at);
        close(nrt, e.at);
        close(periodic, e.at);
        replied = true;
        last_solve = e.at;
      }
    }
  }
  // Resolution: one instance from creation, fulfilled by the last solve while solved.
  spans.push_back({"requester_wait_time", 1, h.created_at, done ? last_solve : std::nullopt});
  spans.push_back({"total_resolution_time", 1, h.created_at, done ? last_solve : std::nullopt});

  std::vector<Instance> out;
  for (const auto& s : spans) {
    const Target* t = target_for(policy, priority, s.metric);
    if (!t) continue;
    out.push_back(evaluate(s, *t, timeline, policy.pause_statuses, calendar, now));
  }
  std::stable_sort(out.begin(), out.end(), [](const Instance& a, const Instance& b) {
    auto rank = [](const std::string& m) {
      return std::find(std::begin(k_metrics), std::end(k_metrics), m) - std::begin(k_metrics);
    };
    return rank(a.metric) != rank(b.metric) ? rank(a.metric) < rank(b.metric)
                                            : a.instance < b.instance;
  });
  return out;
}

}  // namespace rapport::sla
