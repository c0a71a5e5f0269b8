// Histogram: a lock-free latency histogram with log-linear buckets (8 per power of two, so
// percentiles are within 12.5%). Recording is two relaxed atomic increments (bucket, sum;
// the count is the buckets' sum) and, rarely, a max or min update. Values are in
// any unit (the store records clock ticks); summary() converts with the units per ms.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "nadb/stats.hpp"

namespace nadb::obs {

class Histogram {
 public:
  // Thread-safe.
  void record(std::uint64_t value, bool error);
  // A consistent-enough summary (each counter is read once; concurrent records may straddle).
  OperationStats summary(double units_per_ms) const;

 private:
  static constexpr std::size_t kLinear = 16;
  static constexpr std::size_t kSubBuckets = 8;
  static constexpr std::size_t kBuckets = kLinear + 60 * kSubBuckets;
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_upper(std::size_t bucket);

  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> max_{0};
  std::atomic<std::uint64_t> min_{UINT64_MAX};
};

}  // namespace nadb::obs
