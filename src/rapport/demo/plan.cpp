#include <rapport/demo/plan.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>
#include <queue>
#include <unordered_set>

#include <rapport/demo/content.hpp>
#include <rapport/demo/random.hpp>

namespace rapport::demo {

const char* channel_name(Channel c) {
  switch (c) {
    case Channel::email:
      return "email";
    case Channel::web:
      return "web";
    case Channel::chat:
      return "chat";
    case Channel::api:
      return "api";
    case Channel::voice:
      return "voice";
  }
  return "api";
}

namespace {

constexpr int64_t k_year = 365 * k_day;

// Independent random streams (see mix_seed).
enum Stream : uint64_t {
  k_staff_stream = 1,
  k_customer_stream,
  k_arrival_stream,
  k_life_stream,
  k_secret_stream,
  k_feedback_stream
};

// Relative contact volume by the customer's local hour: quiet at night, a mid-morning peak,
// a lunch dip and a second, lower peak in the early afternoon.
constexpr double k_hourly[24] = {0.10, 0.06, 0.04, 0.03, 0.04, 0.08, 0.20, 0.45,
                                 0.75, 0.95, 1.00, 0.95, 0.78, 0.84, 0.93, 0.88,
                                 0.78, 0.68, 0.55, 0.46, 0.40, 0.33, 0.25, 0.16};
// Monday .. Sunday: weekends bring about 40% of a weekday's contacts.
constexpr double k_weekly[7] = {1.12, 1.05, 1.0, 0.98, 0.90, 0.43, 0.39};
// Channel mix: email, web, chat, api, voice.
constexpr double k_consumer_channels[5] = {0.50, 0.20, 0.20, 0.04, 0.06};
constexpr double k_business_channels[5] = {0.68, 0.12, 0.02, 0.13, 0.05};
// Share of tickets that make the same customer write again about the same thing within a week.
constexpr double k_repeat_rate = 0.12;

int scaled(double n, double scale, int minimum) {
  return std::max(minimum, static_cast<int>(std::lround(n * scale)));
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
  return s;
}

std::string password(Rng& rng) {
  static constexpr char k_alphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
  std::string out = "demo-";
  for (int i = 0; i < 8; ++i) out.push_back(k_alphabet[rng.index(sizeof(k_alphabet) - 1)]);
  return out;
}

class Planner {
 public:
  Planner(const SeedOptions& options, int64_t end) {
    m_plan.options = options;
    m_plan.end = end;
    m_plan.start = end - int64_t{std::max(1, options.days)} * k_day;
    m_plan.go_live = m_plan.start - 3 * k_year;
    int64_t from = m_plan.start - 2 * k_day, to = m_plan.end + 30 * k_day;
    for (int s = 0; s < k_site_count; ++s)
      m_site_zones.emplace_back(site_info(s).time_zone, site_info(s).fallback_offset_minutes, from,
                                to);
    for (const auto& r : regions())
      m_region_zones.emplace_back(r.time_zones[0], r.fallback_offsets[0], from, to);
  }

  Plan run() {
    uint64_t seed = m_plan.options.seed;
    Rng secrets(mix_seed(seed, k_secret_stream));
    m_plan.admin_password = password(secrets);
    m_plan.agent_password = password(secrets);
    Rng staff(mix_seed(seed, k_staff_stream));
    plan_sites_and_teams();
    plan_staff(staff);
    Rng feedback(mix_seed(seed, k_feedback_stream));
    plan_feedback(feedback);
    Rng people(mix_seed(seed, k_customer_stream));
    plan_customers(people);
    Rng arrivals(mix_seed(seed, k_arrival_stream));
    plan_arrivals(arrivals);
    Rng life(mix_seed(seed, k_life_stream));
    // Tickets are handled in the order they arrive, since agents' queues carry over from one to
    // the next; repeat contacts join the queue as they are planned.
    m_free_at.assign(m_plan.agents.size(), 0);
    m_last_assigned.assign(m_plan.agents.size(), 0);
    for (std::size_t i = 0; i < m_plan.tickets.size(); ++i)
      m_arrivals.push({m_plan.tickets[i].created_at, int(i)});
    while (!m_arrivals.empty()) {
      int next = m_arrivals.top().second;
      m_arrivals.pop();
      plan_ticket(next, life);
    }
    std::sort(m_plan.actions.begin(), m_plan.actions.end(), [](const Action& a, const Action& b) {
      return a.at != b.at ? a.at < b.at : a.seq < b.seq;
    });
    return std::move(m_plan);
  }

 private:
  void push(Action a, Rng* rng = nullptr) {
    a.seq = m_seq++;
    if (rng) a.text_seed = static_cast<uint32_t>(rng->next());
    m_plan.actions.push_back(a);
  }

  // ---- sites, teams, staff -------------------------------------------------------------------

  void plan_sites_and_teams() {
    for (int s = 0; s < k_site_count; ++s) {
      m_plan.sites.push_back({s, m_plan.go_live + s});
      Action a;
      a.at = m_plan.go_live + s;
      a.op = Op::site;
      a.target = s;
      push(a);
    }
    for (int t = 0; t < k_team_count; ++t) {
      TeamPlan tp;
      tp.info = t;
      m_plan.teams.push_back(tp);
      Action a;
      a.at = m_plan.go_live + 10 + t;
      a.op = Op::team;
      a.target = t;
      push(a);
    }
    Action admin;
    admin.at = m_plan.go_live + 30;
    admin.op = Op::admin;
    push(admin);
  }

