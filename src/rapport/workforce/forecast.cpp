#include <rapport/workforce/forecast.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <string>

#include <boost/math/distributions/normal.hpp>

#include <rapport/workforce/erlang_detail.hpp>

namespace rapport::workforce {

namespace {

using detail::format_number;

// The parameter grid. Small on purpose: 8 x 5 x 6 x 4 = 960 runs over the daily totals (at most
// 742 days), a few milliseconds, and the same answer every time (no random restarts).
constexpr std::array<double, 8> k_alphas{0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8};
constexpr std::array<double, 5> k_betas{0, 0.02, 0.05, 0.1, 0.2};
constexpr std::array<double, 6> k_gammas{0.05, 0.1, 0.2, 0.3, 0.5, 0.7};
// phi = 1 first: on a tie (a series the model fits exactly) the undamped trend wins.
constexpr std::array<double, 4> k_phis{1.0, 0.98, 0.95, 0.9};

int weekday_of(int first_weekday, int day) {
  return (first_weekday + day) % 7;
}

struct State {
  double level = 0, trend = 0;
  std::array<double, 7> season{};
};

// The starting state from the first two weeks: the mean, the week-over-week slope, and each
// weekday's mean offset from that sloped line (so a trend does not leak into the season).
State initial_state(const std::vector<double>& daily, const std::vector<bool>& missing,
                    int first_weekday) {
  double sum = 0, week_sum[2] = {0, 0};
  int count = 0, week_count[2] = {0, 0};
  for (int d = 0; d < k_min_fit_days; ++d) {
    if (missing[d]) continue;
    sum += daily[d];
    ++count;
    week_sum[d / 7] += daily[d];
    ++week_count[d / 7];
  }
  State s;
  const double mean = count ? sum / count : 0;
  const double slope = (week_count[0] && week_count[1])
                           ? (week_sum[1] / week_count[1] - week_sum[0] / week_count[0]) / 7
                           : 0;
  std::array<double, 7> offset{};
  std::array<int, 7> n{};
  for (int d = 0; d < k_min_fit_days; ++d) {
    if (missing[d]) continue;
    const int w = weekday_of(first_weekday, d);
    offset[w] += daily[d] - (mean + (d - 6.5) * slope);
    ++n[w];
  }
  for (int w = 0; w < 7; ++w) s.season[w] = n[w] ? offset[w] / n[w] : 0;
  // The level "before day 0", so that the first one-day-ahead forecast is the line at day 0.
  s.level = mean - 7.5 * slope;
  s.trend = slope;
  return s;
}

// One pass of the recursion. Returns the SSE over ordinary days; fills `one_step` if given.
double run(const std::vector<double>& daily, const std::vector<bool>& missing, int first_weekday,
           const HoltWintersParams& p, State& s, std::vector<double>* one_step) {
  double sse = 0;
  for (std::size_t d = 0; d < daily.size(); ++d) {
    const int w = weekday_of(first_weekday, static_cast<int>(d));
    const double predicted = s.level + p.phi * s.trend + s.season[w];
    if (one_step) (*one_step)[d] = predicted;
    // A holiday is missing: the state moves on as if the day had been its own forecast.
    const double y = missing[d] ? predicted : daily[d];
    if (!missing[d]) sse += (y - predicted) * (y - predicted);
    const double level = p.alpha * (y - s.season[w]) + (1 - p.alpha) * (s.level + p.phi * s.trend);
    s.trend = p.beta * (level - s.level) + (1 - p.beta) * p.phi * s.trend;
    s.season[w] = p.gamma * (y - level) + (1 - p.gamma) * s.season[w];
    s.level = level;
  }
  return sse;
}

// Each weekday's share of its volume per interval, over its last k_profile_weeks ordinary days
// before `end_day`. A weekday with no volume at all gets an even spread.
std::vector<std::vector<double>> profiles_of(const std::vector<double>& history, int m, int end_day,
                                             const std::vector<bool>& missing, int first_weekday) {
  std::vector<std::vector<double>> prof(7, std::vector<double>(static_cast<std::size_t>(m), 0));
  std::array<int, 7> used{};
  std::array<double, 7> total{};
  for (int d = end_day - 1; d >= 0; --d) {
    const int w = weekday_of(first_weekday, d);
    if (missing[d] || used[w] >= k_profile_weeks) continue;
    ++used[w];
    for (int k = 0; k < m; ++k) {
      const double v = history[static_cast<std::size_t>(d) * m + k];
      prof[w][k] += v;
      total[w] += v;
    }
  }
  for (int w = 0; w < 7; ++w)
    for (int k = 0; k < m; ++k) prof[w][k] = total[w] > 0 ? prof[w][k] / total[w] : 1.0 / m;
  return prof;
}

struct DayForecast {
  double total = 0;     // clipped at 0
  double variance = 0;  // of the daily total, h days ahead
};

// h = 1 .. days ahead of the fitted state.
std::vector<DayForecast> forecast_days(const DailyFit& fit, int last_day, int first_weekday,
                                       int days) {
  const auto& p = fit.params;
  std::vector<DayForecast> out(static_cast<std::size_t>(days));
  double damp = 0, var_sum = 1, phi_pow = 1, phi_sum_j = 0;
  for (int h = 1; h <= days; ++h) {
    phi_pow *= p.phi;
    damp += phi_pow;
    const int w = weekday_of(first_weekday, last_day + h);
    out[h - 1].total = std::max(0.0, fit.level + damp * fit.trend + fit.season[w]);
    out[h - 1].variance = fit.sigma2 * var_sum;
    // c_h for the next horizon: alpha (1 + beta (phi + ... + phi^h)) + gamma when 7 divides h.
    phi_sum_j += phi_pow;
    const double c = p.alpha * (1 + p.beta * phi_sum_j) + (h % 7 == 0 ? p.gamma : 0);
    var_sum += c * c;
  }
  return out;
}

Error invalid(const std::string& msg) {
  return Error::invalid(msg);
}

Status validate(const ForecastInput& in) {
  if (in.intervals_per_day < 1 || in.intervals_per_day > k_max_intervals_per_day)
    return fail(
        detail::must_be("intervals_per_day", "a whole number from 1 to 288", in.intervals_per_day));
  if (in.history.size() % static_cast<std::size_t>(in.intervals_per_day) != 0)
    return fail(invalid("history must be whole days of " + std::to_string(in.intervals_per_day) +
                        " intervals (got " + std::to_string(in.history.size()) + " intervals)"));
  for (std::size_t i = 0; i < in.history.size(); ++i)
    if (!std::isfinite(in.history[i]) || in.history[i] < 0)
      return fail(invalid("history interval " + std::to_string(i) +
                          " must be a finite count >= 0 (got " + format_number(in.history[i]) +
                          ")"));
  const int days = static_cast<int>(in.history.size() / in.intervals_per_day);
  if (days > k_max_history_days)
    return fail(invalid("history is limited to " + std::to_string(k_max_history_days) +
                        " days (got " + std::to_string(days) + ")"));
  if (in.first_weekday < 0 || in.first_weekday > 6)
    return fail(detail::must_be("first_weekday", "0 (Monday) to 6 (Sunday)", in.first_weekday));
  if (in.horizon_days < 1 || in.horizon_days > k_max_horizon_days)
    return fail(detail::must_be("horizon", "from 1 to 182 days", in.horizon_days));
  if (in.holdout_weeks < 0 || in.holdout_weeks > k_max_holdout_weeks)
    return fail(detail::must_be("holdout_weeks", "a whole number from 0 to 8", in.holdout_weeks));
  if (!(in.interval_level >= 0.5 && in.interval_level <= 0.99))
    return fail(
        detail::must_be("interval level", "a fraction from 0.5 to 0.99", in.interval_level));
  const int needed = k_min_fit_days + 7 * in.holdout_weeks;
  if (days < needed) {
    std::string msg =
        "forecast needs at least " + std::to_string(k_min_fit_days) + " days of history";
    if (in.holdout_weeks > 0)
      msg += " before the " + std::to_string(in.holdout_weeks) + " held-out week" +
             (in.holdout_weeks == 1 ? "" : "s") + ", i.e. " + std::to_string(needed) + " days";
    return fail(invalid(msg + "; got " + std::to_string(days)));
  }
  std::set<int> seen;
  for (const auto& h : in.holidays) {
    if (h.day < 0 || h.day >= days + in.horizon_days)
      return fail(invalid("holiday day " + std::to_string(h.day) +
                          " is outside the history and the horizon (0 to " +
                          std::to_string(days + in.horizon_days - 1) + ")"));
    if (!seen.insert(h.day).second)
      return fail(invalid("holiday day " + std::to_string(h.day) + " is given twice"));
    if (!std::isfinite(h.factor) || h.factor < 0 || h.factor > 100)
      return fail(detail::must_be("holiday factor", "a number from 0 to 100", h.factor));
    if (h.like_weekday && (*h.like_weekday < 0 || *h.like_weekday > 6))
      return fail(
          detail::must_be("holiday like_weekday", "0 (Monday) to 6 (Sunday)", *h.like_weekday));
  }
  return {};
}

std::vector<double> daily_totals(const std::vector<double>& history, int m, int days) {
  std::vector<double> daily(static_cast<std::size_t>(days), 0);
  for (int d = 0; d < days; ++d)
    for (int k = 0; k < m; ++k) daily[d] += history[static_cast<std::size_t>(d) * m + k];
  return daily;
}

}  // namespace

double normal_quantile(double p) {
  return boost::math::quantile(boost::math::normal_distribution<double>(), p);
}

DailyFit fit_daily(const std::vector<double>& daily, const std::vector<bool>& missing,
                   int first_weekday) {
  const State start = initial_state(daily, missing, first_weekday);
  DailyFit best;
  best.sse = std::numeric_limits<double>::infinity();
  for (double a : k_alphas)
    for (double b : k_betas)
      for (double g : k_gammas)
        for (double phi : k_phis) {
          const HoltWintersParams p{a, b, g, phi};
          State s = start;
          const double sse = run(daily, missing, first_weekday, p, s, nullptr);
          // Only a real improvement replaces the best, not a difference in the last bits.
          if (sse < best.sse * (1 - 1e-9)) {
            best.sse = sse;
            best.params = p;
          }
        }
  State s = start;
  best.one_step.assign(daily.size(), 0);
  run(daily, missing, first_weekday, best.params, s, &best.one_step);
  best.level = s.level;
  best.trend = s.trend;
  best.season.assign(s.season.begin(), s.season.end());
  const auto ordinary = std::count(missing.begin(), missing.end(), false);
  best.sigma2 = ordinary > 1 ? best.sse / static_cast<double>(ordinary - 1) : 0;
  return best;
}

Result<Forecast> forecast_volume(const ForecastInput& in) {
  if (auto ok = validate(in); !ok) return fail(ok.error());
  const int m = in.intervals_per_day;
  const int days = static_cast<int>(in.history.size() / m);
  std::vector<bool> missing(static_cast<std::size_t>(days), false);
  for (const auto& h : in.holidays)
    if (h.day < days) missing[h.day] = true;
  const std::vector<double> daily = daily_totals(in.history, m, days);

  Forecast out;
  out.level = in.interval_level;

  // Accuracy: fit without the held-out weeks, forecast them, compare interval by interval.
  if (in.holdout_weeks > 0) {
    const int train = days - 7 * in.holdout_weeks;
    const std::vector<double> tdaily(daily.begin(), daily.begin() + train);
    const std::vector<bool> tmissing(missing.begin(), missing.begin() + train);
    const DailyFit fit = fit_daily(tdaily, tmissing, in.first_weekday);
    const auto prof = profiles_of(in.history, m, train, missing, in.first_weekday);
    const auto ahead = forecast_days(fit, train - 1, in.first_weekday, days - train);
    Accuracy acc;
    acc.weeks = in.holdout_weeks;
    double ape_sum = 0, sape_sum = 0, abs_err = 0, actual_sum = 0;
    int ape_n = 0;
    for (int d = train; d < days; ++d) {
      if (missing[d]) continue;
      const int w = weekday_of(in.first_weekday, d);
      for (int k = 0; k < m; ++k) {
        const double f = ahead[d - train].total * prof[w][k];
        const double a = in.history[static_cast<std::size_t>(d) * m + k];
        const double e = std::abs(f - a);
        ++acc.intervals;
        abs_err += e;
        actual_sum += a;
        if (a > 0) {
          ape_sum += e / a;
          ++ape_n;
        } else {
          ++acc.zero_actual_intervals;
        }
        if (a + f > 0) sape_sum += e / ((a + f) / 2);
      }
    }
    if (ape_n > 0) acc.mape = ape_sum / ape_n;
    if (acc.intervals > 0) acc.smape = sape_sum / acc.intervals;
    if (actual_sum > 0) acc.wape = abs_err / actual_sum;
    out.accuracy = acc;
  }

  // The forecast: the whole history.
  const DailyFit fit = fit_daily(daily, missing, in.first_weekday);
  out.params = fit.params;
  out.fitted_days = days;
  out.profiles = profiles_of(in.history, m, days, missing, in.first_weekday);

  // Dispersion of the split of a day's actual total over its intervals (quasi-Poisson): sum of
  // squared residuals over sum of expected counts, over ordinary days.
  double r2 = 0, expected = 0;
  for (int d = 0; d < days; ++d) {
    if (missing[d]) continue;
    const int w = weekday_of(in.first_weekday, d);
    for (int k = 0; k < m; ++k) {
      const double e = daily[d] * out.profiles[w][k];
      const double r = in.history[static_cast<std::size_t>(d) * m + k] - e;
      r2 += r * r;
      expected += e;
    }
  }
  out.dispersion = expected > 0 ? r2 / expected : 0;

  const auto ahead = forecast_days(fit, days - 1, in.first_weekday, in.horizon_days);
  const double z = normal_quantile(0.5 + in.interval_level / 2);
  const std::size_t n = static_cast<std::size_t>(in.horizon_days) * m;
  out.volume.assign(n, 0);
  out.lower.assign(n, 0);
  out.upper.assign(n, 0);
  for (int h = 0; h < in.horizon_days; ++h) {
    const int day = days + h;
    int w = weekday_of(in.first_weekday, day);
    double factor = 1;
    for (const auto& hol : in.holidays)
      if (hol.day == day) {
        factor = hol.factor;
        if (hol.like_weekday) w = *hol.like_weekday;
      }
    const double total = ahead[h].total * factor;
    const double day_var = ahead[h].variance * factor * factor;
    for (int k = 0; k < m; ++k) {
      const double share = out.profiles[w][k];
      const double f = total * share;
      const double sd = std::sqrt(out.dispersion * f + share * share * day_var);
      const std::size_t i = static_cast<std::size_t>(h) * m + k;
      out.volume[i] = f;
      out.lower[i] = std::max(0.0, f - z * sd);
      out.upper[i] = f + z * sd;
    }
  }
  return out;
}

}  // namespace rapport::workforce
