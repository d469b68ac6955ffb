#include <rapport/cli/commands.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include <rapport/accounts/users.hpp>
#include <rapport/app/business_hours.hpp>
#include <rapport/automation/engine.hpp>
#include <rapport/base/time.hpp>
#include <rapport/demo/seed.hpp>
#include <rapport/planning/people.hpp>
#include <rapport/store/store.hpp>
#include <rapport/workforce/parse.hpp>
#include <rapport/workforce/staffing.hpp>

namespace rapport::cli {

namespace {

struct SeedArgs {
  bool demo = false;
  uint64_t seed = 42;
  double scale = 1.0;
  int days = 90;
};

struct StaffArgs {
  workforce::StaffingArgs args;
  std::string format = "table";
};

struct AutomationArgs {
  std::string at;  // ISO-8601; empty: now
  std::string public_url;
};

SeedArgs g_seed;
AutomationArgs g_automations;
CLI::App* g_automations_run_cmd = nullptr;
StaffArgs g_staff;
CLI::App* g_seed_cmd = nullptr;
CLI::App* g_staff_cmd = nullptr;
CLI::App* g_schedules_import_cmd = nullptr;
std::string g_schedule_file;

int fail_with(const Error& e) {
  std::cerr << "rapport: " << e.message << "\n";
  return 2;
}

int run_seed(const std::string& db) {
  if (!g_seed.demo) {
    std::cerr << "rapport: seed needs --demo (the only generator so far)\n";
    return 2;
  }
  store::StoreOptions so;
  so.read_connections = 2;
  auto st = store::Store::open(db, so);
  if (!st) return fail_with(st.error());
  demo::SeedOptions o;
  o.seed = g_seed.seed;
  o.scale = g_seed.scale;
  o.days = g_seed.days;
  auto started = std::chrono::steady_clock::now();
  auto r = demo::seed_demo(**st, o);
  if (!r) return fail_with(r.error());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << "seeded " << db << " in " << secs << " s: " << r->sites << " sites, " << r->groups << " teams, "
            << r->agents << " agents, " << r->organizations << " organizations, " << r->customers << " customers, "
            << r->tickets << " tickets, " << r->comments << " comments\n";
  std::cerr << "feedback: " << r->feedback_requests << " survey requests (" << r->feedback_delivered
            << " delivered), " << r->ratings << " ratings ("
            << std::lround(r->response_rate * 1000) / 10.0 << " % response rate), " << r->recovery_cases
            << " recovery cases (" << r->follow_ups_answered << " follow-ups answered), " << r->rewards
            << " rewards, " << r->reactions << " team-lead reactions\n";
  const auto& su = r->setup;
  std::cerr << "setup: " << su.schedules << " business-hours schedule, " << su.sla_policies << " SLA policies ("
            << su.tickets_with_clocks << " open tickets on the clock), " << su.triggers << " triggers, " << su.macros
            << " macros, " << su.automations << " automations, " << su.articles << " help-center articles, "
            << su.incidents << " past incident\n";
  std::cout << "admin_email=" << r->admin_email << "\nadmin_password=" << r->admin_password << "\n";
  return 0;
}

// One run of the time-based automations, as the server's hourly job does. `--at` evaluates them
// as of another time (replaying, or a test that cannot wait four days); the changes it makes are
// stamped with that time.
int run_automations(const std::string& db) {
  std::optional<int64_t> at;
  if (!g_automations.at.empty()) {
    at = parse_iso8601(g_automations.at);
    if (!at) return fail_with(Error::invalid("--at must be an ISO-8601 time, e.g. 2024-05-01T10:00:00Z"));
  }
  store::StoreOptions so;
  so.read_connections = 2;
  auto st = store::Store::open(db, so);
  if (!st) return fail_with(st.error());
  automation::EngineOptions o;
  o.public_url = g_automations.public_url;
  o.hours = &app::ScheduleHours::instance();
  auto r = automation::run_automations(**st, o, at);
  if (!r) return fail_with(r.error());
  std::cout << Json{{"tickets", r->tickets}, {"fired", r->fired}}.dump() << "\n";
  return 0;
}

int run_staff() {
  auto in = workforce::staffing_input(g_staff.args);
  if (!in) return fail_with(in.error());
  auto table = workforce::staffing_table(*in);
  if (!table) return fail_with(table.error());
  if (g_staff.format == "json") std::cout << workforce::to_json(*table).dump(2) << "\n";
  else if (g_staff.format == "csv") std::cout << workforce::render_csv(*table);
  else if (g_staff.format == "table") std::cout << workforce::render_text(*table);
  else return fail_with(Error::invalid("--format must be table, json or csv"));
  return 0;
}

// `rapport schedules import FILE`: the same checks as the API; every bad line is printed and
// nothing is imported unless the whole file is clean.
int run_schedules_import(const std::string& db) {
  std::ifstream in(g_schedule_file, std::ios::binary);
  if (!in) return fail_with(Error::invalid("cannot read " + g_schedule_file));
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > 16 * 1024 * 1024) return fail_with(Error::invalid(g_schedule_file + " is larger than 16 MiB"));
  store::StoreOptions so;
  so.read_connections = 1;
  auto st = store::Store::open(db, so);
  if (!st) return fail_with(st.error());
  auto shifts = (*st)->read([&](store::Conn& c) { return planning::parse_schedule_csv(c, text.str()); });
  if (!shifts) {
    std::cerr << "rapport: " << g_schedule_file << ": " << shifts.error().message << "\n";
    for (const auto& [where, problems] : shifts.error().details)
      for (const auto& p : problems) std::cerr << "  " << p.description << "\n";
    return 2;
  }
  int imported = 0;
  auto w = (*st)->writer().run([&](store::Tx& tx) -> Status {
    auto n = planning::import_shifts(tx, accounts::system_principal(), *shifts);
    if (!n) return fail(n.error());
    imported = *n;
    return {};
  });
  if (!w) return fail_with(w.error());
  std::cout << "imported " << imported << " shifts from " << g_schedule_file << "\n";
  return 0;
}

}  // namespace

