// Forecasts on synthetic series whose seasonality is known: the fit recovers it, the error on
// Poisson noise stays near the noise floor, the prediction band covers what it says, and the edge
// cases give a forecast or a clear error.
#include <rapport/workforce/forecast.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rapport::workforce {
namespace {

using ::testing::HasSubstr;

constexpr int k_m = 48;  // 30-minute intervals
constexpr std::array<double, 7> k_weekday{1.0, 0.95, 0.9, 0.92, 0.85, 0.4, 0.2};

// A two-humped working day (peaks near 10:00 and 15:00, quiet at night), as shares summing to 1.
std::vector<double> true_profile() {
  std::vector<double> p(k_m);
  for (int k = 0; k < k_m; ++k) {
    const double h = k / 2.0 + 0.25;
    p[k] = 0.01 + std::exp(-0.5 * std::pow((h - 10) / 1.8, 2)) +
           0.7 * std::exp(-0.5 * std::pow((h - 15) / 2.2, 2));
  }
  const double s = std::accumulate(p.begin(), p.end(), 0.0);
  for (auto& v : p) v /= s;
  return p;
}

// The expected volume of day d (Monday first) and interval k: base x weekday factor x profile,
// with the day's total growing by `growth` contacts per day.
double expected(int d, int k, double base, double growth = 0) {
  static const auto prof = true_profile();
  return (base * k_weekday[d % 7] + growth * d) * prof[k];
}

std::vector<double> series(int days, double base, double growth = 0) {
  std::vector<double> v;
  for (int d = 0; d < days; ++d)
    for (int k = 0; k < k_m; ++k) v.push_back(expected(d, k, base, growth));
  return v;
}

std::vector<double> poisson(const std::vector<double>& means, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> out;
  for (double m : means) out.push_back(std::poisson_distribution<int>(m)(rng));
  return out;
}

ForecastInput input(std::vector<double> history, int horizon = 28, int holdout = 2) {
  ForecastInput in;
  in.history = std::move(history);
  in.intervals_per_day = k_m;
  in.horizon_days = horizon;
  in.holdout_weeks = holdout;
  return in;
}

TEST(Forecast, NoiselessSeasonalSeriesIsReproduced) {
  const auto f = forecast_volume(input(series(8 * 7, 1500))).value();
  ASSERT_EQ(f.volume.size(), 28u * k_m);
  for (int h = 0; h < 28; ++h)
    for (int k = 0; k < k_m; ++k)
      EXPECT_NEAR(f.volume[h * k_m + k], expected(8 * 7 + h, k, 1500), 1e-6);
  ASSERT_TRUE(f.accuracy && f.accuracy->mape);
  EXPECT_LT(*f.accuracy->mape, 1e-9);
  EXPECT_LT(f.accuracy->smape, 1e-9);
  EXPECT_EQ(f.accuracy->intervals, 14 * k_m);
  EXPECT_EQ(f.accuracy->zero_actual_intervals, 0);
  // The weekly pattern is recovered: each weekday's profile is the true one.
  const auto prof = true_profile();
  for (int w = 0; w < 7; ++w)
    for (int k = 0; k < k_m; ++k) EXPECT_NEAR(f.profiles[w][k], prof[k], 1e-12);
}

TEST(Forecast, NoiselessTrendIsFollowed) {
  // Daily totals grow by 10 contacts a day: 4 weeks ahead is 280 more a day than at the end.
  const auto f = forecast_volume(input(series(6 * 7, 1500, 10), 28, 0)).value();
  for (int h = 0; h < 28; h += 5)
    for (int k = 0; k < k_m; k += 7)
      EXPECT_NEAR(f.volume[h * k_m + k], expected(6 * 7 + h, k, 1500, 10), 1e-6) << h << " " << k;
  EXPECT_EQ(f.params.phi, 1.0);
  EXPECT_FALSE(f.accuracy.has_value());
}

TEST(Forecast, PoissonNoiseForecastIsNearTheNoiseFloor) {
  // 12 weeks of Poisson counts around a known pattern (peak intervals about 45 contacts on a
  // Monday). The best possible forecast is the true mean; its expected absolute error per interval
  // is about sqrt(2 mean / pi) (the Poisson mean absolute deviation), which is the noise floor.
  const int days = 12 * 7;
  const auto truth = series(days, 1500);
  const auto f = forecast_volume(input(poisson(truth, 7))).value();
  double floor_abs = 0, floor_sum = 0;
  for (int d = days - 14; d < days; ++d)
    for (int k = 0; k < k_m; ++k) {
      floor_abs += std::sqrt(2 * expected(d, k, 1500) / M_PI);
      floor_sum += expected(d, k, 1500);
    }
  const double noise_floor = floor_abs / floor_sum;  // about 0.12 here
  ASSERT_TRUE(f.accuracy && f.accuracy->wape);
  // Stated bound: held-out WAPE within 25 % of the noise floor (fitting error on top of noise).
  EXPECT_LT(*f.accuracy->wape, 1.25 * noise_floor);
  EXPECT_GT(*f.accuracy->wape, 0.8 * noise_floor);  // it cannot beat the noise by much
  // The forecast's daily totals are within 4 % of the true means for every day of the horizon.
  for (int h = 0; h < 28; ++h) {
    double fsum = 0;
    for (int k = 0; k < k_m; ++k) fsum += f.volume[h * k_m + k];
    const double tsum = 1500 * k_weekday[(days + h) % 7];
    EXPECT_NEAR(fsum / tsum, 1.0, 0.04) << "day " << h;
  }
  // The intraday pattern: on weekdays (about 10,000 contacts in 8 weeks) each profile is within
  // a total variation distance of 0.1 of the true one.
  const auto prof = true_profile();
  for (int w = 0; w < 5; ++w) {
    double tv = 0;
    for (int k = 0; k < k_m; ++k) tv += std::abs(f.profiles[w][k] - prof[k]);
    EXPECT_LT(tv / 2, 0.1) << "weekday " << w;
  }
  EXPECT_NEAR(f.dispersion, 1.0, 0.15);  // Poisson: variance = mean
}

TEST(Forecast, PredictionBandCoversItsLevel) {
  // Fit on 12 weeks, then count how many of the next 2 weeks' actual counts fall in the band.
  const int days = 12 * 7, ahead = 14;
  const auto all = poisson(series(days + ahead, 1500), 11);
  const std::vector<double> history(all.begin(), all.begin() + days * k_m);
  for (double level : {0.8, 0.95}) {
    auto in = input(history, ahead, 0);
    in.interval_level = level;
    const auto f = forecast_volume(in).value();
    int inside = 0, n = 0;
    for (int i = 0; i < ahead * k_m; ++i) {
      const double a = all[days * k_m + i];
      EXPECT_LE(f.lower[i], f.volume[i]);
      EXPECT_GE(f.upper[i], f.volume[i]);
      inside += (a >= f.lower[i] && a <= f.upper[i]);
      ++n;
    }
    // 672 intervals: the coverage's own standard error is about 1.5 points; allow 6.
    EXPECT_NEAR(static_cast<double>(inside) / n, level, 0.06) << "level " << level;
  }
}

TEST(Forecast, AllZerosForecastsZeroAndHasNoPercentageError) {
  const auto f = forecast_volume(input(std::vector<double>(5 * 7 * k_m, 0.0))).value();
  for (std::size_t i = 0; i < f.volume.size(); ++i) {
    EXPECT_EQ(f.volume[i], 0);
    EXPECT_EQ(f.lower[i], 0);
    EXPECT_EQ(f.upper[i], 0);
  }
  ASSERT_TRUE(f.accuracy);
  EXPECT_FALSE(f.accuracy->mape.has_value());  // every actual was 0
  EXPECT_FALSE(f.accuracy->wape.has_value());
  EXPECT_EQ(f.accuracy->smape, 0);  // F = A = 0 is a perfect forecast
  EXPECT_EQ(f.accuracy->zero_actual_intervals, 14 * k_m);
}

TEST(Forecast, ZeroIntervalsAreLeftOutOfMapeButNotSmape) {
  // Nights without contacts: the profile is 0 there, and MAPE skips those intervals.
  auto h = series(6 * 7, 1500);
  for (std::size_t i = 0; i < h.size(); ++i)
    if (i % k_m < 12) h[i] = 0;  // 00:00-06:00
  const auto f = forecast_volume(input(h)).value();
  ASSERT_TRUE(f.accuracy);
  EXPECT_EQ(f.accuracy->zero_actual_intervals, 14 * 12);
  EXPECT_EQ(f.accuracy->intervals, 14 * k_m);
  EXPECT_LT(*f.accuracy->mape, 1e-9);
  EXPECT_LT(f.accuracy->smape, 1e-9);
  EXPECT_EQ(f.volume[3], 0);
}

TEST(Forecast, TooLittleHistoryNamesTheMinimum) {
  auto r = forecast_volume(input(series(20, 1500)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::invalid);
  EXPECT_EQ(r.error().message,
            "forecast needs at least 14 days of history before the 2 held-out weeks, i.e. 28 "
            "days; got 20");
  r = forecast_volume(input(series(13, 1500), 7, 0));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "forecast needs at least 14 days of history; got 13");
  EXPECT_TRUE(forecast_volume(input(series(14, 1500), 7, 0)));
}

TEST(Forecast, BadInputIsNamed) {
  auto in = input(series(28, 1500));
  in.history.pop_back();
  EXPECT_THAT(forecast_volume(in).error().message, HasSubstr("whole days of 48 intervals"));
  in = input(series(28, 1500));
  in.history[100] = -1;
  EXPECT_THAT(forecast_volume(in).error().message, HasSubstr("history interval 100"));
  in = input(series(28, 1500));
  in.holidays = {{5, 1, {}}, {5, 1, {}}};
  EXPECT_THAT(forecast_volume(in).error().message, HasSubstr("holiday day 5 is given twice"));
  in.holidays = {{28 + 28, 1, {}}};
  EXPECT_THAT(forecast_volume(in).error().message, HasSubstr("outside the history"));
  in.holidays = {{30, -0.5, {}}};
  EXPECT_THAT(forecast_volume(in).error().message, HasSubstr("holiday factor"));
  in = input(series(28, 1500));
  in.interval_level = 0.999;
  EXPECT_THAT(forecast_volume(in).error().message, HasSubstr("interval level"));
  in = input(series(28, 1500));
  in.horizon_days = 0;
  EXPECT_FALSE(forecast_volume(in));
}

TEST(Forecast, HolidayHistoryIsNotLearnedFrom) {
  // A Wednesday three weeks before the end had 10 % of its volume: marked as a holiday, the
  // forecast is the same as if the day had been ordinary; unmarked, the Wednesday season and the
  // profile learn the dip.
  const int days = 8 * 7;
  const int holiday = days - 19;  // a Wednesday (Monday = day 0)
  ASSERT_EQ(holiday % 7, 2);
  const auto clean = series(days, 1500);
  auto dipped = clean;
  for (int k = 0; k < k_m; ++k) dipped[holiday * k_m + k] *= 0.1;

  const auto base = forecast_volume(input(clean, 28, 0)).value();
  auto marked_in = input(dipped, 28, 0);
  marked_in.holidays = {{holiday, 1, {}}};
  const auto marked = forecast_volume(marked_in).value();
  const auto unmarked = forecast_volume(input(dipped, 28, 0)).value();
  double diff_marked = 0, diff_unmarked = 0;
  for (std::size_t i = 0; i < base.volume.size(); ++i) {
    diff_marked = std::max(diff_marked, std::abs(marked.volume[i] - base.volume[i]));
    diff_unmarked = std::max(diff_unmarked, std::abs(unmarked.volume[i] - base.volume[i]));
  }
  EXPECT_LT(diff_marked, 1e-6);
  EXPECT_GT(diff_unmarked, 0.5);
}

TEST(Forecast, HolidayInTheHorizonUsesItsFactorAndProfile) {
  // Sundays have their own shape here (evening only); a Tuesday holiday at 30 % like a Sunday.
  const int days = 6 * 7;
  auto h = series(days, 1500);
  for (int d = 6; d < days; d += 7)
    for (int k = 0; k < k_m; ++k) h[d * k_m + k] = k >= 36 ? 20 : 0;  // 18:00-24:00
  const int holiday = days + 8;  // Tuesday of the second forecast week
  auto in = input(h, 28, 0);
  in.holidays = {{holiday, 0.3, 6}};
  const auto f = forecast_volume(in).value();
  const auto ordinary = forecast_volume(input(h, 28, 0)).value();
  double hol_total = 0, ord_total = 0;
  for (int k = 0; k < k_m; ++k) {
    const std::size_t i = static_cast<std::size_t>(holiday - days) * k_m + k;
    hol_total += f.volume[i];
    ord_total += ordinary.volume[i];
    if (k < 36) {
      EXPECT_EQ(f.volume[i], 0) << k;  // the Sunday shape: nothing before 18:00
    }
  }
  EXPECT_NEAR(hol_total, 0.3 * ord_total, 1e-6);
  EXPECT_NEAR(ord_total, 1500 * 0.95, 1e-6);
}

}  // namespace
}  // namespace rapport::workforce
