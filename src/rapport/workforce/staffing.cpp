#include <rapport/workforce/staffing.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <rapport/workforce/erlang.hpp>
#include <rapport/workforce/erlang_detail.hpp>

namespace rapport::workforce {

namespace {

using detail::format_number;

Error bad(const std::string& field, const std::string& rule, double got) {
  return detail::must_be(field, rule, got);
}

Status validate(const StaffingInput& in) {
  if (!std::isfinite(in.volume) || in.volume < 0)
    return fail(bad("volume", "a finite number of contacts >= 0", in.volume));
  if (!std::isfinite(in.interval_s) || in.interval_s <= 0)
    return fail(bad("interval", "a finite number of seconds > 0", in.interval_s));
  if (!std::isfinite(in.aht_s) || in.aht_s <= 0)
    return fail(bad("aht", "a finite number of seconds > 0", in.aht_s));
  const auto& t = in.target;
  if (t.service_level.has_value() == t.asa_s.has_value())
    return fail(Error::invalid(
        "target: give exactly one of a service level (e.g. 80% within 20 s) or an ASA"));
  if (t.service_level &&
      (!std::isfinite(*t.service_level) || *t.service_level <= 0 || *t.service_level >= 1))
    return fail(
        bad("service level target", "a fraction strictly between 0 and 1", *t.service_level));
  if (!std::isfinite(t.threshold_s) || t.threshold_s < 0)
    return fail(bad("service level threshold", "a finite number of seconds >= 0", t.threshold_s));
  if (t.asa_s && (!std::isfinite(*t.asa_s) || *t.asa_s <= 0))
    return fail(bad("ASA target", "a finite number of seconds > 0", *t.asa_s));
  if (!std::isfinite(in.shrinkage) || in.shrinkage < 0 || in.shrinkage >= 1)
    return fail(bad("shrinkage", "a fraction >= 0 and < 1", in.shrinkage));
  if (in.patience_s && (!std::isfinite(*in.patience_s) || *in.patience_s <= 0))
    return fail(bad("patience", "a finite number of seconds > 0", *in.patience_s));
  if (in.concurrency) {
    if (in.channel != Channel::chat)
      return fail(Error::invalid("concurrency applies only to the chat channel"));
    if (*in.concurrency < 1 || *in.concurrency > 100)
      return fail(
          bad("concurrency", "a whole number of chats per agent from 1 to 100", *in.concurrency));
  }
  if (in.rows_each_side < 0 || in.rows_each_side > 50)
    return fail(bad("rows_each_side", "a whole number from 0 to 50", in.rows_each_side));
  return {};
}

std::string approximation_for(const StaffingInput& in, int concurrency) {
  std::string s;
  if (in.patience_s)
    s = "Erlang A (M/M/N+M): Poisson arrivals, exponential handle times, exponential patience "
        "with mean " +
        format_number(*in.patience_s) +
        " s; service level counts abandoned contacts as not answered in time";
  else
    s = "Erlang C (M/M/N): Poisson arrivals, exponential handle times, no abandonment";
  if (in.channel == Channel::chat)
    s += "; chat: each agent modelled as " + std::to_string(concurrency) + " parallel server" +
         (concurrency == 1 ? "" : "s") +
         " (an approximation: concurrent chats slow each other, so the AHT must be the elapsed "
         "time per chat)";
  if (in.channel == Channel::email)
    s += "; email: modelled as a queue answered in arrival order with the response-time target "
         "of " +
         format_number(in.target.threshold_s) +
         " s as the threshold (an approximation: email does not abandon and its backlog can "
         "carry over to the next interval)";
  return s;
}

Result<StaffingRow> row_for(const StaffingInput& in, double traffic, int concurrency, int agents) {
  const long long servers = static_cast<long long>(agents) * concurrency;
  if (servers > k_max_servers)
    return fail(
        Error::invalid("more than " + std::to_string(k_max_servers) + " servers would be needed"));
  StaffingRow row;
  row.agents = agents;
  const double t = in.target.threshold_s;
  if (in.patience_s) {
    auto m = erlang_a_metrics(static_cast<int>(servers), traffic, in.aht_s, *in.patience_s, t);
    if (!m) return fail(m.error());
    row.service_level = m->service_level;
    row.asa_s = m->asa_s;
    row.p_wait = m->p_wait;
    row.occupancy = m->occupancy;
    row.abandonment = m->abandonment;
  } else {
    auto m = erlang_c_metrics(static_cast<int>(servers), traffic, in.aht_s, t);
    row.service_level = m.service_level;
    row.asa_s = m.asa_s;
    row.p_wait = m.p_wait;
    row.occupancy = m.occupancy;
  }
  return row;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string percent(double fraction) {
  return fixed(100 * fraction, 1) + "%";
}

// "20s", "30m", "4h": the forms parse_duration reads.
std::string short_duration(double seconds) {
  if (seconds >= 3600 && std::fmod(seconds, 3600) == 0) return format_number(seconds / 3600) + "h";
  if (seconds >= 60 && std::fmod(seconds, 60) == 0) return format_number(seconds / 60) + "m";
  return format_number(seconds) + "s";
}

}  // namespace

Result<StaffingTable> staffing_table(const StaffingInput& input) {
  if (auto s = validate(input); !s) return fail(s.error());
  const int c = input.concurrency.value_or(1);
  const double traffic = traffic_erlangs(input.volume, input.interval_s, input.aht_s);
  if (auto s = detail::check_traffic(traffic); !s) return fail(s.error());

  const auto& target = input.target;
  Result<int> servers = 0;
  if (input.patience_s)
    servers = target.service_level ? erlang_a_required_agents_for_service_level(
                                         traffic, input.aht_s, *input.patience_s,
                                         *target.service_level, target.threshold_s)
                                   : erlang_a_required_agents_for_asa(
                                         traffic, input.aht_s, *input.patience_s, *target.asa_s);
  else
    servers = target.service_level
                  ? required_agents_for_service_level(traffic, input.aht_s, *target.service_level,
                                                      target.threshold_s)
                  : required_agents_for_asa(traffic, input.aht_s, *target.asa_s);
  if (!servers) return fail(servers.error());

  StaffingTable table;
  table.input = input;
  table.traffic_erlangs = traffic;
  table.answer = (*servers + c - 1) / c;
  auto scheduled = scheduled_agents(table.answer, input.shrinkage);
  if (!scheduled) return fail(scheduled.error());
  table.scheduled = *scheduled;
  table.approximation = approximation_for(input, c);

  int lowest = 0;
  if (traffic > 0)
    lowest = input.patience_s ? 1 : std::max(1, static_cast<int>(std::ceil(traffic / c)));
  const int first = std::max(lowest, table.answer - input.rows_each_side);
  const int last = table.answer + input.rows_each_side;
  for (int n = first; n <= last; ++n) {
    auto row = row_for(input, traffic, c, n);
    if (!row) return fail(row.error());
    row->answer = n == table.answer;
    table.rows.push_back(*row);
  }
  return table;
}

Json to_json(const StaffingTable& table) {
  Json rows = Json::array();
  for (const auto& r : table.rows) {
    Json row = {{"agents", r.agents},
                {"service_level", r.service_level},
                {"asa_s", std::isfinite(r.asa_s) ? Json(r.asa_s) : Json(nullptr)},
                {"p_wait", r.p_wait},
                {"occupancy", r.occupancy},
                {"answer", r.answer}};
    if (r.abandonment) row["abandonment"] = *r.abandonment;
    rows.push_back(std::move(row));
  }
  return {{"answer", table.answer},
          {"scheduled", table.scheduled},
          {"traffic_erlangs", table.traffic_erlangs},
          {"approximation", table.approximation},
          {"rows", std::move(rows)}};
}

std::string render_text(const StaffingTable& table) {
  const auto& in = table.input;
  const bool with_abandonment = in.patience_s.has_value();
  std::string out;
  out += "Traffic: " + fixed(table.traffic_erlangs, 2) + " erlangs (" + format_number(in.volume) +
         " contacts per " + format_number(in.interval_s) + " s, AHT " + format_number(in.aht_s) +
         " s)\n";
  if (in.target.service_level)
    out += "Target: " + percent(*in.target.service_level) + " within " +
           short_duration(in.target.threshold_s) + "\n";
  else
    out += "Target: ASA <= " + short_duration(*in.target.asa_s) + "\n";
  out += "Required agents: " + std::to_string(table.answer) + "\n";
  out += "Scheduled agents: " + std::to_string(table.scheduled) + " (shrinkage " +
         percent(in.shrinkage) + ")\n";
  out += "Model: " + table.approximation + "\n\n";

  const std::string sl_header = "SL " + short_duration(in.target.threshold_s);
  out += pad_left("agents", 7) + pad_left(sl_header, 10) + pad_left("ASA s", 10) +
         pad_left("P(wait)", 9) + pad_left("occupancy", 11);
  if (with_abandonment) out += pad_left("abandon", 9);
  out += "\n";
  for (const auto& r : table.rows) {
    out += pad_left(std::to_string(r.agents), 7) + pad_left(percent(r.service_level), 10) +
           pad_left(std::isfinite(r.asa_s) ? fixed(r.asa_s, 1) : "inf", 10) +
           pad_left(percent(r.p_wait), 9) + pad_left(percent(r.occupancy), 11);
    if (with_abandonment) out += pad_left(percent(r.abandonment.value_or(0)), 9);
    if (r.answer) out += "  <- answer";
    out += "\n";
  }
  return out;
}

std::string render_csv(const StaffingTable& table) {
  const bool with_abandonment = table.input.patience_s.has_value();
  std::string out = "agents,service_level,asa_s,p_wait,occupancy";
  if (with_abandonment) out += ",abandonment";
  out += ",answer\n";
  for (const auto& r : table.rows) {
    out += std::to_string(r.agents) + "," + fixed(r.service_level, 6) + "," +
           (std::isfinite(r.asa_s) ? fixed(r.asa_s, 3) : "") + "," + fixed(r.p_wait, 6) + "," +
           fixed(r.occupancy, 6);
    if (with_abandonment) out += "," + fixed(r.abandonment.value_or(0), 6);
    out += r.answer ? ",true\n" : ",false\n";
  }
  return out;
}

}  // namespace rapport::workforce
