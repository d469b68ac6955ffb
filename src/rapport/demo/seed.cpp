#include <rapport/demo/seed.hpp>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/directory.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/time.hpp>
#include <rapport/demo/content.hpp>
#include <rapport/demo/plan.hpp>
#include <rapport/demo/random.hpp>
#include <rapport/demo/surveys.hpp>
#include <rapport/feedback/feedback.hpp>
#include <rapport/tickets/tickets.hpp>

namespace rapport::demo {

namespace {

using domain::Id;
using domain::Principal;

// Actions per writer job, and jobs queued at once. Jobs are kept small on purpose: the writer
// runs each job inside a SAVEPOINT, and within one SQLite's statement journal (in memory) makes
// every statement cost more the more the job has already written: 250-action jobs made a ticket
// update cost ~1.6x what it does in 40-action jobs. Many jobs queued at once still share one
// commit (the writer takes everything queued into one transaction), which keeps fsyncs and WAL
// checkpoints rare, and this thread builds inputs while the writer runs earlier jobs.
constexpr std::size_t k_job_actions = 40;
constexpr int k_jobs_in_flight = 400;

constexpr const char* k_admin_email = "admin@rapport-demo.example";
constexpr const char* k_agent_email = "agent@rapport-demo.example";
constexpr const char* k_support_address = "support@rapport-demo.example";
constexpr const char* k_priorities[] = {"low", "normal", "high", "urgent"};

const char* op_name(Op op) {
  switch (op) {
    case Op::site:
      return "create site";
    case Op::team:
      return "create group";
    case Op::admin:
      return "create admin";
    case Op::agent:
      return "create agent";
    case Op::organization:
      return "create organization";
    case Op::customer:
      return "create customer";
    case Op::create_ticket:
      return "create ticket";
    case Op::agent_update:
      return "agent update";
    case Op::customer_reply:
      return "customer reply";
    case Op::recovery_group:
      return "create recovery group";
    case Op::feedback_config:
      return "configure feedback";
  }
  return "action";
}

// One action with its service input, built on the calling thread; ids that exist only once
// earlier actions have run are filled in by the writer job.
struct Prepared {
  const Action* action = nullptr;
  Json in;
  tickets::CreateOptions options;
};

// What the writer thread learns while replaying: the ids behind plan indexes, and principals.
// Only writer jobs touch it until the last job is done.
struct Registry {
  std::vector<Id> sites, teams, agents, orgs, customers, tickets;
  Id admin = 0, recovery_group = 0;
  FeedbackLife* life = nullptr;
  std::vector<std::optional<Principal>> agent_principals, customer_principals;
  SeedSummary counts;
};

// Turns planned actions into the JSON a client would send.
class Script {
 public:
  explicit Script(const Plan& plan) : m_plan(plan) {}

  Prepared prepare(const Action& a) const {
    Prepared p;
    p.action = &a;
    Rng rng(mix_seed(m_plan.options.seed ^ 0x5C21F7ull, a.text_seed));
    switch (a.op) {
      case Op::site:
        p.in = site(a.target);
        break;
      case Op::team:
        p.in = team(a.target);
        break;
      case Op::admin:
        p.in = admin();
        break;
      case Op::agent:
        p.in = agent(a.target);
        break;
      case Op::organization:
        p.in = organization(a.target);
        break;
      case Op::customer:
        p.in = customer(a.target);
        break;
      case Op::create_ticket:
        p.in = new_ticket(a, rng, p.options);
        break;
      case Op::agent_update:
        p.in = agent_update(a, rng);
        break;
      case Op::customer_reply:
        p.in = customer_reply(a, rng);
        break;
      case Op::recovery_group:
        p.in = {{"name", "Customer Recovery"},
                {"description",
                 "Calls back customers who rated us 1-2 stars or said their issue was not "
                 "resolved, and makes it right."}};
        break;
      case Op::feedback_config:
        p.in = feedback_config();
        break;
    }
    return p;
  }

