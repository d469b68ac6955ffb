#include <rapport/base/log.hpp>

#include <string>

#include <pthread.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace rapport::log {
void setup(std::string_view level) {
  auto logger = spdlog::stderr_color_mt("rapport");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
}

void name_thread(const char* name) { pthread_setname_np(pthread_self(), name); }
}  // namespace rapport::log