  const ZoneClock& agent_zone(int agent) const { return m_site_zones[m_plan.agents[agent].site]; }

  Shift make_shift(Rng& rng, int site, bool office_hours) {
    const auto& info = site_info(site);
    Shift s;
    s.length = 8 * k_hour + 30 * k_minute;
    if (office_hours) {
      s.start_minute = 9 * 60;
      s.days = 0x1F;
      return s;
    }
    s.start_minute = rng.pick(info.shift_starts) + static_cast<int>(rng.range(0, 2)) * 15;
    if (info.round_the_clock) {
      // Five days on, two off, starting anywhere in the week.
      int first = static_cast<int>(rng.range(0, 6));
      s.days = 0;
      for (int d = 0; d < 5; ++d) s.days |= static_cast<uint8_t>(1u << ((first + d) % 7));
    } else if (rng.chance(0.25)) {
      // Weekend rota: Saturday, Sunday and three weekdays.
      s.days = 0x60;
      int added = 0;
      while (added < 3) {
        auto bit = static_cast<uint8_t>(1u << rng.range(0, 4));
        if (!(s.days & bit)) {
          s.days |= bit;
          ++added;
        }
      }
    } else {
      s.days = 0x1F;
    }
    return s;
  }

  std::string unique_staff_name(Rng& rng, int site, std::string& first, std::string& last) {
    const auto& info = site_info(site);
    for (int attempt = 0;; ++attempt) {
      first = rng.pick(info.first_names);
      last = rng.pick(info.last_names);
      std::string local = slug(first) + "." + slug(last);
      if (attempt > 40) local += std::to_string(attempt);
      if (m_staff_emails.insert(local).second) return local + "@rapport-demo.example";
    }
  }

  int add_agent(Rng& rng, int site, std::vector<int> teams, const std::string& role,
                int64_t hired_at, int64_t not_before, int team_lead, bool office_hours) {
    AgentPlan a;
    a.site = site;
    a.email = unique_staff_name(rng, site, a.first, a.last);
    a.rapport_role = role;
    a.teams = std::move(teams);
    a.team_lead = team_lead;
    a.hired_at = hired_at;
    a.created_at = std::max({hired_at, not_before, m_plan.go_live + 60});
    a.created_at +=
        static_cast<int64_t>(m_plan.agents.size());  // creation order = planning order on ties
    a.available_from = hired_at + 7 * k_day;         // a week of training before the first ticket
    bool new_hire = hired_at > m_plan.end - 120 * k_day;
    bool vendor = std::string_view(site_info(site).kind) == "vendor";
    a.speed = std::clamp(rng.lognormal(1.0, 0.25) * (new_hire ? 1.35 : 1.0) * (vendor ? 1.05 : 1.0),
                         0.6, 2.0);
    a.quality = std::clamp(rng.normal(0.8, 0.08) - (new_hire ? 0.08 : 0.0) - (vendor ? 0.03 : 0.0),
                           0.45, 0.98);
    a.shift = make_shift(rng, site, office_hours);

    double tenure_years = static_cast<double>(m_plan.end - hired_at) / k_year;
    int level = tenure_years >= 2 ? 3 : tenure_years >= 0.75 ? 2 : 1;
    a.skills.push_back({{"name", team_info(a.teams[0]).skill}, {"level", level}});
    for (std::size_t i = 1; i < a.teams.size(); ++i)
      a.skills.push_back(
          {{"name", team_info(a.teams[i]).skill}, {"level", std::max(1, level - 1)}});
    std::vector<std::string> languages = {"English"};
    auto language = [&](const char* name, const char* label, double p, int lo, int hi) {
      if (!rng.chance(p)) return;
      a.skills.push_back({{"name", name}, {"level", rng.range(lo, hi)}});
      languages.push_back(label);
    };
    switch (site) {
      case 0:
        language("portuguese", "Portuguese", 0.55, 3, 3);
        language("spanish", "Spanish", 0.25, 1, 3);
        language("french", "French", 0.15, 1, 3);
        language("german", "German", 0.08, 1, 2);
        break;
      case 1:
        language("spanish", "Spanish", 0.35, 2, 3);
        break;
      default:
        language("tagalog", "Tagalog", 0.85, 3, 3);
        break;
    }
    std::string spoken;
    for (std::size_t i = 0; i < languages.size(); ++i)
      spoken += (i == 0 ? "" : i + 1 == languages.size() ? " and " : ", ") + languages[i];
    std::string bio = rng.pick(text::bios());
    bio = replace_all(bio, "{team}", team_info(a.teams[0]).name);
    bio = replace_all(
        bio, "{city}",
        std::string(site_info(site).name).substr(0, std::string(site_info(site).name).find(' ')));
    std::string hired = month_day(hired_at);
    bio = replace_all(bio, "{date}",
                      hired.substr(0, hired.find(' ')) + " " + iso_date(hired_at).substr(0, 4));
    bio = replace_all(bio, "{skill}", team_info(a.teams[0]).skill);
    bio = replace_all(bio, "{languages}", spoken);
    a.bio = bio;

    int index = static_cast<int>(m_plan.agents.size());
    m_plan.agents.push_back(std::move(a));
    for (int t : m_plan.agents.back().teams) m_plan.teams[t].members.push_back(index);
    Action act;
    act.at = m_plan.agents.back().created_at;
    act.op = Op::agent;
    act.target = index;
    push(act);
    return index;
  }

