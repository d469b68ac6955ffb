#pragma once
// A staffing table for one interval: the required agents for a target, the agents to schedule after
// shrinkage, and the queue figures for agent counts around the answer, with JSON, text and CSV
// renderers. Pure: no I/O.
#include <optional>
#include <string>
#include <vector>

#include <rapport/base/error.hpp>
#include <rapport/base/json.hpp>

namespace rapport::workforce {

enum class Channel {
  voice,  // Erlang C, or Erlang A with patience
  chat,   // with concurrency c, an agent is modelled as c servers (an approximation)
  email,  // a queue with the response-time target as the threshold (an approximation)
};

// Exactly one of service_level and asa_s must be set.
struct StaffingTarget {
  std::optional<double> service_level;  // fraction in (0, 1) answered within threshold_s
  double threshold_s = 20;              // T; with an ASA target, the T the table reports on
  std::optional<double> asa_s;          // average speed of answer, seconds > 0
};

struct StaffingInput {
  double volume = 0;         // contacts offered per interval, >= 0
  double interval_s = 1800;  // interval length, seconds > 0
  double aht_s = 0;          // average handle time, seconds > 0 (for chat: elapsed time per chat)
  StaffingTarget target;
  double shrinkage = 0;              // fraction in [0, 1)
  std::optional<double> patience_s;  // mean patience, seconds > 0: Erlang A instead of Erlang C
  std::optional<int> concurrency;    // chats per agent, 1..100 (only with Channel::chat)
  Channel channel = Channel::voice;
  int rows_each_side = 3;  // rows for answer - k .. answer + k, 0..50
};

struct StaffingRow {
  int agents = 0;
  double service_level = 0;  // fraction within threshold_s
  double asa_s = 0;          // seconds; +infinity when Erlang C has N <= A
  double p_wait = 0;
  double occupancy = 0;
  std::optional<double> abandonment;  // only with patience (Erlang A)
  bool answer = false;
};

struct StaffingTable {
  int answer = 0;     // required agents (not servers: with concurrency c an agent is c servers)
  int scheduled = 0;  // ceil(answer / (1 - shrinkage))
  double traffic_erlangs = 0;
  std::string approximation;  // the model used and what it leaves out
  std::vector<StaffingRow> rows;
  StaffingInput input;  // as validated, for the renderers
};

// Validates the input (Error::invalid naming the field and the value) and builds the table. Rows
// run from answer - rows_each_side to answer + rows_each_side, but not below the smallest count
// the model can describe: ceil(A / c) and at least 1 agent for Erlang C, 1 for Erlang A; 0 when
// there is no traffic (answer 0).
Result<StaffingTable> staffing_table(const StaffingInput& input);

// {"answer": N, "scheduled": M, "traffic_erlangs": A, "approximation": "...",
//  "rows": [{"agents", "service_level", "asa_s", "p_wait", "occupancy", ["abandonment"],
//  "answer"}]}
// Fractions in 0..1, times in seconds; an infinite ASA is null; "abandonment" only with patience;
// "answer" is true on the answer row and false on the others.
Json to_json(const StaffingTable& table);

// A fixed-width table for a terminal, percentages with one decimal, the answer row marked
// "<- answer", preceded by the traffic, the answer, the scheduled count and the approximation.
std::string render_text(const StaffingTable& table);

// CSV with a header row: agents,service_level,asa_s,p_wait,occupancy[,abandonment],answer.
// Fractions as 0..1 with 6 decimals, ASA in seconds with 3; an infinite ASA is an empty field.
std::string render_csv(const StaffingTable& table);

}  // namespace rapport::workforce
