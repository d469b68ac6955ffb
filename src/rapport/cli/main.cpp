#include <rapport/cli/main.hpp>

#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <rapport/accounts/auth.hpp>
#include <rapport/accounts/users.hpp>
#include <rapport/app/config.hpp>
#include <rapport/app/serve.hpp>
#include <rapport/base/crypto.hpp>
#include <rapport/base/log.hpp>
#include <rapport/base/time.hpp>
#include <rapport/cli/commands.hpp>
#include <rapport/cli/mail.hpp>
#include <rapport/store/migrate.hpp>
#include <rapport/store/store.hpp>

namespace rapport::cli {

namespace {

int report(const Error& e) {
  std::cerr << "rapport: " << e.message;
  for (const auto& [field, errs] : e.details) {
    for (const auto& fe : errs) std::cerr << "\n  " << field << ": " << fe.description;
  }
  std::cerr << "\n";
  return e.code == ErrorCode::invalid || e.code == ErrorCode::validation ? 2 : 1;
}

Result<std::unique_ptr<store::Store>> open_store(const std::string& db) {
  store::StoreOptions o;
  o.read_connections = 2;
  return store::Store::open(db, o);
}

}  // namespace

int main(int argc, char** argv) {
  crypto::init();
  CLI::App app{"Rapport: customer service with agent-level feedback, QA and workforce planning"};
  app.require_subcommand(1);
  std::string db = "data/rapport.db";

  // serve
  auto* serve = app.add_subcommand("serve", "Run the HTTP server");
  std::string config_path, listen, web_root;
  std::string serve_db;
  serve->add_option("--config", config_path, "TOML configuration file");
  serve->add_option("--db", serve_db, "SQLite database (store.db)");
  serve->add_option("--listen", listen, "HOST:PORT (server.listen)");
  serve->add_option("--web-root", web_root, "directory of the built web UI (server.web_root)");
  serve->footer(app::config_help());

  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations and exit");
  migrate->add_option("--db", db, "SQLite database")->capture_default_str();

  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_create = user->add_subcommand("create", "Create a user");
  std::string email, name, role = "agent", password, rapport_role;
  user_create->add_option("--db", db, "SQLite database")->capture_default_str();
  user_create->add_option("--email", email, "email address")->required();
  user_create->add_option("--name", name, "display name")->required();
  user_create->add_option("--role", role, "end-user, agent, admin, or a Rapport role: team_lead, qa, manager")
      ->capture_default_str();
  user_create->add_option("--password", password, "password for the web UI and Basic auth (at least 8 characters)");

  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create an API token; prints it alone on stdout");
  std::string token_desc = "created with the CLI";
  token_create->add_option("--db", db, "SQLite database")->capture_default_str();
  token_create->add_option("--email", email, "the user the token belongs to")->required();
  token_create->add_option("--description", token_desc, "what the token is for");
  auto* token_list = token->add_subcommand("list", "List a user's API tokens (id, created, revoked, description)");
  token_list->add_option("--db", db, "SQLite database")->capture_default_str();
  token_list->add_option("--email", email, "the user whose tokens to list")->required();
  auto* token_revoke = token->add_subcommand("revoke", "Revoke an API token; a running server refuses it at once");
  int64_t token_id = 0;
  token_revoke->add_option("--db", db, "SQLite database")->capture_default_str();
  token_revoke->add_option("--id", token_id, "the token's id (from `token list`)")->required();

  auto* backup = app.add_subcommand("backup", "Write a consistent online copy of the database");
  std::string backup_path;
  backup->add_option("path", backup_path, "destination file")->required();
  backup->add_option("--db", db, "SQLite database")->capture_default_str();

  register_extra_commands(app, db);
  register_mail_commands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (serve->parsed()) {
    auto cfg = app::Config::load(config_path);
    if (!cfg) return report(cfg.error());
    if (!serve_db.empty()) cfg->set("store.db", serve_db);
    if (!listen.empty()) cfg->set("server.listen", listen);
    if (!web_root.empty()) cfg->set("server.web_root", web_root);
    log::setup(cfg->str("log.level"));
    return app::serve(*cfg);
  }
  log::setup("warn");
  if (int rc = run_mail_commands(); rc >= 0) return rc;
  if (migrate->parsed()) {
    auto s = open_store(db);  // opening applies the migrations
    if (!s) return report(s.error());
    std::cout << "database " << db << " is up to date\n";
    return 0;
  }
  if (user_create->parsed()) {
    auto s = open_store(db);
    if (!s) return report(s.error());
    Json in = {{"email", email}, {"name", name}, {"verified", true}};
    if (auto rr = domain::parse_rapport_role(role); rr && *rr != domain::RapportRole::none) {
      in["role"] = "agent";
      in["rapport_role"] = role;
    } else {
      in["role"] = role;
    }
    if (!password.empty()) in["password"] = password;
    domain::User created;
    auto st = (*s)->writer().run([&](store::Tx& tx) -> Status {
      auto u = accounts::create_user(tx, in, accounts::system_principal());
      if (!u) return fail(u.error());
      created = *u;
      return {};
    });
    if (!st) return report(st.error());
    std::cout << "created user " << created.id << " <" << email << "> role " << created.role
              << (created.rapport_role.empty() ? "" : "/" + created.rapport_role) << "\n";
    return 0;
  }
  if (token_create->parsed()) {
    auto s = open_store(db);
    if (!s) return report(s.error());
    std::string t;
    auto st = (*s)->writer().run([&](store::Tx& tx) -> Status {
      auto r = accounts::create_token(tx, email, token_desc);
      if (!r) return fail(r.error());
      t = *r;
      return {};
    });
    if (!st) return report(st.error());
    std::cout << t << "\n";
    return 0;
  }
  if (token_list->parsed()) {
    auto s = open_store(db);
    if (!s) return report(s.error());
    auto tokens = (*s)->read([&](store::Conn& conn) { return accounts::list_tokens(conn, email); });
    if (!tokens) return report(tokens.error());
    for (const auto& t : *tokens)
      std::cout << t.id << "\t" << iso8601(t.created_at) << "\t"
                << (t.revoked_at ? "revoked " + iso8601(*t.revoked_at) : std::string("active")) << "\t"
                << t.description << "\n";
    return 0;
  }
  if (token_revoke->parsed()) {
    auto s = open_store(db);
    if (!s) return report(s.error());
    auto st = (*s)->writer().run([&](store::Tx& tx) { return accounts::revoke_token(tx, token_id); });
    if (!st) return report(st.error());
    std::cout << "revoked token " << token_id << "\n";
    return 0;
  }
  if (backup->parsed()) {
    auto s = open_store(db);
    if (!s) return report(s.error());
    if (auto st = (*s)->backup(backup_path); !st) return report(st.error());
    std::cout << "backed up " << db << " to " << backup_path << "\n";
    return 0;
  }
  return run_extra_commands(app, db);
}

}  // namespace rapport::cli