  int64_t hired_between(Rng& rng, double min_years, double max_years) {
    return m_plan.end - static_cast<int64_t>(rng.uniform(min_years, max_years) * k_year);
  }

  // Most agents have one to five years' tenure; some joined in the last three months.
  int64_t agent_hire_date(Rng& rng) {
    double u = rng.uniform();
    if (u < 0.12) return m_plan.end - rng.range(10, 88) * k_day;
    if (u < 0.27) return hired_between(rng, 0.25, 1.0);
    return hired_between(rng, 1.0, 5.0);
  }

  void plan_staff(Rng& rng) {
    double scale = m_plan.options.scale;
    int n_managers = scaled(2, scale, 1), n_qa = scaled(3, scale, 1);
    std::vector<int> managers;
    for (int m = 0; m < n_managers; ++m) {
      // Manager 0 runs the Lisbon and Manila teams, manager 1 Austin's; alone, one runs all.
      std::vector<int> teams;
      for (int t = 0; t < k_team_count; ++t) {
        int site = team_info(t).site;
        if (n_managers == 1 || (m == 0 ? site != 1 : site == 1)) teams.push_back(t);
      }
      int site = m == 0 ? 0 : 1;
      // The first manager heads support (and reports to the admin); the others report to them.
      managers.push_back(add_agent(rng, site, teams, "manager", hired_between(rng, 6, 9), 0,
                                   m > 0 ? managers[0] : -1, true));
    }
    auto manager_for = [&](int site) { return managers[(n_managers > 1 && site == 1) ? 1 : 0]; };
    for (int t = 0; t < k_team_count; ++t) {
      int site = team_info(t).site;
      int lead =
          add_agent(rng, site, {t}, "team_lead", hired_between(rng, 3, 7),
                    m_plan.agents[manager_for(site)].created_at + 60, manager_for(site), false);
      m_plan.teams[t].lead = lead;
    }
    for (int q = 0; q < n_qa; ++q) {
      std::vector<int> teams;
      for (int t = 0; t < k_team_count; ++t)
        if (t % n_qa == q) teams.push_back(t);
      int site = q % 2 == 0 ? 0 : 1;
      add_agent(rng, site, teams, "qa", hired_between(rng, 2, 5), 0, manager_for(site), true);
    }
    bool demo_agent_made = false;
    for (int t = 0; t < k_team_count; ++t) {
      const auto& info = team_info(t);
      int n = scaled(info.size, scale, 2) - 1;
      int lead = m_plan.teams[t].lead;
      for (int i = 0; i < n; ++i) {
        std::vector<int> teams = {t};
        std::vector<int> overflow;
        for (int o : info.overflow)
          if (o >= 0) overflow.push_back(o);
        if (!overflow.empty() && rng.chance(0.3)) {
          int extra = rng.pick(overflow);
          // Sensitive teams take in-house staff only.
          if (!team_info(extra).sensitive ||
              std::string_view(site_info(info.site).kind) != "vendor")
            teams.push_back(extra);
        }
        // The first Billing agent is the one to sign in as: tenured, on office hours.
        bool demo = !demo_agent_made && t == k_billing;
        int64_t hired = demo ? hired_between(rng, 2, 4) : agent_hire_date(rng);
        int a = add_agent(rng, info.site, teams, "", hired, m_plan.agents[lead].created_at + 60,
                          lead, demo);
        if (demo) {
          auto& agent = m_plan.agents[a];
          m_staff_emails.insert("agent");
          agent.email = "agent@rapport-demo.example";
          agent.password = true;
          demo_agent_made = true;
        }
      }
    }
    // Who takes tickets: agents and team leads (when their team is busy); QA and managers don't.
    for (auto& team : m_plan.teams) {
      for (int member : team.members) {
        const auto& role = m_plan.agents[member].rapport_role;
        if (role.empty() || role == "team_lead") team.handlers.push_back(member);
      }
    }
  }

  // ---- customer feedback -------------------------------------------------------------------

