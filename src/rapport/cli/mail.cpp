#include <rapport/cli/mail.hpp>

#include <sysexits.h>

#include <iostream>
#include <iterator>

#include <CLI/CLI.hpp>

#include <rapport/app/config.hpp>
#include <rapport/app/serve.hpp>
#include <rapport/email/intake.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/store/store.hpp>

namespace rapport::cli {

namespace {

struct ReceiveArgs {
  std::string db, config, mailbox;
};
ReceiveArgs g_receive;
CLI::App* g_receive_cmd = nullptr;

// The exit codes MTAs act on (sysexits.h): 65 bounces the message, 75 retries it later.
int receive() {
  auto cfg = app::Config::load(g_receive.config);
  if (!cfg) {
    std::cerr << "rapport: " << cfg.error().message << "\n";
    return EX_CONFIG;
  }
  if (!g_receive.db.empty()) cfg->set("store.db", g_receive.db);
  auto intake = app::intake_config(*cfg);
  if (!intake) {
    std::cerr << "rapport: " << intake.error().message << "\n";
    return EX_CONFIG;
  }
  // Read at most one byte over the limit: enough to know the message is too large.
  std::string raw;
  std::size_t limit = intake->limits.max_message_bytes;
  char buf[65536];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    raw.append(buf, static_cast<std::size_t>(std::cin.gcount()));
    if (raw.size() > limit) {
      std::cerr << "rapport: message rejected: it is larger than " << limit << " bytes (email.max_message_bytes)\n";
      return EX_DATAERR;
    }
  }
  auto parsed = email::parse_message(raw, intake->limits);
  if (!parsed) {
    std::cerr << "rapport: message rejected: " << parsed.error().message << "\n";
    return EX_DATAERR;
  }
  store::StoreOptions so;
  so.read_connections = 1;
  auto st = store::Store::open(cfg->str("store.db"), so);
  if (!st) {
    std::cerr << "rapport: the store is unavailable, try again later: " << st.error().message << "\n";
    return EX_TEMPFAIL;
  }
  email::IngestResult out;
  email::IngestOptions opts{g_receive.mailbox};
  auto done = (*st)->writer().run([&](store::Tx& tx) -> Status {
    auto r = email::ingest(tx, *parsed, raw, *intake, opts);
    if (!r) return fail(r.error());
    out = *r;
    return {};
  });
  if (!done) {
    if (done.error().code == ErrorCode::validation) {
      std::cerr << "rapport: message rejected: " << done.error().message << "\n";
      return EX_DATAERR;
    }
    // Anything else (a locked or full database, a bug) must not lose the message: the MTA keeps
    // it and tries again.
    std::cerr << "rapport: could not store the message, try again later: " << done.error().message << "\n";
    return EX_TEMPFAIL;
  }
  std::cout << out.outcome;
  if (out.ticket_id) std::cout << " ticket=" << *out.ticket_id;
  if (out.comment_id) std::cout << " comment=" << *out.comment_id;
  std::cout << " message_id=" << out.message_id << "\n";
  return EX_OK;
}

}  // namespace

void register_mail_commands(CLI::App& app) {
  auto* mail = app.add_subcommand("mail", "Email channel commands");
  mail->require_subcommand(1);
  g_receive_cmd = mail->add_subcommand(
      "receive", "Store one raw message from stdin as a ticket or comment (for MTAs that deliver to a program). "
                 "Exit 0 stored, 65 rejected (reason on stderr), 75 try again later");
  g_receive_cmd->add_option("--db", g_receive.db, "SQLite database (store.db)");
  g_receive_cmd->add_option("--config", g_receive.config, "TOML configuration file (for the email.* limits)");
  g_receive_cmd->add_option("--mailbox", g_receive.mailbox, "the support address the message was delivered to");
}

int run_mail_commands() {
  if (g_receive_cmd && g_receive_cmd->parsed()) return receive();
  return -1;
}

}  // namespace rapport::cli
