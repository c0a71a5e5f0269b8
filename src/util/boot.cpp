#include "util/boot.hpp"

#include <atomic>
#include <fstream>

namespace nadb::util {
namespace {

std::atomic<int> pretended_restarts{0};

}  // namespace

std::string boot_id() {
  static const std::string id = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string line;
    std::getline(in, line);
    return in ? line : std::string();
  }();
  int restarts = pretended_restarts.load();
  if (id.empty() || restarts == 0) return id;
  return id + "+" + std::to_string(restarts);
}

void pretend_restart() {
  pretended_restarts.fetch_add(1);
}

}  // namespace nadb::util
