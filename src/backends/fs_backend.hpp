// The "fs" backend: a StorageBackend over the embedded log engine (src/engine/).
#pragma once

#include <memory>

#include "engine/engine.hpp"
#include "nadb/backend.hpp"

namespace nadb::backends {

std::shared_ptr<StorageBackend> open_fs_backend(const Options& options);

}  // namespace nadb::backends