  std::string subject(int ticket) const {
    const auto& tk = m_plan.tickets[ticket];
    const auto& reason = reasons()[tk.reason];
    if (tk.repeat_of >= 0) {
      Rng rng(mix_seed(tk.seed, 8 + static_cast<uint64_t>(ticket)));
      if (rng.chance(0.5)) {
        std::string before = subject(tk.repeat_of);
        return before.rfind("Re: ", 0) == 0 ? before : "Re: " + before;
      }
      return render(rng.pick(reason.subjects), facts(ticket, -1));
    }
    Rng rng(mix_seed(tk.seed, 7));
    std::string s = render(rng.chance(0.6) ? scenario(ticket).subject : rng.pick(reason.subjects),
                           facts(ticket, -1));
    if (tk.channel == Channel::voice) return "Phone call: " + s;
    return s;
  }

 private:
  // The ticket's story; a repeat contact tells the same one (it shares the seed).
  const Scenario& scenario(int ticket) const {
    const auto& tk = m_plan.tickets[ticket];
    const auto& all = reasons()[tk.reason].scenarios;
    return all[Rng(mix_seed(tk.seed, 9)).index(all.size())];
  }

  Facts facts(int ticket, int agent) const {
    int root = ticket;
    while (m_plan.tickets[root].repeat_of >= 0) root = m_plan.tickets[root].repeat_of;
    const auto& tk = m_plan.tickets[ticket];
    Facts f = make_facts(tk.seed, m_plan.tickets[root].created_at);
    const auto& c = m_plan.customers[tk.requester];
    f.first = c.first;
    f.last = c.last;
    f.company = c.org >= 0 ? m_plan.orgs[c.org].name : c.last + " Consulting";
    if (agent >= 0) {
      f.agent = m_plan.agents[agent].first;
      f.team = team_info(m_plan.agents[agent].teams[0]).name;
    }
    return f;
  }

  Json site(int s) const {
    const auto& info = site_info(m_plan.sites[s].info);
    Json in = {{"name", info.name}, {"kind", info.kind}, {"time_zone", info.time_zone}};
    if (info.vendor) in["vendor"] = info.vendor;
    return in;
  }

  Json team(int t) const {
    const auto& info = team_info(m_plan.teams[t].info);
    return {{"name", info.name}, {"description", info.description}};
  }

  Json admin() const {
    return {{"name", "Demo Admin"},
            {"email", k_admin_email},
            {"role", "admin"},
            {"verified", true},
            {"time_zone", "Europe/Lisbon"},
            {"password", m_plan.admin_password}};
  }

  Json agent(int index) const {
    const auto& a = m_plan.agents[index];
    const auto& site = site_info(a.site);
    std::string team = team_info(a.teams[0]).name;
    Json in = {{"name", a.first + " " + a.last},
               {"email", a.email},
               {"role", "agent"},
               {"verified", true},
               {"alias", a.first},
               {"time_zone", site.time_zone},
               {"locale", site.locale},
               {"hired_at", iso_date(a.hired_at)},
               {"skills", a.skills},
               {"bio", a.bio},
               {"signature", a.first + "\n" + team + " · Larkspur Support"}};
    if (!a.rapport_role.empty()) in["rapport_role"] = a.rapport_role;
    if (a.password) in["password"] = m_plan.agent_password;
    return in;
  }

  static Json feedback_config() {
    Json catalog = Json::array();
    for (const auto& r : FeedbackLife::reward_catalog())
      catalog.push_back({{"id", r.id}, {"label", r.label}, {"points", r.points}});
    return {{"enabled", true},          {"suppression_days", 7},   {"expiry_days", 14},
            {"ask_nps", true},          {"recovery_threshold", 2}, {"recovery_due_hours", 48},
            {"reward_catalog", catalog}};
  }

