#include "obs/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace nadb::obs {
namespace {

TEST(Histogram, PercentilesWithinBucketPrecision) {
  Histogram h;
  for (std::uint64_t us = 1; us <= 1000; ++us)
    h.record(us, false);
  OperationStats s = h.summary(1000.0);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_NEAR(s.avg_ms, 0.5005, 1e-9);
  EXPECT_NEAR(s.p50_ms, 0.500, 0.500 * 0.125);
  EXPECT_NEAR(s.p95_ms, 0.950, 0.950 * 0.125);
  EXPECT_NEAR(s.p99_ms, 0.990, 0.990 * 0.125);
  EXPECT_DOUBLE_EQ(s.max_ms, 1.0);
  EXPECT_DOUBLE_EQ(s.min_ms, 0.001);
}

TEST(Histogram, MinimumIsExactAndZeroWhenEmpty) {
  Histogram h;
  EXPECT_DOUBLE_EQ(h.summary(1.0).min_ms, 0.0);
  for (std::uint64_t v : {5000, 123457, 777, 90000})
    h.record(v, false);
  EXPECT_DOUBLE_EQ(h.summary(1.0).min_ms, 777.0);
}

// The exact nearest-rank percentile of samples: the smallest value with at least percent% of
// the samples at or below it.
std::uint64_t exact_percentile(std::vector<std::uint64_t> samples, std::uint64_t percent) {
  std::sort(samples.begin(), samples.end());
  std::size_t rank = std::max<std::size_t>(1, (samples.size() * percent + 99) / 100);
  return samples[rank - 1];
}

TEST(Histogram, PercentilesAreNeverBelowTheExactOnesAndAtMostABucketAbove) {
  std::mt19937_64 rng(20261206);
  for (int round = 0; round < 200; ++round) {
    // Few samples to many, spread over six orders of magnitude (log-uniform).
    std::size_t n = 1 + rng() % (round < 100 ? 20 : 5000);
    std::vector<std::uint64_t> samples;
    Histogram h;
    for (std::size_t i = 0; i < n; ++i) {
      double exponent = std::uniform_real_distribution<double>(0, 20)(rng);
      samples.push_back(static_cast<std::uint64_t>(std::exp2(exponent)));
      h.record(samples.back(), false);
    }
    OperationStats s = h.summary(1.0);
    std::vector<std::pair<std::uint64_t, double>> reported = {
        {50, s.p50_ms}, {95, s.p95_ms}, {99, s.p99_ms}};
    for (auto [percent, value] : reported) {
      auto exact = static_cast<double>(exact_percentile(samples, percent));
      EXPECT_GE(value, exact) << "p" << percent << " of " << n << " samples";
      EXPECT_LE(value, exact * 1.125) << "p" << percent << " of " << n << " samples";
    }
  }
}

TEST(Histogram, FourSamplesReportTheirMaximumAsP95AndP99) {
  Histogram h;
  for (std::uint64_t us : {9000, 11000, 13000, 41700})
    h.record(us, false);
  OperationStats s = h.summary(1000.0);
  EXPECT_DOUBLE_EQ(s.p95_ms, 41.7);
  EXPECT_DOUBLE_EQ(s.p99_ms, 41.7);
  EXPECT_DOUBLE_EQ(s.max_ms, 41.7);
  EXPECT_GE(s.p50_ms, 11.0);
}

TEST(Histogram, CountsErrorsAndConcurrentRecords) {
  Histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i)
        h.record(static_cast<std::uint64_t>(i), i % 10 == 0);
    });
  }
  for (auto& t : threads)
    t.join();
  OperationStats s = h.summary(1000.0);
  EXPECT_EQ(s.count, 40000u);
  EXPECT_EQ(s.errors, 4000u);
}

TEST(Histogram, EmptyIsAllZero) {
  OperationStats s = Histogram().summary(1000.0);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p99_ms, 0.0);
}

}  // namespace
}  // namespace nadb::obs
