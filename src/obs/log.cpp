#include "obs/log.hpp"

#include <array>

namespace nadb::obs {
namespace {

constexpr std::array<const char*, 8> kNames = {"nadb.store", "nadb.engine", "nadb.redis",
                                               "nadb.pool",  "nadb.txn",    "nadb.backup",
                                               "nadb.index", "nadb.sync"};

}  // namespace

const Logger& logger(Component component) {
  static const std::array<Logger, kNames.size()> loggers = [] {
    return std::array<Logger, kNames.size()>{
        LoggingConfig::get_logger(kNames[0]), LoggingConfig::get_logger(kNames[1]),
        LoggingConfig::get_logger(kNames[2]), LoggingConfig::get_logger(kNames[3]),
        LoggingConfig::get_logger(kNames[4]), LoggingConfig::get_logger(kNames[5]),
        LoggingConfig::get_logger(kNames[6]), LoggingConfig::get_logger(kNames[7])};
  }();
  return loggers[static_cast<std::size_t>(component)];
}

PerformanceLogger& performance(Component component) {
  return LoggingConfig::get_performance_logger(kNames[static_cast<std::size_t>(component)]);
}

}  // namespace nadb::obs