  Json organization(int o) const {
    const auto& org = m_plan.orgs[o];
    Json tags = org.enterprise ? Json{"enterprise", "net30"} : Json{"smb"};
    std::string since = iso_date(org.created_at).substr(0, 4);
    Json in = {{"name", org.name},
               {"domain_names", {org.domain}},
               {"external_id", org.external_id},
               {"tags", tags},
               {"shared_tickets", org.enterprise},
               {"details", std::string(org.enterprise ? "Business programme" : "Customer") +
                               " since " + since + "."},
               {"organization_fields",
                {{"region", regions()[org.region].name},
                 {"tier", org.enterprise ? "enterprise" : "standard"}}}};
    if (org.enterprise) in["notes"] = "Net-30 invoicing. Route to the Enterprise team.";
    return in;
  }

  Json customer(int index) const {
    const auto& c = m_plan.customers[index];
    Json tags = Json::array();
    if (c.plus) tags.push_back("plus_member");
    if (c.org >= 0 && m_plan.orgs[c.org].enterprise) tags.push_back("business");
    Json in = {{"name", c.first + " " + c.last},
               {"email", c.email},
               {"role", "end-user"},
               {"verified", true},
               {"time_zone", c.time_zone},
               {"locale", c.locale},
               {"external_id", c.external_id},
               {"tags", tags}};
    if (!c.phone.empty()) in["phone"] = c.phone;
    return in;
  }

  static std::string letter_from_customer(const std::string& body, const Facts& f, Rng& rng) {
    static constexpr const char* k_greetings[] = {
        "Hi,", "Hello,", "Hi there,", "Hello Larkspur team,", "Hi support,", ""};
    static constexpr const char* k_closings[] = {"Thanks,",  "Thank you,", "Best,",
                                                 "Regards,", "Cheers,",    "Thanks in advance,"};
    std::string out;
    std::string greeting = rng.pick(k_greetings);
    if (!greeting.empty()) out = greeting + "\n\n";
    out += body;
    out += "\n\n" + std::string(rng.pick(k_closings)) + "\n" +
           (rng.chance(0.3) ? f.first + " " + f.last : f.first);
    return out;
  }

  static std::string letter_from_agent(const std::string& body, const Facts& f, Rng& rng) {
    static constexpr const char* k_signoffs[] = {"Best,", "Kind regards,", "Thanks,",
                                                 "All the best,", "Cheers,"};
    return "Hi " + f.first + ",\n\n" + body + "\n\n" + rng.pick(k_signoffs) + "\n" + f.agent +
           "\n" + f.team + " · Larkspur Support";
  }

  Json new_ticket(const Action& a, Rng& rng, tickets::CreateOptions& options) const {
    const auto& tk = m_plan.tickets[a.target];
    const auto& reason = reasons()[tk.reason];
    const auto& c = m_plan.customers[tk.requester];
    Facts f = facts(a.target, -1);
    std::string body;
    if (tk.channel == Channel::chat || tk.channel == Channel::voice)
      body = render(scenario(a.target).short_opening, f);
    else
      body = render(scenario(a.target).opening, f);
    if (tk.repeat_of >= 0) body = std::string(rng.pick(text::customer_repeat())) + " " + body;
    switch (tk.channel) {
      case Channel::chat:
        break;
      case Channel::voice:
        body = "Inbound call from " + c.first + " " + c.last +
               (c.phone.empty() ? "" : " (" + c.phone + ")") + ".\n\nCaller says: " + body;
        break;
      default:
        body = letter_from_customer(body, f, rng);
    }
    Json tags = Json::array({reason.tag});
    if (c.org >= 0 && m_plan.orgs[c.org].enterprise) tags.push_back("business");
    if (c.plus) tags.push_back("plus_member");
    Json in = {{"subject", subject(a.target)},
               {"comment", {{"body", body}}},
               {"priority", k_priorities[tk.priority]},
               {"type", reason.type},
               {"tags", tags}};
    options.channel = channel_name(tk.channel);
    if (tk.channel == Channel::email) {
      in["recipient"] = k_support_address;
      options.via_source = {{"from", {{"address", c.email}, {"name", c.first + " " + c.last}}},
                            {"to", {{"address", k_support_address}, {"name", "Larkspur Support"}}},
                            {"rel", nullptr}};
    }
    return in;
  }

