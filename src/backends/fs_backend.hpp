// The "fs" backend: the embedded log engine (src/engine/), which implements StorageBackend.
#pragma once

#include <memory>

#include "nadb/backend.hpp"

namespace nadb::backends {

std::shared_ptr<StorageBackend> open_fs_backend(const Options& options);

}  // namespace nadb::backends
