#pragma once
// Sub-commands beyond the core administration ones: seed (demo data) and staff (Erlang C).
#include <string>

namespace CLI {
class App;
}

namespace rapport::cli {
void register_extra_commands(CLI::App& app, std::string& db);
// Runs whichever extra command was parsed; returns its exit code.
int run_extra_commands(CLI::App& app, const std::string& db);
}  // namespace rapport::cli
