// The loggers of NADB's own components (docs/LOGGING.md lists their events and fields).
#pragma once

#include "nadb/logging.hpp"

namespace nadb::obs {

enum class Component { Store, Engine, Redis, Pool, Txn, Backup, Index, Sync };

// The component's logger ("nadb.store", ...); thread-safe, valid forever.
const Logger& logger(Component component);
PerformanceLogger& performance(Component component);

// LogConfig::slow_query_threshold of the configuration in force, in ms.
double slow_query_threshold_ms();

}  // namespace nadb::obs
