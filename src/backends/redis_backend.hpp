// The "redis" backend: a StorageBackend over a shared Redis server (src/backends/redis/).
#pragma once

#include <memory>

#include "nadb/backend.hpp"

namespace nadb::backends {

std::shared_ptr<StorageBackend> open_redis_backend(const Options& options);

}  // namespace nadb::backends