  Json agent_update(const Action& a, Rng& rng) const {
    const auto& tk = m_plan.tickets[a.target];
    const auto& reason = reasons()[tk.reason];
    Facts f = facts(a.target, a.actor);
    bool chat = tk.channel == Channel::chat;
    Json in = Json::object();
    std::string body;
    bool internal = false;
    switch (a.say) {
      case Say::none:
        break;
      case Say::ask:
        body = render(scenario(a.target).ask, f);
        break;
      case Say::solve:
        body = render(scenario(a.target).solve, f);
        break;
      case Say::followup:
        body = render(scenario(a.target).followup, f);
        break;
      case Say::progress:
        body = render(rng.pick(text::agent_progress()), f);
        break;
      case Say::closing:
        body = render(rng.pick(text::agent_closing()), f);
        break;
      case Say::reopen_answer:
        body = render(rng.pick(text::agent_reopen()), f);
        break;
      case Say::tier2_first:
        body = render(rng.pick(text::agent_tier2_first()), f);
        break;
      case Say::tier2_solve:
        body = render(rng.pick(text::agent_tier2_solve()), f);
        break;
      case Say::chat_solve:
        body = render(scenario(a.target).followup, f) + " " +
               render(rng.pick(text::agent_chat_solve()), f);
        break;
      case Say::note:
        internal = true;
        body = render(rng.chance(0.7) ? rng.pick(reason.notes) : rng.pick(text::note_generic()), f);
        break;
      case Say::note_escalate:
        internal = true;
        body = render(rng.pick(text::note_escalate()), f);
        break;
      case Say::note_hold:
        internal = true;
        body = render(rng.pick(text::note_hold()), f);
        break;
      default:
        break;
    }
    if (!body.empty()) {
      if (!internal) {
        bool recap = tk.channel == Channel::voice && (a.say == Say::solve || a.say == Say::ask) &&
                     a.flags == 0;
        if (recap) body = "Thanks for calling us today. As promised, here is a summary. " + body;
        if (!chat)
          body = letter_from_agent(body, f, rng);
        else if (a.say == Say::ask || a.say == Say::solve)
          body = "Hi " + f.first + ", thanks for waiting! " + body;
      }
      in["comment"] = {{"body", body}, {"public", !internal}};
    }
    switch (a.status) {
      case SetStatus::keep:
        break;
      case SetStatus::pending:
        in["status"] = "pending";
        break;
      case SetStatus::hold:
        in["status"] = "hold";
        break;
      case SetStatus::solved:
        in["status"] = "solved";
        break;
    }
    if (a.flags & k_escalate) in["additional_tags"] = {"escalated"};
    return in;
  }

  Json customer_reply(const Action& a, Rng& rng) const {
    const auto& tk = m_plan.tickets[a.target];
    Facts f = facts(a.target, -1);
    std::string body;
    switch (a.say) {
      case Say::answer:
        body = render(scenario(a.target).answer, f);
        break;
      case Say::nudge:
        body = render(rng.pick(text::customer_nudge()), f);
        break;
      case Say::chase:
        body = render(rng.pick(text::customer_chase()), f);
        break;
      case Say::thanks:
        body = render(rng.pick(text::customer_thanks()), f);
        break;
      case Say::reopen:
        body = render(rng.pick(text::customer_reopen()), f);
        if (rng.chance(0.5)) body += " " + render(scenario(a.target).short_opening, f);
        break;
      default:
        body = render(rng.pick(text::customer_chase()), f);
        break;
    }
    if (tk.channel != Channel::chat && rng.chance(0.6)) body += "\n\n" + f.first;
    return {{"comment", {{"body", body}}}};
  }

