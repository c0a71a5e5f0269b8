// Wall-clock and monotonic time helpers.
#pragma once

#include <chrono>
#include <cstdint>

namespace nadb::util {

// Milliseconds since the Unix epoch (wall clock: what TTLs and timestamps are measured in).
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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
