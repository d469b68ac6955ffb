#pragma once
// Configuration: defaults, then a TOML file (a section per module), then RAPPORT_* environment
// variables (key "api.rate_limit_per_minute" -> RAPPORT_API_RATE_LIMIT_PER_MINUTE), then
// command-line flags. Every key is listed once, in config.cpp, with its meaning.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>

namespace rapport::app {

struct ConfigKey {
  std::string name;         // "server.listen"
  std::string default_value;
  std::string description;
};

const std::vector<ConfigKey>& config_keys();
// "RAPPORT_SERVER_LISTEN" for "server.listen".
std::string env_name(const std::string& key);
// The text `rapport serve --help` shows after the flags.
std::string config_help();

class Config {
 public:
  // Loads defaults, the TOML file (if `path` is non-empty) and the environment.
  static Result<Config> load(const std::string& path);
  void set(const std::string& key, const std::string& value) { m_values[key] = value; }
  std::string str(const std::string& key) const;
  Result<int64_t> integer(const std::string& key) const;
  Result<bool> boolean(const std::string& key) const;

 private:
  std::map<std::string, std::string> m_values;
};

}  // namespace rapport::app
