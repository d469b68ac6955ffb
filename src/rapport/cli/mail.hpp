#pragma once
// `rapport mail ...`: mail commands for MTAs and operators.
#include <string>

namespace CLI {
class App;
}

namespace rapport::cli {
void register_mail_commands(CLI::App& app);
// The exit code when a mail command was parsed; -1 otherwise.
int run_mail_commands();
}  // namespace rapport::cli