  // The Customer Recovery group and the feedback settings, right after the admin exists; each
  // agent's rating skill; who works recovery cases. Drawn from the feedback stream only, so the
  // rest of the organization is the same as without it.
  void plan_feedback(Rng& rng) {
    Action group;
    group.at = m_plan.go_live + 20;
    group.op = Op::recovery_group;
    push(group);
    Action config;
    config.at = m_plan.go_live + 40;
    config.op = Op::feedback_config;
    push(config);

    std::vector<int> ordinary;
    for (std::size_t i = 0; i < m_plan.agents.size(); ++i) {
      auto& a = m_plan.agents[i];
      bool vendor = std::string_view(site_info(a.site).kind) == "vendor";
      bool new_hire = a.hired_at > m_plan.end - 120 * k_day;
      // Partly what they know (quality), partly how they come across; vendor staff a little lower.
      a.rating_skill = 2.0 * (a.quality - 0.8) + rng.normal(0, 0.2) - (vendor ? 0.12 : 0.0) -
                       (new_hire ? 0.08 : 0.0);
      if (a.rapport_role.empty()) ordinary.push_back(static_cast<int>(i));
    }
    // A few agents customers love, and a few who struggle.
    double scale = m_plan.options.scale;
    int standouts = scaled(3, scale, 1), strugglers = scaled(3, scale, 1);
    std::vector<int> pool = ordinary;
    for (std::size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[rng.index(i)]);
    for (std::size_t i = 0; i < pool.size(); ++i) {
      if (static_cast<int>(i) < standouts)
        m_plan.agents[pool[i]].rating_skill += 0.55;
      else if (static_cast<int>(i) < standouts + strugglers)
        m_plan.agents[pool[i]].rating_skill -= 0.75;
    }
    // Recovery specialists: tenured in-house agents with good answers, besides their own team.
    std::vector<int> eligible;
    for (int i : ordinary) {
      const auto& a = m_plan.agents[i];
      if (std::string_view(site_info(a.site).kind) == "in_house" && !a.password &&
          a.hired_at <= m_plan.end - k_year && a.quality >= 0.75)
        eligible.push_back(i);
    }
    if (eligible.empty()) eligible = ordinary;
    for (std::size_t i = eligible.size(); i > 1; --i)
      std::swap(eligible[i - 1], eligible[rng.index(i)]);
    int specialists = std::min(static_cast<int>(eligible.size()), scaled(4, scale, 1));
    for (int i = 0; i < specialists; ++i) m_plan.agents[eligible[i]].recovery = true;
  }

  // ---- organizations and customers -------------------------------------------------------------

  void plan_customers(Rng& rng) {
    double scale = m_plan.options.scale;
    int n_orgs = scaled(1500, scale, 3), n_customers = scaled(20000, scale, 12);
    int n_enterprise = std::max(1, static_cast<int>(std::lround(n_orgs * 0.03)));
    std::vector<double> region_shares;
    for (const auto& r : regions()) region_shares.push_back(r.share);

    // Company names: every prefix-suffix pair, shuffled; numbered once they run out.
    std::vector<std::pair<int, int>> names;
    for (std::size_t p = 0; p < company_prefixes().size(); ++p)
      for (std::size_t s = 0; s < company_suffixes().size(); ++s) names.push_back({int(p), int(s)});
    for (std::size_t i = names.size(); i > 1; --i) std::swap(names[i - 1], names[rng.index(i)]);
    std::vector<double> org_weights;
    for (int o = 0; o < n_orgs; ++o) {
      OrgPlan org;
      auto [p, s] = names[static_cast<std::size_t>(o) % names.size()];
      std::string round =
          o < static_cast<int>(names.size()) ? "" : " " + std::to_string(o / names.size() + 1);
      org.name = std::string(company_prefixes()[p]) + " " + company_suffixes()[s] + round;
      org.domain =
          slug(company_prefixes()[p]) + slug(company_suffixes()[s]) + slug(round) + ".example";
      org.external_id = "ACCT-" + std::to_string(10001 + o);
      org.enterprise = o < n_enterprise;
      org.region = static_cast<int>(rng.weighted(region_shares));
      org.created_at =
          rng.chance(0.9)
              ? m_plan.go_live + 3600 +
                    static_cast<int64_t>(rng.uniform() * (m_plan.start - m_plan.go_live - 7200))
              : m_plan.start +
                    static_cast<int64_t>(rng.uniform() * 0.8 * (m_plan.end - m_plan.start));
      org_weights.push_back(org.enterprise ? rng.uniform(8, 20) : rng.lognormal(3, 0.8));
      m_plan.orgs.push_back(std::move(org));
    }
    WeightedTable org_table(org_weights);
    std::unordered_set<std::string> emails;
    std::vector<std::vector<double>> weights_by_region(regions().size());
    m_region_customers.assign(regions().size(), {});
    for (int c = 0; c < n_customers; ++c) {
      CustomerPlan cu;
      // Every organization gets a first member; then three in four customers belong to one.
      if (c < n_orgs)
        cu.org = c;
      else if (rng.chance(0.75))
        cu.org = static_cast<int>(org_table.draw(rng));
      cu.region =
          cu.org >= 0 ? m_plan.orgs[cu.org].region : static_cast<int>(rng.weighted(region_shares));
      const auto& region = regions()[cu.region];
      std::size_t zone = rng.index(region.time_zones.size());
      cu.time_zone = region.time_zones[zone];
      cu.locale = region.locales[zone];
      cu.first = rng.pick(region.first_names);
      cu.last = rng.pick(region.last_names);
      std::string local = slug(cu.first) + "." + slug(cu.last);
      std::string domain =
          cu.org >= 0 ? m_plan.orgs[cu.org].domain : std::string(rng.pick(consumer_mail_domains()));
      if (cu.org < 0 && rng.chance(0.5)) local += std::to_string(rng.range(1, 99));
      std::string email = local + "@" + domain;
      for (int n = 2; !emails.insert(email).second; ++n)
        email = local + std::to_string(n) + "@" + domain;
      cu.email = email;
      cu.external_id = "CUS-" + std::to_string(100001 + c);
      if (rng.chance(0.35)) {
        int digits = cu.region == 0 ? 2 : 3;
        cu.phone = std::string(region.phone_prefix) +
                   std::to_string(rng.range(digits == 2 ? 10 : 100, digits == 2 ? 99 : 999));
      }
      cu.plus = rng.chance(0.4);
      int64_t earliest =
          cu.org >= 0 ? m_plan.orgs[cu.org].created_at + k_hour : m_plan.go_live + k_hour;
      if (rng.chance(0.85) && earliest < m_plan.start - k_day) {
        cu.created_at =
            earliest + static_cast<int64_t>(rng.uniform() * (m_plan.start - k_day - earliest));
      } else {
        int64_t from = std::max(earliest, m_plan.start);
        cu.created_at = from + static_cast<int64_t>(rng.uniform() * 0.9 *
                                                    std::max<int64_t>(k_hour, m_plan.end - from));
      }
      // Some customers write far more than others, within reason.
      double w = std::min(8.0, rng.lognormal(1.0, 0.75)) *
                 (cu.org >= 0 && m_plan.orgs[cu.org].enterprise ? 1.2 : 1.0);
      int index = static_cast<int>(m_plan.customers.size());
      if (cu.org >= 0) m_plan.orgs[cu.org].members.push_back(index);
      m_region_customers[cu.region].push_back(index);
      weights_by_region[cu.region].push_back(w);
      m_plan.customers.push_back(std::move(cu));
    }
    for (std::size_t r = 0; r < regions().size(); ++r)
      m_region_tables.emplace_back(weights_by_region[r]);

    // Creation in time order: organizations before their members (members start an hour later).
    for (int o = 0; o < n_orgs; ++o) {
      Action a;
      a.at = m_plan.orgs[o].created_at;
      a.op = Op::organization;
      a.target = o;
      push(a);
    }
    for (int c = 0; c < n_customers; ++c) {
      Action a;
      a.at = m_plan.customers[c].created_at;
      a.op = Op::customer;
      a.target = c;
      push(a);
    }
  }

