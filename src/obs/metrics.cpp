#include "obs/metrics.hpp"

#include <memory>
#include <mutex>

namespace nadb::obs {
namespace {

struct Registry {
  // Guarded by mutex (the map; histograms are lock-free and never move or die).
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> histograms;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

Histogram& component_histogram(std::string_view name) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.histograms.find(name);
  if (it == r.histograms.end())
    it = r.histograms.emplace(std::string(name), std::make_unique<Histogram>()).first;
  return *it->second;
}

std::map<std::string, OperationStats> component_summaries() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::map<std::string, OperationStats> out;
  for (const auto& [name, histogram] : r.histograms) {
    OperationStats s = histogram->summary(util::ticks_per_ms());
    if (s.count > 0) out.emplace(name, s);
  }
  return out;
}

}  // namespace nadb::obs
