#include "obs/log.hpp"

#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace nadb::obs {

void log(Level level, std::string_view component, std::string_view message) noexcept {
  static std::mutex mutex;
  try {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string line = std::string(ts) + (level == Level::Warning ? " WARN " : " ERROR ") +
                       std::string(component) + ": " + std::string(message) + "\n";
    std::lock_guard lock(mutex);
    std::fputs(line.c_str(), stderr);
  } catch (...) {
  }
}

}  // namespace nadb::obs