  // ---- arrivals --------------------------------------------------------------------------------

  struct Arrival {
    int64_t at;
    int region;
    int reason;  // -1: drawn from the mix
  };

  void plan_arrivals(Rng& rng) {
    const auto& o = m_plan.options;
    double total = 150000.0 * o.scale * std::max(1, o.days) / 90.0;
    double base = total / (1.0 + k_repeat_rate * 0.95);
    int days = std::max(1, o.days);
    std::vector<double> day_factor;
    for (int d = 0; d <= days; ++d) day_factor.push_back(rng.lognormal(1.0, 0.08));
    int64_t hours = (m_plan.end - m_plan.start) / k_hour;
    std::vector<double> weights;
    double sum = 0;
    for (std::size_t r = 0; r < regions().size(); ++r) {
      const auto& zone = m_region_zones[r];
      for (int64_t h = 0; h < hours; ++h) {
        int64_t t = m_plan.start + h * k_hour + k_hour / 2;
        double w = regions()[r].share * k_weekly[zone.weekday(t)] * k_hourly[zone.hour(t)] *
                   day_factor[static_cast<std::size_t>((t - m_plan.start) / k_day)];
        weights.push_back(w);
        sum += w;
      }
    }
    std::vector<Arrival> arrivals;
    for (std::size_t r = 0; r < regions().size(); ++r) {
      for (int64_t h = 0; h < hours; ++h) {
        int n = rng.poisson(base * weights[r * hours + h] / sum);
        for (int k = 0; k < n; ++k)
          arrivals.push_back(
              {m_plan.start + h * k_hour + rng.range(0, k_hour - 1), static_cast<int>(r), -1});
      }
    }
    // An incident day: a bad app release brings a wave of bug reports one weekday afternoon.
    if (days >= 3) {
      int64_t day = rng.range(1, days - 2);
      int64_t midnight = m_plan.start + day * k_day;
      if (m_region_zones[0].weekday(midnight + 12 * k_hour) >= 5) midnight += 2 * k_day;
      int extra = rng.poisson(base / days * 0.3);
      for (int k = 0; k < extra && midnight < m_plan.end - k_day; ++k) {
        int64_t at = midnight + 14 * k_hour + static_cast<int64_t>(rng.exponential(3 * k_hour));
        if (at < m_plan.end) arrivals.push_back({at, rng.chance(0.7) ? 0 : 1, m_bug_reason});
      }
    }
    std::stable_sort(arrivals.begin(), arrivals.end(),
                     [](const Arrival& a, const Arrival& b) { return a.at < b.at; });

    std::vector<double> consumer_mix, business_mix;
    for (const auto& r : reasons()) {
      consumer_mix.push_back(r.weight);
      business_mix.push_back(r.business_weight);
    }
    for (const auto& a : arrivals) {
      const auto& pool = m_region_customers[a.region];
      if (pool.empty()) continue;
      int requester = -1;
      for (int attempt = 0; attempt < 12 && requester < 0; ++attempt) {
        int c = pool[m_region_tables[a.region].draw(rng)];
        if (m_plan.customers[c].created_at + 5 * k_minute <= a.at) requester = c;
      }
      if (requester < 0) continue;
      TicketPlan t;
      t.requester = requester;
      t.created_at = a.at;
      t.seed = rng.next();
      t.incident = a.reason >= 0;
      bool business = is_business(requester);
      t.reason = a.reason >= 0
                     ? a.reason
                     : static_cast<int>(rng.weighted(business ? business_mix : consumer_mix));
      t.team = team_for(t.reason, business);
      t.channel = static_cast<Channel>(rng.weighted(
          std::span<const double>(business ? k_business_channels : k_consumer_channels, 5)));
      int hour = m_region_zones[a.region].hour(a.at);
      if (t.channel == Channel::chat && (hour < 7 || hour >= 22))
        t.channel = Channel::web;  // chat is offline
      const auto& reason = reasons()[t.reason];
      t.priority = static_cast<uint8_t>(rng.weighted(reason.priority));
      if (business && t.priority < 3 && rng.chance(0.3)) ++t.priority;
      m_plan.tickets.push_back(t);
    }
  }

