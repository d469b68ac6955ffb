#pragma once
#include <rapport/app/config.hpp>

namespace rapport::app {
// Opens the store, starts the HTTP server and blocks until SIGTERM/SIGINT, then shuts down
// gracefully: stop accepting, finish in-flight requests, drain the write queue. Returns the exit code.
int serve(const Config& config);
}  // namespace rapport::app