  const Plan& m_plan;
};

Result<const Principal*> principal_for(store::Tx& tx, std::optional<Principal>& slot, Id user_id) {
  if (!slot) {
    auto p = accounts::load_principal(tx.conn(), user_id);
    if (!p) return fail(p.error());
    slot = std::move(*p);
  }
  return &*slot;
}

Error describe(Error e, const Action& a) {
  std::string what = "demo seed: " + std::string(op_name(a.op)) + " #" + std::to_string(a.target) +
                     " at " + iso8601(a.at) + ": " + e.message;
  for (const auto& [field, problems] : e.details)
    for (const auto& p : problems) what += "; " + field + ": " + p.description;
  e.message = std::move(what);
  return e;
}

Status apply(store::Tx& tx, Registry& reg, const Plan& plan, Prepared& p, const Principal& system) {
  const Action& a = *p.action;
  Json& in = p.in;
  switch (a.op) {
    case Op::site: {
      auto r = accounts::create_site(tx, in, system);
      if (!r) return fail(r.error());
      reg.sites[a.target] = r->id;
      ++reg.counts.sites;
      return {};
    }
    case Op::team: {
      in["site_id"] = reg.sites[team_info(plan.teams[a.target].info).site];
      auto r = accounts::create_group(tx, in, system);
      if (!r) return fail(r.error());
      reg.teams[a.target] = r->id;
      ++reg.counts.groups;
      return {};
    }
    case Op::admin: {
      auto r = accounts::create_user(tx, in, system);
      if (!r) return fail(r.error());
      reg.admin = r->id;
      return {};
    }
    case Op::recovery_group: {
      in["site_id"] = reg.sites[0];
      auto r = accounts::create_group(tx, in, system);
      if (!r) return fail(r.error());
      reg.recovery_group = r->id;
      ++reg.counts.groups;
      return {};
    }
    case Op::feedback_config: {
      auto admin = accounts::load_principal(tx.conn(), reg.admin);
      if (!admin) return fail(admin.error());
      in["recovery_group_id"] = reg.recovery_group;
      auto r = feedback::update_config(tx, in, *admin);
      if (!r) return fail(r.error());
      return reg.life->start(tx);
    }
    case Op::agent: {
      const auto& ag = plan.agents[a.target];
      in["site_id"] = reg.sites[ag.site];
      Json groups = Json::array();
      for (int t : ag.teams) groups.push_back(reg.teams[t]);
      if (ag.recovery) groups.push_back(reg.recovery_group);
      in["group_ids"] = groups;
      in["default_group_id"] = reg.teams[ag.teams[0]];
      // Everyone reports to someone (the digest goes to their lead); the head of support to the
      // admin.
      in["team_lead_id"] = ag.team_lead >= 0 ? reg.agents[ag.team_lead] : reg.admin;
      auto r = accounts::create_user(tx, in, system);
      if (!r) return fail(r.error());
      reg.agents[a.target] = r->id;
      ++reg.counts.agents;
      return {};
    }
    case Op::organization: {
      if (plan.orgs[a.target].enterprise) in["group_id"] = reg.teams[k_enterprise];
      auto r = accounts::create_organization(tx, in, system);
      if (!r) return fail(r.error());
      reg.orgs[a.target] = r->id;
      ++reg.counts.organizations;
      return {};
    }
    case Op::customer: {
      int org = plan.customers[a.target].org;
      if (org >= 0) in["organization_id"] = reg.orgs[org];
      auto r = accounts::create_user(tx, in, system);
      if (!r) return fail(r.error());
      reg.customers[a.target] = r->id;
      ++reg.counts.customers;
      return {};
    }
    case Op::create_ticket: {
      const auto& tk = plan.tickets[a.target];
      in["requester_id"] = reg.customers[tk.requester];
      in["group_id"] = reg.teams[tk.team];
      if (a.actor >= 0) in["assignee_id"] = reg.agents[a.actor];
      // Mail, forms, chat and calls come in through the channel integrations (the system),
      // on the requester's behalf: the first comment is theirs.
      auto r = tickets::create_ticket(tx, in, system, p.options);
      if (!r) return fail(r.error());
      reg.tickets[a.target] = r->ticket.id;
      ++reg.counts.tickets;
      ++reg.counts.comments;
      return {};
    }
    case Op::agent_update: {
      auto who = principal_for(tx, reg.agent_principals[a.actor], reg.agents[a.actor]);
      if (!who) return fail(who.error());
      if (a.flags & k_assign_self) in["assignee_id"] = reg.agents[a.actor];
      if (a.flags & k_escalate) {
        in["group_id"] = reg.teams[k_tier2];
        in["assignee_id"] = nullptr;
      }
      auto r = tickets::update_ticket(tx, reg.tickets[a.target], in, **who);
      if (!r) return fail(r.error());
      if (in.contains("comment")) ++reg.counts.comments;
      return {};
    }
    case Op::customer_reply: {
      int customer = plan.tickets[a.target].requester;
      auto who = principal_for(tx, reg.customer_principals[customer], reg.customers[customer]);
      if (!who) return fail(who.error());
      auto r = tickets::update_ticket(tx, reg.tickets[a.target], in, **who);
      if (!r) return fail(r.error());
      ++reg.counts.comments;
      return {};
    }
  }
  return {};
}

Status replay(store::Tx& tx, Registry& reg, const Plan& plan, std::vector<Prepared>& items) {
  // The writer thread's clock reads the simulated moment of each action (thread-local, so it
  // must be set here, inside the job).
  ScopedClock clock(items.front().action->at);
  const Principal system = accounts::system_principal();
  for (auto& p : items) {
    const Action& a = *p.action;
    // Feedback steps (answers, recovery, rewards ...) that come before this action.
    if (auto st = reg.life->run_until(tx, clock, a.at); !st) return st;
    clock.set(a.at);
    bool solves = a.op == Op::agent_update && a.status == SetStatus::solved;
    int64_t before = 0;
    if (solves) {
      auto last = FeedbackLife::last_event_id(tx);
      if (!last) return fail(last.error());
      before = *last;
    }
    if (auto st = apply(tx, reg, plan, p, system); !st) return fail(describe(st.error(), a));
    // The feedback consumer's turn, as the server's worker would take it right after the commit.
    if (solves) {
      if (auto st = reg.life->after_solve(tx, clock, a.target, before); !st)
        return fail(describe(st.error(), a));
    }
  }
  return {};
}

// Keeps a few jobs queued on the writer and stops at the first failure.
class Pipeline {
 public:
  explicit Pipeline(store::Writer& writer) : m_writer(writer) {}
  ~Pipeline() { (void)finish(); }