  bool is_business(int customer) const {
    int org = m_plan.customers[customer].org;
    return org >= 0 && m_plan.orgs[org].enterprise;
  }

  // Enterprise customers have their own team, except for security matters.
  static int team_for(int reason, bool business) {
    int team = reasons()[reason].team;
    return business && team != k_security ? k_enterprise : team;
  }

  // ---- a ticket's life -------------------------------------------------------------------------

  // The agent who takes a ticket for `team` that is ready at `t`, and when they start on it:
  // whoever can get to it first given their shifts and, when `queued`, the work already on their
  // plate (urgent tickets jump the queue). Team members come before overflow helpers and leads;
  // among equals, routing goes round-robin (the least recently assigned).
  std::pair<int, int64_t> pick_agent(int team, int64_t t, bool queued, int priority = 1) {
    static constexpr int64_t k_jump[4] = {0, 0, 30 * k_minute, 90 * k_minute};
    const auto& tp = m_plan.teams[team];
    m_starts.assign(tp.handlers.size(), 0);
    int64_t best = LLONG_MAX;
    std::vector<int64_t>& score = m_scores;
    score.assign(tp.handlers.size(), 0);
    for (std::size_t i = 0; i < tp.handlers.size(); ++i) {
      int h = tp.handlers[i];
      const auto& a = m_plan.agents[h];
      int64_t from = std::max(t, a.available_from);
      if (queued) from = std::max(from, m_free_at[h] - k_jump[priority]);
      m_starts[i] = next_on_shift(agent_zone(h), a.shift, from);
      int64_t penalty = !a.rapport_role.empty() ? 45 * k_minute
                        : a.teams[0] != team    ? 20 * k_minute
                                                : 0;
      score[i] = m_starts[i] + penalty;
      best = std::min(best, score[i]);
    }
    std::size_t chosen = 0;
    int64_t least_recent = LLONG_MAX;
    for (std::size_t i = 0; i < tp.handlers.size(); ++i) {
      if (score[i] > best + 5 * k_minute) continue;
      if (m_last_assigned[tp.handlers[i]] < least_recent) {
        least_recent = m_last_assigned[tp.handlers[i]];
        chosen = i;
      }
    }
    m_last_assigned[tp.handlers[chosen]] = m_starts[chosen];
    return {tp.handlers[chosen], m_starts[chosen]};
  }

  // When `agent` gets to something that reaches them at `t`: now if on shift, else after the
  // start of their next shift.
  int64_t agent_time(int agent, int64_t t, Rng& rng) {
    const auto& a = m_plan.agents[agent];
    int64_t next = next_on_shift(agent_zone(agent), a.shift, t);
    if (next == t) return t;
    return next + 60 + static_cast<int64_t>(rng.exponential(25 * k_minute));
  }

  // When a customer writes something they would write at `t`: not in the middle of their night.
  int64_t customer_time(int customer, int64_t t, Rng& rng) {
    const auto& zone = m_region_zones[m_plan.customers[customer].region];
    int hour = zone.hour(t);
    if (hour >= 7 && hour < 23) return t;
    int64_t morning = zone.local_midnight(t) + 7 * k_hour + (hour >= 23 ? k_day : 0);
    return std::max(t, morning + static_cast<int64_t>(rng.exponential(90 * k_minute)));
  }

  void maybe_repeat(int index, Rng& rng) {
    const TicketPlan& tk = m_plan.tickets[index];
    if (!rng.chance(tk.repeat_of >= 0 ? 0.04 : k_repeat_rate)) return;
    TicketPlan again = tk;
    again.repeat_of = index;
    int64_t delay =
        std::clamp(static_cast<int64_t>(rng.lognormal(30 * k_hour, 0.9)), k_hour, 6 * k_day);
    again.created_at = customer_time(tk.requester, tk.created_at + delay, rng);
    if (again.created_at >= m_plan.end || again.created_at - tk.created_at >= 7 * k_day - k_hour)
      return;
    if (rng.chance(0.4)) {
      auto mix = is_business(tk.requester) ? k_business_channels : k_consumer_channels;
      again.channel = static_cast<Channel>(rng.weighted(std::span<const double>(mix, 5)));
    }
    if (again.priority < 3 && rng.chance(0.35))
      ++again.priority;  // writing twice makes it more pressing
    m_plan.tickets.push_back(again);
    m_arrivals.push({again.created_at, static_cast<int>(m_plan.tickets.size()) - 1});
  }

