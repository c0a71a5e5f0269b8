#include "memory_latency.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>
#include <sstream>
#include <vector>

namespace nadb::bench {
namespace {

constexpr std::size_t kWorkingSetsMib[] = {1, 2, 4, 8, 16, 32, 64, 256};

struct alignas(64) Line {
  std::size_t next;
};

double dependent_load_ns(std::size_t bytes) {
  std::size_t n = bytes / sizeof(Line);
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  std::vector<Line> lines(n);
  for (std::size_t i = 0; i < n; ++i)
    lines[order[i]].next = order[(i + 1) % n];
  std::size_t at = 0;
  for (std::size_t i = 0; i < n; ++i)  // warm up: touch every line once
    at = lines[at].next;
  constexpr std::size_t kSteps = 2'000'000;
  auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kSteps; ++i)
    at = lines[at].next;
  std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  // Keeps the chase from being optimized away.
  if (at == n) throw std::logic_error("memory latency: impossible index");
  return took.count() / kSteps;
}

}  // namespace

nlohmann::json memory_latency_curve() {
  nlohmann::json curve = nlohmann::json::object();
  for (std::size_t mib : kWorkingSetsMib)
    curve[std::to_string(mib)] = dependent_load_ns(mib << 20);
  return curve;
}

std::string memory_latency_table(const nlohmann::json& curve) {
  std::ostringstream out;
  out << "memory latency (ns per dependent load) by working set:";
  for (std::size_t mib : kWorkingSetsMib) {
    out << "  " << mib << " MiB " << static_cast<long>(curve[std::to_string(mib)].get<double>());
  }
  out << "\n";
  return out.str();
}

}  // namespace nadb::bench
