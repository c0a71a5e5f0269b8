// The "memory" backend: same semantics as fs, nothing persisted. Stores of one db in one
// process share its data while any of them is open.
#pragma once

#include <memory>

#include "nadb/backend.hpp"

namespace nadb::backends {

std::shared_ptr<StorageBackend> open_memory_backend(const Options& options);

}  // namespace nadb::backends