  void plan_ticket(int index, Rng& rng) {
    const TicketPlan tk = m_plan.tickets[index];  // a copy: repeats may grow the vector
    const ReasonInfo& reason = reasons()[tk.reason];
    const bool chat = tk.channel == Channel::chat, voice = tk.channel == Channel::voice;
    bool cut = false;  // the rest of the story lies after the end of the period
    // The main thread of the story: once one step falls after the end, so do all that follow.
    // Side steps (a note, a chase) are simply dropped when they would.
    auto act = [&](int64_t at, Op op, Say say, SetStatus status, int actor, uint8_t flags,
                   bool side = false) {
      if (cut || at >= m_plan.end) {
        if (!side) cut = true;
        return false;
      }
      Action a;
      a.at = at;
      a.op = op;
      a.target = index;
      a.actor = actor;
      a.say = say;
      a.status = status;
      a.flags = flags;
      push(a, &rng);
      return true;
    };
    const int64_t created = tk.created_at;
    int64_t ready = created + (chat    ? 15
                               : voice ? 0
                                       : 30 + static_cast<int64_t>(rng.exponential(3 * k_minute)));
    // Chats are taken alongside other work, so only shifts decide who is there to answer.
    auto [agent, start] = pick_agent(tk.team, ready, !chat, tk.priority);
    const AgentPlan* a = &m_plan.agents[agent];
    bool answered_call = voice && start - ready <= 3 * k_minute;
    bool live_chat = chat && start - ready < 10 * k_minute;
    // How long the first answer takes them: chats run in parallel, calls take the call's length.
    double handle_median = live_chat ? 4 * k_minute : voice ? 7 * k_minute : 15 * k_minute;
    int64_t handle = 60 + static_cast<int64_t>(rng.lognormal(handle_median * a->speed, 0.5));
    if (!chat) m_free_at[agent] = start + handle;
    if (!act(created, Op::create_ticket, Say::none, SetStatus::keep, answered_call ? agent : -1, 0))
      return;
    maybe_repeat(index, rng);

    // Assignment and the first answer. Usually the agent takes the ticket and answers in one
    // update; some take it first and answer later, often with an internal note on taking it.
    int64_t assigned, first_reply;
    bool merged = true;
    if (answered_call) {
      assigned = created;
      first_reply = start + handle;  // the call, then a written recap
    } else if (live_chat) {
      assigned = first_reply = start + 5 + static_cast<int64_t>(rng.lognormal(40 * a->speed, 0.6));
    } else {
      merged = !rng.chance(0.3);
      assigned =
          start + (merged ? handle : 30 + static_cast<int64_t>(rng.exponential(2 * k_minute)));
      first_reply = start + handle + (merged ? 0 : 60);
    }
    // A customer left waiting a day asks what is going on.
    if (!chat && first_reply - created > 20 * k_hour && rng.chance(0.35)) {
      int64_t chase = customer_time(
          tk.requester, created + static_cast<int64_t>(rng.lognormal(22 * k_hour, 0.2)), rng);
      if (chase < first_reply - 10 * k_minute && chase > created)
        act(chase, Op::customer_reply, Say::chase, SetStatus::keep, -1, 0, true);
    }
    if (!merged && !act(assigned, Op::agent_update, rng.chance(0.55) ? Say::note : Say::none,
                        SetStatus::keep, agent, k_assign_self))
      return;
    // An internal note while working it out: by the agent, sometimes their team lead.
    if (first_reply - assigned > 2 * k_minute && rng.chance(0.08)) {
      int author = agent;
      int lead = m_plan.teams[tk.team].lead;
      if (lead >= 0 && lead != agent && rng.chance(0.4)) author = lead;
      int64_t at =
          assigned + 1 +
          static_cast<int64_t>(rng.uniform() * static_cast<double>(first_reply - assigned - 2));
      act(at, Op::agent_update, Say::note, SetStatus::keep, author, 0, true);
    }
    double q = a->quality;
    double fcr = std::clamp(reason.first_contact_resolution * (0.75 + 0.5 * q) + 0.12 +
                                (chat || answered_call ? 0.1 : 0.0),
                            0.05, 0.92);
    bool escalate = rng.chance(reason.escalation);
    bool solved = !escalate && rng.chance(fcr);
    uint8_t flags = merged && !answered_call ? k_assign_self : 0;
    if (!act(first_reply, Op::agent_update, solved ? Say::solve : Say::ask,
             solved ? SetStatus::solved : SetStatus::pending, agent, flags))
      return;
    int64_t last = first_reply;
    int current = agent;

    if (!solved) {
      bool done = false;
      for (int round = 0; round < 3 && !done; ++round) {
        double answers = chat ? 0.85 - 0.2 * round : 0.65 - 0.12 * round;
        if (escalate && round == 0) answers = 0.95;
        if (!rng.chance(answers)) break;
        int64_t reply =
            chat ? last + 20 + static_cast<int64_t>(rng.lognormal(80, 0.6))
                 : customer_time(tk.requester,
                                 last + 60 + static_cast<int64_t>(rng.lognormal(3 * k_hour, 1.0)),
                                 rng);
        if (!act(reply, Op::customer_reply, round == 0 ? Say::answer : Say::nudge, SetStatus::keep,
                 -1, 0))
          return;
        last = reply;
        if (escalate && round == 0) {
          int64_t at = agent_time(
              current,
              last + 60 + static_cast<int64_t>(rng.lognormal(40 * k_minute * a->speed, 0.8)), rng);
          if (!act(at, Op::agent_update, Say::note_escalate, SetStatus::keep, current, k_escalate))
            return;
          last = at;
          auto [second, t2_available] = pick_agent(
              k_tier2, last + 60 + static_cast<int64_t>(rng.lognormal(90 * k_minute, 0.8)), false);
          current = second;
          a = &m_plan.agents[current];
          int64_t taken = agent_time(current, t2_available, rng);
          bool hold = rng.chance(0.45);
          if (!act(taken, Op::agent_update, Say::tier2_first,
                   hold ? SetStatus::hold : SetStatus::pending, current, k_assign_self))
            return;
          last = taken;
          if (hold && rng.chance(0.5))
            act(taken + 60 + static_cast<int64_t>(rng.exponential(20 * k_minute)), Op::agent_update,
                Say::note_hold, SetStatus::keep, current, 0, true);
          int64_t fixed = agent_time(
              current, last + static_cast<int64_t>(rng.lognormal(1.5 * k_day, 0.6)), rng);
          if (!act(fixed, Op::agent_update, Say::tier2_solve, SetStatus::solved, current, 0))
            return;
          last = fixed;
          done = true;
          break;
        }
        int64_t answer =
            chat
                ? last + 20 + static_cast<int64_t>(rng.lognormal(60 * a->speed, 0.6))
                : agent_time(current,
                             last + 60 +
                                 static_cast<int64_t>(rng.lognormal(45 * k_minute * a->speed, 0.9)),
                             rng);
        bool settles = rng.chance(
            std::clamp(0.5 + 0.35 * a->quality + 0.15 * round + (chat ? 0.15 : 0.0), 0.0, 0.97));
        Say say =
            settles ? (chat && rng.chance(0.5) ? Say::chat_solve : Say::followup) : Say::progress;
        if (!act(answer, Op::agent_update, say, settles ? SetStatus::solved : SetStatus::pending,
                 current, 0))
          return;
        last = answer;
        done = settles;
      }
      if (!done) {
        // No word from the customer: solved after a few days, usually with a last message.
        int64_t at =
            agent_time(current, last + static_cast<int64_t>(rng.lognormal(3 * k_day, 0.25)), rng);
        if (!act(at, Op::agent_update, rng.chance(0.6) ? Say::closing : Say::none,
                 SetStatus::solved, current, 0))
          return;
        last = at;
      }
    }
    // A thank-you reopens the ticket (the requester commented); the agent solves it again.
    if (!chat && rng.chance(0.05)) {
      int64_t at = customer_time(
          tk.requester, last + 60 + static_cast<int64_t>(rng.lognormal(40 * k_minute, 1.0)), rng);
      if (!act(at, Op::customer_reply, Say::thanks, SetStatus::keep, -1, 0)) return;
      int64_t again = agent_time(
          current, at + 60 + static_cast<int64_t>(rng.lognormal(30 * k_minute * a->speed, 0.8)),
          rng);
      if (!act(again, Op::agent_update, Say::none, SetStatus::solved, current, 0)) return;
      last = again;
    }
    // Not fixed after all: weaker answers come back more often.
    if (rng.chance(0.015 + 0.12 * (1.0 - a->quality))) {
      int64_t at = customer_time(
          tk.requester, last + 600 + static_cast<int64_t>(rng.lognormal(20 * k_hour, 0.9)), rng);
      if (!act(at, Op::customer_reply, Say::reopen, SetStatus::keep, -1, 0)) return;
      int64_t again = agent_time(
          current, at + 60 + static_cast<int64_t>(rng.lognormal(50 * k_minute * a->speed, 0.9)),
          rng);
      if (!act(again, Op::agent_update, Say::reopen_answer, SetStatus::solved, current, 0)) return;
    }
  }

  Plan m_plan;
  uint32_t m_seq = 0;
  std::vector<ZoneClock> m_site_zones, m_region_zones;
  std::unordered_set<std::string> m_staff_emails;
  std::vector<std::vector<int>> m_region_customers;
  std::vector<WeightedTable> m_region_tables;
  std::vector<int64_t> m_starts, m_scores;
  std::vector<int64_t> m_last_assigned;  // for round-robin routing
  std::vector<int64_t> m_free_at;  // when each agent is done with the ticket they are working on
  std::priority_queue<std::pair<int64_t, int>, std::vector<std::pair<int64_t, int>>, std::greater<>>
      m_arrivals;
  int m_bug_reason = [] {
    for (std::size_t i = 0; i < reasons().size(); ++i)
      if (std::string_view(reasons()[i].tag) == "bug_report") return static_cast<int>(i);
    return 0;
  }();
};

}  // namespace

Plan make_plan(const SeedOptions& options, int64_t end) {
  return Planner(options, end).run();
}

}  // namespace rapport::demo
