#pragma once
// Contact-volume forecasts per interval with daily and weekly seasonality. Pure: no I/O, no clock.
//
// Method ("Holt-Winters on the weekly season with a daily profile"; docs/workforce.md):
//  1. Daily totals follow additive Holt-Winters with a damped trend and a 7-day season:
//       level_t  = alpha (y_t - season_{t-7}) + (1 - alpha) (level_{t-1} + phi trend_{t-1})
//       trend_t  = beta (level_t - level_{t-1}) + (1 - beta) phi trend_{t-1}
//       season_t = gamma (y_t - level_t) + (1 - gamma) season_{t-7}
//     forecast h days ahead = level + (phi + ... + phi^h) trend + season of that weekday, at least
//     0. Additive (not multiplicative) so that days with no contacts at all (a closed Sunday) need
//     no division by a zero season. alpha, beta, gamma and phi are chosen from a fixed grid (below)
//     by the smallest sum of squared one-day-ahead errors, so fitting costs a bounded k_grid_size x
//     days steps.
//  2. Each weekday has an intraday profile: the share of that weekday's volume in each interval,
//     summed over its last k_profile_weeks ordinary (non-holiday) occurrences. An interval's
//     forecast is the day's forecast total x its share.
//  3. Holidays: a holiday in the history is treated as missing (the Holt-Winters state passes over
//     it on its own forecast, and it is left out of the profiles and of the accuracy); a holiday in
//     the horizon gets `factor` x the ordinary day total, spread by the profile of `like_weekday`
//     (e.g. a Sunday's) or its own weekday's.
//  4. Prediction intervals: an interval's variance is dispersion x forecast (a quasi-Poisson
//     variance, the dispersion estimated from one-day-ahead in-sample residuals of the intervals)
//     plus share^2 x the growth of the daily total's variance with the horizon
//     (sigma_day^2 * sum_{j<h} c_j^2, c_j = alpha (1 + beta (phi + ... + phi^j)) + gamma [7 | j]).
//     The band is forecast +- z sqrt(variance), normal quantile z for the level, clipped at 0.
//  5. Accuracy: the model is fitted on the history without its last `holdout_weeks`, those weeks
//     are forecast and compared interval by interval (holidays left out). MAPE averages
//     |F - A| / A over intervals with A > 0 only (A = 0 has no percentage error; the count left out
//     is reported); sMAPE averages |F - A| / ((|A| + |F|) / 2) over all intervals, a term being 0
//     when A = F = 0; WAPE is sum |F - A| / sum A. The forecast itself is then refitted on the
//     whole history.
//
// The series is in the plan's local time: day d of the history is intervals
// [d * intervals_per_day, (d + 1) * intervals_per_day) and its weekday is
// (first_weekday + d) mod 7 (0 = Monday). Bucketing timestamps (and the 23- and 25-hour days of a
// DST change) is the caller's business.
#include <cstdint>
#include <optional>
#include <vector>

#include <rapport/base/error.hpp>

namespace rapport::workforce {

inline constexpr int k_min_fit_days = 14;            // two weeks to start a weekly season
inline constexpr int k_max_history_days = 2 * 371;   // about two years
inline constexpr int k_max_horizon_days = 26 * 7;    // half a year
inline constexpr int k_max_intervals_per_day = 288;  // 5-minute intervals
inline constexpr int k_max_holdout_weeks = 8;
inline constexpr int k_profile_weeks = 8;

struct Holiday {
  int day = 0;        // day index: 0 = the history's first day; >= history days: in the horizon
  double factor = 1;  // horizon only: the day's total is factor x the ordinary forecast, >= 0
  std::optional<int> like_weekday;  // horizon only: use this weekday's (0 = Monday) profile
};

struct ForecastInput {
  std::vector<double> history;  // contacts per interval, whole days, oldest first, each >= 0
  int intervals_per_day = 48;
  int first_weekday = 0;        // weekday of history day 0, 0 = Monday .. 6 = Sunday
  int horizon_days = 28;        // days to forecast after the history
  int holdout_weeks = 2;        // recent weeks held out to measure accuracy (0: none)
  double interval_level = 0.8;  // prediction interval coverage, in [0.5, 0.99]
  std::vector<Holiday> holidays;
};

struct HoltWintersParams {
  double alpha = 0, beta = 0, gamma = 0, phi = 1;
};

struct Accuracy {
  int weeks = 0;                  // held-out weeks compared
  int intervals = 0;              // intervals compared (holidays left out)
  int zero_actual_intervals = 0;  // intervals with no contacts: left out of MAPE only
  std::optional<double> mape;     // fraction (0.12 = 12 %); none when every actual was 0
  double smape = 0;               // fraction in [0, 2]
  std::optional<double> wape;     // sum |F - A| / sum A; none when sum A = 0
};

struct Forecast {
  std::vector<double> volume;        // horizon_days x intervals_per_day, contacts per interval
  std::vector<double> lower, upper;  // the prediction interval at `level`
  double level = 0.8;
  HoltWintersParams params;                   // fitted on the whole history
  std::vector<std::vector<double>> profiles;  // [weekday][interval] shares, each row sums to 1
  std::optional<Accuracy> accuracy;           // when holdout_weeks > 0
  double dispersion = 0;  // variance / mean of the one-day-ahead interval residuals
  int fitted_days = 0;    // history days used for the final fit (holidays included)
};

// Errors (Error::invalid, naming the field): a history that is not whole days, negative or
// non-finite volumes, intervals_per_day outside 1..288, too long a history or horizon, too little
// history ("needs at least 14 days of history before the 2 held-out weeks, i.e. 28 days; got 20"),
// a holiday outside history + horizon or with a negative factor, a level outside [0.5, 0.99].
Result<Forecast> forecast_volume(const ForecastInput& input);

// The Holt-Winters state after a fit, for tests and for the accuracy above.
struct DailyFit {
  HoltWintersParams params;
  double sse = 0;                // sum of squared one-day-ahead errors over ordinary days
  double sigma2 = 0;             // sse / (ordinary days - 1)
  std::vector<double> one_step;  // one-day-ahead forecast of each day (the fitted values)
  double level = 0, trend = 0;
  std::vector<double> season;  // by weekday, 0 = Monday
};

// Fits the daily model to `daily` (one total per day; `missing[d]` marks holidays) over the grid.
// `daily` must have at least k_min_fit_days days.
DailyFit fit_daily(const std::vector<double>& daily, const std::vector<bool>& missing,
                   int first_weekday);

// The inverse standard normal CDF (boost::math), for the band's z.
double normal_quantile(double p);

}  // namespace rapport::workforce
