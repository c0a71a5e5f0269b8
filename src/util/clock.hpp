// Wall-clock and monotonic time helpers.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace nadb::util {

// Milliseconds since the Unix epoch (wall clock: what TTLs and timestamps are measured in).
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Ticks for timing short operations cheaply: the CPU's time-stamp counter on x86-64 (invariant
// on every CPU with constant_tsc), steady_clock nanoseconds elsewhere.
inline std::uint64_t ticks() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Ticks per millisecond, measured against steady_clock since the program started.
double ticks_per_ms();

// Monotonic stopwatch for durations.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace nadb::util
