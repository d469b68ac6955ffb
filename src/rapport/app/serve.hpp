#pragma once
#include <rapport/app/config.hpp>
#include <rapport/email/intake.hpp>

namespace rapport::app {
// The email.* keys as intake's limits and rate limit (shared by serve and `rapport mail receive`).
Result<email::IntakeConfig> intake_config(const Config& c);

// Opens the store, starts the HTTP server and blocks until SIGTERM/SIGINT, then shuts down
// gracefully: stop accepting, finish in-flight requests, drain the write queue. Returns the exit code.
int serve(const Config& config);
}  // namespace rapport::app