  // Waits for room, then queues `job`. False once a job has failed.
  bool submit(store::Writer::Job job) {
    {
      std::unique_lock lock(m_mu);
      m_cv.wait(lock, [&] { return m_in_flight < k_jobs_in_flight || m_error; });
      if (m_error) return false;
      ++m_in_flight;
    }
    m_writer.submit(std::move(job), [this](Status st) {
      std::lock_guard lock(m_mu);
      --m_in_flight;
      if (!st && !m_error) m_error = st.error();
      m_cv.notify_all();
    });
    return true;
  }

  // Waits for every queued job.
  Status finish() {
    std::unique_lock lock(m_mu);
    m_cv.wait(lock, [&] { return m_in_flight == 0; });
    if (m_error) return fail(*m_error);
    return {};
  }

 private:
  store::Writer& m_writer;
  std::mutex m_mu;
  std::condition_variable m_cv;
  int m_in_flight = 0;
  std::optional<Error> m_error;
};

}  // namespace

Result<SeedSummary> seed_demo(store::Store& store, const SeedOptions& options) {
  if (!(options.scale > 0) || options.scale > 50)
    return fail(Error::invalid("demo seed: scale must be in (0, 50]"));
  if (options.days < 1 || options.days > 3660)
    return fail(Error::invalid("demo seed: days must be in 1..3660"));
  crypto::init();
  auto seeded = store.read([](store::Conn& conn) {
    return conn.scalar("SELECT 1 FROM users WHERE email_key = ?", {std::string(k_admin_email)});
  });
  if (!seeded) return fail(seeded.error());
  if (*seeded)
    return fail(Error::conflict("demo seed: this database already holds the demo organization"));

  auto report = [&](const char* stage, double fraction) {
    if (options.progress) options.progress(stage, fraction);
  };
  report("planning", 0);
  int64_t end = options.end_epoch ? options.end_epoch : now_epoch() / k_hour * k_hour;
  const Plan plan = make_plan(options, end);

  Registry reg;
  reg.sites.resize(plan.sites.size());
  reg.teams.resize(plan.teams.size());
  reg.agents.resize(plan.agents.size());
  reg.orgs.resize(plan.orgs.size());
  reg.customers.resize(plan.customers.size());
  reg.tickets.resize(plan.tickets.size());
  reg.agent_principals.resize(plan.agents.size());
  reg.customer_principals.resize(plan.customers.size());
  FeedbackLife life(plan, reg.agents, reg.tickets);
  reg.life = &life;

  Script script(plan);
  Status result;
  SetupSummary setup;
  {
    Pipeline pipeline(store.writer());
    const std::size_t n = plan.actions.size();
    std::size_t reported = 0;
    for (std::size_t i = 0; i < n; i += k_job_actions) {
      auto items = std::make_shared<std::vector<Prepared>>();
      std::size_t stop = std::min(n, i + k_job_actions);
      items->reserve(stop - i);
      for (std::size_t j = i; j < stop; ++j) items->push_back(script.prepare(plan.actions[j]));
      if (!pipeline.submit(
              [items, &reg, &plan](store::Tx& tx) { return replay(tx, reg, plan, *items); }))
        break;
      if (stop * 50 / n > reported) {
        reported = stop * 50 / n;
        report("writing", static_cast<double>(stop) / static_cast<double>(n));
      }
    }
    // The support setup, in the period's last second (setup.hpp), before the feedback finishes
    // so the feedback consumer's position ends past every event.
    (void)pipeline.submit([&setup, &reg, &plan](store::Tx& tx) -> Status {
      ScopedClock clock(plan.end - 1);
      auto r = setup_operation(tx, reg.admin, plan.end - 1);
      if (!r) return fail(r.error());
      setup = *r;
      return {};
    });
    // What is left of the feedback before the end of the period.
    (void)pipeline.submit([&life, &plan](store::Tx& tx) {
      ScopedClock clock(plan.end - 1);
      return life.finish(tx, clock);
    });
    result = pipeline.finish();
  }
  if (!result) return fail(result.error());
  report("done", 1);

  SeedSummary summary = reg.counts;
  summary.setup = setup;
  summary.admin_email = k_admin_email;
  summary.admin_password = plan.admin_password;
  summary.agent_email = k_agent_email;
  summary.agent_password = plan.agent_password;
  summary.start_epoch = plan.start;
  summary.end_epoch = plan.end;
  for (const auto& a : plan.agents)
    summary.agent_profiles.push_back({a.email, a.speed, a.quality, a.rating_skill, a.recovery});
  auto counted = store.read([&](store::Conn& c) -> Status {
    return c.each(
        "SELECT (SELECT COUNT(*) FROM feedback_requests WHERE kind = 'survey'), "
        "(SELECT COUNT(*) FROM feedback_requests WHERE kind = 'survey' AND delivered_at IS NOT "
        "NULL), "
        "(SELECT COUNT(*) FROM ratings WHERE kind = 'survey'), (SELECT COUNT(*) FROM "
        "recovery_cases), "
        "(SELECT COUNT(*) FROM ratings WHERE kind = 'follow_up'), (SELECT COUNT(*) FROM rewards), "
        "(SELECT COUNT(*) FROM rating_reactions)",
        {}, [&](const store::Row& r) {
          summary.feedback_requests = r.i64(0);
          summary.feedback_delivered = r.i64(1);
          summary.ratings = r.i64(2);
          summary.recovery_cases = r.i64(3);
          summary.follow_ups_answered = r.i64(4);
          summary.rewards = r.i64(5);
          summary.reactions = r.i64(6);
        });
  });
  if (!counted) return fail(counted.error());
  if (summary.feedback_delivered)
    summary.response_rate =
        static_cast<double>(summary.ratings) / static_cast<double>(summary.feedback_delivered);
  return summary;
}

}  // namespace rapport::demo
