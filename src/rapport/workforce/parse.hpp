#pragma once
// Parsers for the staffing command's arguments. Pure functions; a bad value gives Error::invalid
// whose message quotes the input and says what is accepted. Surrounding spaces are ignored;
// numbers are plain decimals ("1.5", "90"; no sign, no "inf" or "nan").
#include <string_view>

#include <rapport/base/error.hpp>

namespace rapport::workforce {

// Seconds from "90" (seconds), "180s", "30m", "2h" or "1.5h". >= 0.
Result<double> parse_duration(std::string_view text);

// A fraction in [0, 1] from "30%" or "0.3". A bare number above 1 ("30") is rejected as ambiguous.
Result<double> parse_fraction(std::string_view text);

struct ServiceTarget {
  double fraction = 0;     // in (0, 1)
  double threshold_s = 0;  // >= 0
};

// "80/20" (80 % within 20 s); also "80%/20s", "90/1m", "99.5/30". The percentage is written as a
// percentage, strictly between 0 and 100 (and at least 1 unless it has a "%", so "0.8/20" is
// rejected rather than read as 0.8 %); the threshold is a duration as in parse_duration.
Result<ServiceTarget> parse_service_target(std::string_view text);

// A count of contacts per interval: a finite number >= 0 ("120", "87.5" for a forecast).
Result<double> parse_volume(std::string_view text);

// Chats per agent: a whole number from 1 to 100.
Result<int> parse_concurrency(std::string_view text);

}  // namespace rapport::workforce

#include <optional>
#include <string>

#include <rapport/workforce/staffing.hpp>

namespace rapport::workforce {

// The staffing calculator's inputs as text, the way the CLI flags and the HTTP query give them.
struct StaffingArgs {
  std::string volume, interval = "30m", aht, target = "80/20", asa, shrinkage = "0", patience, concurrency,
      channel = "voice";
  int rows = 3;
};

// Parses and checks every field; the error names the field as the caller spelled it.
Result<StaffingInput> staffing_input(const StaffingArgs& args);

}  // namespace rapport::workforce
