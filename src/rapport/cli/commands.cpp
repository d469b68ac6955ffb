#include <rapport/cli/commands.hpp>

#include <iostream>

#include <CLI/CLI.hpp>

namespace rapport::cli {

void register_extra_commands(CLI::App& app, std::string& db) { (void)app; (void)db; }

int run_extra_commands(CLI::App& app, const std::string& db) {
  (void)app;
  (void)db;
  std::cerr << "rapport: unknown command\n";
  return 2;
}

}  // namespace rapport::cli