void register_extra_commands(CLI::App& app, std::string& db) {
  g_seed_cmd = app.add_subcommand("seed", "Fill a database with generated data");
  g_seed_cmd->add_flag("--demo", g_seed.demo, "the demo organization: 3 sites, 8 teams, ~120 agents, 90 days of tickets");
  g_seed_cmd->add_option("--seed", g_seed.seed, "random seed; the same seed gives the same data")->capture_default_str();
  g_seed_cmd->add_option("--scale", g_seed.scale, "1 gives ~150,000 tickets; 0.1 a tenth")->capture_default_str();
  g_seed_cmd->add_option("--days", g_seed.days, "days of history")->capture_default_str();
  g_seed_cmd->add_option("--db", db, "SQLite database")->capture_default_str();

  auto* automations = app.add_subcommand("automations", "Time-based automations");
  automations->require_subcommand(1);
  g_automations_run_cmd = automations->add_subcommand("run", "Run every active automation once over the open tickets");
  g_automations_run_cmd->add_option("--db", db, "SQLite database")->capture_default_str();
  g_automations_run_cmd->add_option("--at", g_automations.at, "evaluate as of this ISO-8601 time instead of now");
  g_automations_run_cmd->add_option("--public-url", g_automations.public_url, "base URL for {{ticket.url}}");

  g_staff_cmd = app.add_subcommand("staff", "Erlang C/A staffing: agents needed for a service-level or ASA target");
  g_staff_cmd->add_option("--volume", g_staff.args.volume, "contacts offered per interval")->required();
  g_staff_cmd->add_option("--interval", g_staff.args.interval, "interval length: 15m, 30m, 1h")->capture_default_str();
  g_staff_cmd->add_option("--aht", g_staff.args.aht, "average handle time: 180s, 3m")->required();
  g_staff_cmd->add_option("--target", g_staff.args.target, "service level: 80/20 = 80% answered within 20 s")
      ->capture_default_str();
  g_staff_cmd->add_option("--asa", g_staff.args.asa, "average-speed-of-answer target instead of --target, e.g. 30s");
  g_staff_cmd->add_option("--shrinkage", g_staff.args.shrinkage, "paid time unavailable for contacts: 30%")
      ->capture_default_str();
  g_staff_cmd->add_option("--patience", g_staff.args.patience, "mean customer patience (Erlang A with abandonment): 120s");
  g_staff_cmd->add_option("--channel", g_staff.args.channel, "voice, chat or email")->capture_default_str();
  g_staff_cmd->add_option("--concurrency", g_staff.args.concurrency, "chats per agent (chat only)");
  g_staff_cmd->add_option("--rows", g_staff.args.rows, "rows shown on each side of the answer")->capture_default_str();
  g_staff_cmd->add_option("--format", g_staff.format, "table, json or csv")->capture_default_str();

  auto* schedules = app.add_subcommand("schedules", "Agent schedules (shifts)");
  schedules->require_subcommand(1);
  g_schedules_import_cmd = schedules->add_subcommand(
      "import", "Import shifts from a CSV file (email,starts_at,ends_at,activity); nothing is imported unless every row is valid");
  g_schedules_import_cmd->add_option("FILE", g_schedule_file, "the CSV file")->required();
  g_schedules_import_cmd->add_option("--db", db, "SQLite database")->capture_default_str();
}

int run_extra_commands(CLI::App& app, const std::string& db) {
  (void)app;
  if (g_seed_cmd && g_seed_cmd->parsed()) return run_seed(db);
  if (g_staff_cmd && g_staff_cmd->parsed()) return run_staff();
  if (g_schedules_import_cmd && g_schedules_import_cmd->parsed()) return run_schedules_import(db);
  if (g_automations_run_cmd && g_automations_run_cmd->parsed()) return run_automations(db);
  std::cerr << "rapport: unknown command\n";
  return 2;
}

}  // namespace rapport::cli
