// Process-wide latency histograms of the components' own operations ("engine.fsync",
// "pool.acquire", "backup.create"...), next to the per-store histograms of the store's API.
// Recording is lock-free; a name is looked up once per call site (a static reference).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "nadb/stats.hpp"
#include "obs/histogram.hpp"
#include "util/clock.hpp"

namespace nadb::obs {

// The histogram of name, made on first use; valid forever. Thread-safe.
Histogram& component_histogram(std::string_view name);
// Every component histogram's summary, in ms.
std::map<std::string, OperationStats> component_summaries();

// Records the time from construction to destruction into histogram, as an error when an
// exception is leaving the scope.
class Timed {
 public:
  explicit Timed(Histogram& histogram)
      : histogram_(histogram), start_(util::ticks()), exceptions_(std::uncaught_exceptions()) {}
  ~Timed() { histogram_.record(util::ticks() - start_, std::uncaught_exceptions() > exceptions_); }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  Histogram& histogram_;
  std::uint64_t start_;
  int exceptions_;
};

}  // namespace nadb::obs
