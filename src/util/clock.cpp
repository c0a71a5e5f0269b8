#include "util/clock.hpp"

#include <thread>

namespace nadb::util {
namespace {

struct Baseline {
  std::uint64_t ticks = util::ticks();
  std::chrono::steady_clock::time_point time = std::chrono::steady_clock::now();
};
const Baseline baseline;  // taken when the library is loaded

}  // namespace

double ticks_per_ms() {
  using namespace std::chrono;
  auto elapsed = steady_clock::now() - baseline.time;
  if (elapsed < milliseconds(5)) {  // too short to measure the rate well
    std::this_thread::sleep_for(milliseconds(5) - elapsed);
  }
  std::uint64_t now_ticks = ticks();
  double ms = duration<double, std::milli>(steady_clock::now() - baseline.time).count();
  return static_cast<double>(now_ticks - baseline.ticks) / ms;
}

}  // namespace nadb::util
