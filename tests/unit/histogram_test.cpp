#include "obs/histogram.hpp"

#include <gtest/gtest.h>

#include <thread>

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
