#include "obs/histogram.hpp"

#include <algorithm>
#include <bit>

namespace nadb::obs {

std::size_t Histogram::bucket_of(std::uint64_t v) {
  if (v < kLinear) return static_cast<std::size_t>(v);
  auto exponent = static_cast<std::size_t>(std::bit_width(v) - 1);  // >= 4
  std::size_t sub = static_cast<std::size_t>(v >> (exponent - 3)) & (kSubBuckets - 1);
  std::size_t bucket = kLinear + (exponent - 4) * kSubBuckets + sub;
  return bucket < kBuckets ? bucket : kBuckets - 1;
}

std::uint64_t Histogram::bucket_upper(std::size_t bucket) {
  if (bucket < kLinear) return bucket;
  std::size_t exponent = (bucket - kLinear) / kSubBuckets + 4;
  std::uint64_t sub = (bucket - kLinear) % kSubBuckets;
  return ((kSubBuckets + sub + 1) << (exponent - 3)) - 1;
}

void Histogram::record(std::uint64_t value, bool error) {
  counts_[bucket_of(value)].fetch_add(1, std::memory_order_relaxed);
  if (error) errors_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  std::uint64_t max = max_.load(std::memory_order_relaxed);
  while (value > max && !max_.compare_exchange_weak(max, value, std::memory_order_relaxed)) {
  }
  std::uint64_t min = min_.load(std::memory_order_relaxed);
  while (value < min && !min_.compare_exchange_weak(min, value, std::memory_order_relaxed)) {
  }
}

OperationStats Histogram::summary(double units_per_ms) const {
  OperationStats s;
  std::array<std::uint64_t, kBuckets> counts;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    total += counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  s.count = total;
  s.errors = errors_.load(std::memory_order_relaxed);
  if (total == 0) return s;
  std::uint64_t max = max_.load(std::memory_order_relaxed);
  s.avg_ms = static_cast<double>(sum_.load(std::memory_order_relaxed)) / units_per_ms /
             static_cast<double>(total);
  s.max_ms = static_cast<double>(max) / units_per_ms;
  // A record counted in a bucket may not have lowered min_ yet: never report min above max.
  s.min_ms =
      static_cast<double>(std::min(min_.load(std::memory_order_relaxed), max)) / units_per_ms;
  // Nearest rank (the smallest value with at least percent% of the records at or below it),
  // reported as its bucket's upper bound: never below what was measured, at most 12.5% above.
  auto percentile = [&](std::uint64_t percent) {
    std::uint64_t rank = std::max<std::uint64_t>(1, (total * percent + 99) / 100);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen >= rank) return static_cast<double>(std::min(bucket_upper(i), max)) / units_per_ms;
    }
    return s.max_ms;
  };
  s.p50_ms = percentile(50);
  s.p95_ms = percentile(95);
  s.p99_ms = percentile(99);
  return s;
}

}  // namespace nadb::obs
