#include <rapport/workforce/parse.hpp>

#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace rapport::workforce {

namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// A plain non-negative decimal: digits with at most one '.', at least one digit.
std::optional<double> plain_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int digits = 0, dots = 0;
  for (char ch : s) {
    if (ch >= '0' && ch <= '9')
      ++digits;
    else if (ch == '.')
      ++dots;
    else
      return std::nullopt;
  }
  if (digits == 0 || dots > 1) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

Result<double> parse_duration(std::string_view text) {
  const std::string_view s = trim_spaces(text);
  const auto err = [&] {
    return Error::invalid("invalid duration " + quoted(text) +
                          ": expected seconds (\"90\") or a number with a unit s, m or h "
                          "(\"180s\", \"30m\", \"2h\")");
  };
  if (s.empty()) return fail(err());
  double unit = 1;
  std::string_view number = s;
  switch (s.back()) {
    case 's':
      unit = 1;
      number.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      number.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      number.remove_suffix(1);
      break;
    default:
      break;
  }
  auto v = plain_number(number);
  if (!v) return fail(err());
  return *v * unit;
}

Result<double> parse_fraction(std::string_view text) {
  const std::string_view s = trim_spaces(text);
  if (!s.empty() && s.back() == '%') {
    auto v = plain_number(s.substr(0, s.size() - 1));
    if (!v)
      return fail(Error::invalid("invalid percentage " + quoted(text) +
                                 ": expected a number followed by % (\"30%\")"));
    if (*v > 100)
      return fail(Error::invalid("invalid percentage " + quoted(text) + ": must be at most 100%"));
    return *v / 100;
  }
  auto v = plain_number(s);
  if (!v)
    return fail(Error::invalid("invalid fraction " + quoted(text) +
                               ": expected a percentage (\"30%\") or a fraction from 0 to 1 "
                               "(\"0.3\")"));
  if (*v > 1)
    return fail(Error::invalid("ambiguous fraction " + quoted(text) +
                               ": a bare number must be from 0 to 1; write \"" + std::string(s) +
                               "%\" for a percentage"));
  return *v;
}

Result<ServiceTarget> parse_service_target(std::string_view text) {
  const std::string_view s = trim_spaces(text);
  const auto slash = s.find('/');
  if (slash == std::string_view::npos || s.find('/', slash + 1) != std::string_view::npos)
    return fail(Error::invalid("invalid service level target " + quoted(text) +
                               ": expected PERCENT/SECONDS, e.g. \"80/20\" for 80% within 20 s"));
  std::string_view pct = trim_spaces(s.substr(0, slash));
  const std::string_view threshold = trim_spaces(s.substr(slash + 1));
  const bool has_percent_sign = !pct.empty() && pct.back() == '%';
  if (has_percent_sign) pct.remove_suffix(1);
  auto v = plain_number(pct);
  if (!v)
    return fail(Error::invalid("invalid service level target " + quoted(text) + ": " +
                               quoted(s.substr(0, slash)) +
                               " is not a percentage; expected e.g. \"80/20\""));
  if (*v <= 0 || *v >= 100)
    return fail(Error::invalid("invalid service level target " + quoted(text) +
                               ": the percentage must be above 0 and below 100"));
  if (*v < 1 && !has_percent_sign)
    return fail(Error::invalid("invalid service level target " + quoted(text) +
                               ": write the service level as a percentage, e.g. \"80/20\" "
                               "(or \"0.8%/20\" if you mean 0.8%)"));
  auto t = parse_duration(threshold);
  if (!t)
    return fail(Error::invalid("invalid service level target " + quoted(text) + ": threshold " +
                               quoted(threshold) +
                               " is not a duration; expected seconds (\"20\") or e.g. \"20s\", "
                               "\"1m\""));
  return ServiceTarget{*v / 100, *t};
}

Result<double> parse_volume(std::string_view text) {
  auto v = plain_number(trim_spaces(text));
  if (!v)
    return fail(Error::invalid("invalid volume " + quoted(text) +
                               ": expected a number of contacts >= 0, e.g. \"120\""));
  return *v;
}

Result<int> parse_concurrency(std::string_view text) {
  const std::string_view s = trim_spaces(text);
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 100)
    return fail(Error::invalid("invalid concurrency " + quoted(text) +
                               ": expected a whole number of chats per agent from 1 to 100"));
  return v;
}

}  // namespace rapport::workforce

namespace rapport::workforce {

Result<StaffingInput> staffing_input(const StaffingArgs& a) {
  StaffingInput in;
  auto named = [](const char* field, const Error& e) { return fail(Error::invalid(std::string(field) + ": " + e.message)); };
  if (a.volume.empty()) return fail(Error::invalid("volume: required (contacts per interval)"));
  if (a.aht.empty()) return fail(Error::invalid("aht: required (average handle time, e.g. 180s)"));
  auto volume = parse_volume(a.volume);
  if (!volume) return named("volume", volume.error());
  in.volume = *volume;
  auto interval = parse_duration(a.interval);
  if (!interval) return named("interval", interval.error());
  in.interval_s = *interval;
  auto aht = parse_duration(a.aht);
  if (!aht) return named("aht", aht.error());
  in.aht_s = *aht;
  if (!a.asa.empty()) {
    auto asa = parse_duration(a.asa);
    if (!asa) return named("asa", asa.error());
    in.target.asa_s = *asa;
  } else {
    auto t = parse_service_target(a.target);
    if (!t) return named("target", t.error());
    in.target.service_level = t->fraction;
    in.target.threshold_s = t->threshold_s;
  }
  auto shrink = parse_fraction(a.shrinkage);
  if (!shrink) return named("shrinkage", shrink.error());
  in.shrinkage = *shrink;
  if (!a.patience.empty()) {
    auto p = parse_duration(a.patience);
    if (!p) return named("patience", p.error());
    in.patience_s = *p;
  }
  if (a.channel == "chat") in.channel = Channel::chat;
  else if (a.channel == "email") in.channel = Channel::email;
  else if (a.channel != "voice") return fail(Error::invalid("channel: must be voice, chat or email"));
  if (!a.concurrency.empty()) {
    auto c = parse_concurrency(a.concurrency);
    if (!c) return named("concurrency", c.error());
    in.concurrency = *c;
  }
  in.rows_each_side = a.rows;
  return in;
}

}  // namespace rapport::workforce
